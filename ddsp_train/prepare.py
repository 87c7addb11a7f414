"""``ddsp-prepare``: recordings -> a training dataset (thin shell over :func:`data.pipeline.prepare_dataset`)."""
from __future__ import annotations

import inspect
import sys

import click

from ddsp_train import cli, console, contract
from ddsp_train.data import nsynth
from ddsp_train.data.pipeline import check_recordings, prepare_dataset

#: The library function's defaults, the only place they are declared.
DEFAULTS = {name: p.default for name, p in inspect.signature(prepare_dataset).parameters.items()
            if p.default is not inspect.Parameter.empty}

EXAMPLES = [
    "ddsp-prepare recordings/violin/ --output data/violin",
    "ddsp-prepare recordings/violin/ 'takes/*.flac' --output data/violin --f0-method yin --example-secs 4",
    "ddsp-prepare recordings/violin/ --output data/violin --overwrite --workers 8",
    "ddsp-prepare takes/ --output data/violin -- --direct_running_mode=multi_threading --direct_num_workers=4",
    "ddsp-prepare recordings/violin/ --check-only",
    "ddsp-prepare take1.wav take2.flac --check-only --output checks/violin",
    "ddsp-prepare nsynth-train.tfrecord --output data/nsynth_strings --family string --source acoustic --pitch 48-84",
]
NOTE = ("Everything after -- goes to Apache Beam's PipelineOptions (default: the DirectRunner with one process "
        "per core; threads for the network tracker; in one process under a minute of audio). Other runners need "
        "INPUT and DIR on storage their workers can reach. --output is never an INPUT or inside one, and "
        "--overwrite replaces only a folder that ddsp-prepare wrote (it holds dataset.json). --check-only judges the "
        "recordings (one note at a time, reverb, clipping, noise, DC, pitch range, dynamics, length: good / usable / "
        "fix this first) without preparing anything; with --output DIR it writes only DIR/report.html.")


@cli.command(examples=EXAMPLES, note=NOTE)
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("--output", "-o", metavar="DIR",
              help="Dataset folder to create (new, empty, or an earlier ddsp-prepare output with --overwrite); "
                   "with --check-only, the folder for report.html (optional).")
@click.option("--check-only", is_flag=True,
              help="Only check the recordings and print the verdicts; write no dataset (with --output DIR: "
                   "only DIR/report.html).")
@click.option("--sample-rate", type=int, default=DEFAULTS["sample_rate"], show_default=True,
              help=f"Audio rate of the examples (Hz); the plugin needs {contract.SAMPLE_RATE}.")
@click.option("--frame-rate", type=float, default=DEFAULTS["frame_rate"], show_default=True,
              help="Feature frames per second.")
@click.option("--example-secs", type=float, default=DEFAULTS["example_secs"], show_default=True,
              help="Example length (s).")
@click.option("--hop-secs", type=float, default=DEFAULTS["hop_secs"], show_default=True,
              help="Step between examples (s).")
@click.option("--eval-fraction", type=float, default=DEFAULTS["eval_fraction"], show_default=True,
              help="Share of the audio held out for evaluation (whole recordings; by time if only one).")
@click.option("--seed", type=int, default=DEFAULTS["seed"], show_default=True, help="Seed of the train/eval split.")
@click.option("--f0-method", default=DEFAULTS["f0_method"], show_default=True,
              help="Pitch tracker: network (ours, most accurate, ~25x real time per core), pyin "
                   "(librosa, ~1x), yin (~200x, more octave errors).")
@click.option("--workers", type=int, default=DEFAULTS["workers"], help="Worker processes [default: all cores].")
@click.option("--shards", type=int, default=DEFAULTS["shards"],
              help="TFRecord shards per split [default: one per 256 MB of examples].")
@click.option("--overwrite", is_flag=True, help="Replace an earlier ddsp-prepare output in DIR.")
@click.option("--strict", is_flag=True, help="Fail if any input file is unusable instead of skipping it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress, notes or summary on stderr.")
@click.option("--family", multiple=True, default=DEFAULTS["family"], metavar="NAME",
              help=f"NSynth INPUT: keep notes of these instrument families ({', '.join(nsynth.FAMILIES)}).")
@click.option("--source", multiple=True, default=DEFAULTS["source"], metavar="NAME",
              help=f"NSynth INPUT: keep notes of these sources ({', '.join(nsynth.SOURCES)}).")
@click.option("--instrument", multiple=True, default=DEFAULTS["instrument"], metavar="NAME",
              help="NSynth INPUT: keep notes of these instruments (instrument_str, e.g. string_acoustic_012).")
@click.option("--pitch", default=DEFAULTS["pitch"], metavar="LOW-HIGH",
              help="NSynth INPUT: keep notes of MIDI pitch LOW..HIGH (e.g. 48-84).")
@click.option("--beam-arg", "beam_args", multiple=True, hidden=True)
def command(inputs, output, check_only, sample_rate, frame_rate, example_secs, hop_secs, eval_fraction, seed, f0_method,
            workers, shards, overwrite, strict, quiet, family, source, instrument, pitch, beam_args):
    """Prepare a training dataset from recordings of one instrument.

    INPUT: audio files (wav, flac, ogg, mp3, aiff, ...), folders (searched recursively for audio files) or glob
    patterns; any rate and channel count. Or NSynth TFRecord files (e.g. nsynth-train.tfrecord): their 4 s notes,
    selected with --family, --source, --instrument and --pitch, f0 from each note's pitch label. Writes DIR/train.tfrecord-*, DIR/eval.tfrecord-*,
    DIR/dataset.json, DIR/report.png and DIR/report.html (the data check: is this audio good for training?).
    """
    say = console.silent if quiet else console.stderr
    if check_only:
        click.echo("\n".join(check_recordings(list(inputs), output=output, overwrite=overwrite,
                                               sample_rate=sample_rate, frame_rate=frame_rate,
                                               example_secs=example_secs, f0_method=f0_method, say=say)))
        return
    if output is None:
        raise click.UsageError("give --output DIR (the dataset folder to create), or --check-only")
    try:
        info = prepare_dataset(
            list(inputs), output=output, sample_rate=sample_rate, frame_rate=frame_rate, example_secs=example_secs,
            hop_secs=hop_secs, eval_fraction=eval_fraction, seed=seed, f0_method=f0_method, workers=workers,
            shards=shards, overwrite=overwrite, strict=strict, beam_args=tuple(beam_args), family=family,
            source=source, instrument=instrument, pitch=pitch,
            say=say)
    except KeyboardInterrupt:  # as Abort: click would print an empty line before cli.run's "Interrupted."
        raise click.Abort() from None
    click.echo(f"Wrote {info['splits']['train']['examples']} train and {info['splits']['eval']['examples']} "
               f"eval examples to {output}")


def split_beam_args(args: list[str]) -> list[str]:
    """Turn ``... -- A B`` into ``... --beam-arg=A --beam-arg=B`` (the rest goes to Beam)."""
    if "--" not in args:
        return args
    i = args.index("--")
    return args[:i] + [f"--beam-arg={a}" for a in args[i + 1:]]


def main(args: list[str] | None = None) -> None:
    """The console script (``args=None``: ``sys.argv``, native log lines filtered) or a call with ``args``."""
    if args is None:
        sys.argv[1:] = split_beam_args(sys.argv[1:])
        cli.run(command)
    else:
        cli.run(command, split_beam_args(list(args)))


if __name__ == "__main__":
    main()
