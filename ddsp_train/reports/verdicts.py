"""Is the whole set good for training? The set's verdict per item, with what to do about it.

:func:`summarize_checks` pools the :class:`~ddsp_train.reports.checks.RecordingCheck` of the
files a dataset uses:

- **length**: the playing time (note frames) summed over the files: ``good`` from
  ``LENGTH_GOOD_SECS`` (10 min, the recipes' advice is 10-20 min), ``usable`` from
  ``LENGTH_MIN_SECS`` (3 min, the least worth training), else ``fix``.
- **pitch** and **dynamics**: the set's range from the files' histograms summed (pitch: 5th to
  95th percentile of the voiced frames' notes; level: 10th to 90th of their dBFS), judged by the
  per-file thresholds.
- every other item: the worst verdict among the files, naming the files that have it (one
  clipped or reverberant file is worth removing even in a good set).

The verdicts and their numbers go into the dataset description
(:data:`ddsp_train.dataset_info.FILENAME`; :func:`attach_checks`, :meth:`DatasetVerdicts.to_dict`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

import numpy as np

from ddsp_train.reports import units
from ddsp_train.reports.checks import (DYNAMICS_DB, FIX, GOOD, ITEMS, LABELS, LEVELS, PITCH_SEMITONES, TITLES,
                                       USABLE, RecordingCheck, larger_is_better)

LENGTH_GOOD_SECS = 600.0
LENGTH_MIN_SECS = 180.0
#: At most this many file names in a verdict's sentence.
NAMES_SHOWN = 3

ADVICE = {
    ("length", USABLE): "Training works; 10\u201320 minutes of playing make a steadier model.",
    ("length", FIX): "Record more: at least 3 minutes of playing, 10\u201320 minutes is best.",
    ("monophony", USABLE): "Some moments hold two notes; check the files named and cut chords or accompaniment.",
    ("monophony", FIX): "Use solo recordings of one melody line: remove chords, double stops and backing tracks.",
    ("reverb", USABLE): "A little room sound; a drier take (close microphone, dead room) trains a cleaner model.",
    ("reverb", FIX): "These takes are wet: record closer to the instrument in a drier room, or use the dry signal.",
    ("clipping", USABLE): "A few peaks hit the ceiling; record 6 dB quieter next time.",
    ("clipping", FIX): "The recording level was too high: record again with the peaks below \u22126 dBFS.",
    ("noise", USABLE): "Audible background noise; the model may learn the hiss. Record in a quieter place.",
    ("noise", FIX): "The background is too loud next to the playing: record in a quiet room or denoise first.",
    ("dc", USABLE): "A small DC offset; a high-pass filter (20 Hz) in your editor removes it.",
    ("dc", FIX): "A large DC offset: apply a 20 Hz high-pass filter (or 'remove DC') in your editor.",
    ("pitch", USABLE): "The model will only play well within this range; add phrases higher and lower.",
    ("pitch", FIX): "Too few notes: play scales and melodies across the range you want the model to play.",
    ("dynamics", USABLE): "Little difference between soft and loud; add soft and loud passages.",
    ("dynamics", FIX): "Everything at one loudness: the model will not follow soft and loud playing. Add both.",
}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One item's verdict for the set: level, the figure in a sentence, what to do, files concerned."""

    item: str
    level: str
    sentence: str
    advice: str = ""
    files: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return LABELS[self.level]

    @property
    def title(self) -> str:
        return TITLES[self.item]


@dataclasses.dataclass(frozen=True)
class DatasetVerdicts:
    """The verdicts of a set, one per item of :data:`~ddsp_train.reports.checks.ITEMS`, and its totals."""

    verdicts: tuple[Verdict, ...]
    seconds: float
    usable_seconds: float
    low_midi: float | None
    high_midi: float | None
    low_db: float | None
    high_db: float | None
    files: int

    def __getitem__(self, item: str) -> Verdict:
        return next(v for v in self.verdicts if v.item == item)

    @property
    def overall(self) -> str:
        """The worst level among the items."""
        return max((v.level for v in self.verdicts), key=LEVELS.index, default=GOOD)

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall, "seconds": self.seconds, "usable_seconds": self.usable_seconds,
                "pitch_low_midi": self.low_midi, "pitch_high_midi": self.high_midi,
                "pitch_range": units.note_range(self.low_midi, self.high_midi),
                "level_low_dbfs": self.low_db, "level_high_dbfs": self.high_db, "files": self.files,
                "verdicts": {v.item: {"level": v.level, "sentence": v.sentence, "advice": v.advice,
                                      "files": list(v.files)} for v in self.verdicts}}


def _names(checks: list[RecordingCheck]) -> str:
    names = [c.path.rsplit("/", 1)[-1] for c in checks]
    more = len(names) - NAMES_SHOWN
    return ", ".join(names[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _worst(item: str, checks: list[RecordingCheck]) -> Verdict:
    levels = [c.levels()[item] for c in checks]
    level = max(levels, key=LEVELS.index, default=GOOD)
    if level == GOOD:
        sentence = "All files: " + (checks[0].describe(item) if len(checks) == 1 else _good_sentence(item))
        return Verdict(item, GOOD, sentence)
    bad = [c for c, lv in zip(checks, levels) if lv == level]
    sentence = f"{_names(bad)}: {bad[0].describe(item)}"
    return Verdict(item, level, sentence, ADVICE[(item, level)], tuple(c.path for c in bad))


def _good_sentence(item: str) -> str:
    return {"length": "mostly playing", "monophony": "one note at a time", "reverb": "dry",
            "clipping": "no clipped peaks", "noise": "quiet background", "dc": "no offset"}[item]


def summarize_checks(checks: Iterable[RecordingCheck]) -> DatasetVerdicts:
    """The set's verdicts (module docstring) from the checks of the files it uses."""
    checks = list(checks)
    seconds = sum(c.seconds for c in checks)
    usable = sum(c.usable_seconds for c in checks)
    length_level = GOOD if usable >= LENGTH_GOOD_SECS else USABLE if usable >= LENGTH_MIN_SECS else FIX
    silent = [c for c in checks if c.levels()["length"] == FIX]
    sentence = (f"{units.minutes(usable)} of playing in {units.minutes(seconds)} of audio "
                f"({len(checks)} file{'s' * (len(checks) != 1)}); the recipes ask for 10\u201320 minutes")
    if silent:
        sentence += f"; mostly silence: {_names(silent)}"
    verdicts = [Verdict("length", length_level, sentence, ADVICE.get(("length", length_level), ""))]
    verdicts += [_worst(item, checks) for item in ("monophony", "reverb", "clipping", "noise", "dc")]
    low, high = pooled_range(checks, "pitch_histogram", 128, (5, 95), offset=0)
    span = 0.0 if low is None else high - low
    level = larger_is_better(span, PITCH_SEMITONES)
    verdicts.append(Verdict("pitch", level, f"You play {units.note_range(low, high)} ({span:.0f} semitones)",
                            ADVICE.get(("pitch", level), "")))
    low_db, high_db = pooled_range(checks, "level_histogram", 81, (10, 90), offset=-80)
    span_db = 0.0 if low_db is None else high_db - low_db
    level = larger_is_better(span_db, DYNAMICS_DB)
    verdicts.append(Verdict("dynamics", level, f"From {units.dbfs(low_db)} (soft) to {units.dbfs(high_db)} (loud), "
                            f"{units.db(span_db)} of range", ADVICE.get(("dynamics", level), "")))
    assert tuple(v.item for v in verdicts) == ITEMS
    return DatasetVerdicts(verdicts=tuple(verdicts), seconds=seconds, usable_seconds=usable, low_midi=low,
                           high_midi=high, low_db=low_db, high_db=high_db, files=len(checks))


def histogram_percentile(counts: np.ndarray, q: float) -> float:
    """The bin index below which ``q`` % of the counts lie (the first bin whose cumulative share
    reaches ``q / 100``)."""
    cumulative = np.cumsum(counts) / counts.sum()
    return float(np.searchsorted(cumulative, q / 100.0))


def pooled_range(checks: list[RecordingCheck], key: str, size: int, quantiles: tuple[float, float], *,
                 offset: float) -> tuple[float | None, float | None]:
    """The ``quantiles`` of the files' histograms ``key`` summed (``bin + offset``): a set's range,
    which one file's stray frames do not stretch; None without counts."""
    total = np.zeros(size)
    for c in checks:
        h = getattr(c, key)
        if len(h) == size:
            total += np.asarray(h, float)
    if total.sum() == 0:
        return None, None
    return tuple(histogram_percentile(total, q) + offset for q in quantiles)


def plugin_range(statistics: Mapping[str, Any]) -> str | None:
    """The sentence of the plugin's tone-shaping box, from the dataset description's ``statistics``
    (``mean_min/max_pitch_note``, ``mean_min/max_power_note``), or None without them."""
    low, high = statistics.get("mean_min_pitch_note"), statistics.get("mean_max_pitch_note")
    if low is None or high is None:
        return None
    quiet, loud = statistics.get("mean_min_power_note"), statistics.get("mean_max_power_note")
    text = f"The plugin's tone-shaping box will show this model's range as {units.note_range(low, high)}"
    if quiet is not None and loud is not None:
        text += f", {units.dbfs(quiet)} to {units.dbfs(loud)}"
    return text + " (the typical lowest and highest note of each example)."


#: The key of the data check in the dataset description (the set's verdicts) and in each of its ``files``.
CHECK_KEY = "check"


def attach_checks(info, checks: Iterable[RecordingCheck]):
    """``info`` (a :class:`~ddsp_train.dataset_info.DatasetInfo`) with the data check in it: each
    checked file's numbers and verdicts under ``files[i]["check"]`` (matched by path), the set's
    :meth:`DatasetVerdicts.to_dict` under the top-level ``"check"``; what ddsp-prepare writes."""
    checks = list(checks)
    by_path = {c.path: c for c in checks}
    files = tuple({**f, CHECK_KEY: by_path[str(f.get("path"))].to_dict()} if str(f.get("path")) in by_path else dict(f)
                  for f in info.files)
    return info.replace(files=files, extra={**dict(info.extra), CHECK_KEY: summarize_checks(checks).to_dict()})
