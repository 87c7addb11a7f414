"""Pitch trackers side by side: accuracy, octave errors, confidence ROC AUC and speed.

Material (nothing here is used to train the network):

\b
  heldout  GM programs never used in training (viola, tremolo strings, choir, trombone, brass
           section, tenor sax, oboe) rendered with fluidsynth through TimGM6mb, the soundfont
           never used in training (fresh phrases, seed --seed); needs fluidsynth + TimGM6mb.
  dev      /work/shared/data/dev-renders (TimGM6mb, 10 instruments; their labels), if present.
  unvoiced noise, silence, consonant-like bursts and whispered espeak-ng speech (for the AUC).

Every tracker runs through the package's tracker interface exactly as ddsp-prepare calls it
(``get_tracker(name).track(audio, sample_rate=, frame_rate=50)``), on the files' own sample
rates.
Scores on voiced labelled frames: RPA (|error| <= 50 cents), octave errors, median
|error|; AUC of the confidence on voiced labelled frames against unvoiced frames; speed as
audio seconds per wall-clock second (x real time) and relative to pyin.

\b
Example:
  python scripts/bench_pitch.py --methods network,pyin,yin
"""
from __future__ import annotations

import glob
import json
import os
import time

import click
import numpy as np

from ddsp_train.pitch import get_tracker, metrics
import pitch_training_data as td  # scripts/pitch_training_data.py (beside this script)

FRAME_RATE = 50
DEV_DIR = "/work/shared/data/dev-renders"


def load_sets(*, seed: int, dev_dir: str, heldout_seconds: float) -> dict:
    """``{set: [(name, audio, sample_rate, f0 labels at 50 Hz (0 = none), unvoiced mask)]}``."""
    import soundfile as sf

    step = td.SAMPLE_RATE // FRAME_RATE // td.GRID_HOP  # grid points per frame
    sets = {}
    clips = td.heldout_renders(seed=seed, seconds_each=heldout_seconds)
    if clips:
        sets["heldout"] = []
        for c in clips:
            f0 = c.f0_hz[::step]
            w = c.weight[::step]
            sets["heldout"].append((c.source, c.audio, td.SAMPLE_RATE, np.where(w > 0, f0, 0.0),
                                    (w > 0) & (f0 == 0)))
    wavs = sorted(glob.glob(os.path.join(dev_dir, "*.wav")))
    if wavs:
        sets["dev"] = []
        for wav in wavs:
            audio, sr = sf.read(wav, dtype="float32")
            labels = np.load(wav[:-4] + ".npz")
            assert float(labels["frame_rate"]) == FRAME_RATE
            f0 = labels["f0_hz"]
            sets["dev"].append((os.path.basename(wav)[:-4], audio if audio.ndim == 1 else audio.mean(1), sr, f0,
                                np.zeros(len(f0), bool)))
    rng = np.random.default_rng(seed)
    unvoiced = [td.unvoiced_clip(rng, seconds=4.0) for _ in range(8)]
    try:
        unvoiced += td.render_whisper(["the quick brown fox jumps over the lazy dog",
                                       "six thick thistle sticks, sharp and short"], seed=seed)
    except (FileNotFoundError, OSError):
        pass
    sets["unvoiced"] = [(c.source, c.audio, td.SAMPLE_RATE, np.zeros(len(c.f0_hz[::step])),
                         np.ones(len(c.f0_hz[::step]), bool)) for c in unvoiced]
    return sets


def run_methods(names: list[str], sets: dict) -> dict:
    """Track every clip with every method; returns per method and set the predictions and timing.

    The methods take turns clip by clip (round robin), so that each sees the same load on this
    shared machine and the speed ratios are fair.
    """
    trackers = {}
    for name in names:
        trackers[name] = get_tracker(name)
        trackers[name].track(np.zeros(16000, np.float32), sample_rate=16000, frame_rate=FRAME_RATE)  # warm-up
    out = {name: {s: {"preds": [], "seconds": 0.0, "wall": 0.0} for s in sets} for name in names}
    for set_name, clips in sets.items():
        for clip_name, audio, sr, f0, unv in clips:
            for name, tracker in trackers.items():
                t = time.perf_counter()
                est, conf = tracker.track(audio, sample_rate=sr, frame_rate=FRAME_RATE)
                r = out[name][set_name]
                r["wall"] += time.perf_counter() - t
                r["seconds"] += len(audio) / sr
                n = min(len(est), len(f0))
                r["preds"].append((clip_name, est[:n], conf[:n], f0[:n], unv[:n]))
        print(f"set {set_name} tracked", flush=True)
    return out


def summarise(result: dict, set_name: str) -> dict:
    preds = result[set_name]["preds"]
    est = np.concatenate([p[1] for p in preds])
    f0 = np.concatenate([p[3] for p in preds])
    return metrics.pitch_scores(est, f0)


@click.command(help=__doc__)
@click.option("--methods", default="network,pyin,yin", show_default=True, help="Comma-separated trackers.")
@click.option("--seed", default=4242, show_default=True, help="Seed of the held-out phrases.")
@click.option("--dev-dir", default=DEV_DIR, show_default=True, type=click.Path())
@click.option("--heldout-seconds", default=16.0, show_default=True, help="Seconds per held-out program.")
@click.option("--per-clip/--no-per-clip", default=False, show_default=True, help="Also print RPA per clip.")
@click.option("--json", "json_path", default=None, help="Also write the figures as rows for scripts/bench.py.")
def main(methods, seed, dev_dir, heldout_seconds, per_clip, json_path):
    sets = load_sets(seed=seed, dev_dir=dev_dir, heldout_seconds=heldout_seconds)
    for k, v in sets.items():
        print(f"set {k}: {len(v)} clips, {sum(len(c[1]) / c[2] for c in v):.0f} s")
    results = run_methods([m.strip() for m in methods.split(",") if m.strip()], sets)
    print()
    header = f"{'method':<9}{'set':<9}{'RPA50':>8}{'octave':>8}{'med c':>7}{'frames':>8}"
    print(header + f"{'AUC':>8}{'x RT':>8}{'x pyin':>8}")
    rows = []
    pyin_speed = None
    if "pyin" in results:
        r = results["pyin"]
        pyin_speed = sum(v["seconds"] for v in r.values()) / sum(v["wall"] for v in r.values())
    for m, r in results.items():
        speed = sum(v["seconds"] for v in r.values()) / max(sum(v["wall"] for v in r.values()), 1e-9)
        unv_conf = np.concatenate([p[2][p[4]] for s in r.values() for p in s["preds"]])
        for set_name in [s for s in ("heldout", "dev") if s in r]:
            s = summarise(r, set_name)
            voiced_conf = np.concatenate([p[2][p[3] > 0] for p in r[set_name]["preds"]])
            auc = metrics.roc_auc(voiced_conf, unv_conf)
            rel = f"{speed / pyin_speed:8.1f}" if pyin_speed else f"{'-':>8}"
            print(f"{m:<9}{set_name:<9}{s['rpa50']:8.4f}{s['octave_errors']:8.4f}{s['median_abs_cents']:7.1f}"
                  f"{s['frames']:8d}{auc:8.4f}{speed:8.1f}{rel}")
            for figure, value, unit in (("RPA 50 cents", s["rpa50"], ""), ("octave errors", s["octave_errors"], ""),
                                        ("confidence ROC AUC", auc, "")):
                rows.append({"section": "pitch", "figure": f"{figure}, {set_name} ({m})", "value": float(value),
                             "unit": unit})
        rows.append({"section": "pitch", "figure": f"speed ({m})", "value": float(speed), "unit": "x real time"})
        if pyin_speed:
            rows.append({"section": "pitch", "figure": f"speed vs pyin ({m})", "value": float(speed / pyin_speed),
                         "unit": "x"})
    if per_clip:
        print()
        names = [p[0] for s in ("heldout", "dev") if s in sets for p in next(iter(results.values()))[s]["preds"]]
        print(f"{'clip':<22}" + "".join(f"{m:>9}" for m in results))
        for i, clip in enumerate(names):
            row = []
            for m, r in results.items():
                preds = [p for s in ("heldout", "dev") if s in r for p in r[s]["preds"]]
                row.append(metrics.pitch_scores(preds[i][1], preds[i][3])["rpa50"])
            print(f"{clip:<22}" + "".join(f"{v:9.3f}" for v in row))
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1)
    print("\nAUC: confidence on voiced labelled frames vs. unvoiced frames (held-out rests + unvoiced set);"
          " x RT: audio seconds per second over all sets through the tracker interface, methods taking"
          " turns clip by clip on this machine's shared cores.")


if __name__ == "__main__":
    main()
