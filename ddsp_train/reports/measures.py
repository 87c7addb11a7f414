"""The small measurements of a recording (each a pure function of arrays).

- :func:`clipping`: a *clipped run* is ``>= MIN_CLIP_RUN`` consecutive samples with
  ``|x| >= (1 - CLIP_TOLERANCE) * peak`` where ``peak = max |x|``, counted when ``peak`` is at
  least ``CLIP_MIN_PEAK`` (a flat top at the file's own peak: clipped in the converter, or
  clipped and then turned down). A sine peak holds that close to its maximum for 2+ samples only
  below ~36 Hz at 16 kHz.
- :func:`dc_offset`: ``mean(x)``.
- :func:`noise_floor_db`: the level where nothing plays: the ``NOISE_QUANTILE``-th percentile
  (10 %) of the plugin's ``power_db`` over frames the tracker calls unvoiced; with fewer than
  ``MIN_QUIET_SECS`` of those, over all frames (then an upper bound).
- :func:`pitch_range`: the 5th and 95th percentiles of ``hz_to_midi(f0)`` over voiced frames
  (``f0_confidence >= threshold``), the median confidence there and the voiced share.
- :func:`level_range`: the 10th, 50th and 90th percentiles of ``power_db`` over voiced frames
  (10/90 rather than 5/95: a note's attack and release frames, ~10 % of them, do not count as
  soft playing).
- :func:`pitch_histogram`, :func:`level_histogram`: voiced frames per semitone (MIDI
  ``round(hz_to_midi(f0))``, 0..127) and per dB of power (``round(power_db)``, -80..0): what the
  pages draw, summed over files.
- :func:`usable_seconds`: voiced frames at least as loud as ``max(-60, q95 - 40)`` dBFS, the
  note frames of :mod:`ddsp_train.data.stats`, times the frame period.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ddsp_train.dsp.scaling import hz_to_midi

MIN_CLIP_RUN = 3
CLIP_TOLERANCE = 1e-4
CLIP_MIN_PEAK = 0.1
NOISE_QUANTILE = 10
MIN_QUIET_SECS = 0.5
NOTE_POWER_FLOOR_DB = -60.0
NOTE_POWER_BELOW_Q95_DB = 40.0


@dataclasses.dataclass(frozen=True)
class Clipping:
    """``runs`` clipped runs holding ``samples`` samples at ``peak`` (linear)."""

    runs: int
    samples: int
    peak: float


def clipping(audio: np.ndarray) -> Clipping:
    """Runs of samples stuck at the file's peak (module docstring)."""
    x = np.abs(np.asarray(audio, np.float64))
    peak = float(x.max()) if x.size else 0.0
    if peak < CLIP_MIN_PEAK:
        return Clipping(runs=0, samples=0, peak=peak)
    at_peak = np.concatenate([[False], x >= (1 - CLIP_TOLERANCE) * peak, [False]])
    edges = np.flatnonzero(np.diff(at_peak.astype(np.int8)))
    lengths = edges[1::2] - edges[::2]
    long = lengths[lengths >= MIN_CLIP_RUN]
    return Clipping(runs=int(len(long)), samples=int(long.sum()), peak=peak)


def dc_offset(audio: np.ndarray) -> float:
    """``mean(x)`` (linear, full scale = 1)."""
    x = np.asarray(audio, np.float64)
    return float(x.mean()) if x.size else 0.0


def noise_floor_db(power_db: np.ndarray, *, voiced: np.ndarray, frame_rate: float) -> tuple[float, bool]:
    """``(floor_dbfs, measured_in_rests)``: the 10th percentile of unvoiced power (module docstring)."""
    power_db = np.asarray(power_db, np.float64)
    if power_db.size == 0:
        return float("nan"), False
    quiet = power_db[~np.asarray(voiced, bool)]
    if len(quiet) >= MIN_QUIET_SECS * frame_rate:
        return float(np.percentile(quiet, NOISE_QUANTILE)), True
    return float(np.percentile(power_db, NOISE_QUANTILE)), False


@dataclasses.dataclass(frozen=True)
class PitchRange:
    """The played range: 5th/95th percentile MIDI, median tracker confidence, voiced share."""

    low_midi: float | None
    high_midi: float | None
    confidence: float | None
    voiced_share: float

    @property
    def semitones(self) -> float:
        return 0.0 if self.low_midi is None else float(self.high_midi - self.low_midi)


def pitch_range(f0_hz: np.ndarray, f0_confidence: np.ndarray, *, threshold: float) -> PitchRange:
    """:class:`PitchRange` over the voiced frames (module docstring)."""
    conf = np.asarray(f0_confidence, np.float64)
    voiced = conf >= threshold
    if not voiced.any():
        return PitchRange(None, None, None, 0.0)
    midi = hz_to_midi(np.asarray(f0_hz, np.float64)[voiced])
    low, high = np.percentile(midi, [5, 95])
    return PitchRange(float(low), float(high), float(np.median(conf[voiced])), float(voiced.mean()))


def level_range(power_db: np.ndarray, *, voiced: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """``(q10, q50, q90)`` of ``power_db`` (dBFS) over voiced frames; Nones without any."""
    p = np.asarray(power_db, np.float64)[np.asarray(voiced, bool)]
    if p.size == 0:
        return None, None, None
    q10, q50, q90 = np.percentile(p, [10, 50, 90])
    return float(q10), float(q50), float(q90)


def usable_seconds(power_db: np.ndarray, *, voiced: np.ndarray, frame_rate: float) -> float:
    """Seconds of note frames: voiced and ``power_db >= max(-60, q95(voiced power) - 40)``."""
    p = np.asarray(power_db, np.float64)
    voiced = np.asarray(voiced, bool)
    if not voiced.any():
        return 0.0
    floor = max(NOTE_POWER_FLOOR_DB, float(np.percentile(p[voiced], 95)) - NOTE_POWER_BELOW_Q95_DB)
    return float(np.sum(voiced & (p >= floor)) / frame_rate)


def pitch_histogram(f0_hz: np.ndarray, *, voiced: np.ndarray) -> tuple[int, ...]:
    """Voiced frames per MIDI note 0..127 (``round(hz_to_midi(f0))``)."""
    f0 = np.asarray(f0_hz, np.float64)[np.asarray(voiced, bool)]
    notes = np.clip(np.round(hz_to_midi(np.maximum(f0, 1e-3))), 0, 127).astype(int)
    return tuple(int(n) for n in np.bincount(notes, minlength=128))


def level_histogram(power_db: np.ndarray, *, voiced: np.ndarray) -> tuple[int, ...]:
    """Voiced frames per dB of power, ``-80 .. 0`` (index ``round(power_db) + 80``)."""
    p = np.asarray(power_db, np.float64)[np.asarray(voiced, bool)]
    bins = np.clip(np.round(p) + 80, 0, 80).astype(int)
    return tuple(int(n) for n in np.bincount(bins, minlength=81))
