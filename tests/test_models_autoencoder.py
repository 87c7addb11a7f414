"""The autoencoder (models/autoencoder.py): its timing, the forward pass's outputs, the loss terms."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp.losses import SpectralLoss
from ddsp_train.models.encoders import MfccRnnEncoder
from models_support import harmonic_autoencoder


def test_timing_and_dummy_features_follow_the_rates():
    model = harmonic_autoencoder(n_samples=8000, sample_rate=16000, frame_rate=50)
    assert (model.hop, model.n_frames) == (320, 8000 // 320 + 1)
    assert model.timing() == [("model", "sample_rate", 16000), ("model", "frame_rate", 50),
                              ("model", "n_samples", 8000), ("harmonic", "sample_rate", 16000),
                              ("harmonic", "n_samples", 8000)]
    dummy = model.dummy_features(batch_size=3)
    assert dummy["audio"].shape == (3, 8000) and dummy["f0_hz"].shape == (3, 26)
    assert float(tf.reduce_max(dummy["power_db"])) == -80.0
    with pytest.raises(ValueError, match="not a multiple of frame_rate"):
        harmonic_autoencoder(sample_rate=16000, frame_rate=30)


def test_forward_pass_renders_the_synth_and_the_losses_compare_with_the_input():
    model = harmonic_autoencoder(n_samples=8000, harmonics=8)
    rng = np.random.default_rng(0)
    features = {"audio": tf.constant(0.1 * rng.standard_normal((2, 8000)), tf.float32),
                "f0_hz": tf.fill([2, 26], 220.0), "power_db": tf.fill([2, 26], -20.0)}
    outputs = model(features)
    assert outputs["audio_synth"].shape == (2, 8000)
    np.testing.assert_array_equal(outputs["audio_synth"].numpy(), outputs["out"].numpy())
    assert outputs["amps"].shape == (2, 26, 1) and outputs["harmonic_distribution"].shape == (2, 26, 8)
    assert {"harmonic/signal", "harmonic/controls/amplitudes", "f0_scaled"} <= set(outputs)  # group outputs, inputs
    # 220 Hz: the synth's spectrum peaks on multiples of 220 Hz.
    spectrum = np.abs(np.fft.rfft(outputs["audio_synth"].numpy()[0, 2000:6000]))
    peak_hz = np.argmax(spectrum) * 16000 / 4000
    assert min(abs(peak_hz - k * 220) for k in range(1, 9)) <= 4
    terms = model.loss_terms(features, outputs)
    assert list(terms) == ["spectral_loss"] and float(terms["spectral_loss"]) > 0
    expected = SpectralLoss(fft_sizes=(256, 64))(features["audio"], outputs["audio_synth"])
    np.testing.assert_allclose(float(terms["spectral_loss"]), float(expected), rtol=1e-5)
    # The resynthesis as the target: every loss is zero.
    itself = model.loss_terms({**features, "audio": outputs["audio_synth"]}, outputs)
    assert float(itself["spectral_loss"]) == 0.0


def test_an_encoder_adds_z_and_unnamed_losses_get_snake_case_names():
    class MeanAbsDifference:  # a loss without a name attribute
        def __call__(self, target, audio):
            return tf.reduce_mean(tf.abs(target - audio))

    encoder = MfccRnnEncoder(sample_rate=16000, frame_rate=50, rnn_channels=8, z_dims=3)
    model = harmonic_autoencoder(n_samples=3200, encoder=encoder, input_keys=("f0_scaled", "z"),
                                 losses=[MeanAbsDifference()])
    features = {"audio": tf.zeros([1, 3200]), "f0_hz": tf.fill([1, 11], 330.0), "power_db": tf.fill([1, 11], -30.0)}
    assert model.encode(features)["z"].shape == (1, 11, 3)
    outputs = model(features)
    terms = model.loss_terms(features, outputs)
    assert list(terms) == ["mean_abs_difference"]
    np.testing.assert_allclose(float(terms["mean_abs_difference"]), np.mean(np.abs(outputs["audio_synth"])), rtol=1e-5)
    assert ("encoder", "sample_rate", 16000) in model.timing() and ("encoder", "frame_rate", 50) in model.timing()
