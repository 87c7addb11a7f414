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
    """Train ``vst`` for a few steps on the ``prepared_dataset`` (``ddsp-train``'s library function,
    in-process), export it with the real ``ddsp-export`` command; done once per run (per xdist
    run, shared by the workers). Returns paths and the export's output."""
    root = run_shared_dir(tmp_path_factory) / "trained_vst"
    done = root / "done.json"
    with locked(root.parent / "trained_vst.lock"):
        if done.exists():
            return json.loads(done.read_text())
        dataset = request.getfixturevalue("prepared_dataset")
        model_dir, export_dir = root / "model", root / "export"
        from ddsp_train.training.trainer import train

        train(data_dir=dataset, model_dir=model_dir, configs=["vst"], steps=TRAIN_STEPS, batch_size=2,
              save_every=TRAIN_STEPS, eval_every=1000)
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
             fmax: float = 2000.0, frame_size: int | None = None,
             cutoff_hz: float = 2000.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame period estimate (numpy only, independent of the package) and RMS, frames centred
    at ``k / frame_rate`` (about 128 ms long), of the audio low-passed at ``cutoff_hz``.

    YIN's cumulative-mean-normalised difference ``d'(tau)`` over lags ``sr/fmax..sr/fmin``; a
    harmonic sound of period ``P`` has ``d'(P) ~ 0``. A sound whose spectrum is dominated by, say,
    its 4th harmonic also dips at ``P/4``, where plain YIN (first dip below a threshold) locks on;
    here the lag is the smallest local minimum within ``0.02 + 1.5 d'_min`` of the global minimum
    ``d'_min``, refined by a parabola: the true period, not a fraction or multiple of it.
    """
    x = np.asarray(audio, np.float64)
    # Keep 0..cutoff Hz: whole-sample lags cannot align the high harmonics of a bright sound
    # (a 0.3-sample error is a large phase error at 7 kHz), which would favour sub-multiples.
    # It is also upsampled to a 4x finer lag grid (zero-padded spectrum).
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1.0 / sample_rate) > cutoff_hz] = 0.0
    up = 4
    x = np.fft.irfft(spectrum, up * len(x)) * up
    n = up * (frame_size or int(2 ** np.ceil(np.log2(0.128 * sample_rate))))
    sample_rate = up * sample_rate
    hop = int(round(sample_rate / frame_rate))
    tau_max = min(int(np.ceil(sample_rate / fmin)), n // 2)
    tau_min = max(int(np.floor(sample_rate / fmax)), 2)
    w = n - tau_max
    count = len(x) // hop + 1
    padded = np.pad(x, (n // 2, n))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::hop][:count]
    nfft = 1 << int(np.ceil(np.log2(n + w)))
    r = np.fft.irfft(np.conj(np.fft.rfft(frames[:, :w], nfft)) * np.fft.rfft(frames, nfft), nfft)[:, :tau_max + 1]
    c = np.concatenate([np.zeros((count, 1)), np.cumsum(frames * frames, axis=1)], axis=1)
    lags = np.arange(tau_max + 1)
    e = c[:, lags + w] - c[:, lags]
    d = np.maximum(e[:, :1] + e - 2 * r, 0.0)
    d[:, 0] = 0.0
    mean = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    dn = np.ones_like(d)
    dn[:, 1:] = d[:, 1:] / np.maximum(mean, 1e-12)
    f0 = np.zeros(count)
    for i in range(count):
        v = dn[i]
        lo = v[tau_min:tau_max]
        best = lo.min()
        inner = v[tau_min + 1: tau_max - 1]
        minima = np.flatnonzero((inner <= v[tau_min: tau_max - 2]) & (inner <= v[tau_min + 2: tau_max])
                                & (inner <= 0.02 + 1.5 * best)) + tau_min + 1
        t = int(minima[0]) if minima.size else tau_min + int(np.argmin(lo))
        a, b, cc = v[t - 1], v[t], v[t + 1]
        shift = 0.5 * (a - cc) / (a - 2 * b + cc) if (a - 2 * b + cc) > 0 else 0.0
        f0[i] = sample_rate / (t + shift)
    rms = np.sqrt(np.mean(frames[:, :n] ** 2, axis=1))
    return f0, rms


def run_in_process(command, *args: str) -> tuple[int, str, str]:
    """Run a click command through ``ddsp_train.cli.run`` (as its console script does) in this
    process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from ddsp_train import cli

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.run(command, list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


def cents(a, b) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))
