"""Reverb: delta responses, dry path, trainable impulse response."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import reverb


def test_delta_impulse_response_delays_and_adds_dry():
    rng = np.random.default_rng(0)
    audio = rng.normal(size=(2, 500)).astype(np.float32)
    ir = np.zeros((1, 50), np.float32)
    ir[0, 7] = 0.5
    wet_only = reverb.Reverb(trainable=False, add_dry=False, reverb_length=50)(audio, ir).numpy()
    expected_wet = np.zeros_like(audio)
    expected_wet[:, 7:] = 0.5 * audio[:, :-7]
    np.testing.assert_allclose(wet_only, expected_wet, atol=1e-5)
    with_dry = reverb.Reverb(trainable=False, add_dry=True, reverb_length=50)(audio, ir).numpy()
    np.testing.assert_allclose(with_dry, audio + expected_wet, atol=1e-5)


def test_direct_path_is_masked():
    audio = np.random.default_rng(1).normal(size=(1, 300)).astype(np.float32)
    ir = np.zeros((1, 20), np.float32)
    ir[0, 0] = 1.0  # a delta at 0 would double the dry signal; ddsp masks it
    np.testing.assert_allclose(reverb.Reverb(trainable=False)(audio, ir).numpy(), audio, atol=1e-6)


def test_trainable_impulse_response_is_a_weight_with_gradient():
    proc = reverb.Reverb(reverb_length=64)
    assert [tuple(v.shape) for v in proc.trainable_variables] == [(64,)]
    assert float(tf.reduce_max(tf.abs(proc.ir))) < 1e-4  # initialised ~N(0, 1e-6)
    audio = tf.random.normal([2, 400])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(proc(audio) ** 2)
    grad = tape.gradient(loss, proc.trainable_variables)[0].numpy()
    assert np.all(np.isfinite(grad)) and grad[0] == 0.0 and np.abs(grad[1:]).min() > 0


def test_untrainable_without_ir_fails_clearly():
    with pytest.raises(ValueError, match="impulse response"):
        reverb.Reverb(trainable=False)(tf.zeros([1, 100]))
