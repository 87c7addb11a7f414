"""A per-frame polyphony estimate: how much of a frame's tonal power lies off one harmonic series.

For each analysis frame (``window_secs`` long, 0.1 s: fine enough to part a minor third at G3;
Hann window; every ``1 / analysis_rate`` s):

1. Partials: the peaks of the log-magnitude spectrum between ``FMIN_HZ`` and ``band_hz`` that
   stand ``prominence_db`` above their surroundings (scipy's topographic prominence) and lie
   within ``range_db`` of the strongest peak and ``above_floor_db`` (15 dB) above the median
   level within +-``FLOOR_HZ`` (white noise has a peak that high in about one spectrum of ten,
   a played partial stands far above it); each has a frequency ``p_i`` (parabolic
   interpolation) and a power ``w_i``.
2. The strongest voice: the candidate ``f`` (``FMIN_HZ``..``FMAX_HZ``, 1/8-semitone grid) of
   largest salience ``S(f) = sum_i w_i / n_i`` over the partials that are harmonics of ``f``
   (``n_i = round(p_i / f) >= 1``, ``|p_i / f - n_i| <= min(tolerance, RELATIVE * n_i)``: about 50
   cents on the low harmonics, a share of the harmonic spacing above). Dividing by ``n_i``
   (Klapuri's harmonic weighting) makes a sub-multiple of the true f0, or the common root of a
   chord, lose against the true f0. ``f`` is then refined by least squares over its harmonics,
   ``f = sum(w_i p_i n_i) / sum(w_i n_i^2)``. A sub-multiple ``f / m`` (m = 2..4) replaces ``f``
   when a partial sits at ``f / m`` itself and it explains more power (:data:`SUBMULTIPLE_GAIN`).
3. ``off_share = sum(w_i, i not a harmonic of f) / sum(w_i)``: 0 for one harmonic voice (its
   noise is not prominent enough to count), about the second voice's share of the power for two
   (a two-note chord of equal notes: ~0.5 less the partials they share).

A frame holds a second voice when ``off_share >= SECOND_VOICE_SHARE`` (0.2: a second voice no
more than ~6 dB below the first). Frames are analysed only where something sounds
(level within ``LEVEL_RANGE_DB`` of the recording's loud frames) and have partials.
"""
from __future__ import annotations

import dataclasses

import numpy as np

FMIN_HZ = 50.0
FMAX_HZ = 2000.0
#: Half-width of the band whose median level is a partial's noise floor.
FLOOR_HZ = 200.0
#: ``off_share`` from which a frame counts as holding a second voice.
SECOND_VOICE_SHARE = 0.2
#: Frames quieter than the recording's 95th-percentile level minus this are not analysed.
LEVEL_RANGE_DB = 30.0
#: A sub-multiple ``f / m`` of the strongest voice replaces it when it has a partial at its own
#: fundamental and lowers ``off_share`` by this much (brass-like spectra, whose strongest
#: harmonic is not the fundamental; a chord's common root has no partial of its own).
SUBMULTIPLE_GAIN = 0.05
#: Largest relative mistuning of a low harmonic (3 %, about 50 cents: vibrato within a window).
RELATIVE = 0.03


@dataclasses.dataclass(frozen=True)
class Polyphony:
    """``off_share`` per analysed frame (at ``times`` seconds) and the share of frames with a second voice."""

    times: np.ndarray
    off_share: np.ndarray

    @property
    def frames(self) -> int:
        return int(len(self.off_share))

    @property
    def second_voice_share(self) -> float:
        """Share of the analysed frames with ``off_share >= SECOND_VOICE_SHARE`` (0 when none were analysed)."""
        return float(np.mean(self.off_share >= SECOND_VOICE_SHARE)) if self.frames else 0.0


def _frames(audio: np.ndarray, *, sample_rate: int, window: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred frames ``[count, window]`` every ``hop`` samples and their centre times (s)."""
    count = len(audio) // hop + 1
    padded = np.pad(np.asarray(audio, np.float64), (window // 2, window))
    frames = np.lib.stride_tricks.sliding_window_view(padded, window)[::hop][:count]
    return frames, np.arange(count) * hop / sample_rate


def partials(spectrum_db: np.ndarray, *, bin_hz: float, fmin: float = FMIN_HZ, band_hz: float = 5000.0,
             prominence_db: float = 10.0, range_db: float = 50.0,
             above_floor_db: float = 15.0) -> tuple[np.ndarray, np.ndarray]:
    """``(frequencies_hz, powers)`` of the prominent peaks of one log-magnitude spectrum (step 1)."""
    from scipy.signal import find_peaks

    last = min(len(spectrum_db) - 2, int(band_hz / bin_hz))
    first = max(1, int(fmin * 0.9 / bin_hz))
    from scipy.ndimage import median_filter

    spec = spectrum_db[: last + 2]
    idx, _ = find_peaks(spec, prominence=prominence_db, height=spec[first:last].max() - range_db)
    idx = idx[(idx >= first) & (idx <= last)]
    # A partial stands above the local noise: the median level within +-FLOOR_HZ.
    floor = median_filter(spec, size=2 * max(1, int(FLOOR_HZ / bin_hz)) + 1, mode="nearest")
    idx = idx[spec[idx] >= floor[idx] + above_floor_db]
    if idx.size == 0:
        return np.zeros(0), np.zeros(0)
    a, b, c = spec[idx - 1], spec[idx], spec[idx + 1]
    den = a - 2 * b + c
    offset = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    return (idx + offset) * bin_hz, 10.0 ** ((b - b.max()) / 10.0)


def off_harmonic_share(freqs: np.ndarray, powers: np.ndarray, *, tolerance: float = 0.12,
                       candidates: np.ndarray | None = None) -> tuple[float, float]:
    """``(off_share, f)`` of one frame's partials (steps 2 and 3); ``(0, 0)`` without partials."""
    if freqs.size == 0:
        return 0.0, 0.0
    if candidates is None:
        candidates = _CANDIDATES
    ratio = freqs[None, :] / candidates[:, None]
    n = np.round(ratio)
    fit = (n >= 1) & (np.abs(ratio - n) <= np.minimum(tolerance, RELATIVE * n))
    salience = (fit * powers / np.maximum(n, 1)).sum(axis=1)
    best = int(np.argmax(salience))
    numbers = n[best] * fit[best]
    f = float(np.sum(powers * freqs * numbers) / np.sum(powers * numbers * numbers))
    share = _off_share(freqs, powers, f, tolerance)
    for m in (2, 3, 4):  # a sub-multiple with its own fundamental that explains more (brass-like spectra)
        sub = f / m
        if sub < candidates[0] or not np.any(np.abs(freqs / sub - 1) <= RELATIVE):
            continue
        sub_share = _off_share(freqs, powers, sub, tolerance)
        if sub_share < share - SUBMULTIPLE_GAIN:
            share, f = sub_share, sub
    return share, f


def _off_share(freqs: np.ndarray, powers: np.ndarray, f: float, tolerance: float) -> float:
    """Share of ``powers`` whose ``freqs`` are not harmonics of ``f``."""
    ratio = freqs / f
    k = np.round(ratio)
    on = (k >= 1) & (np.abs(ratio - k) <= np.minimum(tolerance, RELATIVE * k))
    return float(powers[~on].sum() / powers.sum())


_CANDIDATES = FMIN_HZ * 2.0 ** (np.arange(0.0, 12 * np.log2(FMAX_HZ / FMIN_HZ), 1 / 8) / 12)


def estimate_polyphony(audio: np.ndarray, *, sample_rate: int, analysis_rate: float = 10.0,
                       window_secs: float = 0.1) -> Polyphony:
    """:class:`Polyphony` of a mono recording (see the module docstring for the rule)."""
    window = 2 * int(round(window_secs * sample_rate / 2))
    hop = max(1, int(round(sample_rate / analysis_rate)))
    frames, times = _frames(audio, sample_rate=sample_rate, window=window, hop=hop)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    loud = level >= max(-60.0, float(np.percentile(level, 95)) - LEVEL_RANGE_DB) if len(level) else level > 0
    nfft = 4 * int(2 ** np.ceil(np.log2(window)))
    bin_hz = sample_rate / nfft
    spectra = 20 * np.log10(np.abs(np.fft.rfft(frames[loud] * np.hanning(window), nfft, axis=1)) + 1e-9)
    shares, kept = [], []
    for i, spectrum in zip(np.flatnonzero(loud), spectra):
        freqs, powers = partials(spectrum, bin_hz=bin_hz)
        if freqs.size:
            shares.append(off_harmonic_share(freqs, powers)[0])
            kept.append(times[i])
    return Polyphony(times=np.asarray(kept), off_share=np.asarray(shares))
