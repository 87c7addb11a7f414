"""Dataset statistics for training and export, including the per-note pitch and power ranges.

Computed from each recording's non-overlapping frame sequence (every frame counted once, not
once per overlapping example). ``voiced`` frames: ``f0_confidence >= voiced_threshold`` (the
tracker's own threshold). The rules, also written into ``dataset.json`` (:data:`NOTE_RULE`):

- ``f0_hz``, ``power_db`` {mean, min, max}: over voiced frames (``f0_hz`` also has
  ``mean_midi``, the mean of ``hz_to_midi(f0)``).
- ``loudness_db`` {mean, min, max}: over all frames.
- ``power_db_quantiles``, ``loudness_db_quantiles``: 5/25/50/75/95 % over voiced frames.
- Notes: a *note frame* is voiced and loud enough: ``power_db >= max(-60, q95 - 40)`` where
  ``q95`` is the 95th percentile of voiced power. A *note* is a maximal run of consecutive note
  frames of one recording whose neighbouring pitches differ by less than 1 semitone (a larger
  step starts a new note), at least ``MIN_NOTE_SECS`` long. Each note has a pitch (median MIDI
  of its frames) and a power (mean power_db of its frames).
- Per-note ranges: the trained range is where the set's notes lie, trimmed of strays. With each
  note weighted by its length (frames), ``mean_min_pitch_note`` is the 5th and
  ``mean_max_pitch_note`` the 95th weighted percentile of the note pitches (MIDI), and likewise
  ``mean_min_power_note`` / ``mean_max_power_note`` of the note powers (dB); ``*_hz`` are the
  MIDI values converted to Hz. The names are ddsp's (and the plugin reads them), whose
  ``compute_dataset_statistics`` takes the mean over examples of each example's min/max. That
  mean equals the range of a set played in one register, but for a mixed-range set (phrases in
  different registers) it collapses to the middle: phrases spanning 102-788 Hz gave 226-352 Hz,
  and auto-adjust then moved the model's own training clips by an octave. The percentiles
  cover every register the model was trained on. ``note_windows`` still counts the
  ``example_secs`` windows (notes assigned by onset) that hold a note.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ddsp_train.dsp.scaling import hz_to_midi, midi_to_hz

MIN_NOTE_SECS = 0.1
NOTE_STEP_SEMITONES = 1.0
NOTE_POWER_FLOOR_DB = -60.0
NOTE_POWER_BELOW_Q95_DB = 40.0
QUANTILES = (5, 25, 50, 75, 95)
#: The per-note range: these weighted percentiles of the notes' pitches and powers.
RANGE_PERCENTILES = (5, 95)

NOTE_RULE = (
    "note frames: f0_confidence >= voiced_threshold and power_db >= max(-60, q95(voiced power) - 40); "
    "notes: maximal runs of note frames of one recording with neighbouring pitch steps < 1 semitone, "
    f">= {MIN_NOTE_SECS} s; note pitch = median MIDI, note power = mean power_db; per-note ranges = the "
    f"{RANGE_PERCENTILES[0]}th..{RANGE_PERCENTILES[1]}th percentiles of note pitch and power, each note "
    "weighted by its length")


def _summary(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {"mean": None, "min": None, "max": None}
    return {"mean": float(np.mean(x)), "min": float(np.min(x)), "max": float(np.max(x))}


def _quantiles(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {}
    return {f"q{q:02d}": float(v) for q, v in zip(QUANTILES, np.percentile(x, QUANTILES))}


def weighted_percentile(values, weights, q: float) -> float:
    """The smallest value whose cumulative weight share reaches ``q / 100`` (values sorted
    ascending): ``v_(i)`` for the first ``i`` with ``sum_{j <= i} w_(j) >= q / 100 * sum w``."""
    values, weights = np.asarray(values, np.float64), np.asarray(weights, np.float64)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    i = int(np.searchsorted(cumulative, q / 100.0 * cumulative[-1] - 1e-9 * cumulative[-1]))
    return float(values[order][min(i, len(values) - 1)])


def find_notes(f0_hz: np.ndarray, note_frame: np.ndarray, *, frame_rate: float) -> list[tuple[int, int]]:
    """``[(start, stop)]`` frame ranges of the notes of one recording (see the module rule)."""
    midi = hz_to_midi(np.maximum(np.asarray(f0_hz, np.float64), 1e-3))
    mask = np.asarray(note_frame, bool)
    breaks = np.ones(len(mask) + 1, bool)
    breaks[1:-1] = ~(mask[1:] & mask[:-1]) | (np.abs(np.diff(midi)) >= NOTE_STEP_SEMITONES)
    min_len = max(1, int(round(MIN_NOTE_SECS * frame_rate)))
    edges = np.flatnonzero(breaks)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if mask[a] and b - a >= min_len]


def compute_statistics(recordings: Iterable[dict], *, frame_rate: float, example_secs: float,
                       voiced_threshold: float) -> dict:
    """Statistics of ``recordings``: dicts of frame arrays ``f0_hz, f0_confidence, power_db,
    loudness_db`` (one per recording or per contiguous part of one). See the module rule."""
    recordings = [{k: np.asarray(v, np.float64) for k, v in r.items()} for r in recordings]
    cat = {k: np.concatenate([r[k] for r in recordings]) if recordings else np.zeros(0)
           for k in ("f0_hz", "f0_confidence", "power_db", "loudness_db")}
    voiced = cat["f0_confidence"] >= voiced_threshold
    voiced_power = cat["power_db"][voiced]
    q95 = float(np.percentile(voiced_power, 95)) if len(voiced_power) else 0.0
    power_floor = max(NOTE_POWER_FLOOR_DB, q95 - NOTE_POWER_BELOW_Q95_DB)
    window = max(1, int(round(example_secs * frame_rate)))
    pitches, powers, lengths, windows = [], [], [], 0
    for r in recordings:
        note_frame = (r["f0_confidence"] >= voiced_threshold) & (r["power_db"] >= power_floor)
        notes = find_notes(r["f0_hz"], note_frame, frame_rate=frame_rate)
        for a, b in notes:
            pitches.append(float(np.median(hz_to_midi(r["f0_hz"][a:b]))))
            powers.append(float(np.mean(r["power_db"][a:b])))
            lengths.append(b - a)
        windows += len({a // window for a, _ in notes})
    f0_voiced = cat["f0_hz"][voiced]
    stats = {
        "frames": int(len(voiced)),
        "voiced_frames": int(voiced.sum()),
        "voiced_threshold": float(voiced_threshold),
        "f0_hz": {**_summary(f0_voiced), "mean_midi": float(np.mean(hz_to_midi(f0_voiced))) if len(f0_voiced) else None},
        "power_db": _summary(voiced_power),
        "loudness_db": _summary(cat["loudness_db"]),
        "power_db_quantiles": _quantiles(voiced_power),
        "loudness_db_quantiles": _quantiles(cat["loudness_db"][voiced]),
        "notes": len(pitches),
        "note_windows": windows,
        "note_power_floor_db": power_floor,
        "note_rule": NOTE_RULE,
    }
    low, high = RANGE_PERCENTILES
    for name, values, q, to_hz in (("mean_min_pitch_note", pitches, low, True),
                                   ("mean_max_pitch_note", pitches, high, True),
                                   ("mean_min_power_note", powers, low, False),
                                   ("mean_max_power_note", powers, high, False)):
        value = weighted_percentile(values, lengths, q) if values else None
        stats[name] = value
        if to_hz:
            stats[name + "_hz"] = float(midi_to_hz(value)) if value is not None else None
    return stats
