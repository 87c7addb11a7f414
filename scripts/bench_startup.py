#!/usr/bin/env python
"""Start-up figures (issue #12): how fast the commands begin and end on small inputs.

1. ``ddsp-transfer M.tflite 8s.wav --output out.wav`` with its defaults (network tracker, auto-adjust,
   learned reverb beside the model): the wall time of the whole command in a new process, start-up
   included, median of ``--repeats`` runs after one untimed run (the files in the OS cache), with
   the command's own split of its work (features / model / synth) and a bare ``python -c pass``
   for the interpreter's own share. Goal: <= 2 s.
2. The import-time breakdown of that command (``python -X importtime`` of the same run): the total
   and the 10 costliest top-level packages (sum of their modules' own import times), and whether
   TensorFlow, Beam, librosa or matplotlib were imported (they must not be).
3. Where a small ``ddsp-prepare`` job's start-up goes (``--prepare``): importing the command,
   importing Beam, and a Beam job over 20 items that does nothing, in each DirectRunner mode
   (in-process, threads, processes: pipeline construction plus starting the runner's workers),
   and each tracker's first call (its set-up). The whole command on 20 x 8 s, network against pyin,
   is table 4 of ``scripts/bench_prepare.py``.

The model is ``--model M.tflite`` or, without it, one made once and kept in ``--workdir``: 40 s of
synthesized audio prepared, the ``vst`` recipe trained for 3 steps and exported with the commands
themselves (a few minutes, with TensorFlow; the speed of a model does not depend on its weights).
The 8 s clip is a synthesized flute-like melody at 44.1 kHz (resampled to the model's rate and
back, as a user's recording would be).

\b
Example:
  python scripts/bench_startup.py
  python scripts/bench_startup.py --model Violin.tflite --repeats 9 --prepare
"""
from __future__ import annotations

import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import click

BIN = pathlib.Path(sys.executable).parent
#: Modules that a default .tflite transfer must not import.
HEAVY = ("tensorflow", "keras", "apache_beam", "librosa", "matplotlib", "scipy")


def command(name: str) -> str:
    """The console script ``name`` of the running environment."""
    return str(BIN / name) if (BIN / name).exists() else name


def run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def make_model(workdir: pathlib.Path) -> pathlib.Path:
    """A vst model trained for 3 steps on 40 s of synthesized audio, exported (kept in ``workdir``)."""
    model = workdir / "export" / "bench.tflite"
    if model.exists():
        return model
    import soundfile as sf

    from ddsp_train import synthetic

    audio = workdir / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    for i, timbre in enumerate(("bowed", "reed")):
        r = synthetic.demo_phrase(seconds=20.0, seed=40 + i, timbre=timbre, sample_rate=16000)
        sf.write(audio / f"phrase_{i}.wav", r.audio, 16000)
    print(f"making a model in {workdir} (prepare, train 3 steps, export; once)...", flush=True)
    run(command("ddsp-prepare"), str(audio), "-o", str(workdir / "data"), "--overwrite", "--f0-method", "yin")
    run(command("ddsp-train"), "--data", str(workdir / "data"), "--model-dir", str(workdir / "model"),
        "--config", "vst", "--steps", "3", "--batch-size", "2", "--save-every", "3", "--seed", "0")
    run(command("ddsp-export"), str(workdir / "model"), "--output", str(workdir / "export"), "--name", "bench",
        "--data", str(workdir / "data"))
    return model


def make_clip(path: pathlib.Path, *, seconds: float = 8.0) -> pathlib.Path:
    if not path.exists():
        import soundfile as sf

        from ddsp_train import synthetic

        r = synthetic.demo_phrase(seconds=seconds, seed=3, timbre="flute", sample_rate=44100, low_midi=60, high_midi=76)
        sf.write(path, r.audio, 44100, subtype="PCM_16")
    return path


def wall(args: list[str]) -> tuple[float, str]:
    """Wall seconds of one process and its stderr."""
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc.stderr


def parse_importtime(stderr: str) -> tuple[float, list[tuple[str, float]]]:
    """Total import seconds and ``(top-level package, seconds)`` by the sum of its modules' own
    times, costliest first, from ``python -X importtime`` output."""
    per_package: dict[str, float] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            root = m.group(4).split(".")[0]
            per_package[root] = per_package.get(root, 0.0) + int(m.group(1)) / 1e6
    ranked = sorted(per_package.items(), key=lambda kv: -kv[1])
    return sum(per_package.values()), ranked


RUN_MAIN = ("import sys\nfrom ddsp_train import transfer\nsys.argv = ['ddsp-transfer', *sys.argv[1:]]\n"
            "try:\n    transfer.main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print('HEAVY', ' '.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")


def transfer_tables(model: pathlib.Path, clip: pathlib.Path, out: pathlib.Path, *, repeats: int) -> None:
    args = [command("ddsp-transfer"), str(model), str(clip), "--output", str(out), "--overwrite"]
    wall(args)  # the files into the OS cache
    runs = [wall(args) for _ in range(repeats)]
    bare = statistics.median(wall([sys.executable, "-c", "pass"])[0] for _ in range(repeats))
    seconds = [s for s, _ in runs]
    work = re.search(r"frames: features ([\d.]+) s, model ([\d.]+) s, synth ([\d.]+) s", runs[-1][1])
    print(f"\n1. {' '.join(['ddsp-transfer', model.name, clip.name, '--output', out.name])} (defaults), "
          f"8 s clip at 44.1 kHz; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"   wall, start-up included: median {statistics.median(seconds):.2f} s of {repeats} "
          f"({', '.join(f'{s:.2f}' for s in seconds)}); goal <= 2 s")
    if work:
        print(f"   of which the work (last run): features {work[1]} s, model {work[2]} s, synth + reverb {work[3]} s; "
              f"a bare `python -c pass` takes {bare:.2f} s")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", RUN_MAIN.format(heavy=HEAVY),
                           *args[1:]], capture_output=True, text=True)
    total, ranked = parse_importtime(proc.stderr)
    heavy = next((line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("HEAVY")), ["?"])
    print(f"\n2. imports of that command: {total:.2f} s in all (-X importtime inflates them a little); "
          f"heavy modules imported: {', '.join(heavy) or 'none'}")
    for name, secs in ranked[:10]:
        print(f"   {name:<24} {secs * 1000:7.1f} ms")


def prepare_startup_table(workdir: pathlib.Path) -> None:
    """Table 3 (see the module docstring): runs in this process, which has not imported Beam yet."""
    import numpy as np

    print(f"\n3. ddsp-prepare start-up pieces; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    seconds, _ = wall([sys.executable, "-c", "import ddsp_train.prepare"])
    label = 'python -c "import ddsp_train.prepare"'
    print(f"   {label:<46} {seconds:6.2f} s")
    from ddsp_train.data import beam_job

    t0 = time.perf_counter()
    beam = beam_job.import_beam()
    print(f"   {'import apache_beam':<46} {time.perf_counter() - t0:6.2f} s")
    for mode in ("in_memory", "multi_threading", "multi_processing"):
        options = beam_job.pipeline_options([f"--direct_running_mode={mode}"], workers=os.cpu_count() or 1,
                                            total_secs=0.0)
        t0 = time.perf_counter()
        p = beam.Pipeline(options=options)
        _ = p | beam.Create(list(range(20)), reshuffle=True) | beam.Map(lambda x: x)
        built = time.perf_counter() - t0
        with beam_job.beam_log(str(workdir / "beam.log"), capture=True):  # the workers' log lines
            p.run().wait_until_finish()
        print(f"   {'Beam job of 20 no-op items, ' + mode:<46} {time.perf_counter() - t0:6.2f} s "
              f"(construction {built:.2f} s)")
    from ddsp_train.pitch import get_tracker

    audio = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    for method in ("network", "pyin", "yin"):
        t0 = time.perf_counter()
        get_tracker(method).track(audio, sample_rate=16000, frame_rate=50)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        get_tracker(method).track(audio, sample_rate=16000, frame_rate=50)
        print(f"   {'first 1 s tracked, ' + method:<46} {first:6.2f} s (then {time.perf_counter() - t0:.2f} s)")


@click.command()
@click.option("--model", type=click.Path(exists=True, path_type=pathlib.Path), default=None,
              help="A plugin .tflite to play [default: one made once in --workdir].")
@click.option("--workdir", type=click.Path(path_type=pathlib.Path),
              default=pathlib.Path(tempfile.gettempdir()) / "ddsp-bench-startup", show_default=True)
@click.option("--repeats", type=int, default=5, show_default=True)
@click.option("--prepare/--no-prepare", default=True, show_default=True, help="Also table 3 (prepare start-up).")
def main(model, workdir, repeats, prepare):
    """Print the start-up figures."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    workdir.mkdir(parents=True, exist_ok=True)
    model = model or make_model(workdir)
    clip = make_clip(workdir / "melody_8s.wav")
    transfer_tables(model, clip, workdir / "out.wav", repeats=repeats)
    if prepare:
        prepare_startup_table(workdir)


if __name__ == "__main__":
    main()
