"""realtime/transfer.py through the command, on the tiny trained model: silence stays silent,
the learned reverb beside a .tflite, level (--normalize, the quiet warning), MIDI given as INPUT,
--overwrite, and a corpus of awkward inputs that each give a sensible file or one Error: line."""
import re
import shutil

import numpy as np
import pytest
import soundfile as sf

from export_support import run_in_process
from test_transfer import vst  # noqa: F401  (the tiny trained model, once per run)
from ddsp_train import synthetic
from ddsp_train.transfer import command as transfer_command

#: Peak below which audio counts as silent (-100 dBFS).
SILENT_PEAK = 1e-5


@pytest.fixture(scope="module")
def phrase(tmp_path_factory):
    """1 s of a flute-like phrase at 16 kHz in the trained model's usual range."""
    rendered = synthetic.demo_phrase(seconds=1.0, seed=4, timbre="flute", sample_rate=16000, low_midi=60, high_midi=67)
    path = tmp_path_factory.mktemp("phrase") / "phrase.wav"
    sf.write(path, rendered.audio, 16000, subtype="FLOAT")
    return path


def transfer(*args):
    code, stdout, stderr = run_in_process(transfer_command, *map(str, args))
    assert "Traceback" not in stderr
    return code, stdout, stderr


def test_digital_silence_gives_silence_without_a_power_shift(vst, tmp_path):
    take = tmp_path / "silence.wav"
    sf.write(take, np.zeros(16000), 16000, subtype="PCM_16")
    for model in (vst["tflite"], vst["saved_model"]):
        out = tmp_path / "out.wav"
        code, stdout, stderr = transfer(model, take, "--output", out, "--f0-method", "yin", "--overwrite")
        assert code == 0, stderr
        audio, _ = sf.read(out)
        assert np.abs(audio).max() < SILENT_PEAK, (model, np.abs(audio).max())
        assert "pitch shift +0 semitones, power shift +0.0 dB" in stdout
        assert "the output is silent" in stderr


def test_the_learned_reverb_beside_a_tflite_is_the_whole_response_played_fully_wet(vst, tmp_path, phrase):
    model = tmp_path / "Tiny.tflite"
    shutil.copy(vst["tflite"], model)
    ir = np.zeros(4000, np.float32)
    ir[0], ir[1600] = 0.8, 0.5  # the direct path (as ddsp-export writes it: over the level gain), an echo 0.1 s later
    sf.write(tmp_path / "Tiny.reverb.wav", ir, 16000, subtype="FLOAT")
    outs = {}
    for flag in ("--reverb", "--no-reverb"):
        out = tmp_path / f"{flag}.wav"
        code, stdout, stderr = transfer(model, phrase, "--output", out, flag, "--f0-method", "yin")
        assert code == 0, stderr
        outs[flag] = sf.read(out, dtype="float64")[0]
    assert "reverb off" in stdout
    dry, wet = outs["--no-reverb"], outs["--reverb"]
    assert np.abs(dry).max() > 1e-3
    expected = 0.8 * dry + 0.5 * np.concatenate([np.zeros(1600), dry[:-1600]])
    np.testing.assert_allclose(wet, expected, atol=1e-4)
    # Without the file: the room (dry kept at unity, a wet tail added).
    (tmp_path / "Tiny.reverb.wav").unlink()
    code, stdout, _ = transfer(model, phrase, "--output", tmp_path / "room.wav", "--f0-method", "yin")
    assert code == 0 and "reverb room" in stdout


def test_normalize_sets_the_peak_and_a_quiet_output_says_how_to_fix_it(vst, tmp_path, phrase):
    out = tmp_path / "n.wav"
    code, stdout, stderr = transfer(vst["tflite"], phrase, "--output", out, "--normalize", "--f0-method", "yin")
    assert code == 0, stderr
    audio, _ = sf.read(out, dtype="float64")
    assert 20 * np.log10(np.abs(audio).max()) == pytest.approx(-1.0, abs=1e-3)
    assert "peak -1.0 dBFS" in stdout and "Warning" not in stderr
    code, stdout, stderr = transfer(vst["tflite"], phrase, "--output", tmp_path / "q.wav", "--gain-db", "-50",
                                    "--f0-method", "yin")
    assert code == 0
    warnings = [line for line in stderr.splitlines() if line.startswith("Warning")]
    assert len(warnings) == 1 and "--normalize" in warnings[0] and "--gain-db" in warnings[0]


def test_overwrite_replaces_an_earlier_output(vst, tmp_path, phrase):
    out = tmp_path / "o.wav"
    out.write_bytes(b"earlier")
    code, _, stderr = transfer(vst["tflite"], phrase, "--output", out, "--f0-method", "yin")
    assert code == 2 and out.read_bytes() == b"earlier"
    code, stdout, stderr = transfer(vst["tflite"], phrase, "--output", out, "--f0-method", "yin", "--overwrite")
    assert code == 0 and sf.info(out).frames == 16000
    assert_speed(stdout)


def assert_speed(stdout):
    """The result line ends with a speed that is never "0x real time"."""
    assert re.search(r"; (\d+\.\d+x real time|too short to time)\.$", stdout.strip()), stdout
    assert not re.search(r"(?<![\d.])0x real time", stdout)


def test_a_short_input_reports_a_speed_not_0x(vst, tmp_path):
    take = tmp_path / "short.wav"
    sf.write(take, 0.3 * np.sin(np.arange(480) * 0.1), 16000)  # 30 ms: the run takes longer than the audio
    code, stdout, stderr = transfer(vst["saved_model"], take, "--output", tmp_path / "o.wav", "--f0-method", "yin")
    assert code == 0, stderr
    assert_speed(stdout)


def test_a_midi_file_given_as_input_is_played_as_midi(vst, tmp_path):
    import mido

    song = mido.MidiFile(ticks_per_beat=480)
    song.tracks.append(mido.MidiTrack([mido.Message("note_on", note=69, velocity=100, time=0),
                                       mido.Message("note_off", note=69, velocity=0, time=480)]))
    named = tmp_path / "song.mid"
    song.save(named)
    unnamed = tmp_path / "song.bin"  # found by its MThd header
    unnamed.write_bytes(named.read_bytes())
    for path in (named, unnamed):
        out = tmp_path / f"{path.stem}{path.suffix[1:]}.wav"
        code, stdout, stderr = transfer(vst["tflite"], path, "--output", out, "--sample-rate", "22050")
        assert code == 0, stderr
        assert f"{path} is a MIDI file: playing it as --midi." in stderr and "from MIDI" in stdout
        # 0.5 s of note and the 0.25 s release: frames 0..37 at 50 Hz, (38 - 1) / 50 s of audio.
        assert sf.info(out).samplerate == 22050 and sf.info(out).frames == round(0.74 * 22050)


def corpus():
    t = np.arange(8000) / 16000
    square = np.sign(np.sin(2 * np.pi * 220 * t))
    return {
        "silence": (np.zeros(8000), 16000, "PCM_16", True),
        "dc": (np.full(8000, 0.5), 16000, "PCM_16", True),
        "clipping_square": (np.clip(1.5 * square, -1, 1), 16000, "PCM_16", False),
        "stereo": (np.stack([0.3 * square, 0.2 * square], 1), 44100, "PCM_24", False),
        "surround_5_1": (np.repeat(0.2 * square[:, None], 6, axis=1), 48000, "FLOAT", False),
        "rate_8k": (0.3 * np.sin(2 * np.pi * 330 * np.arange(4000) / 8000), 8000, "PCM_16", False),
        "rate_192k": (0.3 * np.sin(2 * np.pi * 330 * np.arange(96000) / 192000), 192000, "FLOAT", False),
    }


@pytest.mark.parametrize("name", list(corpus()))
def test_awkward_inputs_give_a_sensible_file(vst, tmp_path, name):
    audio, rate, subtype, silent = corpus()[name]
    take = tmp_path / f"{name}.wav"
    sf.write(take, audio, rate, subtype=subtype)
    out = tmp_path / "out.wav"
    code, stdout, stderr = transfer(vst["tflite"], take, "--output", out)
    assert code == 0, stderr
    got, got_rate = sf.read(out, dtype="float64")
    assert got_rate == rate and got.ndim == 1 and len(got) == len(audio) and np.all(np.isfinite(got))
    if silent:
        assert np.abs(got).max() < SILENT_PEAK, np.abs(got).max()
    else:
        assert np.abs(got).max() > SILENT_PEAK


def test_a_one_sample_file_is_one_clear_error(vst, tmp_path):
    take = tmp_path / "one.wav"
    sf.write(take, np.array([0.5]), 16000)
    code, stdout, stderr = transfer(vst["tflite"], take, "--output", tmp_path / "o.wav")
    lines = stderr.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: input") and "too short" in lines[0]
    assert not (tmp_path / "o.wav").exists() and "20 ms" in lines[0]


def test_a_long_input_shows_progress_with_an_eta_and_a_short_one_does_not(vst, tmp_path, phrase):
    from ddsp_train.realtime.transfer import PROGRESS_SECS

    take = tmp_path / "long.wav"
    seconds = PROGRESS_SECS + 1
    sf.write(take, 0.2 * np.sin(2 * np.pi * 330 * np.arange(int(seconds * 8000)) / 8000), 8000, subtype="PCM_16")
    code, stdout, stderr = transfer(vst["tflite"], take, "--output", tmp_path / "o.wav", "--f0-method", "yin")
    assert code == 0, stderr
    progress = [line for line in stderr.splitlines() if "control model" in line]
    # Every frame of the input (plus the plugin's latency padding) counted, then 100 %.
    done = re.search(r"(\d+)/(\d+) frames  100%", progress[-1]) if progress else None
    assert done and done[1] == done[2] and int(done[1]) >= seconds * 50, stderr
    assert any("ETA" in line for line in progress)
    code, _, stderr = transfer(vst["tflite"], phrase, "--output", tmp_path / "short.wav", "--f0-method", "yin")
    assert code == 0 and "control model" not in stderr
