"""The training quality run: a few minutes of one rendered instrument, a recipe trained on CPU.

1. renders ``--minutes`` of GM program ``--program`` (default 40, violin) through a GM soundfont
   with fluidsynth (``--soundfont``, default FluidR3_GM), 30 s phrases with exact f0 labels,
   into WORKDIR/audio (or, without fluidsynth, synthesizes bowed-string phrases and says so);
2. ``ddsp-prepare``'s library function -> WORKDIR/dataset;
3. ``ddsp-train``'s library function, ``--config`` (default tiny) for ``--steps`` (default 2000)
   at ``--batch-size`` -> WORKDIR/model (re-running resumes from the last checkpoint);
4. prints the eval spectral loss at step 0 and at the end (and the drop in %), the resynthesis
   f0 error (median cents, share within 50) and power error, with the paths of the spectrogram
   PNG and loss curves, and writes WORKDIR/resynthesis.wav / reference.wav (the first eval
   example and the model's resynthesis) to listen to.

Goals (issue "ddsp-train"): loss down >= 50 %, median f0 error < 20 cents. Hours on CPU belong in
the background: ``nohup python scripts/quality_run.py --workdir runs/quality > runs/quality.log &``.

    python scripts/quality_run.py [--workdir runs/quality] [--minutes 5] [--steps 2000] [--config tiny]
"""
from __future__ import annotations

import json
import pathlib
import sys
import time

import click
import numpy as np
import soundfile as sf

PHRASE_SECS = 30.0


def write_audio(audio_dir: pathlib.Path, *, minutes: float, program: int, soundfont: str, seed: int) -> str:
    """Render (or synthesize) the instrument into ``audio_dir``; returns a description of the material."""
    import pitch_training_data as td  # scripts/pitch_training_data.py (beside this script)

    audio_dir.mkdir(parents=True, exist_ok=True)
    count = max(2, int(round(minutes * 60 / PHRASE_SECS)))
    font = td.find_soundfont(soundfont)
    if font is not None and td.have_fluidsynth():
        if len(list(audio_dir.glob("*.wav"))) < count:
            clips = td.render_midi_clips(np.random.default_rng(seed), soundfont=font, programs=[program] * count,
                                         seconds_each=PHRASE_SECS)
            for i, clip in enumerate(clips):
                sf.write(audio_dir / f"phrase_{i:02d}.wav", clip.audio, td.SAMPLE_RATE, subtype="PCM_16")
        return f"{count} x {PHRASE_SECS:g} s of GM program {program} rendered with fluidsynth through {font.name}"
    from ddsp_train import synthetic

    for i in range(count):
        path = audio_dir / f"phrase_{i:02d}.wav"
        if not path.exists():
            take = synthetic.demo_phrase(seconds=PHRASE_SECS, seed=seed + i, timbre="bowed", sample_rate=16000)
            sf.write(path, take.audio, 16000, subtype="PCM_16")
    return f"{count} x {PHRASE_SECS:g} s of synthesized bowed-string phrases (fluidsynth or {soundfont} not found)"


def write_listening_pair(model_dir: pathlib.Path, data_dir: pathlib.Path, workdir: pathlib.Path) -> None:
    """The first eval example and the trained model's resynthesis of it, as wavs."""
    from ddsp_train.data.reader import read_dataset
    from ddsp_train.dataset_info import FEATURE_KEYS
    from ddsp_train.training.checkpoints import load_model

    model, info = load_model(model_dir)
    example = next(iter(read_dataset(str(data_dir), split="eval").batch(1)))
    example = {k: v for k, v in example.items() if k in FEATURE_KEYS}
    out = model(example, training=False)
    rate = info.sample_rate
    sf.write(workdir / "reference.wav", np.asarray(example["audio"][0]), rate)
    sf.write(workdir / "resynthesis.wav", np.asarray(out["audio_synth"][0]), rate)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workdir", type=click.Path(file_okay=False, path_type=pathlib.Path), default="runs/quality",
              show_default=True)
@click.option("--minutes", type=float, default=5.0, show_default=True)
@click.option("--program", type=int, default=40, show_default=True, help="General MIDI program (40 = violin).")
@click.option("--soundfont", default="FluidR3_GM.sf2", show_default=True)
@click.option("--config", "config", default="tiny", show_default=True)
@click.option("--steps", type=int, default=2000, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--eval-every", type=int, default=500, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def main(workdir, minutes, program, soundfont, config, steps, batch_size, eval_every, seed):
    """Render, prepare, train, and print the quality figures."""
    from ddsp_train import dataset_info
    from ddsp_train.data.pipeline import prepare_dataset
    from ddsp_train.training.trainer import train

    workdir.mkdir(parents=True, exist_ok=True)
    audio_dir, data_dir, model_dir = workdir / "audio", workdir / "dataset", workdir / "model"
    material = write_audio(audio_dir, minutes=minutes, program=program, soundfont=soundfont, seed=seed)
    print(f"Material: {material}", flush=True)
    if not dataset_info.exists(data_dir):
        started = time.time()
        prepare_dataset([str(audio_dir)], output=str(data_dir))
        print(f"Prepared {data_dir} in {time.time() - started:.0f} s", flush=True)
    started = time.time()
    latest = train(data_dir=data_dir, model_dir=model_dir, configs=[config], steps=steps, batch_size=batch_size,
                   save_every=min(250, steps), eval_every=eval_every, seed=seed)
    seconds = time.time() - started
    write_listening_pair(model_dir, data_dir, workdir)
    first = latest["history"][0]
    drop = 100 * (1 - latest["spectral_loss"] / first["spectral_loss"])
    figures = {
        "material": material,
        "config": config, "steps": latest["step"], "batch_size": batch_size,
        "train_seconds_this_run": round(seconds, 1),
        "eval_spectral_loss_step0": first["spectral_loss"],
        "eval_spectral_loss_final": latest["spectral_loss"],
        "loss_drop_percent": drop,
        "f0_cents_median": latest["f0_cents_median"],
        "f0_within_50_cents": latest["f0_within_50_cents"],
        "power_error_db": latest["power_error_db"],
        "spectrogram_png": str(model_dir / "plots" / "spectrogram.png"),
        "losses_png": str(model_dir / "plots" / "losses.png"),
        "listen": [str(workdir / "reference.wav"), str(workdir / "resynthesis.wav")],
    }
    (workdir / "quality.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    ok = drop >= 50 and latest["f0_cents_median"] < 20
    print(f"Goals (loss down >= 50 %, median f0 error < 20 cents): {'met' if ok else 'NOT met'}")
    sys.exit(0 if ok else 1)  # click's standalone mode would exit 0 whatever main returned


if __name__ == "__main__":
    main()
