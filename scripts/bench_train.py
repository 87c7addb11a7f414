"""Milliseconds per training step of the packaged recipes, at the DDSP-VST training size.

Batch 16 x 4 s at 16 kHz (64000 samples, 201 frames) of synthesized instrument phrases (f0
110..440 Hz, real power/loudness features), one full step (forward, 6-scale spectral loss,
backward, Adam) of ``vst`` and ``tiny``, without and with XLA (and with mixed precision when
asked). Each variant runs in its own process so that its peak memory (max RSS) is its own; the
first step (tracing / XLA compilation) is reported separately from the median of the next
``--steps``. Wall-clock and CPU (all threads) time are both printed; on a shared machine the CPU
time is the steadier figure. Reference on this machine (shared/facts.md): magenta/ddsp's own VST
step takes 3.5 s at this size; the goal is at most half.

    python scripts/bench_train.py [--configs vst,tiny] [--variants graph,xla] [--steps 3] [--json rows.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

BATCH, SECONDS, SAMPLE_RATE, FRAME_RATE = 16, 4.0, 16000, 50
VARIANTS = {"graph": dict(xla=False, mixed_precision=False), "xla": dict(xla=True, mixed_precision=False),
            "mixed": dict(xla=False, mixed_precision=True), "mixed+xla": dict(xla=True, mixed_precision=True)}


def make_batch(batch: int):
    """``batch`` rendered 4 s phrases with their exact f0 (held through rests) and features."""
    import numpy as np

    from ddsp_train import features, pitch, synthetic

    rows = []
    for seed in range(batch):
        r = synthetic.demo_phrase(seconds=SECONDS, seed=seed, low_midi=45, high_midi=69)
        labelled = r.f0_hz > 0
        f0 = pitch.fill_unvoiced(r.f0_hz, labelled, reach=10 ** 6)
        rows.append({
            "audio": r.audio, "f0_hz": f0, "f0_confidence": labelled.astype(np.float32),
            "power_db": features.compute_power_db(r.audio, sample_rate=SAMPLE_RATE, frame_rate=FRAME_RATE),
            "loudness_db": features.compute_loudness_db(r.audio, sample_rate=SAMPLE_RATE, frame_rate=FRAME_RATE),
        })
    return {k: np.stack([row[k] for row in rows]).astype(np.float32) for k in rows[0]}


def run_variant(config: str, variant: str, steps: int) -> dict:
    """Build ``config``, run 1 + ``steps`` training steps in this process; the figures."""
    import tensorflow as tf

    from ddsp_train.dataset_info import DatasetInfo
    from ddsp_train.training import checkpoints, gin_config, optimizer, strategy
    from ddsp_train.training.step import Trainer

    info = DatasetInfo(sample_rate=SAMPLE_RATE, frame_rate=FRAME_RATE, example_secs=SECONDS)
    placement = strategy.choose(strategy="auto", **VARIANTS[variant])
    policy = placement.mixed_precision_policy
    bindings = [f"{name}.dtype = '{policy}'" for name in checkpoints.mixed_precision_layers()] if policy else []
    gin_config.parse(config_files=[gin_config.resolve_config(config)], bindings=bindings, dataset_info=info)
    model = gin_config.build_model(dataset_info=info)
    train = Trainer(model=model, optimizer=optimizer.make_optimizer(), placement=placement)
    batch = {k: tf.constant(v) for k, v in make_batch(BATCH).items()}
    started, cpu = time.perf_counter(), time.process_time()
    train.train_step(batch)
    first = time.perf_counter() - started
    walls, cpus = [], []
    for _ in range(steps):
        started, cpu = time.perf_counter(), time.process_time()
        metrics = train.train_step(batch)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {"config": config, "variant": variant, "first_step_s": first,
            "ms_per_step": 1000 * statistics.median(walls), "cpu_ms_per_step": 1000 * statistics.median(cpus),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "loss": metrics["loss"], "params": int(model.count_params())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="vst,tiny")
    ap.add_argument("--variants", default="graph,xla", help=f"comma-separated subset of {','.join(VARIANTS)}")
    ap.add_argument("--steps", type=int, default=3, help="timed steps after the first one")
    ap.add_argument("--json", help="also write the figures as rows for scripts/bench.py")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # config:variant, run in this process
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.one:
        config, variant = args.one.split(":")
        print(json.dumps(run_variant(config, variant, args.steps)))
        return 0
    results = []
    for config in args.configs.split(","):
        for variant in args.variants.split(","):
            if variant not in VARIANTS:
                ap.error(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
            done = subprocess.run([sys.executable, __file__, "--one", f"{config}:{variant}", "--steps",
                                   str(args.steps)], capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{config} {variant}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{config:>6} {variant:>9}: {result['ms_per_step']:8.0f} ms/step wall, {result['cpu_ms_per_step']:8.0f} "
                  f"ms CPU, first step {result['first_step_s']:5.1f} s, peak RSS {result['peak_rss_mb']:6.0f} MB "
                  f"({result['params']:,} parameters)", flush=True)
    if args.json:
        rows = []
        for r in results:
            name = f"{r['config']} step ({r['variant']}, batch {BATCH} x {SECONDS:g} s)"
            rows += [{"section": "train", "figure": name, "value": r["ms_per_step"], "unit": "ms"},
                     {"section": "train", "figure": f"{name} CPU", "value": r["cpu_ms_per_step"], "unit": "ms"},
                     {"section": "train", "figure": f"{r['config']} peak memory ({r['variant']})",
                      "value": r["peak_rss_mb"], "unit": "MB"}]
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
