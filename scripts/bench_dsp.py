"""Forward+backward time of each DSP piece at the DDSP-VST training size.

Batch 16 x 4 s at 16 kHz (64000 samples, 201 frames): the harmonic synth with 60 harmonics (f0
100..1000 Hz, so all 60 sound somewhere in the batch; ``harmonic_f0>=200``: 200..1000 Hz, 40
audible; ``harmonic_window``: window-upsampled amplitudes), the alternative synths (64
sinusoids; 8 wavetables of 2048 samples), 65-band filtered noise, a 1 s trainable reverb, the
6-scale spectral loss, and ``all`` = harmonic + noise + add + reverb + loss. Each piece runs in
tf.function (``graph``), tf.function(jit_compile=True) (``xla``) and optionally eagerly. Prints
the median wall-clock and CPU (all threads) milliseconds over --repeats runs; on a shared
machine the CPU time is the steadier figure. ``--json PATH`` writes the rows for
scripts/bench.py.

    python scripts/bench_dsp.py [--batch 16] [--repeats 5] [--pieces harmonic,noise,...] [--modes graph,xla]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import time

import tensorflow as tf

from ddsp_train.dsp import losses, noise, processors, reverb, synths

N_SAMPLES, N_FRAMES, SAMPLE_RATE = 64000, 201, 16000
PIECES = ("harmonic", "harmonic_f0>=200", "harmonic_window", "sinusoidal", "wavetable", "noise", "reverb",
          "loss", "all")


def make_pieces(batch: int):
    harmonic = synths.Harmonic(N_SAMPLES, SAMPLE_RATE)
    harmonic_window = synths.Harmonic(N_SAMPLES, SAMPLE_RATE, amp_resample_method="window", name="hw")
    sinusoidal = synths.Sinusoidal(N_SAMPLES, SAMPLE_RATE)
    wavetable = synths.Wavetable(N_SAMPLES, SAMPLE_RATE, n_wavetables=8, wavetable_size=2048)
    filtered = noise.FilteredNoise(N_SAMPLES)
    rev = reverb.Reverb(reverb_length=16000)
    loss = losses.SpectralLoss()
    group = processors.ProcessorGroup([
        (synths.Harmonic(N_SAMPLES, SAMPLE_RATE), ["amps", "dist", "f0_hz"]),
        (noise.FilteredNoise(N_SAMPLES), ["mags"]),
        (processors.Add(), ["harmonic/signal", "noise/signal"]),
        (reverb.Reverb(reverb_length=16000), ["add/signal"]),
    ])
    inputs = {
        "amps": tf.random.normal([batch, N_FRAMES, 1]),
        "dist": tf.random.normal([batch, N_FRAMES, 60]),
        "f0_hz": tf.random.uniform([batch, N_FRAMES, 1], 100.0, 1000.0),
        "f0_high": tf.random.uniform([batch, N_FRAMES, 1], 200.0, 1000.0),  # 40 of 60 harmonics audible
        "mags": tf.random.normal([batch, N_FRAMES, 65]),
        "sin_amps": tf.random.normal([batch, N_FRAMES, 64]),
        "sin_freqs": tf.random.normal([batch, N_FRAMES, 64]),
        "wt_amps": tf.random.normal([batch, N_FRAMES, 8]),
        "audio": tf.random.normal([batch, N_SAMPLES]) * 0.1,
        "target": tf.random.normal([batch, N_SAMPLES]) * 0.1,
    }

    def out_sum(x):  # a scalar that depends on every output sample
        return tf.reduce_sum(x * inputs["target"])

    pieces = {
        "harmonic": (lambda: out_sum(harmonic(inputs["amps"], inputs["dist"], inputs["f0_hz"])),
                     ["amps", "dist"], []),
        "harmonic_f0>=200": (lambda: out_sum(harmonic(inputs["amps"], inputs["dist"], inputs["f0_high"])),
                             ["amps", "dist"], []),
        "harmonic_window": (lambda: out_sum(harmonic_window(inputs["amps"], inputs["dist"], inputs["f0_hz"])),
                            ["amps", "dist"], []),
        "sinusoidal": (lambda: out_sum(sinusoidal(inputs["sin_amps"], inputs["sin_freqs"])),
                       ["sin_amps", "sin_freqs"], []),
        "wavetable": (lambda: out_sum(wavetable(inputs["wt_amps"], inputs["f0_hz"])), ["wt_amps"],
                      wavetable.trainable_variables),
        "noise": (lambda: out_sum(filtered(inputs["mags"])), ["mags"], []),
        "reverb": (lambda: out_sum(rev(inputs["audio"])), ["audio"], rev.trainable_variables),
        "loss": (lambda: loss(inputs["target"], inputs["audio"]), ["audio"], []),
        "all": (lambda: loss(inputs["target"], group(inputs)["out"]), ["amps", "dist", "mags"],
                group.trainable_variables),
    }
    return inputs, pieces


def make_step(fn, inputs, keys, variables):
    def step():
        watched = [inputs[k] for k in keys]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            value = fn()
        return value, tape.gradient(value, watched + list(variables))
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pieces", default=",".join(PIECES))
    parser.add_argument("--modes", default="graph,xla", help="any of eager,graph,xla")
    parser.add_argument("--json", help="also write the figures as rows for scripts/bench.py")
    args = parser.parse_args()
    inputs, pieces = make_pieces(args.batch)
    rows: list[dict] = []
    print(f"batch {args.batch} x {N_SAMPLES} samples, TF {tf.__version__}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{'piece':16s} {'mode':6s} {'wall ms':>10s} {'cpu ms':>10s}   (forward+backward, median)")
    for name in args.pieces.split(","):
        fn, keys, variables = pieces[name]
        step = make_step(fn, inputs, keys, variables)
        for mode in args.modes.split(","):
            run = {"eager": step, "graph": tf.function(step),
                   "xla": tf.function(step, jit_compile=True)}[mode]
            try:
                run()  # trace / compile / warm up
            except Exception as exc:  # noqa: BLE001 - report and go on with the other modes
                print(f"{name:16s} {mode:6s} failed: {type(exc).__name__}: {str(exc)[:100]}")
                continue
            times, cpu = [], []
            for _ in range(args.repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                value, grads = run()
                float(value)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            wall_ms, cpu_ms = statistics.median(times), statistics.median(cpu)
            print(f"{name:16s} {mode:6s} {wall_ms:10.1f} {cpu_ms:10.1f}", flush=True)
            for what, value in (("wall", wall_ms), ("cpu", cpu_ms)):
                rows.append({"section": "dsp", "figure": f"{name} fwd+bwd, {mode}, {what} (batch {args.batch} x 4 s)",
                             "value": round(value, 1), "unit": "ms"})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak_mb:.0f} MB")
    rows.append({"section": "dsp", "figure": f"peak memory, pieces {args.pieces}", "value": round(peak_mb), "unit": "MB"})
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
