"""Multi-scale spectral loss against a numpy STFT, and its behaviour on detuned tones."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import losses

SR = 16000


def np_magnitudes(x, size, overlap=0.75):
    hop = int(size * (1 - overlap))
    n_frames = -(-x.shape[-1] // hop)
    padded = np.pad(x, [(0, 0), (0, (n_frames - 1) * hop + size - x.shape[-1])])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)
    frames = np.stack([padded[:, i * hop: i * hop + size] for i in range(n_frames)], axis=1)
    return np.abs(np.fft.rfft(frames * window, axis=-1))


def tone(f0, n=8000):
    t = np.arange(n) / SR
    return np.sum([np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)], axis=0)[None].astype(np.float32)


def test_loss_equals_numpy_definition():
    rng = np.random.default_rng(0)
    target = rng.normal(size=(2, 4000)).astype(np.float32)
    audio = (0.5 * target + 0.1 * rng.normal(size=(2, 4000))).astype(np.float32)
    audio[:, :500] = 0.0  # silent stretch: exercises the log floor
    expected = 0.0
    for size in (256, 64):
        mt, ma = np_magnitudes(target, size), np_magnitudes(audio, size)
        expected += np.mean(np.abs(mt - ma))
        expected += 0.5 * np.mean(np.abs(np.log(np.maximum(mt, 1e-5)) - np.log(np.maximum(ma, 1e-5))))
    loss = losses.SpectralLoss(fft_sizes=(256, 64), logmag_weight=0.5)(target, audio)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-4)
    l2 = losses.spectral_loss(target, audio, fft_sizes=(64,), logmag_weight=0.0, loss_type="L2")
    np.testing.assert_allclose(float(l2), np.mean((np_magnitudes(target, 64) - np_magnitudes(audio, 64)) ** 2),
                               rtol=1e-4)


def test_zero_for_identical_audio_and_grows_with_detuning():
    loss = losses.SpectralLoss()
    target = tone(440.0)
    assert float(loss(target, target)) == 0.0
    values = [float(loss(target, tone(440.0 * 2 ** (cents / 1200)))) for cents in (5, 20, 50, 100, 300)]
    assert values[0] > 0
    assert all(b > a for a, b in zip(values, values[1:])), values


def test_gradient_matches_tensorflow_autodiff_of_the_stft():
    x = tf.constant(np.random.default_rng(1).normal(size=(2, 2000)), tf.float32)
    weights = tf.random.stateless_normal([2, 32, 129], [3, 4])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours = tf.reduce_sum(losses.magnitude_spectrogram(x, 256) * weights)
        reference = tf.reduce_sum(tf.abs(tf.signal.stft(x, 256, 64, 256, pad_end=True)) * weights)
    np.testing.assert_allclose(float(ours), float(reference), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(ours, x).numpy(), tape.gradient(reference, x).numpy(), atol=1e-3)
    silent = tf.zeros([1, 1000])
    with tf.GradientTape() as tape:
        tape.watch(silent)
        value = losses.spectral_loss(tf.ones([1, 1000]), silent)
    assert np.all(np.isfinite(tape.gradient(value, silent).numpy()))


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="loss_type"):
        losses.SpectralLoss(loss_type="L3")
    with pytest.raises(ValueError, match="fft_sizes"):
        losses.SpectralLoss(fft_sizes=())
