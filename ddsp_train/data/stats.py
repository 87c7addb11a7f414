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
- Per-note ranges: each recording is cut into consecutive non-overlapping windows of
  ``example_secs`` (like ddsp's examples); in each window holding a note, take the lowest and
  highest note pitch and note power (notes belong to the window where they start).
  ``mean_min_pitch_note`` is the mean over windows of the lowest note pitch (MIDI), and
  likewise ``mean_max_pitch_note``, ``mean_min_power_note``, ``mean_max_power_note`` (dB);
  ``*_hz`` are the MIDI means converted to Hz. This follows ddsp's ``compute_dataset_statistics``
  (mean over examples of the per-example min/max over note frames) with notes instead of frames.
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

NOTE_RULE = (
    "note frames: f0_confidence >= voiced_threshold and power_db >= max(-60, q95(voiced power) - 40); "
    "notes: maximal runs of note frames of one recording with neighbouring pitch steps < 1 semitone, "
    f">= {MIN_NOTE_SECS} s; note pitch = median MIDI, note power = mean power_db; per-note ranges = mean "
    "over consecutive non-overlapping example_secs windows (notes assigned by onset) of the window's "
    "lowest/highest note pitch and power")


def _summary(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {"mean": None, "min": None, "max": None}
    return {"mean": float(np.mean(x)), "min": float(np.min(x)), "max": float(np.max(x))}


def _quantiles(x: np.ndarray) -> dict:
    if len(x) == 0:
        return {}
    return {f"q{q:02d}": float(v) for q, v in zip(QUANTILES, np.percentile(x, QUANTILES))}


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
    lows, highs, quiet, loud = [], [], [], []
    n_notes = 0
    for r in recordings:
        note_frame = (r["f0_confidence"] >= voiced_threshold) & (r["power_db"] >= power_floor)
        notes = find_notes(r["f0_hz"], note_frame, frame_rate=frame_rate)
        n_notes += len(notes)
        by_window: dict[int, list[tuple[float, float]]] = {}
        for a, b in notes:
            pitch = float(np.median(hz_to_midi(r["f0_hz"][a:b])))
            power = float(np.mean(r["power_db"][a:b]))
            by_window.setdefault(a // window, []).append((pitch, power))
        for items in by_window.values():
            pitches, powers = zip(*items)
            lows.append(min(pitches))
            highs.append(max(pitches))
            quiet.append(min(powers))
            loud.append(max(powers))
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
        "notes": n_notes,
        "note_windows": len(lows),
        "note_power_floor_db": power_floor,
        "note_rule": NOTE_RULE,
    }
    for name, values, to_hz in (("mean_min_pitch_note", lows, True), ("mean_max_pitch_note", highs, True),
                                ("mean_min_power_note", quiet, False), ("mean_max_power_note", loud, False)):
        value = float(np.mean(values)) if values else None
        stats[name] = value
        if to_hz:
            stats[name + "_hz"] = float(midi_to_hz(value)) if value is not None else None
    return stats
