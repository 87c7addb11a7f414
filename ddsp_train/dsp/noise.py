"""Filtered noise: uniform white noise shaped by per-frame magnitudes, as the DDSP-VST plugin does."""
from __future__ import annotations

from typing import Callable

import gin
import tensorflow as tf

from ddsp_train.dsp import core, filtering, fir
from ddsp_train.dsp.processors import Processor


@gin.register
class FilteredNoise(Processor):
    """Time-varying filtered noise.

    Controls: ``m = scale_fn(magnitudes + initial_bias)`` ``[B, T, M]`` (65 bands DC..Nyquist by
    default; the bias starts the model quiet: ``exp_sigmoid(-5) ~ 3e-5``).
    Signal: ``u ~ Uniform[-1, 1)`` ``[B, n_samples]``; for every frame ``k`` the causal FIR
    ``h_k = frequency_sampling_fir(m_k, n_taps)`` (the plugin's design) filters the hop-long block
    of noise centred on the frame and the blocks are overlap-added
    (:func:`ddsp_train.dsp.filtering.frequency_filter` with ``delay_compensation=0``, causal as in the
    plugin). Expected power spectrum: ``|H_k(f)|^2 / 3`` per sample (uniform noise has variance 1/3).
    """

    def __init__(self, n_samples: int = 64000, n_taps: int = fir.PLUGIN_TAPS,
                 scale_fn: Callable[[tf.Tensor], tf.Tensor] | None = core.exp_sigmoid,
                 initial_bias: float = -5.0, hop: int | None = None, name: str = "noise"):
        super().__init__(name=name)
        if int(n_samples) < 1 or int(n_taps) < 1:
            raise ValueError(f"n_samples and n_taps must be positive, got {n_samples}, {n_taps}")
        self.n_samples = int(n_samples)
        self.n_taps = int(n_taps)
        self.scale_fn = scale_fn
        self.initial_bias = float(initial_bias)
        self.hop = hop

    def get_controls(self, magnitudes):
        magnitudes = core._f32(magnitudes)
        if self.scale_fn is not None:
            magnitudes = self.scale_fn(magnitudes + self.initial_bias)
        return {"magnitudes": magnitudes}

    def get_signal(self, magnitudes):
        magnitudes = core._f32(magnitudes)
        batch = tf.shape(magnitudes)[0]
        noise = tf.random.uniform([batch, self.n_samples], minval=-1.0, maxval=1.0)
        return filtering.frequency_filter(noise, magnitudes, self.n_taps, delay_compensation=0, hop=self.hop)
