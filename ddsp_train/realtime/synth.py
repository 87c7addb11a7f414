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

from ddsp_train import contract
from ddsp_train.dsp.fir import frequency_sampling_fir


class PluginSynth:
    """Stateful frame-by-frame harmonic + filtered-noise synth (see the module docstring).

    ``render_frame(f0_hz, amplitude, harmonic_distribution, noise_magnitudes)`` returns ``hop``
    samples; ``render(...)`` runs whole control sequences ``[T, n]`` and returns ``T * hop``.
    """

    def __init__(self, *, sample_rate: int = contract.SAMPLE_RATE, hop: int = contract.HOP,
                 noise_taps: int = contract.NOISE_TAPS, seed: int = 0):
        if sample_rate <= 0 or hop <= 0:
            raise ValueError(f"sample_rate and hop must be positive, got {sample_rate}, {hop}")
        if hop < noise_taps - 1:
            raise ValueError(f"hop {hop} must be at least noise_taps - 1 = {noise_taps - 1} (one filter tail per block)")
        self.sample_rate = int(sample_rate)
        self.hop = int(hop)
        self.noise_taps = int(noise_taps)
        self.seed = seed
        self._ramp = np.arange(1, self.hop + 1) / self.hop
        self._k = np.arange(1, 257, dtype=np.float64)[:, None]
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
        ramp = self._ramp
        f0 = self.prev_f0 + (f0_hz - self.prev_f0) * ramp  # [hop]
        phi = self.phase + (2 * np.pi / self.sample_rate) * np.cumsum(f0)
        # Only harmonics that sound in this block (the rest are zero at both ends) are computed.
        audible = np.flatnonzero((amps > 0) | (self.prev_amps > 0))
        count = int(audible[-1]) + 1 if audible.size else 0
        k = self._k[:count]
        sines = np.sin(k * phi[None, :])  # [K, hop]
        start, step = self.prev_amps[:count], (amps - self.prev_amps)[:count]
        if count * max(f0_hz, self.prev_f0) < self.sample_rate / 2:
            # sum_k (a0_k + (a1_k - a0_k) r_t) sin(k phi_t) = a0 . S + r * ((a1 - a0) . S)
            harmonic = start @ sines + ramp * (step @ sines)
        else:  # a harmonic crosses Nyquist within the block: mute it sample by sample
            a = np.where(k * f0[None, :] < self.sample_rate / 2, start[:, None] + step[:, None] * ramp, 0.0)
            harmonic = np.einsum("kt,kt->t", a, sines)
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

    def render(self, f0_hz, amplitude, harmonic_distribution, noise_magnitudes, *, chunk: int = 64) -> np.ndarray:
        """Whole sequences (``f0_hz`` [T], ``amplitude`` [T] or [T, 1], the others [T, n]) -> ``T * hop``
        samples: the same numbers as ``render_frame`` called frame by frame (same phase, noise and
        filter tails, and the synth's state afterwards), computed ``chunk`` frames at a time."""
        f0 = np.asarray(f0_hz, np.float64).ravel()
        count = len(f0)
        if count == 0:
            return np.zeros(0, np.float32)
        amplitude = np.asarray(amplitude, np.float64).reshape(count, -1)[:, 0]
        dist = np.maximum(np.asarray(harmonic_distribution, np.float64).reshape(count, -1), 0.0)
        k = np.arange(1, dist.shape[1] + 1)
        dist = np.where(k[None, :] * f0[:, None] < self.sample_rate / 2, dist, 0.0)
        total = dist.sum(axis=1, keepdims=True)
        amps = np.where(total > 0, amplitude[:, None] * dist / np.where(total > 0, total, 1.0), 0.0)  # [T, K]
        prev_f0 = np.concatenate([[f0[0] if self.prev_f0 is None else self.prev_f0], f0[:-1]])
        prev_amps = np.concatenate([amps[:1] if self.prev_amps is None else self.prev_amps[None], amps[:-1]])
        ramp = self._ramp
        f0_samples = prev_f0[:, None] + (f0 - prev_f0)[:, None] * ramp[None, :]  # [T, hop]
        within = np.cumsum(f0_samples, axis=1) * (2 * np.pi / self.sample_rate)
        starts = np.mod(self.phase + np.concatenate([[0.0], np.cumsum(within[:, -1])[:-1]]), 2 * np.pi)
        phi = starts[:, None] + within  # [T, hop]
        out = np.empty((count, self.hop))
        nyquist = self.sample_rate / 2
        for i in range(0, count, chunk):
            sl = slice(i, i + chunk)
            sounding = np.flatnonzero(((amps[sl] > 0) | (prev_amps[sl] > 0)).any(axis=0))
            used = int(sounding[-1]) + 1 if sounding.size else 0
            kk = self._k[:used, 0]
            sines = _harmonic_sines(phi[sl], used)  # [t, K, hop]
            a0, da = prev_amps[sl, :used], (amps[sl] - prev_amps[sl])[:, :used]
            if used * max(f0[sl].max(), prev_f0[sl].max()) < nyquist:
                out[sl] = np.einsum("tk,tkh->th", a0, sines) + ramp * np.einsum("tk,tkh->th", da, sines)
            else:
                a = a0[:, :, None] + da[:, :, None] * ramp[None, None, :]
                a = np.where(kk[None, :, None] * f0_samples[sl, None, :] < nyquist, a, 0.0)
                out[sl] = np.einsum("tkh,tkh->th", a, sines)
        self.phase = float(np.mod(phi[-1, -1], 2 * np.pi))
        self.prev_f0, self.prev_amps = float(f0[-1]), amps[-1]
        audio = out.ravel() + self._noise_blocks(np.asarray(noise_magnitudes, np.float64).reshape(count, -1))
        return audio.astype(np.float32)

    def _noise_blocks(self, magnitudes: np.ndarray) -> np.ndarray:
        """:meth:`noise` for ``T`` frames at once (FFT convolution per block, overlap-added)."""
        count, hop = len(magnitudes), self.hop
        firs = np.asarray(frequency_sampling_fir(magnitudes, n_taps=self.noise_taps), np.float64)  # [T, L]
        white = self.rng.uniform(-1.0, 1.0, (count, hop))
        length = hop + firs.shape[1] - 1
        size = 1 << int(np.ceil(np.log2(length)))
        full = np.fft.irfft(np.fft.rfft(white, size) * np.fft.rfft(firs, size), size)[:, :length]  # [T, hop+L-1]
        tail_len = length - hop
        out = full[:, :hop].copy()
        out[0, :tail_len] += self.noise_tail
        out[1:, :tail_len] += full[:-1, hop:]
        self.noise_tail = full[-1, hop:].copy()
        return out.ravel()


def _harmonic_sines(phi: np.ndarray, count: int) -> np.ndarray:
    """``sin(k * phi)`` for ``k = 1..count`` (``[..., count, n]`` for ``phi [..., n]``) by the Chebyshev
    recurrence ``sin(k phi) = 2 cos(phi) sin((k - 1) phi) - sin((k - 2) phi)``: one multiply-add
    per harmonic instead of a transcendental call per sample (error ~ k * 1e-16)."""
    out = np.empty(phi.shape[:-1] + (count, phi.shape[-1]))
    if count == 0:
        return out
    out[..., 0, :] = np.sin(phi)
    if count > 1:
        twice_cos = 2.0 * np.cos(phi)
        out[..., 1, :] = twice_cos * out[..., 0, :]
        for k in range(2, count):
            np.multiply(twice_cos, out[..., k - 1, :], out=out[..., k, :])
            out[..., k, :] -= out[..., k - 2, :]
    return out
