"""The plugin's view of an Autoencoder (ddsp_train.exporting.plugin_model): its controls for whole
sequences and one frame at a time, the level gain, the one rule that finds the synths and their head
sizes, and the report of what keeps a model out of the plugin."""
import numpy as np
import tensorflow as tf

from ddsp_train.exporting import plugin_model
from models_support import INFO_16K, build, exp_sigmoid_np


def test_plugin_controls_sequence_and_step():
    model = build("tiny")
    rng = np.random.default_rng(1)
    frames = model.n_frames
    f0 = np.where(np.arange(frames) < frames // 2, 1010.0, 220.0)[np.newaxis].repeat(2, 0).astype(np.float32)
    features = {"f0_hz": f0, "power_db": rng.uniform(-70, -10, (2, frames)).astype(np.float32),
                "audio": np.zeros((2, model.n_samples), np.float32)}
    controls = plugin_model.controls(model, features)
    amplitude, dist, noise = (controls[k].numpy() for k in ("amplitude", "harmonic_distribution", "noise_magnitudes"))
    assert amplitude.shape == (2, frames, 1) and dist.shape == (2, frames, 60) and noise.shape == (2, frames, 65)
    assert (amplitude > 0).all() and (dist >= 0).all() and (noise > 0).all()
    np.testing.assert_allclose(dist.sum(-1), 1.0, atol=1e-5)
    # At 1010 Hz harmonics 8.. are above 8 kHz (Nyquist of 16 kHz): zero; 7 (7070 Hz) is not.
    assert np.abs(dist[:, : frames // 2, 7:]).max() == 0.0 and (dist[:, : frames // 2, 6] > 0).all()
    assert (dist[:, frames // 2 + 1:, :36] > 0).all()  # 220 Hz: 36 harmonics below 8 kHz
    # The noise magnitudes are exp_sigmoid(raw + initial_bias) of the decoder's raw head.
    raw = model.decoder(model.encode(features))["noise_magnitudes"].numpy()
    np.testing.assert_allclose(noise, exp_sigmoid_np(raw - 5.0), rtol=1e-4, atol=1e-7)

    # The one-frame path with the state fed back gives the same controls.
    inputs = model.encode(features)
    state = tf.zeros([2, 512])
    for t in range(frames):
        step = plugin_model.controls_step(model, inputs["f0_scaled"][:, t], inputs["pw_scaled"][:, t], state)
        state = step["state"]
        for key in ("amplitude", "harmonic_distribution", "noise_magnitudes"):
            np.testing.assert_allclose(step[key].numpy(), controls[key].numpy()[:, t], rtol=1e-4, atol=1e-6)
    assert state.shape == (2, 512)


def test_plugin_compatibility_report():
    assert plugin_model.problems(build("vst", create_weights=False)) == []
    assert plugin_model.problems(build("tiny", create_weights=False)) == []
    info_48k = INFO_16K.replace(sample_rate=48000)
    problems = plugin_model.problems(build("vst", info=info_48k, create_weights=False))
    assert len(problems) == 1 and "48000" in problems[0]
    solo = " | ".join(plugin_model.problems(build("solo_instrument", create_weights=False)))
    assert "encoder" in solo and "loudness" in solo and "100 harmonics" in solo
    assert "no Harmonic synth" in " ".join(plugin_model.problems(build("sinusoidal", create_weights=False)))
    small_state = build("tiny", bindings=["RnnFcDecoder.rnn_channels = 64"], create_weights=False)
    assert plugin_model.problems(small_state) == ["recurrent state size 64 (the plugin passes 512 values)"]
    unlike_the_plugin = plugin_model.problems(build("tiny", create_weights=False, bindings=[
        "FilteredNoise.n_taps = 256", "Harmonic.amp_resample_method = 'window'",
        "Harmonic.normalize_below_nyquist = False"]))
    assert unlike_the_plugin == [
        "Harmonic.amp_resample_method = 'window' (the plugin moves the amplitudes linearly across each frame)",
        "Harmonic.normalize_below_nyquist = False (the plugin renormalises the harmonic distribution below Nyquist)",
        "FilteredNoise.n_taps = 256 (the plugin builds 128-tap noise filters)"]


def test_renamed_heads_need_only_gin_bindings():
    renamed = ["RnnFcDecoder.output_splits = (('loud', 1), ('partials', 60), ('bands', 65))",
               "ProcessorGroup.dag = [(@Harmonic(), ['loud', 'partials', 'f0_hz']), (@FilteredNoise(), ['bands']),"
               " (@Add(), ['harmonic/signal', 'noise/signal']), (@Reverb(), ['add/signal'])]"]
    model = build("tiny", bindings=renamed)
    assert plugin_model.sizes(model) == (60, 65) and plugin_model.problems(model) == []
    step = plugin_model.controls_step(model, tf.fill([1, 1], 0.5), tf.fill([1, 1], 0.6), tf.zeros([1, 512]))
    assert step["harmonic_distribution"].shape == (1, 60) and step["noise_magnitudes"].shape == (1, 65)
    # A head of the wrong size is found through the same rule, whatever it is called.
    wrong = ["RnnFcDecoder.output_splits = (('loud', 1), ('partials', 40), ('bands', 65))", renamed[1]]
    assert plugin_model.problems(build("tiny", bindings=wrong, create_weights=False)) == [
        "40 harmonics (the plugin plays 60)"]


def test_gain_scales_amplitude_and_noise_only():
    model = build("tiny")
    rng = np.random.default_rng(3)
    features = {"f0_hz": rng.uniform(100, 900, (1, model.n_frames)).astype(np.float32),
                "power_db": rng.uniform(-60, -10, (1, model.n_frames)).astype(np.float32)}
    plain = plugin_model.controls(model, features)
    louder = plugin_model.controls(model, features, gain=2.5)
    np.testing.assert_allclose(louder["amplitude"].numpy(), 2.5 * plain["amplitude"].numpy(), rtol=1e-6)
    np.testing.assert_allclose(louder["noise_magnitudes"].numpy(), 2.5 * plain["noise_magnitudes"].numpy(), rtol=1e-6)
    np.testing.assert_array_equal(louder["harmonic_distribution"].numpy(), plain["harmonic_distribution"].numpy())
