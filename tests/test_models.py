"""Models: preprocessor scalings, the decoder's sequence/step equivalence, the MFCC encoder's frame
grid, the plugin controls of the autoencoder and its plugin-compatibility report."""
import numpy as np
import tensorflow as tf

from ddsp_train.models.decoders import RnnFcDecoder
from ddsp_train.models.encoders import MfccRnnEncoder, mfcc
from ddsp_train.models.preprocessor import F0PowerPreprocessor
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.training import gin_config

INFO_16K = DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=1.0, f0_method="yin")


def exp_sigmoid_np(x):
    """ddsp's exp_sigmoid, written independently: 2 * sigmoid(x) ** ln(10) + 1e-7."""
    return 2.0 * (1.0 / (1.0 + np.exp(-x))) ** np.log(10.0) + 1e-7


def build(config, info=INFO_16K, bindings=(), create_weights=True):
    gin_config.parse(config_files=[gin_config.resolve_config(config)], bindings=list(bindings), dataset_info=info)
    return gin_config.build_model(dataset_info=info, create_weights=create_weights)


def test_preprocessor_scales_as_the_plugin_feeds():
    f0 = np.array([[440.0, 880.0, 0.0, 20000.0]], np.float32)
    power = np.array([[-80.0, -40.0, 0.0, -3.0]], np.float32)
    out = F0PowerPreprocessor()({"f0_hz": f0, "power_db": power, "loudness_db": power})
    # midi(440) = 69, midi(880) = 81; 0 Hz clips to MIDI 0, 20 kHz to MIDI 127.
    np.testing.assert_allclose(out["f0_scaled"].numpy()[0, :, 0], [69 / 127, 81 / 127, 0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(out["pw_scaled"].numpy()[0, :, 0], [0.0, 0.5, 1.0, 1 - 3 / 80], atol=1e-6)
    np.testing.assert_allclose(out["ld_scaled"].numpy(), out["pw_scaled"].numpy())
    assert out["f0_hz"].shape == (1, 4, 1)


def test_decoder_sequence_and_frame_steps_agree():
    decoder = RnnFcDecoder(rnn_channels=16, ch=8, layers_per_stack=2, input_keys=("pw_scaled", "f0_scaled"),
                           output_splits=(("amps", 1), ("harmonic_distribution", 5)))
    rng = np.random.default_rng(0)
    inputs = {k: tf.constant(rng.uniform(0, 1, (3, 9, 1)), tf.float32) for k in ("pw_scaled", "f0_scaled")}
    sequence = decoder(inputs)
    state = tf.zeros([3, 16])
    stepped = []
    for t in range(9):
        out = decoder.step({k: v[:, t] for k, v in inputs.items()}, state)
        state = out["state"]
        stepped.append(out)
    for key, size in (("amps", 1), ("harmonic_distribution", 5)):
        frames = np.stack([s[key].numpy() for s in stepped], axis=1)
        assert frames.shape == (3, 9, size)
        np.testing.assert_allclose(frames, sequence[key].numpy(), atol=1e-5)
    np.testing.assert_allclose(state.numpy(), sequence["state"].numpy(), atol=1e-5)
    # Causal: changing the last frame leaves the earlier outputs alone.
    changed = {k: tf.concat([v[:, :-1], v[:, -1:] + 1.0], axis=1) for k, v in inputs.items()}
    np.testing.assert_allclose(decoder(changed)["amps"].numpy()[:, :-1], sequence["amps"].numpy()[:, :-1], atol=1e-6)


def test_mfcc_on_the_frame_grid_and_encoder_shape():
    sr, hop, n = 16000, 320, 16000
    rng = np.random.default_rng(0)
    audio = np.zeros((1, n), np.float32)
    audio[0, 25 * hop - 32: 25 * hop + 32] = rng.standard_normal(64)  # a click centred on frame 25
    coefficients = mfcc(audio, sample_rate=sr, hop=hop).numpy()
    assert coefficients.shape == (1, n // hop + 1, 30)
    energy = coefficients[0, :, 0]  # c0: the mean log-mel energy of each frame
    assert int(np.argmax(energy)) == 25
    assert abs(energy[24] - energy[26]) < 0.05 * (energy[25] - energy[0])  # frames centred at k * hop
    z = MfccRnnEncoder(sample_rate=sr, frame_rate=50, rnn_channels=8, z_dims=4)({"audio": audio})
    assert z.shape == (1, n // hop + 1, 4)


def test_plugin_controls_sequence_and_step():
    model = build("tiny")
    rng = np.random.default_rng(1)
    frames = model.n_frames
    f0 = np.where(np.arange(frames) < frames // 2, 1010.0, 220.0)[np.newaxis].repeat(2, 0).astype(np.float32)
    features = {"f0_hz": f0, "power_db": rng.uniform(-70, -10, (2, frames)).astype(np.float32),
                "audio": np.zeros((2, model.n_samples), np.float32)}
    controls = model.controls(features)
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
        step = model.controls_step(inputs["f0_scaled"][:, t], inputs["pw_scaled"][:, t], state)
        state = step["state"]
        for key in ("amplitude", "harmonic_distribution", "noise_magnitudes"):
            np.testing.assert_allclose(step[key].numpy(), controls[key].numpy()[:, t], rtol=1e-4, atol=1e-6)
    assert state.shape == (2, 512)


def test_plugin_compatibility_report():
    assert build("vst", create_weights=False).is_plugin_compatible() == []
    assert build("tiny", create_weights=False).is_plugin_compatible() == []
    info_48k = INFO_16K.replace(sample_rate=48000)
    problems = build("vst", info=info_48k, create_weights=False).is_plugin_compatible()
    assert len(problems) == 1 and "48000" in problems[0]
    solo = " | ".join(build("solo_instrument", create_weights=False).is_plugin_compatible())
    assert "encoder" in solo and "loudness" in solo and "100 harmonics" in solo
    assert "no Harmonic synth" in " ".join(build("sinusoidal", create_weights=False).is_plugin_compatible())
    small_state = build("tiny", bindings=["RnnFcDecoder.rnn_channels = 64"], create_weights=False)
    assert small_state.is_plugin_compatible() == ["recurrent state size 64 (the plugin passes 512 values)"]
    unlike_the_plugin = build("tiny", create_weights=False, bindings=[
        "FilteredNoise.n_taps = 256", "Harmonic.amp_resample_method = 'window'",
        "Harmonic.normalize_below_nyquist = False"]).is_plugin_compatible()
    assert unlike_the_plugin == [
        "Harmonic.amp_resample_method = 'window' (the plugin moves the amplitudes linearly across each frame)",
        "Harmonic.normalize_below_nyquist = False (the plugin renormalises the harmonic distribution below Nyquist)",
        "FilteredNoise.n_taps = 256 (the plugin builds 128-tap noise filters)"]


def test_the_parts_declare_what_they_read_and_what_runs_in_mixed_precision():
    from ddsp_train.training import checkpoints

    assert F0PowerPreprocessor().features_for(("pw_scaled", "f0_scaled", "z")) == {"power_db", "f0_hz"}
    assert F0PowerPreprocessor().features_for(("ld_scaled",)) == {"loudness_db"}
    assert MfccRnnEncoder.input_keys == ("audio",)
    assert checkpoints.mixed_precision_layers() == ["MfccRnnEncoder", "RnnFcDecoder"]
