"""The plugin-like synth (realtime/synth.py) and the MIDI features (realtime/midi.py) against closed forms."""
import numpy as np
import pytest

from ddsp_train.dsp.scaling import midi_to_hz
from ddsp_train.realtime.midi import ADSR, midi_features, read_midi_events
from ddsp_train.realtime.synth import PluginSynth

SR, HOP = 16000, 320


def one_hot(k, size=60):
    d = np.zeros(size)
    d[k - 1] = 1.0
    return d


def test_constant_harmonic_is_a_continuous_sine_across_frames():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    frames = [synth.render_frame(250.0, 0.5, one_hot(1), np.zeros(65)) for _ in range(10)]
    n = np.arange(10 * HOP)
    expected = 0.5 * np.sin(2 * np.pi * 250.0 * (n + 1) / SR)  # phase accumulates f0 / sr per sample
    np.testing.assert_allclose(np.concatenate(frames), expected, atol=1e-5)


def test_harmonics_at_or_above_nyquist_are_removed_and_the_rest_renormalised():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    out = np.concatenate([synth.render_frame(3000.0, 1.0, np.ones(60), np.zeros(65)) for _ in range(3)])
    phi = 2 * np.pi * 3000.0 * (np.arange(3 * HOP) + 1) / SR
    # Only k = 1, 2 lie below 8 kHz: the distribution becomes (1/2, 1/2).
    np.testing.assert_allclose(out, 0.5 * np.sin(phi) + 0.5 * np.sin(2 * phi), atol=1e-5)


def test_f0_and_amplitude_glide_linearly_within_a_block():
    synth = PluginSynth(sample_rate=SR, hop=HOP)
    a = synth.render_frame(200.0, 0.2, one_hot(1), np.zeros(65))
    b = synth.render_frame(400.0, 0.6, one_hot(1), np.zeros(65))
    ramp = np.arange(1, HOP + 1) / HOP
    f0 = np.concatenate([np.full(HOP, 200.0), 200.0 + 200.0 * ramp])
    amp = np.concatenate([np.full(HOP, 0.2), 0.2 + 0.4 * ramp])
    np.testing.assert_allclose(np.concatenate([a, b]), amp * np.sin(2 * np.pi * np.cumsum(f0) / SR), atol=1e-5)


def test_flat_noise_magnitudes_give_delayed_white_noise_continuous_across_blocks():
    synth = PluginSynth(sample_rate=SR, hop=HOP, seed=3)
    out = np.concatenate([synth.render_frame(100.0, 0.0, one_hot(1), np.full(65, 0.5)) for _ in range(8)])
    # A flat response of 0.5 is 0.5 times a unit impulse at the FIR's centre tap (delay 64).
    rng = np.random.default_rng(3)
    white = np.concatenate([rng.uniform(-1, 1, HOP) for _ in range(8)])
    expected = 0.5 * np.concatenate([np.zeros(64), white[:-64]])
    np.testing.assert_allclose(out, expected, atol=1e-5)


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

    from ddsp_train.errors import UserError

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


def test_whole_sequence_render_equals_frame_by_frame():
    rng = np.random.default_rng(4)
    count = 150
    f0 = 200 * 2 ** (np.cumsum(rng.normal(0, 0.05, count)))  # wandering pitch, some harmonics cross Nyquist
    f0[70:80] = 3900.0
    amplitude = rng.uniform(0, 0.3, (count, 1))
    dist = rng.random((count, 60))
    noise = rng.random((count, 65)) * 0.05
    frame_by_frame = PluginSynth(sample_rate=SR, hop=HOP, seed=9)
    expected = np.concatenate([frame_by_frame.render_frame(f, a, h, n) for f, a, h, n in zip(f0, amplitude, dist, noise)])
    whole = PluginSynth(sample_rate=SR, hop=HOP, seed=9)
    got = np.concatenate([whole.render(f0[:100], amplitude[:100], dist[:100], noise[:100], chunk=16),
                          whole.render(f0[100:], amplitude[100:], dist[100:], noise[100:])])
    np.testing.assert_allclose(got, expected, atol=2e-5)
    # The state afterwards is the same: both continue identically.
    np.testing.assert_allclose(whole.render_frame(300.0, 0.2, dist[0], noise[0]),
                               frame_by_frame.render_frame(300.0, 0.2, dist[0], noise[0]), atol=2e-5)
