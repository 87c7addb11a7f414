"""``ddsp-export``: a trained model folder -> the DDSP-VST plugin's ``.tflite`` (+ an offline SavedModel and
the feature extractor).

A thin click shell over :func:`ddsp_train.exporting.exporter.export_model`.
"""
from __future__ import annotations

import pathlib

import click

from ddsp_train import cli


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model_dir", type=click.Path(path_type=pathlib.Path))
@click.option("--output", type=click.Path(path_type=pathlib.Path), default=None,
              help="Folder for the exported files  [default: MODEL_DIR/export]")
@click.option("--name", default=None, help="File name stem, shown by the plugin  [default: MODEL_DIR's name]")
@click.option("--checkpoint", type=click.IntRange(0), default=None, help="Step to export  [default: the latest]")
@click.option("--format", "formats", default="tflite,saved_model,features", show_default=True,
              help="Comma-separated: tflite (the plugin's model), saved_model (offline, any config), features "
                   "(features.tflite: the pitch/power extractor with the interface of the plugin's own).")
@click.option("--quantize", is_flag=True,
              help="int8 weights in the .tflite: a quarter of the size and ~3x faster per frame (XNNPACK); "
                   "controls within 5% of the float model's (checked).")
@click.option("--install", is_flag=True, help="Copy the .tflite into the plugin's model folder.")
@click.option("--plugin-dir", type=click.Path(path_type=pathlib.Path), default=None,
              help="The plugin's model folder for --install  [default: ~/Documents/Magenta/DDSP/Models]")
@click.option("--data", "data_dir", type=click.Path(path_type=pathlib.Path), default=None,
              help="The prepared dataset: the self-check streams its eval examples.")
def command(model_dir, output, name, checkpoint, formats, quantize, install, plugin_dir, data_dir):
    """Export MODEL_DIR (written by ddsp-train) for the DDSP-VST plugin, and self-check the file.

    \b
    Examples:
      ddsp-export runs/violin --data data/violin --name Violin --install
      ddsp-export runs/violin_solo --format saved_model
    """
    from ddsp_train.exporting.exporter import export_model

    if plugin_dir is not None and not install:
        raise click.UsageError("--plugin-dir is only used with --install")
    export_model(model_dir, output_dir=output, name=name, checkpoint=checkpoint, formats=formats,
                 install=install, plugin_dir=plugin_dir, data_dir=data_dir, quantize=quantize, echo=click.echo)


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
