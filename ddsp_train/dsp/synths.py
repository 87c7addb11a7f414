"""Synthesizers: harmonic (the DDSP one), sinusoidal and wavetable, as Processors.

All take frame-rate controls on the project's frame grid (``n_frames = n_samples // hop + 1``,
frame ``k`` at sample ``k * hop``; the hop is inferred as ``n_samples // (n_frames - 1)`` unless
given) and return audio ``[batch, n_samples]``.
"""
from __future__ import annotations

from typing import Callable

import gin
import numpy as np
import tensorflow as tf

from ddsp_train.dsp import core
from ddsp_train.dsp.processors import Processor

ScaleFn = Callable[[tf.Tensor], tf.Tensor] | None


def _check_rate(n_samples: int, sample_rate: float) -> None:
    if int(n_samples) < 1 or float(sample_rate) <= 0:
        raise ValueError(f"n_samples and sample_rate must be positive, got {n_samples}, {sample_rate}")


def _frames(x) -> tf.Tensor:
    """Frame-rate control as float32 ``[B, T, C]`` (a ``[B, T]`` input gets ``C = 1``)."""
    x = core._f32(x)
    if x.shape.rank == 2:
        x = x[:, :, tf.newaxis]
    if x.shape.rank != 3:
        raise ValueError(f"frame-rate controls must be [batch, frames, channels], got shape {x.shape}")
    return x


def _check_method(method: str) -> str:
    if method not in ("linear", "window"):
        raise ValueError(f"amp_resample_method must be 'linear' or 'window', got {method!r}")
    return method


@gin.register
class Harmonic(Processor):
    """Harmonic synthesizer: f0, overall amplitude and harmonic distribution -> audio.

    Controls: ``A = scale_fn(amplitudes)`` ``[B, T, 1]``; ``c = scale_fn(harmonic_distribution)``
    ``[B, T, K]``; if ``normalize_below_nyquist`` then ``c_k = 0`` where ``k f0 >= sr / 2``;
    then ``c = c / sum_k c_k`` (sums to 1 over the harmonics that can sound).
    Signal: ``y[n] = sum_k A[n] c_k[n] sin(k phi[n])``, ``phi`` the accumulated phase of the
    linearly upsampled f0 (see :func:`ddsp_train.dsp.core.harmonic_synthesis`; amplitudes are
    upsampled linearly or with overlapping Hann windows, ``amp_resample_method``).
    """

    def __init__(self, n_samples: int = 64000, sample_rate: int = 16000, scale_fn: ScaleFn = core.exp_sigmoid,
                 normalize_below_nyquist: bool = True, amp_resample_method: str = "linear",
                 hop: int | None = None, name: str = "harmonic"):
        super().__init__(name=name)
        _check_rate(n_samples, sample_rate)
        self.n_samples = int(n_samples)
        self.sample_rate = sample_rate
        self.scale_fn = scale_fn
        self.normalize_below_nyquist = normalize_below_nyquist
        self.amp_resample_method = _check_method(amp_resample_method)
        self.hop = hop

    def get_controls(self, amplitudes, harmonic_distribution, f0_hz):
        amplitudes, distribution, f0_hz = _frames(amplitudes), _frames(harmonic_distribution), _frames(f0_hz)
        if self.scale_fn is not None:
            amplitudes = self.scale_fn(amplitudes)
            distribution = self.scale_fn(distribution)
        if self.normalize_below_nyquist:
            frequencies = core.harmonic_frequencies(f0_hz, int(distribution.shape[-1]))
            distribution = core.remove_above_nyquist(frequencies, distribution, self.sample_rate)
        distribution = core.normalize_distribution(distribution)
        return {"amplitudes": amplitudes, "harmonic_distribution": distribution, "f0_hz": f0_hz}

    def get_signal(self, amplitudes, harmonic_distribution, f0_hz):
        return core.harmonic_synthesis(
            f0_hz, core._f32(amplitudes) * core._f32(harmonic_distribution), n_samples=self.n_samples,
            sample_rate=self.sample_rate, amp_resample_method=self.amp_resample_method, hop=self.hop)


@gin.register
class Sinusoidal(Processor):
    """Bank of free sinusoids: per-frame amplitudes and frequencies ``[B, T, K]`` -> audio.

    Controls: ``a = amp_scale_fn(amplitudes)``, ``f = freq_scale_fn(frequencies)`` (Hz; default
    ``20 * 400 ** sigmoid(x)``, 20 Hz..8 kHz), ``a = 0`` where ``f >= sr / 2``.
    Signal: ``y[n] = sum_k a_k[n] sin(phi_k[n])``, ``phi_k = phase_from_frequency(f_k)``,
    frequencies upsampled linearly, amplitudes linearly or with windows; a sinusoid is silenced
    for a block where it reaches Nyquist (:func:`ddsp_train.dsp.core.sinusoidal_synthesis`).
    Costs ``[B, n_samples, K]`` memory (no f0 structure to share).
    """

    def __init__(self, n_samples: int = 64000, sample_rate: int = 16000, amp_scale_fn: ScaleFn = core.exp_sigmoid,
                 freq_scale_fn: ScaleFn = core.log_frequencies, amp_resample_method: str = "linear",
                 hop: int | None = None, name: str = "sinusoidal"):
        super().__init__(name=name)
        _check_rate(n_samples, sample_rate)
        self.n_samples = int(n_samples)
        self.sample_rate = sample_rate
        self.amp_scale_fn = amp_scale_fn
        self.freq_scale_fn = freq_scale_fn
        self.amp_resample_method = _check_method(amp_resample_method)
        self.hop = hop

    def get_controls(self, amplitudes, frequencies):
        amplitudes, frequencies = _frames(amplitudes), _frames(frequencies)
        if self.amp_scale_fn is not None:
            amplitudes = self.amp_scale_fn(amplitudes)
        if self.freq_scale_fn is not None:
            frequencies = self.freq_scale_fn(frequencies)
        amplitudes = core.remove_above_nyquist(frequencies, amplitudes, self.sample_rate)
        return {"amplitudes": amplitudes, "frequencies": frequencies}

    def get_signal(self, amplitudes, frequencies):
        return core.sinusoidal_synthesis(frequencies, amplitudes, n_samples=self.n_samples,
                                         sample_rate=self.sample_rate,
                                         amp_resample_method=self.amp_resample_method, hop=self.hop)


def _harmonic_tables(n_wavetables: int, size: int) -> np.ndarray:
    x = np.arange(size) / size
    return np.stack([np.sin(2 * np.pi * (w + 1) * x) for w in range(n_wavetables)]).astype(np.float32)


@gin.register
class Wavetable(Processor):
    """Wavetable synthesizer: learned single-cycle tables read at f0.

    The tables are trainable weights of this processor, ``wavetables [W, S]``, initialised to
    ``table_w[i] = sin(2 pi (w + 1) i / S)`` (table w starts as harmonic w + 1); a
    ``wavetables`` input to ``get_controls`` (``[W, S]``) overrides them.
    Controls: ``a = scale_fn(amplitudes)``, ``[B, T, W]`` (one gain per table) or ``[B, T, 1]``
    (one gain for the sum of all tables).
    Signal: ``p[n] = phase_from_frequency(f0)[n] / 2 pi`` (cycles, ``sum_{m<n} f0[m] / sr mod 1``),
    ``y[n] = sum_w a_w[n] table_w(p[n])`` with linear interpolation inside the tables
    (:func:`ddsp_train.dsp.core.wavetable_lookup`). No band limiting: a table holding energy at
    cycle-harmonic ``h`` aliases where ``h f0 >= sr / 2``.
    """

    def __init__(self, n_samples: int = 64000, sample_rate: int = 16000, n_wavetables: int = 8,
                 wavetable_size: int = 2048, scale_fn: ScaleFn = core.exp_sigmoid,
                 amp_resample_method: str = "linear", hop: int | None = None, name: str = "wavetable"):
        super().__init__(name=name)
        _check_rate(n_samples, sample_rate)
        if int(n_wavetables) < 1 or int(wavetable_size) < 2:
            raise ValueError(f"need n_wavetables >= 1 and wavetable_size >= 2, got {n_wavetables}, {wavetable_size}")
        self.n_samples = int(n_samples)
        self.sample_rate = sample_rate
        self.n_wavetables = int(n_wavetables)
        self.wavetable_size = int(wavetable_size)
        self.scale_fn = scale_fn
        self.amp_resample_method = _check_method(amp_resample_method)
        self.hop = hop
        init = _harmonic_tables(self.n_wavetables, self.wavetable_size)
        self.wavetables = self.add_weight(
            name="wavetables", shape=init.shape, dtype="float32",
            initializer=lambda shape, dtype=None: tf.constant(init, dtype or tf.float32))

    def get_controls(self, amplitudes, f0_hz, wavetables=None):
        amplitudes = _frames(amplitudes)
        if int(amplitudes.shape[-1]) not in (1, self.n_wavetables):
            raise ValueError(f"Wavetable amplitudes need 1 or {self.n_wavetables} channels, got {amplitudes.shape}")
        if self.scale_fn is not None:
            amplitudes = self.scale_fn(amplitudes)
        tables = tf.convert_to_tensor(self.wavetables) if wavetables is None else core._f32(wavetables)
        return {"amplitudes": amplitudes, "f0_hz": _frames(f0_hz), "wavetables": tables}

    def get_signal(self, amplitudes, f0_hz, wavetables):
        f0 = core.upsample_linear(f0_hz, self.n_samples, self.hop)[:, :, 0]
        cycles = core.phase_from_frequency(f0, self.sample_rate) / core.TWO_PI
        waves = core.wavetable_lookup(cycles, wavetables)  # [B, N, W]
        gains = core.upsample(amplitudes, self.n_samples, self.amp_resample_method, self.hop)
        return tf.reduce_sum(waves * gains, axis=-1)
