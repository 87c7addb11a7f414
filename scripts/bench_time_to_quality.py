"""Quality vs wall-clock minutes of training, from scratch and from ``--init base`` (issue #13).

    nice -n 19 python scripts/bench_time_to_quality.py --work runs/ttq --recipe vst \\
        --points 1,2,3 --batch-size 8 > runs/ttq.log 2>&1 &

1. Material: ``--train-minutes`` (3) of a violin (GM program 40) rendered with fluidsynth through
   MuseScore_General when installed (the soundfont no training set uses), else FluidR3_GM
   (whose violin the base never saw: scripts/train_base_model.py leaves program 40 out), in 30 s
   phrases, plus ``--heldout-minutes`` (1) of phrases of other seeds that no model trains on.
2. ``WORK/dataset`` with ddsp_train's own prepare.
3. Per arm (``scratch``, ``base``) and per point of ``--points`` (training minutes):
   ``train(minutes=...)`` resumes the arm's folder for the minutes since the last point, then
   ``ddsp-export --format tflite`` (its best checkpoint) and ``ddsp-transfer`` play each held-out
   phrase, and the figures are taken against the phrase itself:
   - log-mel L1: ``mean |ln(mel_ref + 1e-5) - ln(mel_out + 1e-5)|``, 80-band mel spectrogram at
     librosa's defaults (power 2: a mel *power* spectrogram), n_fft 1024, hop 256, at 16 kHz; the
     same on the mel *magnitude* (power 1, about half the figure) is printed beside it;
   - median power error: ``median |power_db(out) - power_db(ref)|`` (the plugin's power,
     :func:`ddsp_train.features.compute_power_db`) over frames where the reference is above -60 dB.
   Each point is its own run, as a user types it (``ddsp-train --minutes M`` in a new folder,
   ``--init base`` for the base arm); ``--cumulative`` instead resumes one folder per arm from
   point to point (cheaper, but each resume re-traces the step inside the budget).
   Rows go to ``WORK/results.json`` as they come (a re-run skips the points it has).
4. A markdown table of the curves on stdout, for BENCHMARKS.md.

Goal: ``--init base`` at 3 minutes, batch 8: log-mel <= 1.00 and power error <= 1.5 dB.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import soundfile as sf

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from ddsp_train import dataset_info, features  # noqa: E402

SAMPLE_RATE = 16000
VIOLIN = 40
SOUNDFONTS = ("MuseScore_General.sf3", "MuseScore_General.sf2", "FluidR3_GM.sf2")
AUDIBLE_DB = -60.0


def log_mel_l1(reference: np.ndarray, output: np.ndarray, *, sample_rate: int = SAMPLE_RATE,
               power: float = 2.0) -> float:
    """The log-mel L1 of the module docstring (the shorter signal's length); ``power`` 1 for the
    magnitude variant."""
    import librosa

    n = min(len(reference), len(output))
    mels = [librosa.feature.melspectrogram(y=np.asarray(x[:n], np.float32), sr=sample_rate, n_fft=1024,
                                           hop_length=256, n_mels=80, power=power) for x in (reference, output)]
    return float(np.mean(np.abs(np.log(mels[0] + 1e-5) - np.log(mels[1] + 1e-5))))


def median_power_error(reference: np.ndarray, output: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> float:
    """The median power error of the module docstring, in dB."""
    n = min(len(reference), len(output))
    p_ref, p_out = (features.compute_power_db(np.asarray(x[:n], np.float32), sample_rate=sample_rate,
                                              frame_rate=50) for x in (reference, output))
    audible = p_ref > AUDIBLE_DB
    return float(np.median(np.abs(p_out[audible] - p_ref[audible]))) if audible.any() else float("nan")


def render(folder: pathlib.Path, *, minutes: float, seed: int) -> str:
    """``minutes`` of violin phrases into ``folder`` (kept when there), through the first installed
    soundfont of :data:`SOUNDFONTS` (scripts/quality_run.py's renderer); the material's description."""
    import pitch_training_data as td
    import quality_run

    font = next((name for name in SOUNDFONTS if td.find_soundfont(name) is not None), SOUNDFONTS[-1])
    return quality_run.write_audio(folder, minutes=minutes, program=VIOLIN, soundfont=font, seed=seed)


def cli(*args: str) -> None:
    """Run one of the package's commands (the venv's console script); its last stderr line on failure."""
    done = subprocess.run([str(pathlib.Path(sys.executable).parent / args[0]), *args[1:]], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")


def measure(model_dir: pathlib.Path, heldout: list[pathlib.Path], out: pathlib.Path) -> dict:
    """Export the model's best checkpoint, play every held-out phrase, average the figures."""
    from ddsp_train.training import checkpoints

    best = checkpoints.best_step(model_dir)
    export_dir = out / "export"
    cli("ddsp-export", str(model_dir), "--format", "tflite", "--output", str(export_dir), "--name", "bench",
        *(["--checkpoint", str(best)] if best is not None else []))
    rows = []
    for phrase in heldout:
        played = out / f"{phrase.stem}.wav"
        cli("ddsp-transfer", str(export_dir / "bench.tflite"), str(phrase), "-o", str(played), "--overwrite")
        ref, _ = sf.read(phrase, dtype="float32")
        got, _ = sf.read(played, dtype="float32")
        rows.append((log_mel_l1(ref, got), median_power_error(ref, got), log_mel_l1(ref, got, power=1.0)))
    return {"checkpoint": best, "log_mel_l1": float(np.mean([r[0] for r in rows])),
            "power_error_db": float(np.mean([r[1] for r in rows])),
            "log_mel_l1_magnitude": float(np.mean([r[2] for r in rows]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--recipe", default="vst")
    parser.add_argument("--points", default="1,2,3", help="cumulative training minutes to measure at")
    parser.add_argument("--arms", default="scratch,base")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--train-minutes", type=float, default=3.0)
    parser.add_argument("--heldout-minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cumulative", action="store_true",
                        help="resume one folder per arm from point to point instead of a new run per point")
    args = parser.parse_args()

    from ddsp_train.data.pipeline import prepare_dataset
    from ddsp_train.training import trainer

    material = render(args.work / "audio", minutes=args.train_minutes, seed=args.seed)
    heldout_material = render(args.work / "heldout", minutes=args.heldout_minutes, seed=args.seed + 1000)
    heldout = sorted((args.work / "heldout").glob("*.wav"))
    data = args.work / "dataset"
    if not dataset_info.exists(data):
        prepare_dataset([str(args.work / "audio")], output=str(data), seed=args.seed, workers=1)
    results_path = args.work / "results.json"
    results = (json.loads(results_path.read_text()) if results_path.exists() else
               {"material": material, "heldout": heldout_material, "rows": []})
    points = [float(p) for p in args.points.split(",")]
    mode = "cumulative" if args.cumulative else "fresh"
    for arm in args.arms.split(","):
        done = 0.0
        for minutes in points:
            if any(r["arm"] == arm and r["minutes"] == minutes and r.get("mode", "cumulative") == mode
                   for r in results["rows"]):
                done = minutes
                continue
            model_dir = args.work / (arm if args.cumulative else f"{arm}_{minutes:g}min")
            budget = minutes - done if args.cumulative else minutes
            load = os.getloadavg()[0]
            figures = trainer.train(data_dir=data, model_dir=model_dir, configs=[args.recipe], steps=10 ** 6,
                                    minutes=budget, batch_size=args.batch_size, eval_every=args.eval_every,
                                    save_every=args.eval_every, seed=args.seed,
                                    init="base" if arm == "base" else None)
            done = minutes
            row = {"arm": arm, "minutes": minutes, "mode": mode, "step": figures["step"],
                   "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1),
                   **measure(model_dir, heldout, args.work / f"{arm}_{minutes:g}_{mode}")}
            results["rows"].append(row)
            results_path.write_text(json.dumps(results, indent=1))
            print(json.dumps(row), file=sys.stderr)
    print(f"Material: {material}; recipe {args.recipe}, batch {args.batch_size}.\n")
    print("| arm | runs | minutes | step | log-mel L1 (power) | log-mel L1 (magnitude) | power error (dB) | load |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in results["rows"]:
        print(f"| {r['arm']} | {r.get('mode', 'cumulative')} | {r['minutes']:g} | {r['step']} | {r['log_mel_l1']:.3f} | "
              f"{r.get('log_mel_l1_magnitude', float('nan')):.3f} | {r['power_error_db']:.2f} | "
              f"{r.get('load_before', '?')}-{r.get('load_after', '?')} |")


if __name__ == "__main__":
    main()
