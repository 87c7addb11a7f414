"""Unit conversions and the plugin's input scalings (dsp/scaling.py): closed forms, inverses, and
the same numbers from numpy and from TensorFlow tensors."""
import numpy as np
import pytest

from ddsp_train.dsp import scaling


def test_midi_and_hz_at_known_notes():
    np.testing.assert_allclose(scaling.hz_to_midi(np.array([440.0, 880.0, 220.0, 261.6255653])),
                               [69.0, 81.0, 57.0, 60.0], atol=1e-6)
    np.testing.assert_allclose(scaling.midi_to_hz(np.array([69.0, 60.0, 0.0, 127.0])),
                               [440.0, 261.6255653, 8.1757989, 12543.8539514], rtol=1e-8)
    midi = np.linspace(0, 127, 509)
    np.testing.assert_allclose(scaling.hz_to_midi(scaling.midi_to_hz(midi)), midi, atol=1e-9)
    # 0 Hz (unvoiced) and anything below MIDI 0 map to MIDI 0, never -inf or NaN.
    assert scaling.hz_to_midi(0.0) == 0.0 and scaling.hz_to_midi(1.0) == 0.0


def test_f0_and_power_scalings_are_the_plugins():
    f0 = np.array([0.0, scaling.MIN_F0_HZ, 440.0, scaling.MAX_F0_HZ, 20000.0])
    np.testing.assert_allclose(scaling.scale_f0_hz(f0), [0.0, 0.0, 69 / 127, 1.0, 1.0], atol=1e-9)
    inside = np.array([30.0, 440.0, 5000.0])
    np.testing.assert_allclose(scaling.unscale_f0_hz(scaling.scale_f0_hz(inside)), inside, rtol=1e-9)
    db = np.array([-80.0, -40.0, -3.0103, 0.0])
    np.testing.assert_allclose(scaling.scale_power_db(db), [0.0, 0.5, 1 - 3.0103 / 80, 1.0])
    np.testing.assert_allclose(scaling.unscale_power_db(scaling.scale_power_db(db)), db, atol=1e-12)


def test_db_and_power():
    np.testing.assert_allclose(scaling.db_to_power(np.array([0.0, -10.0, -3.0103, 20.0])),
                               [1.0, 0.1, 0.5, 100.0], rtol=1e-4)
    np.testing.assert_allclose(scaling.power_to_db(np.array([1.0, 0.5, 1e-3, 0.0])),
                               [0.0, -3.0103, -30.0, -80.0], atol=1e-4)  # 0 is floored at -80 dB
    assert scaling.power_to_db(1e-12, range_db=200.0) == pytest.approx(-120.0)
    assert scaling.power_to_db(0.0, amin=1e-6, range_db=200.0) == pytest.approx(-60.0)


def test_tensors_in_tensors_out_with_the_same_values():
    import tensorflow as tf

    f0 = np.array([[0.0, 55.0, 440.0, 3000.0, 15000.0]], np.float32)
    for fn, x in ((scaling.hz_to_midi, f0), (scaling.scale_f0_hz, f0), (scaling.midi_to_hz, f0 / 200),
                  (scaling.db_to_power, -f0 / 300), (scaling.power_to_db, f0 / 1000),
                  (scaling.scale_power_db, -f0 / 300)):
        out = fn(tf.constant(x))
        assert isinstance(out, tf.Tensor) or type(out).__module__.startswith("tensorflow"), fn.__name__
        np.testing.assert_allclose(np.asarray(out), fn(x.astype(np.float64)), rtol=1e-4, atol=1e-4,
                                   err_msg=fn.__name__)
    assert isinstance(scaling.hz_to_midi(np.float32(440.0)), np.floating)
