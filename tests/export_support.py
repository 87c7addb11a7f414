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
#: An outside referee, the plugin contract's own checker, used only where it exists (beside the
#: repository, or where DDSP_PLUGIN_CHECKER points); the project's checker is always used.
CHECKER = pathlib.Path(os.environ.get("DDSP_PLUGIN_CHECKER", REPO.parent / "shared" / "tools" / "check_plugin_model.py"))
TRAIN_STEPS = 3


def assert_meets_plugin_contract(path) -> None:
    """The project's checker passes every rule on the file at ``path``; so does the outside referee
    when it is there (skipped with a printed reason otherwise)."""
    from ddsp_train.exporting import plugin_check

    findings = plugin_check.check_plugin_file(pathlib.Path(path).read_bytes())
    assert len(findings) >= 20 and not plugin_check.failures(findings), [f.line() for f in findings if not f.ok]
    if not CHECKER.is_file():
        print(f"outside referee skipped: {CHECKER} is absent (the project's checker passed)")
        return
    proc = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "0 failed" in proc.stdout, proc.stdout + proc.stderr


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
    """Train ``vst`` for a few steps (seeded: the same model every run) on the ``prepared_dataset``
    (``ddsp-train``'s library function, in-process), export it with the real ``ddsp-export``
    command; done once per run (per xdist run, shared by the workers). Returns paths and the export's output."""
    root = run_shared_dir(tmp_path_factory) / "trained_vst"
    done = root / "done.json"
    with locked(root.parent / "trained_vst.lock"):
        if done.exists():
            return json.loads(done.read_text())
        dataset = request.getfixturevalue("prepared_dataset")
        model_dir, export_dir = root / "model", root / "export"
        from ddsp_train.training.trainer import train

        train(data_dir=dataset, model_dir=model_dir, configs=["vst"], steps=TRAIN_STEPS, batch_size=2,
              save_every=TRAIN_STEPS, eval_every=1000, seed=0)
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
            "log": export.stderr,
        }
        done.write_text(json.dumps(info))
        return info


def pitch_of(audio: np.ndarray, *, sample_rate: int, frame_rate: float = 50.0, fmin: float = 60.0,
             fmax: float = 2000.0, band_hz: float = 2500.0, range_db: float = 50.0,
             tolerance: float = 0.06, explained: float = 0.999, window_secs: float = 0.064,
             prominence_db: float = 20.0, floor_hz: float = 150.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame f0 estimate (numpy only, independent of the package) and RMS; frames of
    ``window_secs`` centred at ``k / frame_rate`` (short enough to follow vibrato); 0 where nothing
    sounds.

    The fundamental of the detected partials. Partials ``p_i`` (powers ``w_i``) are the peaks of
    the Blackman-windowed log spectrum below ``band_hz`` within ``range_db`` of the strongest
    (sidelobes are 58 dB down) that stand ``prominence_db`` above the local floor (the lower
    quartile within ``floor_hz``): a sinusoid does, the ripples of a noise band do not. f0 is the
    highest ``f`` in ``fmin..fmax`` whose harmonics (``|p_i / f - round(p_i / f)| <= tolerance``,
    ``round >= 1``) hold at least ``explained`` of the partials' power (a weak stray peak does not
    veto the answer), refined by least squares weighted by power,
    ``f = sum(w_i p_i n_i) / sum(w_i n_i^2)`` over those harmonics. Unlike period-based trackers
    this does not jump to a multiple or a fraction when the partials are weighted arbitrarily (as
    by a model trained for a few steps, whose filtered noise may also be as loud as its harmonics):
    only a spectrum whose strong partials all share a larger common divisor would mislead it.
    """
    x = np.asarray(audio, np.float64)
    hop = int(round(sample_rate / frame_rate))
    n = 2 * int(round(window_secs * sample_rate / 2))
    nfft = 8 * int(2 ** np.ceil(np.log2(n)))
    count = len(x) // hop + 1
    padded = np.pad(x, (n // 2, n))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::hop][:count]
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    spectra = 20 * np.log10(np.abs(np.fft.rfft(frames * np.blackman(n), nfft, axis=1)) + 1e-12)
    hz = sample_rate / nfft
    last = int(band_hz / hz)
    first = max(1, int(0.9 * fmin / hz))
    reach = int(floor_hz / hz)
    candidates = fmin * 2.0 ** (np.arange(0.0, 1200 * np.log2(fmax / fmin), 2.0) / 1200)[::-1]
    f0 = np.zeros(count)
    for i in range(count):
        spec = spectra[i, : last + 2]
        mid = spec[first:last]
        is_peak = (mid > spec[first - 1:last - 1]) & (mid >= spec[first + 1:last + 1]) & (mid >= spec.max() - range_db)
        idx = np.flatnonzero(is_peak) + first
        floor = np.array([np.percentile(spec[max(0, j - reach): j + reach + 1], 25) for j in idx])
        idx = idx[spec[idx] >= floor + prominence_db] if idx.size else idx
        if idx.size == 0 or rms[i] == 0:
            continue
        a, b, c = spec[idx - 1], spec[idx], spec[idx + 1]
        den = a - 2 * b + c
        peaks = (idx + np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1), 0.0)) * hz  # [P]
        power = 10.0 ** ((b - b.max()) / 10)  # [P]
        ratio = peaks[None, :] / candidates[:, None]  # [C, P]
        harmonic = np.round(ratio)
        fit = (harmonic >= 1) & (np.abs(ratio - harmonic) <= tolerance)  # [C, P]
        good = fit @ power >= explained * power.sum()  # [C]
        if not good.any():
            continue
        best = int(np.argmax(good))
        w, numbers, used = power * fit[best], harmonic[best], peaks
        f0[i] = float(np.sum(w * used * numbers) / np.sum(w * numbers * numbers))
    return f0, rms


MAIN_WITHOUT_TENSORFLOW = """
import json, os, sys
from ddsp_train import export  # imported first: the interpreter's own library may be readable by root only
if os.environ.get("AS_NOBODY"):
    os.setgid(65534); os.setuid(65534)
sys.argv, code = ["ddsp-export", *json.loads(sys.argv[1])], 0
try:
    export.main()
except SystemExit as e:
    code = e.code
assert "tensorflow" not in sys.modules, "ddsp-export imported tensorflow"
sys.exit(code)
"""


def export_main_without_tensorflow(*args, as_nobody: bool = False) -> subprocess.CompletedProcess:
    """Run ``ddsp-export``'s main with ``args`` in a child process (as user nobody with ``as_nobody``)
    that fails if TensorFlow was imported; HOME and TMPDIR point at /tmp."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), HOME="/tmp", TMPDIR="/tmp")
    if as_nobody:
        env["AS_NOBODY"] = "1"
    proc = subprocess.run([sys.executable, "-c", MAIN_WITHOUT_TENSORFLOW, json.dumps([str(a) for a in args])],
                          capture_output=True, text=True, env=env)
    assert "imported tensorflow" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    return proc


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
