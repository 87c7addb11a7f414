"""Harmonic, sinusoidal and wavetable synths against sums of np.sin."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import core, synths

SR, HOP = 16000, 320
N = 8000
T = N // HOP + 1
n = np.arange(N)


def const(value, channels=1):
    return np.full((1, T, channels), value, np.float32)


def test_constant_f0_harmonic_equals_sum_of_sines():
    dist = np.array([4.0, 0.0, 2.0, 1.0, 0.5], np.float32)
    synth = synths.Harmonic(N, SR, scale_fn=None)
    controls = synth.get_controls(const(0.8), np.tile(dist, (1, T, 1)), const(220.0))
    np.testing.assert_allclose(controls["harmonic_distribution"].numpy()[0, 0], dist / dist.sum(), rtol=1e-6)
    audio = synth.get_signal(**controls).numpy()[0]
    expected = sum(0.8 * d / dist.sum() * np.sin(2 * np.pi * 220.0 * (k + 1) * n / SR) for k, d in enumerate(dist))
    np.testing.assert_allclose(audio, expected, atol=1e-4)
    np.testing.assert_allclose(synth(const(0.8), np.tile(dist, (1, T, 1)), const(220.0)).numpy()[0], audio)


def test_harmonics_at_or_above_nyquist_removed_and_renormalised():
    synth = synths.Harmonic(N, SR, scale_fn=None)
    # f0 = 4 kHz: harmonic 2 is exactly Nyquist, 3 and 4 above: only the fundamental stays.
    controls = synth.get_controls(const(1.0), const(1.0, 4), const(4000.0))
    np.testing.assert_allclose(controls["harmonic_distribution"].numpy()[0, 3], [1, 0, 0, 0])
    audio = synth.get_signal(**controls).numpy()[0]
    np.testing.assert_allclose(audio, np.sin(2 * np.pi * 4000.0 * n / SR), atol=1e-4)
    # Without renormalisation the distribution keeps the silenced share: quieter fundamental.
    plain = synths.Harmonic(N, SR, scale_fn=None, normalize_below_nyquist=False)
    controls = plain.get_controls(const(1.0), const(1.0, 4), const(4000.0))
    np.testing.assert_allclose(plain.get_signal(**controls).numpy()[0], 0.25 * np.sin(2 * np.pi * 4000.0 * n / SR),
                               atol=1e-4)


def test_harmonic_amplitude_envelopes_linear_and_window():
    rng = np.random.default_rng(0)
    amps = rng.uniform(0.1, 1.0, size=(1, T, 1)).astype(np.float32)
    t = n / HOP
    k = np.floor(t).astype(int)
    frac = t - k
    left, right = amps[0, k, 0], amps[0, np.minimum(k + 1, T - 1), 0]
    tone = np.sin(2 * np.pi * 300.0 * n / SR)
    for method, weight in (("linear", frac), ("window", 0.5 - 0.5 * np.cos(np.pi * frac))):
        synth = synths.Harmonic(N, SR, scale_fn=None, amp_resample_method=method)
        audio = synth(amps, const(1.0), const(300.0)).numpy()[0]
        np.testing.assert_allclose(audio, (left + (right - left) * weight) * tone, atol=1e-4)


def test_gliding_f0_follows_the_integrated_phase():
    f0 = np.linspace(200.0, 400.0, T).astype(np.float32)[None, :, None]
    audio = synths.Harmonic(N, SR, scale_fn=None)(const(1.0), const(1.0), f0).numpy()[0]
    f0_audio = np.interp(n / HOP, np.arange(T), f0[0, :, 0])
    phase = np.concatenate([[0.0], np.cumsum(2 * np.pi * f0_audio / SR)[:-1]])
    np.testing.assert_allclose(audio, np.sin(phase), atol=1e-4)


def test_scaled_controls_use_exp_sigmoid():
    synth = synths.Harmonic(N, SR)
    raw_amp, raw_dist = const(0.3), np.tile(np.array([0.0, -1.0], np.float32), (1, T, 1))
    controls = synth.get_controls(raw_amp, raw_dist, const(100.0))
    np.testing.assert_allclose(controls["amplitudes"].numpy(), core.exp_sigmoid(raw_amp).numpy())
    d = core.exp_sigmoid(np.array([0.0, -1.0])).numpy()
    np.testing.assert_allclose(controls["harmonic_distribution"].numpy()[0, 0], d / d.sum(), rtol=1e-6)


def test_sinusoidal_equals_sum_of_sines_and_drops_above_nyquist():
    synth = synths.Sinusoidal(N, SR, amp_scale_fn=None, freq_scale_fn=None)
    amps = np.tile(np.array([0.5, 0.3, 0.9], np.float32), (1, T, 1))
    freqs = np.tile(np.array([330.0, 1234.0, 9000.0], np.float32), (1, T, 1))
    audio = synth(amps, freqs).numpy()[0]
    expected = 0.5 * np.sin(2 * np.pi * 330 * n / SR) + 0.3 * np.sin(2 * np.pi * 1234 * n / SR)
    np.testing.assert_allclose(audio, expected, atol=1e-4)


def test_wavetable_reads_its_tables_at_f0():
    synth = synths.Wavetable(N, SR, n_wavetables=2, wavetable_size=1024, scale_fn=None)
    amps = np.tile(np.array([0.7, 0.2], np.float32), (1, T, 1))
    audio = synth(amps, const(250.0)).numpy()[0]
    # Initial tables are the first two harmonics.
    expected = 0.7 * np.sin(2 * np.pi * 250 * n / SR) + 0.2 * np.sin(2 * np.pi * 500 * n / SR)
    np.testing.assert_allclose(audio, expected, atol=1e-4)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(synth(amps, const(250.0)) ** 2)
    grad = tape.gradient(loss, synth.trainable_variables)[0]
    assert np.all(np.isfinite(grad.numpy())) and np.abs(grad.numpy()).max() > 0


def test_graph_and_xla_paths_agree():
    """Outside XLA harmonics above Nyquist in the whole batch are skipped; XLA evaluates all K."""
    rng = np.random.default_rng(3)
    synth = synths.Harmonic(N, SR)
    amps = tf.constant(rng.normal(size=(2, T, 1)), tf.float32)
    dist = tf.constant(rng.normal(size=(2, T, 60)), tf.float32)
    f0 = tf.constant(rng.uniform(300, 900, size=(2, T, 1)), tf.float32)
    graph = tf.function(lambda: synth(amps, dist, f0))().numpy()
    xla = tf.function(lambda: synth(amps, dist, f0), jit_compile=True)().numpy()
    np.testing.assert_allclose(graph, xla, atol=1e-4)
    np.testing.assert_allclose(graph, synth(amps, dist, f0).numpy(), atol=1e-5)


def test_sinusoidal_blockwise_phase_equals_audio_rate_oscillator_bank():
    rng = np.random.default_rng(4)
    freqs = rng.uniform(100, 7000, size=(2, T, 5)).astype(np.float32)
    amps = rng.uniform(0, 1, size=(2, T, 5)).astype(np.float32)
    synth = synths.Sinusoidal(N, SR, amp_scale_fn=None, freq_scale_fn=None)
    blockwise = synth(amps, freqs).numpy()
    # Reference: sample-rate envelopes and a float64 numpy phase; nothing reaches Nyquist here.
    positions = n / HOP
    reference = np.zeros((2, N))
    for b in range(2):
        for k in range(5):
            f = np.interp(positions, np.arange(T), freqs[b, :, k])
            a = np.interp(positions, np.arange(T), amps[b, :, k])
            phase = np.concatenate([[0.0], np.cumsum(2 * np.pi * f / SR)[:-1]])
            reference[b] += a * np.sin(phase)
    np.testing.assert_allclose(blockwise, reference, atol=1e-3)
    # ...and the audio-rate oscillator bank on upsampled envelopes gives the same signal.
    bank = core.oscillator_bank(core.upsample_linear(freqs, N), core.upsample_linear(amps, N), sample_rate=SR)
    np.testing.assert_allclose(bank.numpy(), reference, atol=1e-3)


def test_two_dimensional_f0_is_accepted_and_bad_ranks_rejected():
    synth = synths.Harmonic(N, SR, scale_fn=None)
    three = synth(const(1.0), const(1.0, 3), const(300.0)).numpy()
    two = synth(const(1.0)[..., 0], const(1.0, 3), const(300.0)[..., 0]).numpy()
    np.testing.assert_array_equal(two, three)
    with pytest.raises(ValueError, match="frames, channels"):
        synth(const(1.0)[0, :, 0], const(1.0, 3), const(300.0))
