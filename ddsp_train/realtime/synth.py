"""The plugin's synth in numpy: harmonic + filtered noise, one 20 ms frame of controls at a time.

This is what turns the control model's outputs into sound in ``ddsp-transfer``, behaving as the
DDSP-VST plugin's synth does, so a user hears what the plugin would play:

- **Harmonic part.** Harmonics ``k = 1..K`` at or above Nyquist (``k * f0 >= sr / 2``) are
  zeroed, the distribution ``c_k`` is renormalised to sum 1 and multiplied by the amplitude
  ``A``: ``a_k = A * c_k / sum_j c_j``. Within a block of ``hop`` samples f0 and each ``a_k``
  move linearly from the previous frame's value to this frame's (``x_i = x_prev + (x - x_prev)
  * (i + 1) / hop``), the phase accumulates sample by sample and carries over between blocks:
  ``phi_i = phi_{-1} + 2 pi * sum_{j <= i} f0_j / sr``, ``y_i = sum_k a_{k,i} sin(k phi_i)``
  (a harmonic whose interpolated frequency crosses Nyquist is muted on those samples).
- **Noise part.** The magnitudes (65 bands, 0..Nyquist) become a 128-tap FIR by frequency
  sampling (inverse real FFT, zero-phase Hann window, made causal: the same design as
  ``dsp.fir.frequency_sampling_fir``) that filters uniform white noise in [-1, 1); the filter
  tail of one block is overlap-added into the next.
"""
from __future__ import annotations

import numpy as np

from ddsp_train.dsp.fir import frequency_sampling_fir

NOISE_TAPS = 128


class PluginSynth:
    """Stateful frame-by-frame harmonic + filtered-noise synth (see the module docstring).

    ``render_frame(f0_hz, amplitude, harmonic_distribution, noise_magnitudes)`` returns ``hop``
    samples; ``render(...)`` runs whole control sequences ``[T, n]`` and returns ``T * hop``.
    """

    def __init__(self, *, sample_rate: int = 16000, hop: int = 320, noise_taps: int = NOISE_TAPS, seed: int = 0):
        if sample_rate <= 0 or hop <= 0:
            raise ValueError(f"sample_rate and hop must be positive, got {sample_rate}, {hop}")
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.noise_taps = int(noise_taps)
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Back to silence: phase 0, no previous frame, empty noise tail, noise generator reseeded."""
        self.phase = 0.0
        self.prev_f0 = None
        self.prev_amps = None
        self.noise_tail = np.zeros(self.noise_taps - 1)
        self.rng = np.random.default_rng(self.seed)

    def harmonic_amplitudes(self, f0_hz: float, amplitude: float, harmonic_distribution) -> np.ndarray:
        """``a_k = A * c_k / sum_j c_j`` over the harmonics below Nyquist (``k * f0 < sr / 2``), 0 above."""
        dist = np.maximum(np.asarray(harmonic_distribution, np.float64).ravel(), 0.0)
        k = np.arange(1, dist.size + 1)
        dist = np.where(k * f0_hz < self.sample_rate / 2, dist, 0.0)
        total = dist.sum()
        if total <= 0:
            return np.zeros_like(dist)
        return float(np.asarray(amplitude).ravel()[0]) * dist / total

    def render_frame(self, f0_hz: float, amplitude: float, harmonic_distribution, noise_magnitudes) -> np.ndarray:
        """``hop`` samples for one frame of controls, continuing the previous frame's phase."""
        f0_hz = float(f0_hz)
        amps = self.harmonic_amplitudes(f0_hz, amplitude, harmonic_distribution)
        if self.prev_f0 is None:
            self.prev_f0, self.prev_amps = f0_hz, amps
        ramp = np.arange(1, self.hop + 1) / self.hop
        f0 = self.prev_f0 + (f0_hz - self.prev_f0) * ramp  # [hop]
        phi = self.phase + 2 * np.pi * np.cumsum(f0) / self.sample_rate
        # Only harmonics that sound in this block (the rest are zero at both ends) are computed.
        audible = np.flatnonzero((amps > 0) | (self.prev_amps > 0))
        count = int(audible[-1]) + 1 if audible.size else 0
        k = np.arange(1, count + 1)[:, None]
        a = self.prev_amps[:count, None] + (amps - self.prev_amps)[:count, None] * ramp[None, :]  # [K, hop]
        a = np.where(k * f0[None, :] < self.sample_rate / 2, a, 0.0)
        harmonic = np.einsum("kt,kt->t", a, np.sin(k * phi[None, :]))
        self.phase = float(np.mod(phi[-1], 2 * np.pi))
        self.prev_f0, self.prev_amps = f0_hz, amps
        return (harmonic + self.noise(noise_magnitudes)).astype(np.float32)

    def noise(self, noise_magnitudes) -> np.ndarray:
        """``hop`` samples of white noise in [-1, 1) through the FIR of ``noise_magnitudes`` (overlap-add)."""
        fir = np.asarray(frequency_sampling_fir(np.asarray(noise_magnitudes, np.float64).ravel(),
                                                n_taps=self.noise_taps), np.float64)
        white = self.rng.uniform(-1.0, 1.0, self.hop)
        full = np.convolve(white, fir)  # hop + taps - 1
        tail = self.noise_tail
        full[: tail.size] += tail
        self.noise_tail = full[self.hop:].copy()
        return full[: self.hop]

    def render(self, f0_hz, amplitude, harmonic_distribution, noise_magnitudes) -> np.ndarray:
        """Whole sequences (``f0_hz`` [T], ``amplitude`` [T] or [T, 1], the others [T, n]) -> ``T * hop`` samples."""
        f0_hz = np.asarray(f0_hz, np.float64).ravel()
        amplitude = np.asarray(amplitude, np.float64).reshape(len(f0_hz), -1)
        blocks = [self.render_frame(f, a, h, n) for f, a, h, n in
                  zip(f0_hz, amplitude, harmonic_distribution, noise_magnitudes)]
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
