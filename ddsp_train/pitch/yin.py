"""YIN (de Cheveigné & Kawahara 2002), vectorised over frames: the fast classic tracker.

Per centred frame ``x`` of ``N`` samples (64 ms) and lag ``tau`` up to ``tau_max = sr / fmin``,
with a window of ``W = N - tau_max`` samples:

- difference ``d(tau) = sum_{j<W} (x[j] - x[j + tau])^2 = e(0) + e(tau) - 2 r(tau)`` where
  ``e(tau) = sum_{j<W} x[j + tau]^2`` and ``r(tau) = sum_{j<W} x[j] x[j + tau]`` (by FFT);
- cumulative mean normalised difference ``d'(0) = 1``, ``d'(tau) = d(tau) tau / sum_{1..tau} d``;
- the period is the first local minimum of ``d'`` below ``threshold`` in
  ``[sr / fmax, tau_max]`` (else the global minimum there), refined by parabolic interpolation;
  ``f0 = sr / tau``, ``confidence = clip(1 - d'(tau), 0, 1)``, and 0 on frames whose power
  (of the whole frame or of its first ``W`` samples) is below ``silence_db``.

Frames with ``confidence < voiced_confidence`` count as unvoiced and their f0 is filled by
:func:`ddsp_train.pitch.fill_unvoiced`.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import features
from ddsp_train.pitch import FILL_REACH_SECS, fill_unvoiced


class YinTracker:
    """Classic YIN on frames of 64 ms at the input's own sample rate (no resampling)."""

    name = "yin"

    def __init__(self, *, fmin: float = 40.0, fmax: float = 2000.0, threshold: float = 0.15,
                 voiced_confidence: float = 0.75, silence_db: float = -70.0, frame_secs: float = 0.064):
        if not 0 < fmin < fmax:
            raise ValueError(f"need 0 < fmin < fmax, got {fmin}, {fmax}")
        self.fmin, self.fmax, self.threshold = fmin, fmax, threshold
        self.voiced_confidence, self.silence_db, self.frame_secs = voiced_confidence, silence_db, frame_secs
        self.voiced_threshold = voiced_confidence  # confidence at which a frame counts as voiced

    def raw(self, audio: np.ndarray, *, sample_rate: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame YIN estimate and confidence before filling unvoiced frames."""
        hop = features.hop_size(sample_rate=sample_rate, frame_rate=frame_rate)
        n = int(round(self.frame_secs * sample_rate))
        tau_max = min(int(np.ceil(sample_rate / self.fmin)), n // 2)
        tau_min = max(int(np.floor(sample_rate / self.fmax)), 2)
        w = n - tau_max
        nfft = 1 << int(np.ceil(np.log2(n + w)))
        frames = features.frame_signal(np.asarray(audio, np.float32), frame_size=n, hop=hop)
        f0 = np.empty(len(frames), np.float32)
        conf = np.empty(len(frames), np.float32)
        lags = np.arange(tau_max + 1)
        for i in range(0, len(frames), 1024):
            x = np.asarray(frames[i:i + 1024], np.float64)
            r = np.fft.irfft(np.conj(np.fft.rfft(x[:, :w], nfft)) * np.fft.rfft(x, nfft), nfft)[:, :tau_max + 1]
            c = np.concatenate([np.zeros((len(x), 1)), np.cumsum(x * x, axis=1)], axis=1)
            e = c[:, lags + w] - c[:, lags]  # e(tau) = sum_{j<W} x[j+tau]^2
            d = np.maximum(e[:, :1] + e - 2 * r, 0.0)
            cum = np.cumsum(d[:, 1:], axis=1)
            cmnd = np.ones_like(d)
            # d' = 1 where nothing has accumulated yet (a silent window would give 0/0).
            cmnd[:, 1:] = np.where(cum > 1e-9 * w, d[:, 1:] * lags[1:] / np.maximum(cum, 1e-30), 1.0)
            seg = cmnd[:, tau_min:tau_max + 1]
            interior = np.zeros_like(seg, bool)
            interior[:, 1:-1] = (seg[:, 1:-1] <= seg[:, :-2]) & (seg[:, 1:-1] < seg[:, 2:])
            trough = interior & (seg < self.threshold)
            first = np.argmax(trough, axis=1)
            best = np.where(trough.any(axis=1), first, np.argmin(seg, axis=1))
            rows = np.arange(len(x))
            k = np.clip(best, 1, seg.shape[1] - 2)
            a, b, cc = seg[rows, k - 1], seg[rows, k], seg[rows, k + 1]
            denom = a - 2 * b + cc
            shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - cc) / np.where(denom == 0, 1, denom), 0.0)
            shift = np.where(best == k, np.clip(shift, -1, 1), 0.0)
            tau = tau_min + best + shift
            f0[i:i + len(x)] = sample_rate / tau
            value = seg[rows, best]
            # Both the whole frame and the compared window (its first W samples) must be audible.
            power = np.minimum(features.frame_power_db(x), features.frame_power_db(x[:, :w]))
            conf[i:i + len(x)] = np.where(power > self.silence_db, np.clip(1.0 - value, 0.0, 1.0), 0.0)
        return f0, conf

    def track(self, audio: np.ndarray, *, sample_rate: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """``(f0_hz, confidence)`` on the centred grid, unvoiced frames filled (see module doc)."""
        f0, conf = self.raw(audio, sample_rate=sample_rate, frame_rate=frame_rate)
        reach = int(round(FILL_REACH_SECS * frame_rate))
        return fill_unvoiced(f0, conf >= self.voiced_confidence, reach=reach), conf
