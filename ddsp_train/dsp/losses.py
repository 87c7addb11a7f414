"""Multi-scale spectral loss (ddsp's ``SpectralLoss``)."""
from __future__ import annotations

from typing import Sequence

import gin
import numpy as np
import tensorflow as tf

from ddsp_train.dsp import core

LOSS_TYPES = ("L1", "L2")


def magnitude_spectrogram(audio, fft_size: int, overlap: float = 0.75) -> tf.Tensor:
    """``|STFT(x)|``: periodic Hann window of ``fft_size``, hop ``fft_size * (1 - overlap)``,
    the end zero-padded to whole frames (ddsp's ``compute_mag``) -> ``[B, frames, fft_size/2+1]``.

    ``S[f, k] = |Z[f, k]|``, ``Z[f, k] = sum_n w[n] x[f hop + n] e^{-2 pi i k n / L}``. The gradient
    is written out in real arithmetic (faster than TensorFlow's complex chain): with
    ``G = g Z / |Z|`` (0 where ``Z = 0``), ``dx[f hop + n] += w[n] * L * irfft(c G)[n]`` where
    ``c_0 = c_{L/2} = 1`` and ``c_k = 1/2`` otherwise (the adjoint of ``rfft``), overlap-added.
    """
    fft_size = int(fft_size)
    hop = int(fft_size * (1.0 - overlap))
    if hop < 1:
        raise ValueError(f"overlap {overlap} leaves no hop for FFT size {fft_size}")
    audio = core._f32(audio)
    n_samples = int(audio.shape[-1])
    window = tf.signal.hann_window(fft_size, periodic=True)
    half = np.full(fft_size // 2 + 1, 0.5, np.float32)
    half[0] = half[-1] = 1.0
    half = tf.constant(half * fft_size)

    @tf.custom_gradient
    def _magnitude(x):
        spectrum = tf.signal.rfft(tf.signal.frame(x, fft_size, hop, pad_end=True) * window)
        re, im = tf.math.real(spectrum), tf.math.imag(spectrum)
        mag = tf.sqrt(re * re + im * im)

        def grad(g):
            scale = tf.math.divide_no_nan(g, mag) * half
            frames = tf.signal.irfft(tf.complex(re * scale, im * scale), [fft_size]) * window
            return tf.signal.overlap_and_add(frames, hop)[..., :n_samples]

        return mag, grad

    return _magnitude(audio)


def safe_log(x, eps: float = 1e-5) -> tf.Tensor:
    """``log(max(x, eps))``."""
    return tf.math.log(tf.maximum(x, eps))


def _difference(a: tf.Tensor, b: tf.Tensor, loss_type: str) -> tf.Tensor:
    d = a - b
    return tf.reduce_mean(tf.abs(d)) if loss_type == "L1" else tf.reduce_mean(tf.square(d))


@gin.register
def spectral_loss(target_audio, audio, *, fft_sizes: Sequence[int] = (2048, 1024, 512, 256, 128, 64),
                  overlap: float = 0.75, mag_weight: float = 1.0, logmag_weight: float = 1.0,
                  loss_type: str = "L1") -> tf.Tensor:
    """Multi-scale spectral distance between ``target_audio`` and ``audio`` ``[B, N]`` -> scalar.

    ``L = sum_s mag_weight * mean|S_s(t) - S_s(y)| + logmag_weight * mean|log S_s(t) - log S_s(y)|``
    with ``S_s = magnitude_spectrogram(., s, overlap)`` for each FFT size ``s`` and
    ``log = safe_log`` (floor 1e-5); ``L2`` squares the differences instead of ``|.|``.
    The target gets no gradient.
    """
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type must be one of {LOSS_TYPES}, got {loss_type!r}")
    target_audio = tf.stop_gradient(core._f32(target_audio))
    audio = core._f32(audio)
    loss = tf.constant(0.0, tf.float32)
    for size in fft_sizes:
        target_mag = magnitude_spectrogram(target_audio, size, overlap)
        mag = magnitude_spectrogram(audio, size, overlap)
        if mag_weight > 0:
            loss += mag_weight * _difference(target_mag, mag, loss_type)
        if logmag_weight > 0:
            loss += logmag_weight * _difference(safe_log(target_mag), safe_log(mag), loss_type)
    return loss


@gin.register
class SpectralLoss:
    """Callable form of :func:`spectral_loss`: ``SpectralLoss(...)(target_audio, audio) -> scalar``."""

    def __init__(self, fft_sizes: Sequence[int] = (2048, 1024, 512, 256, 128, 64), overlap: float = 0.75,
                 mag_weight: float = 1.0, logmag_weight: float = 1.0, loss_type: str = "L1",
                 name: str = "spectral_loss"):
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"loss_type must be one of {LOSS_TYPES}, got {loss_type!r}")
        if not fft_sizes or any(int(s) < 2 for s in fft_sizes):
            raise ValueError(f"fft_sizes must be FFT sizes >= 2, got {fft_sizes!r}")
        self.fft_sizes = tuple(int(s) for s in fft_sizes)
        self.overlap = float(overlap)
        self.mag_weight = float(mag_weight)
        self.logmag_weight = float(logmag_weight)
        self.loss_type = loss_type
        self.name = name

    def __call__(self, target_audio, audio) -> tf.Tensor:
        return spectral_loss(target_audio, audio, fft_sizes=self.fft_sizes, overlap=self.overlap,
                             mag_weight=self.mag_weight, logmag_weight=self.logmag_weight,
                             loss_type=self.loss_type)
