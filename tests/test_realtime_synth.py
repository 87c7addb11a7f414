"""The plugin-like synth (realtime/synth.py) against closed forms."""
import numpy as np

from ddsp_train.realtime.synth import PluginSynth

SR, HOP = 16000, 320


def one_hot(k, size=60):
    d = np.zeros(size)
    d[k - 1] = 1.0
    return d


def test_constant_harmonic_is_a_continuous_sine_across_frames():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    frames = [synth.render_frame(250.0, 0.5, one_hot(1), np.zeros(65)) for _ in range(10)]
    n = np.arange(10 * HOP)
    expected = 0.5 * np.sin(2 * np.pi * 250.0 * (n + 1) / SR)  # phase accumulates f0 / sr per sample
    np.testing.assert_allclose(np.concatenate(frames), expected, atol=1e-5)


def test_harmonics_at_or_above_nyquist_are_removed_and_the_rest_renormalised():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    out = np.concatenate([synth.render_frame(3000.0, 1.0, np.ones(60), np.zeros(65)) for _ in range(3)])
    phi = 2 * np.pi * 3000.0 * (np.arange(3 * HOP) + 1) / SR
    # Only k = 1, 2 lie below 8 kHz: the distribution becomes (1/2, 1/2).
    np.testing.assert_allclose(out, 0.5 * np.sin(phi) + 0.5 * np.sin(2 * phi), atol=1e-5)


def test_f0_and_amplitude_glide_linearly_within_a_block():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    a = synth.render_frame(200.0, 0.2, one_hot(1), np.zeros(65))
    b = synth.render_frame(400.0, 0.6, one_hot(1), np.zeros(65))
    ramp = np.arange(1, HOP + 1) / HOP
    f0 = np.concatenate([np.full(HOP, 200.0), 200.0 + 200.0 * ramp])
    amp = np.concatenate([np.full(HOP, 0.2), 0.2 + 0.4 * ramp])
    np.testing.assert_allclose(np.concatenate([a, b]), amp * np.sin(2 * np.pi * np.cumsum(f0) / SR), atol=1e-5)


def test_flat_noise_magnitudes_give_delayed_white_noise_continuous_across_blocks():
    synth = PluginSynth(sample_rate=SR, hop=HOP, seed=3)
    out = np.concatenate([synth.render_frame(100.0, 0.0, one_hot(1), np.full(65, 0.5)) for _ in range(8)])
    # A flat response of 0.5 is 0.5 times a unit impulse at the FIR's centre tap (delay 64).
    rng = np.random.default_rng(3)
    white = np.concatenate([rng.uniform(-1, 1, HOP) for _ in range(8)])
    expected = 0.5 * np.concatenate([np.zeros(64), white[:-64]])
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_whole_sequence_render_equals_frame_by_frame():
    rng = np.random.default_rng(4)
    count = 150
    f0 = 200 * 2 ** (np.cumsum(rng.normal(0, 0.05, count)))  # wandering pitch, some harmonics cross Nyquist
    f0[70:80] = 3900.0
    amplitude = rng.uniform(0, 0.3, (count, 1))
    dist = rng.random((count, 60))
    noise = rng.random((count, 65)) * 0.05
    frame_by_frame = PluginSynth(sample_rate=SR, hop=HOP, seed=9)
    expected = np.concatenate([frame_by_frame.render_frame(f, a, h, n) for f, a, h, n in zip(f0, amplitude, dist, noise)])
    whole = PluginSynth(sample_rate=SR, hop=HOP, seed=9)
    got = np.concatenate([whole.render(f0[:100], amplitude[:100], dist[:100], noise[:100], chunk=16),
                          whole.render(f0[100:], amplitude[100:], dist[100:], noise[100:])])
    np.testing.assert_allclose(got, expected, atol=2e-5)
    # The state afterwards is the same: both continue identically.
    np.testing.assert_allclose(whole.render_frame(300.0, 0.2, dist[0], noise[0]),
                               frame_by_frame.render_frame(300.0, 0.2, dist[0], noise[0]), atol=2e-5)
