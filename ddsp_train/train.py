"""``ddsp-train``: train a DDSP model on a prepared dataset (thin shell over :func:`training.trainer.train`)."""
from __future__ import annotations

import pathlib

import click

from ddsp_train import cli

EXAMPLE = "ddsp-train --data violin_dataset --model-dir violin_model --config vst --steps 30000"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
               epilog=f"\b\nExample:\n  {EXAMPLE}\n\nRun the same command again to resume after a crash or kill.")
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=pathlib.Path),
              help="Dataset folder written by ddsp-prepare (TFRecords + dataset.json).")
@click.option("--model-dir", required=True, type=click.Path(path_type=pathlib.Path),
              help="Folder for checkpoints, logs, eval.json and plots; training resumes from it.")
@click.option("--config", "configs", multiple=True, default=("vst",), show_default=True,
              help="Packaged recipe name (vst, tiny, solo_instrument, sinusoidal, wavetable) or a .gin "
                   "file; repeat to stack.")
@click.option("--gin-param", "gin_params", multiple=True, metavar="'BINDING=VALUE'",
              help="Extra gin binding, applied after the configs, e.g. 'RnnFcDecoder.ch = 128'; repeatable.")
@click.option("--steps", type=int, default=30000, show_default=True, help="Train until this step count.")
@click.option("--batch-size", type=int, default=16, show_default=True, help="Examples per step (all replicas).")
@click.option("--learning-rate", type=float, default=None, help="Initial learning rate (default: the config's).")
@click.option("--save-every", type=int, default=500, show_default=True, help="Steps between checkpoints.")
@click.option("--eval-every", type=int, default=1000, show_default=True, help="Steps between evaluations.")
@click.option("--strategy", type=click.Choice(["auto", "mirrored", "multiworker"]), default="auto",
              show_default=True, help="auto: all GPUs (MirroredStrategy), TF_CONFIG clusters, else one device.")
@click.option("--mixed-precision", is_flag=True, help="Networks in float16 (bfloat16 on CPU), DSP in float32.")
@click.option("--xla/--no-xla", default=None, help="XLA-compile the train step [default: on with a GPU].")
@click.option("--seed", type=int, default=None,
              help="Seed the initial weights, the shuffling and the noise, to repeat a run [default: random].")
def command(data_dir, model_dir, configs, gin_params, steps, batch_size, learning_rate, save_every,
            eval_every, strategy, mixed_precision, xla, seed):
    """Train a DDSP timbre-transfer model on a dataset made by ddsp-prepare.

    Writes into MODEL_DIR: operative_config.gin, a copy of dataset.json, checkpoints/ (resumed
    automatically), logs/ (TensorBoard), eval.json and plots/.
    """
    from ddsp_train.training.trainer import train

    figures = train(data_dir=data_dir, model_dir=model_dir, configs=configs, gin_params=gin_params, steps=steps,
                    batch_size=batch_size, learning_rate=learning_rate, save_every=save_every,
                    eval_every=eval_every, strategy=strategy, mixed_precision=mixed_precision, xla=xla,
                    seed=seed)
    click.echo(f"Done: step {figures['step']}, eval spectral loss {figures.get('spectral_loss', figures['loss']):.4f}; "
               f"model in {model_dir}")


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
