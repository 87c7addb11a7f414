"""The preprocessor (models/preprocessor.py): the plugin's input scalings and the features each input needs."""
import numpy as np
import pytest

from ddsp_train.models.preprocessor import F0PowerPreprocessor


def test_preprocessor_scales_as_the_plugin_feeds():
    f0 = np.array([[440.0, 880.0, 0.0, 20000.0]], np.float32)
    power = np.array([[-80.0, -40.0, 0.0, -3.0]], np.float32)
    out = F0PowerPreprocessor()({"f0_hz": f0, "power_db": power, "loudness_db": power})
    # midi(440) = 69, midi(880) = 81; 0 Hz clips to MIDI 0, 20 kHz to MIDI 127.
    np.testing.assert_allclose(out["f0_scaled"].numpy()[0, :, 0], [69 / 127, 81 / 127, 0.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(out["pw_scaled"].numpy()[0, :, 0], [0.0, 0.5, 1.0, 1 - 3 / 80], atol=1e-6)
    np.testing.assert_allclose(out["ld_scaled"].numpy(), out["pw_scaled"].numpy())
    assert out["f0_hz"].shape == (1, 4, 1)


def test_frame_shapes_pass_through_and_f0_is_required():
    f0 = np.full((2, 3, 1), 220.0, np.float32)
    audio = np.zeros((2, 640), np.float32)
    out = F0PowerPreprocessor()({"f0_hz": f0, "f0_confidence": np.ones((2, 3), np.float32), "audio": audio})
    assert out["f0_hz"].shape == out["f0_confidence"].shape == out["f0_scaled"].shape == (2, 3, 1)
    assert out["audio"] is audio  # not a frame feature: passed on untouched
    assert "pw_scaled" not in out and "ld_scaled" not in out  # no power, no loudness in the input
    np.testing.assert_allclose(out["f0_scaled"].numpy(), (12 * np.log2(220 / 440) + 69) / 127, atol=1e-6)
    with pytest.raises(KeyError, match="f0_hz"):
        F0PowerPreprocessor()({"power_db": np.zeros((1, 3), np.float32)})


def test_features_for_names_the_sources():
    assert F0PowerPreprocessor().features_for(("pw_scaled", "f0_scaled", "z")) == {"power_db", "f0_hz"}
    assert F0PowerPreprocessor().features_for(("ld_scaled",)) == {"loudness_db"}
    assert F0PowerPreprocessor().features_for(("z",)) == set()
