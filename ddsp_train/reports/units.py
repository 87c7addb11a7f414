"""How the reports write numbers for a musician: note names, dBFS, minutes and seconds.

- ``note_name(m)``: the nearest equal-tempered note of MIDI number ``m`` in scientific pitch
  notation, ``NAMES[round(m) % 12] + str(round(m) // 12 - 1)`` (MIDI 69 = A4 = 440 Hz, 60 = C4).
- ``hz_note(f)``: ``note_name(hz_to_midi(f))`` (:func:`ddsp_train.dsp.scaling.hz_to_midi`).
- ``dbfs(x)``: ``"-12.3 dBFS"``; levels are the plugin's power (``10 log10(mean(x^2))``,
  :mod:`ddsp_train.features`), so a full-scale sine reads -3 dBFS.
- ``minutes(s)``: ``"42 s"``, ``"3 min 05 s"`` (:func:`ddsp_train.console.format_duration`).
"""
from __future__ import annotations

import math

from ddsp_train.console import format_duration
from ddsp_train.dsp.scaling import hz_to_midi

NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: float | None) -> str:
    """``A4`` for 69, ``C4`` for 60, ``?`` for None or a non-finite number."""
    if midi is None or not math.isfinite(midi):
        return "?"
    m = int(round(midi))
    return f"{NAMES[m % 12]}{m // 12 - 1}"


def hz_note(hz: float | None) -> str:
    """The note name of a frequency (``440 -> A4``)."""
    if hz is None or not math.isfinite(hz) or hz <= 0:
        return "?"
    return note_name(float(hz_to_midi(hz)))


def note_range(low_midi: float | None, high_midi: float | None) -> str:
    """``G3-D6`` (en dash), or ``?`` when unknown."""
    if low_midi is None or high_midi is None:
        return "?"
    return f"{note_name(low_midi)}\u2013{note_name(high_midi)}"


def dbfs(value: float | None, *, digits: int = 0) -> str:
    """``-12 dBFS`` (with a true minus sign), ``?`` when unknown."""
    if value is None or not math.isfinite(value):
        return "?"
    return f"{value:.{digits}f} dBFS".replace("-", "\u2212")


def db(value: float | None, *, digits: int = 0) -> str:
    """A level difference: ``24 dB``."""
    if value is None or not math.isfinite(value):
        return "?"
    return f"{value:.{digits}f} dB".replace("-", "\u2212")


def minutes(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    return "?" if seconds is None else format_duration(seconds)


def percent(share: float | None) -> str:
    """``12 %`` of a 0..1 share."""
    if share is None or not math.isfinite(share):
        return "?"
    return f"{100 * share:.0f} %" if share >= 0.01 or share == 0 else f"{100 * share:.1f} %"
