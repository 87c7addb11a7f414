"""The DDSP paper's z encoder: audio -> MFCCs -> GRU -> a learned latent ``z`` per frame.

MFCCs on the shared frame grid (frame ``k`` centred at sample ``k * hop``, the signal zero-padded
by ``fft_size / 2`` on both sides, so ``n // hop + 1`` frames):
``mfcc = DCT-II(log(mel(|STFT_hann(audio)|) + 1e-6))[:mfcc_bins]``, then per-frame layer
normalisation, a GRU and a Dense layer to ``z_dims``. It needs the audio, which the plugin does
not provide, so a model with an encoder is for offline use only.
"""
from __future__ import annotations

from typing import Mapping

import gin
import keras
import tensorflow as tf


def mfcc(audio: tf.Tensor, *, sample_rate: int, hop: int, fft_size: int = 1024, mel_bins: int = 128,
         mfcc_bins: int = 30) -> tf.Tensor:
    """``[B, n]`` audio -> ``[B, n // hop + 1, mfcc_bins]`` MFCCs (see the module docstring)."""
    audio = tf.convert_to_tensor(audio, tf.float32)
    padded = tf.pad(audio, [[0, 0], [fft_size // 2, fft_size // 2]])
    stft = tf.signal.stft(padded, frame_length=fft_size, frame_step=hop, fft_length=fft_size,
                          window_fn=tf.signal.hann_window, pad_end=False)
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=mel_bins, num_spectrogram_bins=fft_size // 2 + 1, sample_rate=sample_rate,
        lower_edge_hertz=20.0, upper_edge_hertz=min(8000.0, sample_rate / 2.0))
    mel = tf.tensordot(tf.abs(stft), mel_matrix, 1)
    return tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(mel + 1e-6))[..., :mfcc_bins]


@gin.register(module="encoders")
class MfccRnnEncoder(keras.layers.Layer):
    """``audio`` -> ``z`` ``[B, T, z_dims]`` on the frame grid of ``sample_rate`` / ``frame_rate``."""

    #: The dataset features it reads.
    input_keys = ("audio",)
    #: ``ddsp-train --mixed-precision`` runs this network in float16/bfloat16 (``z`` is float32).
    MIXED_PRECISION = True

    def __init__(self, *, sample_rate: int, frame_rate: int, fft_size: int = 1024, mel_bins: int = 128,
                 mfcc_bins: int = 30, rnn_channels: int = 512, z_dims: int = 16, **kwargs):
        super().__init__(**kwargs)
        if sample_rate % frame_rate:
            raise ValueError(f"sample_rate {sample_rate} is not a multiple of frame_rate {frame_rate}")
        self.sample_rate, self.frame_rate = int(sample_rate), int(frame_rate)
        self.hop = self.sample_rate // self.frame_rate
        self.fft_size, self.mel_bins, self.mfcc_bins = int(fft_size), int(mel_bins), int(mfcc_bins)
        self.z_dims = int(z_dims)
        self.norm = keras.layers.LayerNormalization(name="norm")
        self.rnn = keras.layers.GRU(rnn_channels, return_sequences=True, name="gru")
        self.dense_z = keras.layers.Dense(z_dims, name="dense_z")

    def call(self, features: Mapping[str, tf.Tensor]) -> tf.Tensor:
        coefficients = mfcc(features["audio"], sample_rate=self.sample_rate, hop=self.hop,
                            fft_size=self.fft_size, mel_bins=self.mel_bins, mfcc_bins=self.mfcc_bins)
        z = self.dense_z(self.rnn(self.norm(tf.cast(coefficients, self.compute_dtype))))
        return tf.cast(z, tf.float32)
