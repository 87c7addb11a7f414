"""The MIDI features (realtime/midi.py): events read from a file, f0 and power with an ADSR envelope."""
import numpy as np
import pytest

from ddsp_train.dsp.scaling import midi_to_hz
from ddsp_train.errors import UserError
from ddsp_train.realtime.midi import ADSR, midi_features, read_midi_events


def test_midi_features_last_note_wins_with_bends_and_adsr(tmp_path):
    import mido

    song = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
    track = mido.MidiTrack()
    song.tracks.append(track)
    track.extend([
        mido.Message("note_on", note=60, velocity=127, time=0),
        mido.Message("note_on", note=67, velocity=64, time=480),     # 0.5 s: a second note takes over
        mido.Message("note_off", note=67, velocity=0, time=480),     # 1.0 s: back to the held 60
        mido.Message("pitchwheel", pitch=4096, time=192),            # 1.2 s: +1 semitone (range 2)
        mido.Message("note_on", note=60, velocity=0, time=192),      # 1.4 s: velocity-0 note-off
    ])
    path = tmp_path / "song.mid"
    song.save(path)
    events = read_midi_events(path)
    assert [e.kind for e in events] == ["on", "on", "off", "bend", "off"]
    env = ADSR(attack=0.1, decay=0.2, sustain=0.5, release=0.4)
    f0, power = midi_features(events, frame_rate=50, envelope=env, peak_db=-10.0)
    t = lambda secs: int(round(secs * 50))  # noqa: E731
    assert len(f0) == t(1.4 + 0.4) + 1
    np.testing.assert_allclose(f0[[t(0.3), t(0.7), t(1.1), t(1.3), t(1.7)]],
                               midi_to_hz(np.array([60, 67, 60, 61, 61])), rtol=1e-5)
    # 0.06 s into the first attack: level 0.6, velocity 127.
    assert power[3] == pytest.approx(-10.0 + 20 * np.log10(0.6), abs=1e-4)
    # Sustain of the first note, then the second note's attack restarted from that level.
    assert power[t(0.45)] == pytest.approx(-10.0 + 20 * np.log10(0.5), abs=1e-4)
    assert power[t(0.9)] == pytest.approx(-10.0 + 20 * np.log10(64 / 127 * 0.5), abs=1e-4)
    # The release starts at 1.4 s from the sustain level and ends at -80 dB.
    assert power[t(1.6)] == pytest.approx(-10.0 + 20 * np.log10(127 / 127 * 0.5 * 0.5), abs=1e-3)
    assert power[-1] == -80.0


def test_midi_without_notes_is_a_clear_error(tmp_path):
    import mido

    song = mido.MidiFile()
    song.tracks.append(mido.MidiTrack([mido.Message("pitchwheel", pitch=0, time=0)]))
    path = tmp_path / "empty.mid"
    song.save(path)
    with pytest.raises(UserError, match="has no notes"):
        read_midi_events(path)
    # A note-on of velocity 0 is a note-off: a file of only those has no notes either.
    song.tracks[0].append(mido.Message("note_on", note=60, velocity=0, time=10))
    song.save(path)
    with pytest.raises(UserError, match="has no notes"):
        read_midi_events(path)


def test_adsr_settings_are_checked():
    ADSR(attack=0, decay=0, sustain=1, release=0)
    for bad in (dict(attack=-0.1), dict(release=-1), dict(sustain=1.5), dict(sustain=-0.1)):
        with pytest.raises(UserError, match="ADSR"):
            ADSR(**bad)
