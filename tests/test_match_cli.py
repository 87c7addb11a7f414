"""``ddsp-match`` through its command line on a real render: the four files, the plugin contract,
ddsp-transfer playing the model from audio and MIDI, --patch re-export, refusals without TensorFlow."""
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile as sf

from ddsp_train import synthetic
from export_support import assert_meets_plugin_contract

PY = sys.executable
TRANSFER = os.path.join(os.path.dirname(PY), "ddsp-transfer")
RATE = 44100


def _env():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")


def _match(*args):
    return subprocess.run([PY, "-m", "ddsp_train.match.cli", *map(str, args)], capture_output=True, text=True,
                          env=_env(), timeout=600)


@pytest.fixture(scope="module")
def matched(tmp_path_factory):
    """A 1.5 s bowed note at 44.1 kHz (synthetic.demo timbre), matched with 30 refinement steps."""
    d = tmp_path_factory.mktemp("match")
    n = int(1.5 * RATE)
    t = np.arange(n) / RATE
    env = np.minimum(1, t / 0.08) * np.minimum(1, (1.5 - t) / 0.15) * (0.6 + 0.4 * t / 1.5)
    audio = synthetic.render_harmonic(196.0 * (1 + 0.003 * np.sin(2 * np.pi * 5 * t)), 0.4 * env, sample_rate=RATE)
    target = d / "bowed G3.flac"
    sf.write(target, audio, RATE)
    out = d / "out"
    proc = _match(target, "--output", out, "--name", "Bowed", "--steps", 30, "--f0-method", "yin")
    assert proc.returncode == 0, proc.stderr
    return {"target": target, "out": out, "proc": proc, "audio": audio}


def test_writes_the_four_files_and_one_result_line(matched):
    out, proc = matched["out"], matched["proc"]
    assert sorted(p.name for p in out.iterdir()) == ["Bowed.patch.json", "Bowed.png", "Bowed.tflite", "Bowed.wav"]
    assert proc.stdout.count("\n") == 1 and proc.stdout.startswith("Wrote ")
    assert "refining" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "Bowed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_patch_file_has_units_ranges_and_a_loss_that_refinement_lowered(matched):
    data = json.loads((matched["out"] / "Bowed.patch.json").read_text())
    assert all({"name", "value", "unit", "min", "max"} <= set(p) for p in data["parameters"])
    assert data["loss"]["refined"] <= data["loss"]["estimate"] and data["loss"]["steps"] == 30
    target = data["target"]
    assert target["pitch_min_hz"] < 196 < target["pitch_max_hz"] and target["sample_rate"] == RATE
    assert target["power_min_db"] < target["power_max_db"]


def test_wav_is_at_the_target_rate_and_length_and_sounds_like_it(matched):
    wav, rate = sf.read(matched["out"] / "Bowed.wav")
    assert rate == RATE and len(wav) == len(matched["audio"])
    # Power follows the target's: overall level within 2 dB.
    level = lambda x: 10 * np.log10(np.mean(np.square(x)))
    assert abs(level(wav) - level(matched["audio"])) < 2.0


def test_tflite_passes_the_plugin_contract_and_carries_the_target_ranges(matched):
    path = matched["out"] / "Bowed.tflite"
    assert_meets_plugin_contract(path)
    with zipfile.ZipFile(path) as z:
        meta = json.loads(z.read("metadata.json"))
    target = json.loads((matched["out"] / "Bowed.patch.json").read_text())["target"]
    assert meta["mean_min_pitch_note_hz"] == target["pitch_min_hz"]
    assert meta["mean_max_power_note"] == target["power_max_db"]


def test_ddsp_transfer_plays_the_model_from_audio_and_midi(matched, tmp_path):
    import mido

    model = matched["out"] / "Bowed.tflite"
    proc = subprocess.run([TRANSFER, str(model), str(matched["target"]), "--output", str(tmp_path / "x.wav")],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    played, rate = sf.read(tmp_path / "x.wav")
    assert rate == RATE and np.sqrt(np.mean(played ** 2)) > 0.01
    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    track += [mido.Message("note_on", note=55, velocity=100, time=0), mido.Message("note_off", note=55, time=960)]
    song.save(tmp_path / "n.mid")
    proc = subprocess.run([TRANSFER, str(model), "--midi", str(tmp_path / "n.mid"), "--output", str(tmp_path / "m.wav")],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    midi_audio, _ = sf.read(tmp_path / "m.wav")
    assert np.abs(midi_audio).max() > 0.01


def test_edited_patch_re_exports_with_the_edit(matched, tmp_path):
    data = json.loads((matched["out"] / "Bowed.patch.json").read_text())
    for p in data["parameters"]:
        if p["name"] == "even_db":
            p["value"] = -40.0
    edited = tmp_path / "Hollow.patch.json"
    edited.write_text(json.dumps(data))
    proc = _match(matched["target"], "--patch", edited, "--output", tmp_path, "--f0-method", "yin")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Hollow.patch.json", "Hollow.png", "Hollow.tflite",
                                                         "Hollow.wav"]
    from ddsp_train.exporting.plugin_tflite import PluginModel

    f0s, pws = np.full(5, 60 / 127), np.full(5, 0.6)
    before = PluginModel(matched["out"] / "Bowed.tflite").run(f0s, pws)["harmonic_distribution"][-1]
    after = PluginModel(tmp_path / "Hollow.tflite").run(f0s, pws)["harmonic_distribution"][-1]
    assert after[1] < 0.05 * after[0] and before[1] > 0.05 * before[0]  # the 2nd harmonic is gone


def test_existing_files_are_not_replaced_without_overwrite(matched):
    proc = _match("--patch", matched["out"] / "Bowed.patch.json", "--output", matched["out"])
    assert proc.returncode == 2 and "exists; pass --overwrite" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_target_through_the_cli_is_one_line(tmp_path):
    (tmp_path / "x.wav").write_text("hello")
    proc = _match(tmp_path / "x.wav", "--output", tmp_path / "out")
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0 and "is not audio" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, words, code", [
    (["--output", "OUT"], "give a TARGET", 2),
    (["T.wav", "--output", "OUT"], "is silent", 1),
    (["N.wav", "--output", "OUT"], "no pitched frame", 1),
    (["T.wav", "--output", "OUT", "--steps", "-1"], "--steps -1", 2),
    (["T.wav", "--output", "OUT", "--name", "a/b"], "plain file name", 2),
])
def test_refusals_happen_without_importing_tensorflow(tmp_path, args, words, code):
    sf.write(tmp_path / "T.wav", np.zeros(16000, np.float32), 16000)
    sf.write(tmp_path / "N.wav", np.random.default_rng(0).uniform(-0.1, 0.1, 16000).astype(np.float32), 16000)
    args = [str(tmp_path / a) if a in ("T.wav", "N.wav", "OUT") else a for a in args]
    expected = code
    code = ("import sys; from ddsp_train import cli; from ddsp_train.match.cli import command\n"
            f"try:\n    cli.run(command, {args!r})\nexcept SystemExit as e:\n    code = e.code\n"
            "print('tensorflow' in sys.modules, code)")
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=_env(), timeout=120)
    assert words in proc.stderr and proc.stdout.split() == ["False", str(expected)], (proc.stdout, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr and not (tmp_path / "OUT").exists()


def test_patch_without_a_target_plays_a_demo_note_at_the_patch_pitch(matched, tmp_path):
    proc = _match("--patch", matched["out"] / "Bowed.patch.json", "--output", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Bowed.png", "Bowed.tflite", "Bowed.wav"]
    wav, rate = sf.read(tmp_path / "Bowed.wav")
    assert rate == 16000 and len(wav) == 2 * 16000 and np.abs(wav).max() > 0.01
    with zipfile.ZipFile(tmp_path / "Bowed.tflite") as z:
        meta = json.loads(z.read("metadata.json"))
    target = json.loads((matched["out"] / "Bowed.patch.json").read_text())["target"]
    assert meta["mean_min_pitch_note_hz"] == target["pitch_min_hz"]
