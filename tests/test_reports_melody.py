"""The packaged preview melody (reports/melody.py): the tune, its rendering, the octave fit."""
import numpy as np

from ddsp_train.dsp.scaling import midi_to_hz
from ddsp_train.reports import melody


def test_the_preview_melody():
    audio = melody.preview_melody(sample_rate=16000)
    assert 8 < len(audio) / 16000 < 12 and np.max(np.abs(audio)) < 1
    assert [n.midi for n in melody.preview_notes()][:4] == [64, 64, 65, 67]  # E E F G
    assert melody.fit_transpose(low_midi=40, high_midi=60) == -12 and melody.fit_transpose(low_midi=None, high_midi=1) == 0


def test_the_notes_sound_at_their_pitch_and_tempo():
    notes = melody.preview_notes(transpose=12)
    beat = 60 / melody.TEMPO
    assert [n.midi for n in notes] == [m + 12 for m, _ in melody.NOTES]
    np.testing.assert_allclose(np.diff([n.start for n in notes]), [b * beat for _, b in melody.NOTES[:-1]])
    assert all(abs(n.duration - 0.9 * b * beat) < 1e-9 for n, (_, b) in zip(notes, melody.NOTES))
    audio = melody.preview_melody(sample_rate=16000, transpose=12)
    for note in notes[:4]:  # the middle of each note: the strongest partial is the fundamental (flute)
        mid = int((note.start + note.duration / 2) * 16000)
        segment = audio[mid - 2048: mid + 2048]
        spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment)), 1 << 16))
        peak = np.argmax(spectrum) * 16000 / (1 << 16)
        assert abs(1200 * np.log2(peak / midi_to_hz(note.midi))) < 30  # vibrato: within a few tens of cents
    # The whole octaves that centre C4..G4 in a model's range.
    assert melody.fit_transpose(low_midi=60, high_midi=67) == 0
    assert melody.fit_transpose(low_midi=72, high_midi=84) == 12 and melody.fit_transpose(low_midi=30, high_midi=50) == -24
