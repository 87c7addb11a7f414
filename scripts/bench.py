"""Run every benchmark script and print one table of their figures.

Each ``scripts/bench_*.py`` prints its own report and, given ``--json PATH``, writes its figures
as a list of rows ``{"section", "figure", "value", "unit"}``. This script runs them one after the
other (they compete for the same cores otherwise), collects the rows and prints them as one
markdown table, ready for BENCHMARKS.md:

    python scripts/bench.py [--only prepare,pitch,train,export] [--markdown BENCHMARKS_TABLE.md]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
# In the order of the pipeline; each entry: name -> extra arguments for a full-size run.
BENCHMARKS = {
    "prepare": [],
    "pitch": [],
    "dsp": [],
    "train": [],
    "export": [],
}


def machine() -> str:
    cpus = os.cpu_count()
    try:
        import tensorflow as tf  # noqa: F401 - only for the version line

        tf_version = tf.__version__
    except ImportError:  # pragma: no cover - tensorflow is a dependency
        tf_version = "n/a"
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model} ({platform.machine()}), {cpus} cores, Python {platform.python_version()}, TensorFlow {tf_version}"


def run_one(name: str, extra: list[str]) -> tuple[list[dict], float, int]:
    script = HERE / f"bench_{name}.py"
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "rows.json"
        started = time.time()
        code = subprocess.run([sys.executable, str(script), "--json", str(out), *extra]).returncode
        rows = json.loads(out.read_text()) if out.exists() else []
    return rows, time.time() - started, code


def table(rows: list[dict]) -> str:
    lines = ["| stage | figure | value | unit |", "|---|---|---|---|"]
    for r in rows:
        value = r["value"]
        value = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"| {r['section']} | {r['figure']} | {value} | {r.get('unit', '')} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of " + ",".join(BENCHMARKS))
    ap.add_argument("--markdown", type=pathlib.Path, help="also write the table (with machine and date) here")
    args = ap.parse_args()
    chosen = [n for n in args.only.split(",") if n]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    rows, failed = [], []
    for name in chosen:
        print(f"\n=== bench_{name}.py ===", flush=True)
        got, seconds, code = run_one(name, BENCHMARKS[name])
        rows += got
        if code != 0:
            failed.append(name)
        print(f"=== bench_{name}.py: {len(got)} figures in {seconds:.0f} s (exit {code}) ===", flush=True)
    header = f"Machine: {machine()}. Date: {datetime.date.today().isoformat()}."
    text = f"{header}\n\n{table(rows)}\n"
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
