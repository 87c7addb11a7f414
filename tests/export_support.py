"""Shared material of the export / transfer tests: one tiny trained ``vst`` model, exported once
per test run (also across pytest-xdist workers), and an independent pitch estimate of audio.

Not a test module (no ``test_`` prefix): imported by tests/test_export.py and tests/test_transfer.py.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
CHECKER = REPO.parent / "shared" / "tools" / "check_plugin_model.py"
TRAIN_STEPS = 3


def command(name: str) -> str:
    """The console script ``name`` of the running environment."""
    candidate = pathlib.Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a real console script; on an unexpected exit code fail with its output."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([command(args[0]), *args[1:]], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def run_shared_dir(tmp_path_factory) -> pathlib.Path:
    """A folder shared by every xdist worker of this run (the per-run base folder otherwise)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def locked(path: pathlib.Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def trained_vst_export(tmp_path_factory, request) -> dict:
    """Train ``vst`` for a few steps on the ``prepared_dataset`` with the real ``ddsp-train``, export
    it with the real ``ddsp-export``; done once per run. Returns paths and the export's output."""
    root = run_shared_dir(tmp_path_factory) / "trained_vst"
    done = root / "done.json"
    with locked(root.parent / "trained_vst.lock"):
        if done.exists():
            return json.loads(done.read_text())
        dataset = request.getfixturevalue("prepared_dataset")
        model_dir, export_dir = root / "model", root / "export"
        run("ddsp-train", "--data", dataset, "--model-dir", str(model_dir), "--config", "vst",
            "--steps", str(TRAIN_STEPS), "--batch-size", "2", "--save-every", str(TRAIN_STEPS),
            "--eval-every", "1000")
        export = run("ddsp-export", str(model_dir), "--output", str(export_dir), "--name", "tinyvst",
                     "--data", dataset, "--install", "--plugin-dir", str(root / "plugin_models"))
        info = {
            "dataset": dataset,
            "model_dir": str(model_dir),
            "tflite": str(export_dir / "tinyvst.tflite"),
            "saved_model": str(export_dir / "tinyvst.saved_model"),
            "selfcheck_json": str(export_dir / "tinyvst.selfcheck.json"),
            "plugin_dir": str(root / "plugin_models"),
            "stdout": export.stdout,
        }
        done.write_text(json.dumps(info))
        return info


def pitch_of(audio: np.ndarray, *, sample_rate: int, frame_rate: float = 50.0, fmin: float = 50.0,
             fmax: float = 2000.0) -> tuple[np.ndarray, np.ndarray]:
    """An estimate independent of the package: librosa's YIN (frames centred at ``k / frame_rate``)
    and each frame's RMS, so callers can keep only the frames that sound."""
    import librosa

    hop = int(round(sample_rate / frame_rate))
    frame = 2048 if sample_rate <= 24000 else 4096
    f0 = librosa.yin(np.asarray(audio, np.float32), fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame,
                     hop_length=hop, center=True)
    rms = librosa.feature.rms(y=np.asarray(audio, np.float32), frame_length=frame, hop_length=hop, center=True)[0]
    n = min(len(f0), len(rms))
    return f0[:n], rms[:n]


def cents(a, b) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))
