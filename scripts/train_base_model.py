"""Train a base model for ``ddsp-train --init base``: seeded, resumable, reproducible.

    nice -n 19 python scripts/train_base_model.py --recipe tiny --work /tmp/base_tiny --minutes 25 \\
        > /tmp/base_tiny.log 2>&1 &

1. Material (``WORK/material``, files that exist are kept): monophonic phrases of many GM
   programs, rendered with fluidsynth through TimGM6mb and FluidR3_GM (when installed:
   ``apt-get install -y fluidsynth timgm6mb-soundfont fluid-soundfont-gm``) across each
   program's range and dynamics, plus the package's synthetic instruments
   (``ddsp_train.synthetic``). The MuseScore General soundfonts are never used (reserved for
   held-out evaluation), nor GM program 40 (violin: the time-to-quality benchmark's instrument).
2. ``WORK/dataset`` by ddsp_train's own prepare (skipped when it exists).
3. ``WORK/model`` by ddsp_train's own train(): run the same command again and it resumes from
   its checkpoint (``--minutes`` is the budget of one invocation, ``--steps`` the total).
4. The best checkpoint's weights as float16 into ``--out`` (default: the package's
   ``ddsp_train/base_models``) with a description of material, steps, time and figures.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import soundfile as sf

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ddsp_train import base_models, dataset_info, synthetic  # noqa: E402

SOUNDFONTS = {"TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2", "FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2"}
#: GM program (0-based) -> (lowest, highest) MIDI note played: monophonic instruments, no violin.
PROGRAMS = {41: (55, 88), 42: (36, 72), 43: (28, 60), 56: (55, 82), 57: (40, 72), 58: (28, 58), 60: (41, 77),
            64: (56, 87), 65: (49, 80), 66: (44, 76), 68: (58, 91), 69: (52, 81), 70: (34, 72), 71: (50, 89),
            72: (74, 102), 73: (60, 96), 74: (60, 93), 75: (60, 88), 79: (60, 88), 80: (48, 84), 81: (48, 84)}
SYNTHETIC_SECONDS = 30.0
PHRASE_SECONDS = 12.0
SAMPLE_RATE = 16000


def phrase_midi(path: pathlib.Path, *, program: int, low: int, high: int, seed: int, seconds: float) -> None:
    """A monophonic random phrase (legato and detached notes, velocities 30..120) as a MIDI file."""
    import mido

    rng = np.random.default_rng(seed)
    mid, ticks = mido.MidiFile(ticks_per_beat=480), 480  # 120 bpm: 960 ticks a second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("program_change", program=program, time=0))
    t, pitch = 0.0, int(rng.integers(low, high + 1))
    while t < seconds - 0.5:
        length = float(rng.choice([0.25, 0.5, 0.75, 1.0, 1.5]))
        rest = float(rng.choice([0.0, 0.0, 0.05, 0.25]))
        pitch = int(np.clip(pitch + rng.integers(-5, 6), low, high))
        velocity = int(rng.integers(30, 121))
        track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=int(rest * 2 * ticks)))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=int(length * 2 * ticks)))
        t += length + rest
    mid.save(path)


def render_material(folder: pathlib.Path, *, seed: int, phrases: int = 1) -> dict:
    """Step 1 of the module docstring, ``phrases`` phrases per program and soundfont; returns a
    description of what was rendered."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = {"gm": [], "synthetic": []}
    fluidsynth = shutil.which("fluidsynth")
    for sf_name, sf_path in SOUNDFONTS.items():
        if not (fluidsynth and pathlib.Path(sf_path).exists()):
            print(f"skipping {sf_name}: fluidsynth or {sf_path} missing", file=sys.stderr)
            continue
        for program, (low, high) in PROGRAMS.items():
            for phrase in range(phrases):
                wav = folder / (f"gm_{sf_name}_{program:03d}.wav" if phrase == 0 else
                                f"gm_{sf_name}_{program:03d}_p{phrase}.wav")
                if not wav.exists():
                    mid = folder / f".{wav.stem}.mid"
                    phrase_midi(mid, program=program, low=low, high=high,
                                seed=seed * 1000 + program + 100000 * phrase, seconds=PHRASE_SECONDS)
                    tmp = folder / f".{wav.stem}.tmp.wav"
                    subprocess.run([fluidsynth, "-ni", "-g", "0.6", "-r", str(SAMPLE_RATE), "-F", str(tmp), sf_path,
                                    str(mid)], check=True, capture_output=True)
                    audio, sr = sf.read(tmp, always_2d=True)
                    sf.write(wav, audio.mean(axis=1), sr, subtype="FLOAT")
                    tmp.unlink()
                    mid.unlink()
                rendered["gm"].append({"soundfont": sf_name, "program": program, "notes": [low, high],
                                       "phrase": phrase})
    for i, timbre in enumerate(sorted(synthetic.TIMBRES)):
        wav = folder / f"synthetic_{timbre}.wav"
        if not wav.exists():
            r = synthetic.demo_phrase(seconds=SYNTHETIC_SECONDS, seed=seed + i, timbre=timbre,
                                      sample_rate=SAMPLE_RATE)
            sf.write(wav, r.audio, SAMPLE_RATE, subtype="FLOAT")
        rendered["synthetic"].append(timbre)
    return rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="tiny")
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "ddsp_train" / "base_models")
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phrases", type=int, default=1,
                        help=f"phrases of {PHRASE_SECONDS:g} s per GM program and soundfont (the tiny base: 1)")
    parser.add_argument("--export-only", action="store_true", help="skip training: store WORK/model's best as is")
    parser.add_argument("--take", choices=("best", "latest"), default="best",
                        help="which checkpoint becomes the base: the best eval loss, or the newest")
    args = parser.parse_args()

    from ddsp_train.data.pipeline import prepare_dataset
    from ddsp_train.training import checkpoints, model_dir as model_dir_lib, trainer

    started = time.monotonic()
    material = render_material(args.work / "material", seed=args.seed, phrases=args.phrases)
    dataset = args.work / "dataset"
    if not dataset_info.exists(dataset):
        prepare_dataset([str(args.work / "material")], output=str(dataset), seed=args.seed, workers=1)
    model_dir = args.work / "model"
    if args.export_only:
        figures = model_dir_lib.read_eval(model_dir)
    else:
        figures = trainer.train(data_dir=dataset, model_dir=model_dir, configs=[args.recipe], steps=args.steps,
                                minutes=args.minutes, batch_size=args.batch_size, eval_every=args.eval_every,
                                save_every=args.eval_every, seed=args.seed)
    best = checkpoints.best_step(model_dir) if args.take == "best" else None  # None: the newest
    model, info = checkpoints.load_model(model_dir, step=best)
    history = figures.get("history", [])
    chosen = next((h for h in history if h["step"] == model.restored_step), figures)
    meta = {"recipe": {"configs": [args.recipe], "gin_params": []}, "sample_rate": info.sample_rate,
            "frame_rate": info.frame_rate, "step": model.restored_step, "batch_size": args.batch_size,
            "seed": args.seed, "material": material, "material_seconds": info.total_seconds,
            "last_loop": figures.get("stopped"), "steps_trained": figures["step"],
            "this_invocation_minutes": round((time.monotonic() - started) / 60, 1),
            "eval": {k: v for k, v in chosen.items() if isinstance(v, (int, float))}}
    path = base_models.write(args.out, name=args.recipe, weights=[w.numpy() for w in model.weights], meta=meta)
    print(json.dumps({"base": str(path), "bytes": path.stat().st_size, **meta["eval"]}))


if __name__ == "__main__":
    main()
