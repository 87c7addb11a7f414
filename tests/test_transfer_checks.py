"""ddsp-transfer refuses what would lose the user's files, up front and in one line, before any
work (no TensorFlow imported, nothing decoded). The model here is a stand-in file: every refusal
happens before a model is loaded."""
import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import soundfile as sf

from export_support import run_in_process
from ddsp_train.transfer import command as transfer_command

REPO = pathlib.Path(__file__).resolve().parents[1]


def digest(path) -> str:
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture
def files(tmp_path):
    model = tmp_path / "Violin.tflite"
    model.write_bytes(b"stand-in model: never loaded by a refusal")
    take = tmp_path / "take.flac"
    sf.write(take, 0.1 * np.sin(np.arange(8000) * 0.05), 16000)
    return model, take


def refuse(*args):
    code, stdout, stderr = run_in_process(transfer_command, *map(str, args))
    lines = stderr.strip().splitlines()
    assert code != 0 and len(lines) == 1 and lines[0].startswith("Error:"), (code, stderr)
    assert "Traceback" not in stderr and stdout == ""
    return code, lines[0]


def test_the_output_may_not_be_the_input(files):
    model, take = files
    before = digest(take)
    code, line = refuse(model, take, "--output", take)
    assert code == 2 and "is also an input" in line
    code, line = refuse(model, take, "--output", take, "--overwrite")  # not even with --overwrite
    assert "is also an input" in line and digest(take) == before


def test_the_output_may_not_lie_inside_a_saved_model(tmp_path, files):
    _, take = files
    saved = tmp_path / "Violin.saved_model"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"stand-in")
    _, line = refuse(saved, take, "--output", saved / "out.wav")
    assert "lies inside the input folder" in line


def test_an_existing_output_is_kept_without_overwrite(tmp_path, files):
    model, take = files
    out = tmp_path / "violin.wav"
    out.write_bytes(b"the user's earlier take")
    code, line = refuse(model, take, "--output", out)
    assert code == 2 and "exists; pass --overwrite" in line and out.read_bytes() == b"the user's earlier take"


def test_an_output_under_a_regular_file_is_refused_before_any_work(tmp_path, files):
    model, take = files
    (tmp_path / "notes.txt").write_text("a file")
    _, line = refuse(model, take, "--output", tmp_path / "notes.txt" / "out.wav")
    assert "is a file, not a folder" in line


def test_midi_output_rate_needs_midi_and_options_are_checked_first(files, tmp_path):
    model, take = files
    out = tmp_path / "o.wav"
    assert "--sample-rate is for --midi" in refuse(model, take, "--output", out, "--sample-rate", "22050")[1]
    assert "--pitch-shift 60" in refuse(model, take, "--output", out, "--pitch-shift", "60")[1]
    assert "--gain-db nan" in refuse(model, take, "--output", out, "--gain-db", "nan")[1]
    assert "--normalize sets the level" in refuse(model, take, "--output", out, "--normalize", "--gain-db", "3")[1]
    assert "unknown f0 method 'crepe'" in refuse(model, take, "--output", out, "--f0-method", "crepe")[1]
    assert not out.exists()


def test_a_refusal_imports_no_tensorflow(files, tmp_path):
    model, take = files
    out = tmp_path / "exists.wav"
    out.write_bytes(b"kept")
    code = ("import sys\nfrom ddsp_train import transfer\nsys.argv = ['ddsp-transfer', *sys.argv[1:]]\n"
            "try:\n    transfer.main()\nexcept SystemExit as e:\n    code = e.code\n"
            "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(model), str(take), "--output", str(out)],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().startswith("Error: --output") and "exists" in proc.stderr


def test_an_unwritable_output_folder_is_refused_before_any_work():
    """As another user (root may write anywhere): a folder chmod 0o555 is refused in one line."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="ddsp-unwritable-", dir="/tmp"))
    try:
        os.chmod(base, 0o777)
        model = base / "Violin.tflite"
        model.write_bytes(b"stand-in")
        take = base / "take.wav"
        sf.write(take, np.zeros(1600), 16000)
        locked = base / "locked"
        locked.mkdir()
        os.chmod(locked, 0o555)
        for p in (model, take):
            os.chmod(p, 0o644)
        env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(base), TMPDIR=str(base))
        # The interpreter lives under /root (not readable by others), so the child starts as root,
        # imports what the command needs, then becomes nobody (uid 65534) before running it.
        code = ("import os, sys, tempfile\nimport soundfile\nfrom ddsp_train import transfer, audio, pitch, paths\n"
                "from ddsp_train.realtime import transfer as lib, players\npitch.available_trackers()\n"
                "os.setgid(65534)\nos.setuid(65534)\nsys.argv = ['ddsp-transfer', *sys.argv[1:]]\ntransfer.main()\n")
        proc = subprocess.run([sys.executable, "-c", code, str(model), str(take), "--output", str(locked / "o.wav")],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 1 and "PermissionError" in proc.stderr and "Error: --output" not in proc.stderr:
            pytest.skip(f"the child cannot run as another user here: {proc.stderr.strip().splitlines()[-1]}")
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot write in" in lines[0] and "permission denied" in lines[0], proc.stderr
    finally:
        os.chmod(base / "locked", 0o755)
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def test_version_and_help_say_what_is_accepted():
    from ddsp_train import __version__

    code, stdout, _ = run_in_process(transfer_command, "--version")
    assert code == 0 and __version__ in stdout
    code, stdout, _ = run_in_process(transfer_command, "--help")
    assert code == 0
    assert "wav, flac, ogg, mp3, aiff" in " ".join(stdout.split())
    # The examples are printed verbatim, one per line, ready to paste.
    examples = [line.strip() for line in stdout.splitlines() if line.strip().startswith("ddsp-transfer ")]
    assert len(examples) >= 4 and any("--midi" in e for e in examples) and any("--overwrite" in e for e in examples)
    assert "--normalize" in stdout and "--overwrite" in stdout and "44100" in stdout
