"""What a control model is fed, frame by frame, and auto-adjust: the input moved into the trained ranges.

- :func:`causal_features`: the plugin's features (the last ``frame_size`` samples every hop);
- :func:`centred_features`: the training data's centred grid (the SavedModel's features);
- :func:`auto_adjust_shifts`: whole octaves of pitch and decibels of power that bring the input
  into the model's trained ranges, and nothing for input that already lies there;
- :func:`shifted`: a performance with those shifts applied.

A frame whose measured power is at the -80 dB floor (digital silence; also what DC becomes once
the offset is removed) is marked ``silent``: the players mute it, so silence in gives silence out
whatever the model would make of ``pw_scaled = 0``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ddsp_train import features as feats
from ddsp_train.contract import DB_RANGE
from ddsp_train.dsp.scaling import MAX_F0_HZ, MIN_F0_HZ, hz_to_midi

#: Confidence below which a frame counts as unvoiced for auto-adjust.
VOICED_CONFIDENCE = 0.5
#: Power below which a frame is too quiet to say anything about the input's range (dB).
AUDIBLE_DB = -60.0
#: The power floor: a frame measured at (or below) it is digital silence and is muted (dB).
SILENT_DB = -DB_RANGE


@dataclasses.dataclass
class Performance:
    """What is fed to a control model, one value per frame; ``silent`` frames are muted."""

    f0_hz: np.ndarray
    power_db: np.ndarray
    confidence: np.ndarray
    loudness_db: np.ndarray | None = None
    silent: np.ndarray | None = None


def silent_frames(power_db: np.ndarray) -> np.ndarray:
    """``power_db <= -80`` (the floor of the plugin's power): frames of digital silence."""
    return np.asarray(power_db) <= SILENT_DB + 1e-6


def causal_features(audio: np.ndarray, *, sample_rate: int, frame_rate: float, frame_size: int,
                    tracker) -> Performance:
    """The plugin's features of each causal frame (see :func:`ddsp_train.features.causal_frames`).

    ``power_db`` is :func:`ddsp_train.features.frame_power_db` of the causal frame. The pitch
    comes from ``tracker`` on the signal delayed by ``frame_size // 2`` samples, so that its
    centred frame ``k`` is the causal frame ``k`` of the input.
    """
    hop = feats.hop_size(sample_rate=sample_rate, frame_rate=frame_rate)
    frames = feats.causal_frames(audio, frame_size=frame_size, hop=hop)
    power_db = feats.frame_power_db(frames)
    delayed = np.concatenate([np.zeros(frame_size // 2, np.float32), np.asarray(audio, np.float32)])
    f0_hz, confidence = tracker.track(delayed, sample_rate=sample_rate, frame_rate=frame_rate)
    n = len(frames)
    return Performance(f0_hz=_fit(f0_hz, n), power_db=power_db, confidence=_fit(confidence, n),
                       silent=silent_frames(power_db))


def centred_features(audio: np.ndarray, *, sample_rate: int, frame_rate: float, tracker,
                     loudness: bool) -> Performance:
    """Features on the training data's centred grid: f0, power (and A-weighted loudness)."""
    f0_hz, confidence = tracker.track(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    power_db = feats.compute_power_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    n = len(power_db)
    loudness_db = (feats.compute_loudness_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
                   if loudness else None)
    return Performance(f0_hz=_fit(f0_hz, n), power_db=power_db, confidence=_fit(confidence, n),
                       loudness_db=loudness_db, silent=silent_frames(power_db))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    from ddsp_train.pitch import fit_length

    return np.asarray(fit_length(np.asarray(x, np.float32), n), np.float32)


def octave_shift(*, midi: float, low: float, high: float) -> float:
    """Semitones ``12 k`` that bring the pitch ``midi`` into ``[low, high]``: the ``k`` of smallest
    ``(distance(midi + 12 k, [low, high]), |k|)``. 0 when ``midi`` already lies in the range; for
    a range narrower than an octave that ``midi + 12 k`` jumps over, the octave nearest to it."""
    if low > high:
        low, high = high, low

    def distance(k: int) -> float:
        m = midi + 12.0 * k
        return max(low - m, 0.0, m - high)

    reach = int(np.ceil(max(abs(low - midi), abs(high - midi)) / 12.0)) + 1
    best = min(range(-reach, reach + 1), key=lambda k: (distance(k), abs(k)))
    return 12.0 * best


def range_shift(*, value: float, low: float, high: float) -> float:
    """``clip(value, low, high) - value``: the least move that brings ``value`` into ``[low, high]``."""
    return float(np.clip(value, min(low, high), max(low, high)) - value)


def quantile(values: np.ndarray, q: float) -> float:
    """The ``q``-quantile of non-empty ``values``, linear between order statistics (numpy's default
    method): ``s[i] + (s[i + 1] - s[i]) * f`` with ``s`` sorted, ``q (n - 1) = i + f``; ``q = 0.5`` is
    the median. (``np.median`` and ``np.percentile`` import ``numpy.ma``, ~20-40 ms of start-up.)"""
    s = np.sort(np.asarray(values, np.float64).ravel())
    position = q * (len(s) - 1)
    i = min(int(position), len(s) - 1)
    upper = min(i + 1, len(s) - 1)
    return float(s[i] + (s[upper] - s[i]) * (position - i))


def auto_adjust_shifts(perf: Performance, metadata: dict, *, pitch_shift: float = 0.0) -> tuple[float, float]:
    """``(octave_semitones, power_db_shift)`` that move the input into the model's trained ranges.

    Over the input's voiced, audible frames (confidence >= 0.5, power >= -60 dB, f0 > 0; with
    none, nothing is shifted: ``(0, 0)``, so silence or noise is not turned into a note):

    - pitch: ``m`` the median MIDI pitch after ``pitch_shift``, the trained range ``[lo, hi]`` =
      ``mean_min/max_pitch_note_hz`` in MIDI; the shift is :func:`octave_shift` (whole octaves
      keep the key; 0 when ``lo <= m <= hi``, so the model's own training material is unshifted);
    - power: ``p`` the centre of the input's power (mean of its 5th and 95th percentiles), the
      trained range ``mean_min/max_power_note``; the shift is :func:`range_shift` (0 inside).
    """
    voiced = (perf.confidence >= VOICED_CONFIDENCE) & (perf.power_db >= AUDIBLE_DB) & (perf.f0_hz > 0)
    if perf.silent is not None:
        voiced &= ~np.asarray(perf.silent, bool)
    if not voiced.any():
        return 0.0, 0.0
    midi = quantile(hz_to_midi(perf.f0_hz[voiced].astype(np.float64)), 0.5) + pitch_shift
    octaves = octave_shift(midi=midi, low=float(hz_to_midi(float(metadata["mean_min_pitch_note_hz"]))),
                           high=float(hz_to_midi(float(metadata["mean_max_pitch_note_hz"]))))
    lo, hi = quantile(perf.power_db[voiced], 0.05), quantile(perf.power_db[voiced], 0.95)
    power = range_shift(value=0.5 * float(lo + hi), low=float(metadata["mean_min_power_note"]),
                        high=float(metadata["mean_max_power_note"]))
    return octaves, power


def shifted(perf: Performance, *, semitones: float, power_db: float) -> Performance:
    """f0 times ``2 ** (semitones / 12)`` (kept within MIDI 0..127), power plus ``power_db`` (>= -80 dB);
    ``silent`` frames stay silent."""
    f0 = np.clip(perf.f0_hz * 2.0 ** (semitones / 12.0), MIN_F0_HZ, MAX_F0_HZ).astype(np.float32)
    pw = np.maximum(perf.power_db + power_db, SILENT_DB).astype(np.float32)
    ld = None if perf.loudness_db is None else np.maximum(perf.loudness_db + power_db, SILENT_DB).astype(np.float32)
    return Performance(f0_hz=f0, power_db=pw, confidence=perf.confidence, loudness_db=ld, silent=perf.silent)
