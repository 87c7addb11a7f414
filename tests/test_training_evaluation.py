"""The evaluation figures (training/evaluation.py) against closed forms."""
import numpy as np
import pytest

from ddsp_train.training import evaluation


def test_f0_cents_error():
    f0_in = np.array([440.0, 440.0, 440.0, 220.0])
    f0_out = np.array([440.0 * 2 ** (50 / 1200), 440.0 / 2 ** (7 / 1200), 0.0, 440.0])
    np.testing.assert_allclose(evaluation.f0_cents_error(f0_out, f0_in), [50.0, 7.0, 1200.0, 1200.0], atol=1e-9)


def test_evaluate_on_a_model_whose_input_is_its_own_resynthesis():
    import tensorflow as tf

    from ddsp_train import features
    from models_support import harmonic_autoencoder

    model = harmonic_autoencoder(n_samples=16000, harmonics=4)
    frames = model.n_frames
    batch = {"f0_hz": tf.fill([1, frames], 220.0), "power_db": tf.fill([1, frames], -20.0),
             "f0_confidence": tf.constant(np.where(np.arange(frames) < 30, 1.0, 0.0)[None], tf.float32)}
    synth = model({**batch, "audio": tf.zeros([1, 16000])})["audio_synth"]
    batch["audio"] = synth  # the target is the model's own output: a zero loss
    result = evaluation.evaluate(model, [batch], sample_rate=16000, frame_rate=50, dataset_f0_method="yin",
                                 audible_db=-60.0)
    m = result.metrics
    assert m["loss"] == m["spectral_loss"] < 1e-4  # (the traced pass differs from the eager one in float rounding)
    assert m["f0_method"] == "yin" and m["voiced_frames"] == 30  # confidence 1 on the first 30 frames only
    assert m["f0_cents_median"] < 10 and m["f0_within_50_cents"] > 0.9  # a 220 Hz harmonic tone, tracked again
    power = features.compute_power_db(synth.numpy()[0], sample_rate=16000, frame_rate=50)
    np.testing.assert_allclose(m["power_error_db"], np.mean(np.abs(power + 20.0)), rtol=1e-4)
    # Above audible_db only: the input's -20 dB frames are all below -10 dB, so there is no power figure.
    quiet = evaluation.evaluate(model, [batch], sample_rate=16000, frame_rate=50, audible_db=-10.0)
    assert np.isnan(quiet.metrics["power_error_db"])
    np.testing.assert_array_equal(result.reference, synth.numpy()[0])
    np.testing.assert_allclose(result.resynthesis, synth.numpy()[0], atol=1e-5)
    with pytest.raises(ValueError, match="no examples"):
        evaluation.evaluate(model, [], sample_rate=16000, frame_rate=50)
