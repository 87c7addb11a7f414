"""Synthesized audio with exact labels (synthetic.py): the f0 labels are the pitch of the rendered
audio (measured by an FFT peak), the harmonic levels are the timbre's, rests are silent."""
import numpy as np
import pytest

from ddsp_train import synthetic
from ddsp_train.dsp.scaling import midi_to_hz

SR = 16000


def peak_hz(segment, sample_rate=SR, pad=1 << 17):
    """Frequency of the strongest peak of a Hann-windowed segment (zero-padded, parabolic refinement)."""
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment)), pad))
    k = int(np.argmax(spectrum[1:-1])) + 1
    a, b, c = np.log(spectrum[k - 1: k + 2] + 1e-30)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sample_rate / pad


def test_render_harmonic_levels_follow_the_timbre_and_stop_at_nyquist():
    n = SR  # 1 s: 1 Hz bins, so every harmonic of 250 Hz sits on a bin
    audio = synthetic.render_harmonic(np.full(n, 250.0), np.full(n, 0.8), sample_rate=SR,
                                      harmonic_db=synthetic.TIMBRES["reed"], n_harmonics=40)
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64))) * 2 / n
    k = np.arange(1, 41)
    levels = 10 ** (synthetic.TIMBRES["reed"](k) / 20)
    levels /= levels.sum()
    audible = k * 250 < SR / 2  # harmonics 1..31
    np.testing.assert_allclose(spectrum[250 * k[audible]], 0.8 * levels[audible], rtol=2e-3, atol=1e-5)
    assert spectrum[8000] < 1e-4 and np.abs(audio).max() <= 0.8  # none at Nyquist; the amplitude bounds the peak
    # One harmonic alone: a closed-form sine, phase accumulated from the first sample.
    sine = synthetic.render_harmonic(np.full(100, 400.0), np.ones(100), sample_rate=SR,
                                     harmonic_db=lambda k: np.where(k == 1, 0.0, -np.inf), phase=0.3)
    np.testing.assert_allclose(sine, np.sin(0.3 + 2 * np.pi * 400 * np.arange(1, 101) / SR), atol=1e-6)
    with pytest.raises(ValueError, match="equal 1-D"):
        synthetic.render_harmonic(np.ones(10), np.ones(9), sample_rate=SR)


def test_labels_are_the_rendered_pitch():
    r = synthetic.demo_phrase(seconds=6.0, seed=3, timbre="bowed")
    assert len(r.f0_hz) == int(6.0 * 50) + 1 and len(r.audio) == 6 * SR
    labelled = np.flatnonzero(r.f0_hz > 0)
    assert len(labelled) > 100
    errors = []
    for frame in labelled[::4]:
        centre = int(round(frame * SR / 50))
        segment = r.audio[max(centre - 512, 0): centre + 512].astype(np.float64)
        if len(segment) < 1024:
            continue
        errors.append(1200 * abs(np.log2(peak_hz(segment) / r.f0_hz[frame])))
    errors = np.array(errors)
    # Vibrato moves f0 within the 64 ms window, so single frames read a cent or two off.
    assert np.median(errors) < 2 and errors.max() < 6, (np.median(errors), errors.max())  # one frame late: ~7 median


def test_notes_and_rests_of_a_rendered_melody():
    notes = [synthetic.Note(start=0.2, duration=0.5, midi=69.0, velocity=1.0),
             synthetic.Note(start=1.2, duration=0.5, midi=76.0, velocity=0.3)]
    r = synthetic.render_melody(notes, seconds=2.0, timbre="flute", vibrato_cents=0.0, noise_db=-200.0)
    frames = np.arange(len(r.f0_hz)) / 50
    # Labelled from 60 ms after each onset to 40 ms before its end, with the note's exact pitch.
    first = (frames >= 0.26) & (frames <= 0.66)
    second = (frames >= 1.26) & (frames <= 1.66)
    np.testing.assert_allclose(r.f0_hz[first], 440.0, rtol=1e-6)
    np.testing.assert_allclose(r.f0_hz[second], midi_to_hz(76.0), rtol=1e-6)
    assert np.all(r.f0_hz[~(first | second)] == 0)
    # Silent before the first note and after the last release (0.06 s); velocity sets the level.
    assert np.abs(r.audio[: int(0.2 * SR)]).max() == 0 and np.abs(r.audio[int(1.77 * SR):]).max() == 0
    loud = np.sqrt(np.mean(r.audio[int(0.3 * SR): int(0.6 * SR)] ** 2))
    soft = np.sqrt(np.mean(r.audio[int(1.3 * SR): int(1.6 * SR)] ** 2))
    assert 20 * np.log10(loud / soft) == pytest.approx(28 * 0.7, abs=1.0)  # gain = -32 + 28 * velocity dB
    assert abs(peak_hz(r.audio[int(1.3 * SR): int(1.6 * SR)]) - midi_to_hz(76.0)) < 1.0
    with pytest.raises(ValueError, match="timbre"):
        synthetic.render_melody(notes, seconds=2.0, timbre="kazoo")


def test_random_melodies_stay_in_range_and_are_reproducible():
    notes = synthetic.random_melody(seconds=20.0, rng=np.random.default_rng(7), low_midi=60, high_midi=72)
    assert len(notes) > 5
    assert all(60 <= n.midi <= 72 and 0.3 <= n.velocity <= 1.0 for n in notes)
    assert all(a.start + a.duration < b.start for a, b in zip(notes, notes[1:]))  # monophonic, in order
    assert notes[0].start >= 0.1 and notes[-1].start + notes[-1].duration <= 20.0
    again = synthetic.random_melody(seconds=20.0, rng=np.random.default_rng(7), low_midi=60, high_midi=72)
    assert again == notes
    a, b = synthetic.demo_phrase(seconds=3.0, seed=1), synthetic.demo_phrase(seconds=3.0, seed=1)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, synthetic.demo_phrase(seconds=3.0, seed=2).audio)
