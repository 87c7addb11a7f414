#!/usr/bin/env python
"""Benchmarks of ddsp-prepare: f0 accuracy and speed per tracker, throughput, peak RSS on 1 hour.

Prints three tables:

1. f0 accuracy per method: share of labelled frames within 50 cents on the shared labelled
   renders (``../shared/data/dev-renders``, fluidsynth + TimGM6mb, exact MIDI labels) and on
   ``ddsp_train.synthetic`` phrases (four timbres), with the tracker's own speed (x real time,
   one process).
2. ``prepare_dataset`` throughput per method, as times real time of the whole job (Beam start-up
   included, default workers), on the dev renders (a few minutes: start-up weighs in) and on
   ``--throughput-minutes`` of fluidsynth renders (the steady state), with each method's speed
   relative to pyin's.
3. Peak RSS (the whole process tree, sampled every 0.2 s from /proc) and speed of
   ``ddsp-prepare`` on a generated 1-hour 44.1 kHz stereo 16-bit wav.
4. Start-up on a small dataset (issue #12): the ``ddsp-prepare`` command itself (a new process,
   so Python, imports, Beam and its workers are included) on ``--small-files`` synthesized clips
   of ``--small-secs`` (20 x 8 s = 160 s, 44.1 kHz mono 16-bit), network against pyin: the
   median wall time of ``--small-repeats`` runs each and the ratio (goal: network >= 5x pyin's
   speed). With ``--small-modes network`` every running mode is timed too (``-- --direct_running_mode=M``:
   without Beam ``in_process`` / ``threads`` / ``processes``, and Beam's DirectRunner modes), the
   measurement behind :func:`ddsp_train.data.beam_job.running_mode`.

Usage: ``python scripts/bench_prepare.py [--methods yin,pyin] [--hour-minutes 60] [--skip-hour] [--json rows.json]``;
only the small-dataset table: ``python scripts/bench_prepare.py --only-small [--small-modes network,pyin]``.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RENDERS = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "dev-renders"))
#: Figures as rows for scripts/bench.py (``--json``).
ROWS: list[dict] = []


def row(figure: str, value, unit: str = "") -> None:
    ROWS.append({"section": "prepare", "figure": figure, "value": value, "unit": unit})


def cents_accuracy(f0: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    n = min(len(f0), len(labels))
    f0, labels = f0[:n], labels[:n]
    ok = labels > 0
    hits = int(np.sum(1200 * np.abs(np.log2(np.maximum(f0[ok], 1e-3) / labels[ok])) < 50))
    return hits, int(ok.sum())


def accuracy_table(methods: list[str], renders: str) -> None:
    from ddsp_train import audio, synthetic
    from ddsp_train.pitch import get_tracker

    clips = sorted(glob.glob(os.path.join(renders, "*.wav")))
    material = []
    for wav in clips:
        labels = np.load(wav[:-4] + ".npz")["f0_hz"]
        material.append(("dev-renders", os.path.basename(wav)[:-4], audio.load_audio(wav, sample_rate=16000), labels))
    for i, timbre in enumerate(("bowed", "reed", "flute", "brass")):
        r = synthetic.demo_phrase(seconds=20.0, seed=100 + i, timbre=timbre, low_midi=45, high_midi=84)
        material.append(("synthetic", timbre, r.audio, r.f0_hz))
    print("\n1. f0 accuracy: share of labelled frames within 50 cents (16 kHz, 50 frames/s)")
    print(f"   {'method':<8} {'dev-renders':>12} {'worst clip':>22} {'synthetic':>10} {'x real time':>12}")
    for method in methods:
        tracker = get_tracker(method)
        totals = {"dev-renders": [0, 0], "synthetic": [0, 0]}
        worst, secs, spent = (1.0, ""), 0.0, 0.0
        for group, name, x, labels in material:
            t0 = time.perf_counter()
            f0, _ = tracker.track(x, sample_rate=16000, frame_rate=50)
            spent += time.perf_counter() - t0
            secs += len(x) / 16000
            hits, total = cents_accuracy(f0, labels)
            totals[group][0] += hits
            totals[group][1] += total
            if group == "dev-renders" and total and hits / total < worst[0]:
                worst = (hits / total, name)
        dev = totals["dev-renders"][0] / max(totals["dev-renders"][1], 1)
        syn = totals["synthetic"][0] / max(totals["synthetic"][1], 1)
        print(f"   {method:<8} {dev:>12.3f} {worst[1]:>15} {worst[0]:.3f} {syn:>10.3f} {secs / spent:>11.1f}x",
              flush=True)
        row(f"f0 within 50 cents, dev renders ({method})", dev)
        row(f"f0 within 50 cents, synthetic phrases ({method})", syn)
        row(f"tracker speed ({method}, one process)", secs / spent, "x real time")


def write_renders(folder: str, minutes: float) -> bool:
    """``minutes`` of GM phrases (30 s each, a few programs) rendered with fluidsynth; False without it."""
    import soundfile as sf

    import pitch_training_data as td  # scripts/pitch_training_data.py (beside this script)

    font = td.find_soundfont(td.TRAIN_SOUNDFONTS[0])
    if font is None or not td.have_fluidsynth():
        return False
    os.makedirs(folder, exist_ok=True)
    count = max(1, int(round(minutes * 2)))
    programs = [(40, 42, 71, 73, 56, 65, 60, 68)[i % 8] for i in range(count)]
    clips = td.render_midi_clips(np.random.default_rng(5), soundfont=font, programs=programs, seconds_each=30.0)
    for i, clip in enumerate(clips):
        sf.write(os.path.join(folder, f"phrase_{i:03d}.wav"), clip.audio, td.SAMPLE_RATE, subtype="PCM_16")
    return True


def throughput_table(methods: list[str], renders: str, workdir: str, *, minutes: float) -> None:
    """ddsp-prepare on the dev renders (a few minutes: start-up weighs in) and on ``minutes`` of
    fluidsynth renders (the steady state), per method, with the speed relative to pyin's."""
    from ddsp_train.data.pipeline import prepare_dataset

    sets = [("dev renders", renders)]
    longer = os.path.join(workdir, "renders")
    if minutes > 0 and write_renders(longer, minutes):
        sets.append((f"{minutes:g} min of fluidsynth renders", longer))
    print(f"\n2. prepare_dataset throughput (default workers = {os.cpu_count()} cores)")
    print(f"   {'material':<32} {'method':<8} {'audio s':>8} {'wall s':>8} {'x real time':>12} {'x pyin':>7}")
    for label, folder in sets:
        speeds = {}
        for method in methods:
            out = os.path.join(workdir, f"ds-{method}")
            summary = prepare_dataset([folder], output=out, f0_method=method, overwrite=True, progress=False)
            speeds[method] = summary["times_real_time"]
            shutil.rmtree(out, ignore_errors=True)
            print(f"   {label:<32} {method:<8} {summary['total_seconds']:>8.0f} {summary['wall_seconds']:>8.1f} "
                  f"{speeds[method]:>11.2f}x", flush=True)
            row(f"ddsp-prepare throughput, {summary['total_seconds'] / 60:.1f} min of {label.split(' of ')[-1]} "
                f"({method})", speeds[method], "x real time")
        if "pyin" in speeds:
            for method, speed in speeds.items():
                if method != "pyin":
                    print(f"   {label:<32} {method:<8} {speed / speeds['pyin']:>47.1f}x")
                    row(f"ddsp-prepare speed vs pyin, {label} ({method})", speed / speeds["pyin"], "x")


def write_long_file(path: str, minutes: float) -> None:
    """``minutes`` of 44.1 kHz stereo 16-bit: a 60 s synthetic phrase repeated with varying gain."""
    import soundfile as sf

    from ddsp_train import synthetic

    phrase = synthetic.demo_phrase(seconds=60.0, seed=7, timbre="bowed", sample_rate=44100).audio
    with sf.SoundFile(path, "w", samplerate=44100, channels=2, subtype="PCM_16") as f:
        remaining = int(minutes * 60 * 44100)
        i = 0
        while remaining > 0:
            block = phrase[:remaining] * (0.6 + 0.4 * ((i % 5) / 4))
            f.write(np.stack([block, 0.8 * block], axis=1))
            remaining -= len(block)
            i += 1


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(sum, max) RSS in MB over ``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1]) / 1024
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children.get(p, [])
    values = [rss.get(p, 0.0) for p in seen]
    return sum(values), max(values) if values else 0.0


def hour_table(workdir: str, minutes: float, method: str) -> None:
    path = os.path.join(workdir, "long.wav")
    t0 = time.time()
    write_long_file(path, minutes)
    size = os.path.getsize(path) / 1e6
    print(f"\n3. {minutes:g} min 44.1 kHz stereo 16-bit wav ({size:.0f} MB, written in {time.time() - t0:.0f} s), "
          f"ddsp-prepare --f0-method {method}, default workers")
    out = os.path.join(workdir, "ds-long")
    script = os.path.join(os.path.dirname(sys.executable), "ddsp-prepare")
    t0 = time.time()
    proc = subprocess.Popen([script, path, "-o", out, "--overwrite", "--f0-method", method],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_sum = peak_one = 0.0
    lines = []
    import threading

    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    while proc.poll() is None:
        s, m = tree_rss_mb(proc.pid)
        peak_sum, peak_one = max(peak_sum, s), max(peak_one, m)
        time.sleep(0.2)
    reader.join(5)
    wall = time.time() - t0
    if proc.returncode:
        print("".join(lines[-30:]))
        raise SystemExit(f"ddsp-prepare failed with exit code {proc.returncode}")
    summary = json.load(open(os.path.join(out, "dataset.json")))
    progress = [l.rstrip() for l in lines if "ETA" in l]
    print(f"   wall {wall:.0f} s = {minutes * 60 / wall:.1f}x real time; peak RSS of the process tree "
          f"{peak_sum:.0f} MB (largest single process {peak_one:.0f} MB)")
    print(f"   examples train/eval {summary['splits']['train']['examples']}/{summary['splits']['eval']['examples']}; "
          f"last progress line: {progress[-1] if progress else '-'}")
    row(f"peak RSS, {minutes:g} min 44.1 kHz stereo file ({method}, process tree)", peak_sum, "MB")
    row(f"ddsp-prepare throughput, {minutes:g} min 44.1 kHz stereo file ({method})", minutes * 60 / wall,
        "x real time")
    shutil.rmtree(out, ignore_errors=True)


def write_small_clips(folder: str, *, files: int, seconds: float) -> float:
    """``files`` synthesized phrases of ``seconds`` (the four demo timbres in turn) at 44.1 kHz; total seconds."""
    import soundfile as sf

    from ddsp_train import synthetic

    os.makedirs(folder, exist_ok=True)
    timbres = ("bowed", "reed", "flute", "brass")
    for i in range(files):
        r = synthetic.demo_phrase(seconds=seconds, seed=200 + i, timbre=timbres[i % 4], sample_rate=44100)
        sf.write(os.path.join(folder, f"clip_{i:02d}.wav"), r.audio, 44100, subtype="PCM_16")
    return files * seconds


def time_prepare_command(clips: str, out: str, *, method: str, beam_args: tuple[str, ...] = ()) -> float:
    """Wall seconds of one ``ddsp-prepare CLIPS -o OUT --f0-method METHOD [-- BEAM_ARGS]`` process."""
    script = os.path.join(os.path.dirname(sys.executable), "ddsp-prepare")
    cmd = [script, clips, "-o", out, "--overwrite", "--f0-method", method, *(["--", *beam_args] if beam_args else [])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall


def small_table(workdir: str, *, files: int, seconds: float, repeats: int, modes: list[str]) -> None:
    """Table 4 (see the module docstring)."""
    clips = os.path.join(workdir, "small")
    total = write_small_clips(clips, files=files, seconds=seconds)
    out = os.path.join(workdir, "ds-small")
    runs = [("network", "default"), ("pyin", "default")]
    if modes:
        runs += [(m, mode) for m in modes
                 for mode in ("in_process", "threads", "processes", "in_memory", "multi_threading", "multi_processing")]
    print(f"\n4. ddsp-prepare start-up on a small dataset: {files} x {seconds:g} s = {total:g} s of 44.1 kHz audio, "
          f"the command's wall time (new process), median of {repeats}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"   {'method':<8} {'runner mode':<17} {'wall s (runs)':<28} {'x real time':>12}")
    medians = {}
    for method, mode in runs:
        beam_args = () if mode == "default" else (f"--direct_running_mode={mode}",)
        walls = [time_prepare_command(clips, out, method=method, beam_args=beam_args) for _ in range(repeats)]
        medians[method, mode] = median = float(np.median(walls))
        print(f"   {method:<8} {mode:<17} {median:>6.1f} ({', '.join(f'{w:.1f}' for w in walls)}){'':<4} "
              f"{total / median:>11.1f}x", flush=True)
        row(f"ddsp-prepare wall, {files} x {seconds:g} s, start-up included ({method}, {mode})", median, "s")
    ratio = medians["pyin", "default"] / medians["network", "default"]
    print(f"   network speed / pyin speed (defaults, start-up included): {ratio:.1f}x (goal >= 5x)")
    row(f"ddsp-prepare speed vs pyin, {files} x {seconds:g} s, start-up included (network)", ratio, "x")
    shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=None, help="comma-separated f0 methods [default: all registered]")
    parser.add_argument("--renders", default=DEFAULT_RENDERS, help="folder of labelled wav + npz clips")
    parser.add_argument("--hour-minutes", type=float, default=60.0, help="length of the long file")
    parser.add_argument("--throughput-minutes", type=float, default=20.0,
                        help="minutes of fluidsynth renders for the steady-state throughput (0: dev renders only)")
    parser.add_argument("--hour-method", default="yin", help="f0 method for the long-file run")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-hour", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--only-small", action="store_true", help="only table 4 (start-up on a small dataset)")
    parser.add_argument("--small-files", type=int, default=20)
    parser.add_argument("--small-secs", type=float, default=8.0)
    parser.add_argument("--small-repeats", type=int, default=3)
    parser.add_argument("--small-modes", default="", help="comma-separated f0 methods to time in every running mode too")
    parser.add_argument("--workdir", default=None, help="scratch folder [default: a temporary one]")
    parser.add_argument("--json", help="also write the figures as rows for scripts/bench.py")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ddsp_train.pitch import available_trackers

    methods = args.methods.split(",") if args.methods else available_trackers()
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench_prepare_")
    os.makedirs(workdir, exist_ok=True)
    print(f"bench_prepare: methods {methods}, {os.cpu_count()} cores, scratch {workdir}")
    try:
        if not (args.skip_accuracy or args.only_small):
            accuracy_table(methods, args.renders)
        if not (args.skip_throughput or args.only_small):
            throughput_table(methods, args.renders, workdir, minutes=args.throughput_minutes)
        if not (args.skip_hour or args.only_small):
            hour_table(workdir, args.hour_minutes, args.hour_method)
        if not args.skip_small:
            small_table(workdir, files=args.small_files, seconds=args.small_secs, repeats=args.small_repeats,
                        modes=[m for m in args.small_modes.split(",") if m])
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(ROWS, f, indent=1)


if __name__ == "__main__":
    main()
