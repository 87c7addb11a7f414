"""`make demo`: the whole pipeline on audio the package synthesizes itself.

Runs the four real commands one after the other, printing each command line before it runs, so
the demo also shows what to type on your own recordings:

1. writes a few minutes of a synthetic bowed-string instrument (several takes) and a short melody
   of a different sound (a flute-like tone) into ``OUTPUT/audio`` and ``OUTPUT/melody.wav``;
2. ``ddsp-prepare`` -> ``OUTPUT/dataset``;
3. ``ddsp-train --config tiny --xla`` -> ``OUTPUT/model`` (re-running resumes the training);
4. ``ddsp-export`` -> ``OUTPUT/export/demo.tflite`` (+ SavedModel), self-checked;
5. ``ddsp-transfer`` of the melody through the model -> ``OUTPUT/transfer.wav``;

then prints a summary with the paths and the figures. Usage: ``python -m ddsp_train.demo``.
"""
from __future__ import annotations

import json
import pathlib
import shlex
import subprocess
import sys
import time

import click
import numpy as np
import soundfile as sf

from ddsp_train import dataset_info, synthetic
from ddsp_train.errors import UserError

INSTRUMENT_TIMBRE = "bowed"
MELODY_TIMBRE = "flute"


def write_demo_audio(
    audio_dir: pathlib.Path, melody_path: pathlib.Path, *, minutes: float, sample_rate: int = 16000, seed: int = 0
) -> None:
    """Write ``minutes`` of the demo instrument as 30 s takes, and a 12 s melody of another sound."""
    audio_dir.mkdir(parents=True, exist_ok=True)
    takes = max(2, int(round(minutes * 2)))
    for i in range(takes):
        path = audio_dir / f"take_{i:02d}.wav"
        if not path.exists():
            take = synthetic.demo_phrase(seconds=30.0, seed=seed + i, timbre=INSTRUMENT_TIMBRE, sample_rate=sample_rate)
            sf.write(path, take.audio, sample_rate, subtype="PCM_16")
    if not melody_path.exists():
        melody = synthetic.demo_phrase(seconds=12.0, seed=seed + 1000, timbre=MELODY_TIMBRE, sample_rate=sample_rate,
                                       low_midi=60, high_midi=76)
        sf.write(melody_path, melody.audio, sample_rate, subtype="PCM_16")


def _command(name: str) -> str:
    """The console script ``name`` of this environment (beside the running interpreter)."""
    candidate = pathlib.Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def _run(name: str, *args: str) -> None:
    shown = " ".join([name, *map(shlex.quote, args)])
    click.secho(f"\n$ {shown}", bold=True)
    started = time.time()
    result = subprocess.run([_command(name), *args], check=False)
    if result.returncode != 0:
        raise UserError(f"the demo step `{shown}` failed (exit {result.returncode}); see its message above")
    click.echo(f"  ({time.time() - started:.0f} s)")


def run_demo(
    *,
    output: pathlib.Path,
    minutes: float = 3.0,
    steps: int = 1000,
    batch_size: int = 8,
    f0_method: str | None = None,
    seed: int = 0,
    extra_train_args: tuple[str, ...] = (),
) -> dict:
    """Run prepare -> train -> export -> transfer into ``output``; returns the summary figures."""
    output = pathlib.Path(output)
    audio_dir, melody = output / "audio", output / "melody.wav"
    dataset, model_dir, export_dir = output / "dataset", output / "model", output / "export"
    transfer_wav = output / "transfer.wav"

    click.secho(f"1/5 Writing {minutes:g} min of demo audio to {audio_dir}", bold=True)
    write_demo_audio(audio_dir, melody, minutes=minutes, seed=seed)

    click.secho("2/5 Preparing the dataset", bold=True)
    if dataset_info.exists(dataset):
        click.echo(f"  {dataset} exists: reusing it (`make clean-demo` starts over)")
    else:
        _run("ddsp-prepare", str(audio_dir), "--output", str(dataset),
             *(["--f0-method", f0_method] if f0_method else []))

    click.secho("3/5 Training (re-running resumes from the last checkpoint)", bold=True)
    _run("ddsp-train", "--data", str(dataset), "--model-dir", str(model_dir), "--config", "tiny",
         "--init", "base",  # the packaged tiny base: fine-tuning starts far below a fresh model's loss
         "--steps", str(steps), "--batch-size", str(batch_size), "--seed", str(seed),
         # XLA: ~25 % faster per step on CPU too for this recipe (scripts/bench_train.py).
         "--xla", *extra_train_args)

    click.secho("4/5 Exporting for the DDSP-VST plugin", bold=True)
    _run("ddsp-export", str(model_dir), "--output", str(export_dir), "--name", "demo")

    click.secho("5/5 Transferring the melody through the model", bold=True)
    _run("ddsp-transfer", str(export_dir / "demo.tflite"), str(melody), "--output", str(transfer_wav),
         "--overwrite")  # the demo's own file: a re-run replaces it

    summary = summarize(output)
    click.secho("\nDemo finished.", bold=True)
    for key, value in summary.items():
        click.echo(f"  {key:<28} {value}")
    (output / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def summarize(output: pathlib.Path) -> dict:
    """Paths and figures from what the steps wrote (missing figures are reported as such)."""
    model_dir = output / "model"
    evaluation = _read_json(model_dir / "eval.json")
    history = evaluation.get("history") or []
    first = history[0] if history else {}
    audio, rate = sf.read(output / "transfer.wav")
    summary = {
        "dataset report": str(output / "dataset" / "report.png"),
        "loss curves": str(model_dir / "plots" / "losses.png"),
        "resynthesis spectrogram": str(model_dir / "plots" / "spectrogram.png"),
        "plugin model": str(output / "export" / "demo.tflite"),
        "transferred melody": str(output / "transfer.wav"),
        "training steps": evaluation.get("step", "n/a"),
        "eval spectral loss (first)": first.get("spectral_loss", "n/a"),
        "eval spectral loss (latest)": evaluation.get("spectral_loss", "n/a"),
        "resynthesis f0 error (c)": evaluation.get("f0_cents_median", "n/a"),
        "transfer rms (dBFS)": round(float(10 * np.log10(np.mean(np.square(audio)) + 1e-12)), 1),
        "transfer length (s)": round(len(audio) / rate, 2),
    }
    selfcheck = _read_json(output / "export" / "demo.selfcheck.json")
    if selfcheck:
        summary["export latency median (us)"] = selfcheck.get("latency_us_median", "n/a")
    return summary


def _read_json(path: pathlib.Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--output", type=click.Path(file_okay=False, path_type=pathlib.Path), default="demo",
              show_default=True, help="Folder for everything the demo writes.")
@click.option("--minutes", type=click.FloatRange(0.5, 60), default=3.0, show_default=True,
              help="Minutes of demo instrument audio to synthesize.")
@click.option("--steps", type=click.IntRange(1), default=1000, show_default=True,
              help="Training steps (eval loss at 1000 is within 2 % of 1500's on the demo audio).")
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True)
@click.option("--f0-method", default=None, help="Pitch tracker for ddsp-prepare (default: its default).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the demo audio and of the training.")
def command(output, minutes, steps, batch_size, f0_method, seed):
    """Run the whole pipeline on synthesized demo audio.

    Example: python -m ddsp_train.demo --output demo --steps 1000
    """
    run_demo(output=output, minutes=minutes, steps=steps, batch_size=batch_size, f0_method=f0_method, seed=seed)


def main() -> None:
    from ddsp_train import cli

    cli.run(command)


if __name__ == "__main__":
    main()
