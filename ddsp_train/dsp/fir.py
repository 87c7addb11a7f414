"""The noise filter design of the DDSP-VST plugin in plain numpy (no TensorFlow import).

This module is the single definition of the frequency-sampling FIR; the TensorFlow version in
:func:`ddsp_train.dsp.filtering.frequency_sampling_fir` uses the same constants from here, and the
real-time player can import this module without loading TensorFlow.

``magnitudes [..., M]`` sample the response at ``f_i = i / (M - 1) * sr / 2`` (DC..Nyquist).
``h = irfft(magnitudes)`` is the zero-phase response of ``2 (M - 1)`` samples (``h[-n] = h[n]``);
with ``L = min(n_taps, 2 (M - 1))`` taps and centre ``c = L // 2``:
``taps[i] = h[(i - c) mod 2(M-1)] * w[i]``, ``w[i] = 0.5 - 0.5 cos(2 pi i / L)`` (periodic Hann,
peak 1 at ``c``): the Hann-windowed zero-phase response made causal (a delay of ``c`` samples).
For M = 65 and L = 128 this equals ddsp's ``frequency_impulse_response``
(``fftshift(h * fftshift(hann))``), the plugin's 128-tap noise filter.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import contract

#: Taps of the plugin's noise filter (the contract's :data:`~ddsp_train.contract.NOISE_TAPS`).
PLUGIN_TAPS = contract.NOISE_TAPS


def fir_constants(n_magnitudes: int, n_taps: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """``(ir_size, L, index, window)`` of the design: ``taps = h[..., index] * window``."""
    if n_magnitudes < 2:
        raise ValueError(f"need at least 2 magnitudes (DC and Nyquist), got {n_magnitudes}")
    ir_size = 2 * (n_magnitudes - 1)
    taps = min(int(n_taps), ir_size) if n_taps and n_taps > 0 else ir_size
    i = np.arange(taps)
    index = (i - taps // 2) % ir_size
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * i / taps)
    return ir_size, taps, index, window


def frequency_sampling_fir(magnitudes, n_taps: int = PLUGIN_TAPS) -> np.ndarray:
    """Causal linear-phase FIR ``[..., L]`` (float32) with the magnitude response ``magnitudes``
    (see the module docstring for the formula); computed in float64."""
    mags = np.asarray(magnitudes, dtype=np.float64)
    ir_size, _, index, window = fir_constants(mags.shape[-1], n_taps)
    h = np.fft.irfft(mags, n=ir_size, axis=-1)
    return (h[..., index] * window).astype(np.float32)
