"""The packaged preview melody: the opening of Beethoven's "Ode to Joy" (public domain), played
by an exported model as a transfer preview on the model page.

:data:`NOTES` is the tune (MIDI pitch, beats) at ``TEMPO`` beats per minute, transposed by
``transpose`` semitones; :func:`preview_melody` renders it with the package's additive synth
(:mod:`ddsp_train.synthetic`, flute-like: a clear pitch and level for the model to follow).
"""
from __future__ import annotations

import numpy as np

from ddsp_train import synthetic

#: (MIDI note, beats): E4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | E4. D4 D4
NOTES = ((64, 1), (64, 1), (65, 1), (67, 1), (67, 1), (65, 1), (64, 1), (62, 1),
         (60, 1), (60, 1), (62, 1), (64, 1), (64, 1.5), (62, 0.5), (62, 2))
TEMPO = 100.0
FILE_SUFFIX = ".preview.wav"


def preview_notes(*, transpose: float = 0.0, tempo: float = TEMPO, velocity: float = 0.8) -> list[synthetic.Note]:
    """The tune as :class:`~ddsp_train.synthetic.Note` s, legato (each note 90 % of its beat)."""
    beat, t, notes = 60.0 / tempo, 0.25, []
    for midi, beats in NOTES:
        notes.append(synthetic.Note(start=t, duration=0.9 * beats * beat, midi=float(midi + transpose),
                                    velocity=velocity))
        t += beats * beat
    return notes


def preview_melody(*, sample_rate: int = 16000, transpose: float = 0.0) -> np.ndarray:
    """The rendered tune (float32 mono at ``sample_rate``, about 10 s)."""
    notes = preview_notes(transpose=transpose)
    seconds = notes[-1].start + notes[-1].duration + 0.6
    return synthetic.render_melody(notes, seconds=seconds, sample_rate=sample_rate, timbre="flute").audio


def fit_transpose(*, low_midi: float | None, high_midi: float | None) -> float:
    """Whole octaves (in semitones) that move the tune (C4..G4) to the middle of a model's range."""
    if low_midi is None or high_midi is None:
        return 0.0
    middle = 0.5 * (low_midi + high_midi)
    return 12.0 * round((middle - 63.5) / 12.0)
