"""``ddsp-export``: a trained model folder -> the DDSP-VST plugin's ``.tflite`` (+ an offline SavedModel and
the feature extractor); ``ddsp-export --check FILE.tflite`` checks any file against the plugin's contract.

A thin click shell over :func:`ddsp_train.exporting.exporter.export_model` and
:func:`ddsp_train.exporting.plugin_check.check_file`. Neither path imports TensorFlow before
every argument has been checked; ``--check`` never does.
"""
from __future__ import annotations

import inspect

import click

from ddsp_train import cli, contract
from ddsp_train.exporting.exporter import export_model

_PARAMETERS = inspect.signature(export_model).parameters
#: Paths are taken as given and checked by the library (a NUL byte, a missing folder: one-line errors).
PATH = click.STRING


def _default(name: str):
    return _PARAMETERS[name].default


EXAMPLES = [
    "ddsp-export models/violin --data data/violin --name Violin --install",
    "ddsp-export models/violin --quantize --format tflite --output exports/violin_int8",
    "ddsp-export models/violin_solo --format saved_model",
    "ddsp-export --check ~/Downloads/Flute.tflite",
]
NOTE = (f"MODEL_DIR is the --model-dir of ddsp-train. Writes into --output (default MODEL_DIR/export): NAME.tflite "
        "(the plugin's model, self-checked), NAME.reverb.wav (the learned reverb, for a convolution reverb), "
        "NAME.saved_model/, features.tflite, NAME.selfcheck.json, NAME.preview.wav (a packaged melody played "
        "through NAME.tflite) and export.json (the list of files it wrote: a re-export replaces those and removes "
        "its own stale files, nothing else). Then it refreshes MODEL_DIR/report.html with the self-check and the "
        f"preview. --install copies NAME.tflite into {contract.MODEL_FOLDER}.")


@cli.command(examples=EXAMPLES, note=NOTE)
@click.argument("model_dir", required=False, type=PATH)
@click.option("--output", type=PATH, metavar="DIR", default=_default("output_dir"),
              help="Folder for the exported files: new, empty or an earlier export  [default: MODEL_DIR/export]")
@click.option("--name", default=_default("name"),
              help="File name stem, shown by the plugin  [default: MODEL_DIR's name]")
@click.option("--checkpoint", type=int, default=_default("checkpoint"),
              help="Training step to export (a checkpoint in MODEL_DIR/checkpoints)  [default: the latest]")
@click.option("--format", "formats", default=",".join(_default("formats")), show_default=True,
              help="Comma-separated: tflite (the plugin's model), saved_model (offline, any config), features "
                   "(features.tflite: the pitch/power extractor with the interface of the plugin's own).")
@click.option("--quantize", is_flag=True, default=_default("quantize"),
              help="int8 weights in the .tflite: a quarter of the size and ~3x faster per frame (XNNPACK); "
                   "controls within 5% of the float model's (checked).")
@click.option("--install", is_flag=True, default=_default("install"),
              help="Copy NAME.tflite into the plugin's model folder.")
@click.option("--plugin-dir", type=PATH, metavar="DIR", default=_default("plugin_dir"),
              help=f"The plugin's model folder for --install  [default: {contract.MODEL_FOLDER}]")
@click.option("--overwrite", is_flag=True, default=_default("overwrite"),
              help="With --install: replace a NAME.tflite in the plugin folder that ddsp-export did not write "
                   "(one it wrote is replaced anyway).")
@click.option("--data", "data_dir", type=PATH, metavar="DIR", default=_default("data_dir"),
              help="The dataset folder of ddsp-prepare: the self-check and the level calibration use its eval "
                   "examples  [default: the one the model was trained on, if still there]")
@click.option("--check", "check_path", type=PATH, default=None, metavar="FILE.tflite",
              help="Check FILE.tflite (from anywhere) against the plugin's model contract, one line per rule; "
                   "exit 1 if any fails. Takes no MODEL_DIR.")
def command(model_dir, output, name, checkpoint, formats, quantize, install, plugin_dir, overwrite, data_dir,
            check_path):
    """Export MODEL_DIR (written by ddsp-train) for the DDSP-VST plugin, and self-check the file."""
    if check_path is not None:
        if model_dir is not None:
            raise click.UsageError("--check FILE.tflite checks a file; give no MODEL_DIR with it")
        from ddsp_train.exporting.plugin_check import check_file

        check_file(check_path, say=click.echo)
        return
    if model_dir is None:
        raise click.UsageError("give MODEL_DIR (the --model-dir of ddsp-train), or --check FILE.tflite")
    if plugin_dir is not None and not install:
        raise click.UsageError("--plugin-dir is only used with --install")
    from ddsp_train.realtime.preview import write_preview

    result = export_model(model_dir, output_dir=output, name=name, checkpoint=checkpoint, formats=formats,
                          install=install, plugin_dir=plugin_dir, data_dir=data_dir, quantize=quantize,
                          overwrite=overwrite, preview=write_preview)
    click.echo(result.summary())


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
