"""``ddsp-prepare``: recordings -> a training dataset (thin shell over :func:`data.pipeline.prepare_dataset`)."""
from __future__ import annotations

import sys

import click

from ddsp_train import cli
from ddsp_train.pitch import DEFAULT_F0_METHOD

EXAMPLE = "ddsp-prepare recordings/violin/ takes/*.flac --output violin_dataset"
BEAM_EXAMPLE = ("ddsp-prepare takes/ --output violin_dataset -- --direct_running_mode=multi_threading "
                "--direct_num_workers=4")


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
               epilog=f"Examples:\n\n  {EXAMPLE}\n\n  {EXAMPLE} --f0-method yin --example-secs 4 --workers 8"
                      f"\n\n  {BEAM_EXAMPLE}"
                      "\n\nEverything after -- goes to Apache Beam's PipelineOptions (default: the DirectRunner "
                      "with one process per core; threads for the network tracker; in-process under a minute "
                      "of audio). Other runners need INPUT and DIR on storage their workers can reach.")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("--output", "-o", required=True, metavar="DIR", help="Dataset folder to create.")
@click.option("--sample-rate", type=int, default=16000, show_default=True, help="Audio rate of the examples (Hz).")
@click.option("--frame-rate", type=float, default=50, show_default=True, help="Feature frames per second.")
@click.option("--example-secs", type=float, default=4.0, show_default=True, help="Example length (s).")
@click.option("--hop-secs", type=float, default=1.0, show_default=True, help="Step between examples (s).")
@click.option("--eval-fraction", type=float, default=0.1, show_default=True,
              help="Share of the audio held out for evaluation (whole recordings; by time if only one).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the train/eval split.")
@click.option("--f0-method", default=None,
              help=f"Pitch tracker: network (ours, most accurate, ~25x real time per core), pyin "
                   f"(librosa, ~1x), yin (~200x, more octave errors). [default: {DEFAULT_F0_METHOD}]")
@click.option("--workers", type=int, default=None, help="Worker processes [default: all cores].")
@click.option("--shards", type=int, default=None,
              help="TFRecord shards per split [default: one per 256 MB of examples].")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --output folder.")
@click.option("--strict", is_flag=True, help="Fail if any input file is unusable instead of skipping it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on stderr.")
@click.option("--beam-arg", "beam_args", multiple=True, hidden=True)
def command(inputs, output, sample_rate, frame_rate, example_secs, hop_secs, eval_fraction, seed, f0_method,
            workers, shards, overwrite, strict, quiet, beam_args):
    """Prepare a training dataset from recordings of one instrument.

    INPUT: audio files (wav, flac, ogg, mp3, aiff, ...), folders (searched recursively for
    audio files) or glob patterns. Writes DIR/train.tfrecord-*, DIR/eval.tfrecord-*,
    DIR/dataset.json and DIR/report.png.
    """
    from ddsp_train.data.pipeline import prepare_dataset

    summary = prepare_dataset(
        list(inputs), output=output, sample_rate=sample_rate, frame_rate=frame_rate, example_secs=example_secs,
        hop_secs=hop_secs, eval_fraction=eval_fraction, seed=seed, f0_method=f0_method or DEFAULT_F0_METHOD,
        workers=workers, shards=shards, overwrite=overwrite, strict=strict, beam_args=tuple(beam_args),
        progress=not quiet)
    click.echo(f"Wrote {summary['splits']['train']['examples']} train and {summary['splits']['eval']['examples']} "
               f"eval examples to {output}")


def split_beam_args(args: list[str]) -> list[str]:
    """Turn ``... -- A B`` into ``... --beam-arg=A --beam-arg=B`` (the rest goes to Beam)."""
    if "--" not in args:
        return args
    i = args.index("--")
    return args[:i] + [f"--beam-arg={a}" for a in args[i + 1:]]


def main(args: list[str] | None = None) -> None:
    cli.run(command, split_beam_args(list(sys.argv[1:] if args is None else args)))


if __name__ == "__main__":
    main()
