"""ddsp-transfer with a really trained (few steps) vst model: audio in any rate, both model kinds, MIDI.

A model trained for a few steps has a nearly arbitrary harmonic spectrum, but the synth is harmonic
at the f0 it is given, so the output's partials still sit on the multiples of the input's pitch:
the output pitch is estimated as the fundamental of its detected partials
(``export_support.pitch_of``, numpy only, independent of the package) on the frames that sound.
"""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from export_support import cents, pitch_of, run, run_in_process, trained_vst_export
from ddsp_train import synthetic
from ddsp_train.transfer import command as transfer_command

REPO = pathlib.Path(__file__).resolve().parents[1]
INPUT_RATE = 22050
#: Below this RMS (-100 dBFS) the output counts as silent. The level of a model trained for a few
#: steps is its initial one, set by the random weights: 20-30 dB under the data for some seeds.
SILENT_RMS = 1e-5


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    return trained_vst_export(tmp_path_factory, request)


@pytest.fixture(scope="module")
def melody(tmp_path_factory):
    """A 5 s flute-like melody (MIDI 60..72) at 22.05 kHz with exact f0 labels (50 Hz frames)."""
    rendered = synthetic.demo_phrase(seconds=5.0, seed=7, timbre="flute", sample_rate=INPUT_RATE,
                                     low_midi=60, high_midi=72)
    path = tmp_path_factory.mktemp("melody") / "melody.wav"
    sf.write(path, rendered.audio, INPUT_RATE, subtype="PCM_16")
    return path, rendered


def assert_follows(out_path, rendered, semitones):
    audio, rate = sf.read(out_path, dtype="float32")
    assert rate == INPUT_RATE and audio.ndim == 1 and len(audio) == len(rendered.audio)
    assert np.sqrt(np.mean(audio ** 2)) > SILENT_RMS, "silent output"
    f0, rms = pitch_of(audio, sample_rate=rate)
    labels = rendered.f0_hz[: len(f0)]
    f0, rms = f0[: len(labels)], rms[: len(labels)]
    sounding = (labels > 0) & (rms > 0.2 * np.median(rms[labels > 0])) & (f0 > 0)
    assert sounding.sum() >= 0.5 * (labels > 0).sum()
    error = np.abs(cents(f0[sounding], labels[sounding] * 2.0 ** (semitones / 12)))
    assert np.median(error) <= 30.0, f"median pitch error {np.median(error):.1f} cents"
    return error


def test_the_pitch_referee_reads_the_labels_of_every_demo_timbre():
    for timbre in synthetic.TIMBRES:
        rendered = synthetic.demo_phrase(seconds=4.0, seed=3, timbre=timbre, sample_rate=INPUT_RATE,
                                         low_midi=48, high_midi=76)
        f0, _ = pitch_of(rendered.audio, sample_rate=INPUT_RATE)
        labels = rendered.f0_hz[: len(f0)]
        found = (labels > 0) & (f0[: len(labels)] > 0)
        assert found.sum() >= 0.95 * (labels > 0).sum(), timbre
        assert np.median(np.abs(cents(f0[: len(labels)][found], labels[found]))) <= 2.0, timbre


def test_tflite_transfer_follows_the_input_pitch_times_the_shift(vst, melody, tmp_path):
    path, rendered = melody
    out = tmp_path / "out.wav"
    proc = run("ddsp-transfer", vst["tflite"], str(path), "--output", str(out), "--pitch-shift", "12",
               "--no-auto-adjust", "--no-reverb", "--f0-method", "yin")
    assert "pitch shift +12 semitones" in proc.stdout and "real time" in proc.stdout
    assert_follows(out, rendered, 12)


def test_saved_model_transfer_follows_the_input_pitch_times_the_shift(vst, melody, tmp_path):
    path, rendered = melody
    out = tmp_path / "out.wav"
    code, stdout, stderr = run_in_process(transfer_command, vst["saved_model"], str(path), "--output", str(out),
                                          "--pitch-shift", "-5", "--no-auto-adjust", "--no-reverb", "--f0-method", "yin")
    assert code == 0, stdout + stderr
    assert "through saved_model" in stdout
    assert_follows(out, rendered, -5)


def test_auto_adjust_moves_a_low_input_by_whole_octaves_into_the_trained_range(vst):
    from ddsp_train.dsp.scaling import hz_to_midi
    from ddsp_train.pitch import get_tracker
    from ddsp_train.realtime.players import load_player
    from ddsp_train.realtime.transfer import transfer_audio

    low = synthetic.demo_phrase(seconds=3.0, seed=5, timbre="reed", sample_rate=16000, low_midi=36, high_midi=44)
    player = load_player(vst["tflite"])
    out, report = transfer_audio(player, low.audio, sample_rate=16000, tracker=get_tracker("yin"),
                                 auto_adjust=True, reverb=False)
    meta = player.metadata
    lo, hi = hz_to_midi(meta["mean_min_pitch_note_hz"]), hz_to_midi(meta["mean_max_pitch_note_hz"])
    median = np.median(hz_to_midi(low.f0_hz[low.f0_hz > 0]))
    # The fewest octaves that bring the labelled median into the trained range.
    expected = next(12 * k for k in range(0, 5) if median + 12 * k >= lo)
    assert expected >= 12 and report.pitch_shift_semitones == expected
    assert lo <= median + expected <= hi
    assert np.isfinite(report.power_shift_db)
    assert len(out) == len(low.audio)
    f0, rms = pitch_of(out, sample_rate=16000)
    labels = low.f0_hz[: len(f0)]
    sounding = (labels > 0) & (rms[: len(labels)] > 0.2 * np.median(rms[: len(labels)][labels > 0])) \
        & (f0[: len(labels)] > 0)
    assert sounding.sum() >= 0.5 * (labels > 0).sum()
    error = np.abs(cents(f0[: len(labels)][sounding], labels[sounding] * 2.0 ** (expected / 12)))
    assert np.median(error) <= 30.0


def test_midi_file_renders_its_notes_at_their_pitches(vst, tmp_path):
    import mido

    song = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: one beat = 0.5 s = 480 ticks
    track = mido.MidiTrack()
    song.tracks.append(track)
    notes = [(57, 0.6), (64, 0.6), (69, 0.6)]  # A3, E4, A4
    for note, secs in notes:
        track.append(mido.Message("note_on", note=note, velocity=110, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=int(secs / 0.5 * 480)))
    track.append(mido.Message("note_on", note=60, velocity=110, time=0))
    track.append(mido.Message("pitchwheel", pitch=8191, time=240))  # +2 semitones after 0.25 s
    track.append(mido.Message("note_off", note=60, velocity=0, time=480))
    path = tmp_path / "song.mid"
    song.save(path)
    out = tmp_path / "song.wav"
    code, stdout, stderr = run_in_process(transfer_command, vst["tflite"], "--midi", str(path), "--output", str(out),
                                          "--no-reverb")
    assert code == 0, stdout + stderr
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 44100 and len(audio) == int(round(2.8 * rate))  # MIDI renders at 44.1 kHz by default
    f0, rms = pitch_of(audio, sample_rate=rate)
    segments = [(0.15, 0.5, 220.0), (0.75, 1.1, 329.63), (1.35, 1.7, 440.0), (1.88, 2.02, 261.63),
                (2.15, 2.5, 293.66)]
    for start, stop, hz in segments:
        frames = slice(int(start * 50), int(stop * 50))
        assert np.median(rms[frames]) > SILENT_RMS, (start, "silent")
        found = f0[frames][f0[frames] > 0]
        assert len(found) >= 0.5 * len(f0[frames])
        error = np.median(np.abs(cents(found, hz)))
        assert error <= 30.0, (start, stop, hz, error)


def test_transfer_errors_are_one_clear_line(vst, tmp_path):
    code, _, stderr = run_in_process(transfer_command, vst["tflite"], "--output", str(tmp_path / "x.wav"))
    assert code == 2 and "give either an INPUT audio file or --midi" in stderr
    code, _, stderr = run_in_process(transfer_command, str(tmp_path / "nope.tflite"), str(tmp_path / "in.wav"),
                                     "--output", str(tmp_path / "x.wav"))
    assert code == 1 and stderr.startswith("Error: model") and "does not exist" in stderr
    code, _, stderr = run_in_process(transfer_command, vst["saved_model"], str(tmp_path / "in.wav"),
                                     "--output", str(tmp_path / "x.mp3"))
    assert code == 2 and "must end in .wav or .flac" in stderr


#: What a default .tflite transfer must never import: nothing is converted at run time (the pitch
#: network ships as a .tflite) and nothing of training, prepare or plotting is needed; numpy.ma
#: (np.median / np.percentile) alone costs 20-40 ms of start-up.
NOT_IMPORTED = ("tensorflow", "keras", "apache_beam", "librosa", "matplotlib", "scipy", "numpy.ma")


def test_a_default_tflite_transfer_imports_no_tensorflow(vst, tmp_path):
    """The whole command with its defaults (network tracker, auto-adjust, reverb) on an 8 s
    clip at 44.1 kHz, in a new process: it plays, and imports none of NOT_IMPORTED."""
    rendered = synthetic.demo_phrase(seconds=8.0, seed=3, timbre="flute", sample_rate=44100, low_midi=60, high_midi=72)
    clip, out = tmp_path / "clip.wav", tmp_path / "out.wav"
    sf.write(clip, rendered.audio, 44100, subtype="PCM_16")
    code = ("import sys\nfrom ddsp_train import transfer\nsys.argv = ['ddsp-transfer', *sys.argv[1:]]\n"
            "try:\n    transfer.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            f"print(' '.join(m for m in {NOT_IMPORTED!r} if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code, vst["tflite"], str(clip), "--output", str(out)],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "", f"imported: {proc.stdout.splitlines()[-1]}"
    assert "(pitch: network)" in proc.stdout and "reverb off" not in proc.stdout
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 44100 and len(audio) == len(rendered.audio) and np.sqrt(np.mean(audio ** 2)) > SILENT_RMS
