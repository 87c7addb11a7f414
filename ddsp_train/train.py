"""``ddsp-train``: train a DDSP model on a prepared dataset (thin shell over :func:`training.trainer.train`).

The defaults are those of :func:`~ddsp_train.training.trainer.train`'s signature; TensorFlow is
imported only once every argument and path has been checked.
"""
from __future__ import annotations

import inspect
import pathlib

import click

from ddsp_train import cli
from ddsp_train.dataset_info import FILENAME
from ddsp_train.training import convergence, request
from ddsp_train.training.trainer import DEFAULT_CONFIGS, train

DEFAULTS = {name: p.default for name, p in inspect.signature(train).parameters.items()}
EXAMPLES = [
    f"ddsp-train --data violin_dataset --model-dir violin_model --config {DEFAULT_CONFIGS[0]} "
    f"--steps {DEFAULTS['steps']}",
    "ddsp-train --data violin_dataset --model-dir violin_model",
    "ddsp-train --data violin_dataset --model-dir violin_tiny --config tiny --gin-param 'RnnFcDecoder.ch = 128'",
    "ddsp-train --data 'ddsp_violin/train.tfrecord*' --model-dir violin_model",
    "ddsp-train --data violin_dataset --model-dir violin_quick --config tiny --init base --minutes 3 --batch-size 8",
    "ddsp-train --data cello_dataset --model-dir cello_model --init violin_model --until-converged",
]
NOTE = ("Run the same command again to resume after a crash, a kill or Ctrl-C; without --config it "
        "reuses the recipe the folder was trained with.")


@cli.command(examples=EXAMPLES, note=NOTE)
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=pathlib.Path),
              help=f"A dataset folder written by ddsp-prepare (its {FILENAME} and TFRecord shards), or magenta/ddsp "
                   "TFRecords (ddsp_prepare_tfrecord's folder, a file, or a quoted pattern such as "
                   "'DIR/train.tfrecord*'): their rates and lengths are inferred from the records.")
@click.option("--model-dir", required=True, type=click.Path(path_type=pathlib.Path),
              help="Folder for checkpoints, logs, eval.json and plots: a new or empty folder, or one that "
                   "ddsp-train wrote before (training resumes from it). Not the dataset folder.")
@click.option("--config", "configs", multiple=True,
              help=f"Packaged recipe name (vst, tiny, solo_instrument, sinusoidal, wavetable) or a .gin file; "
                   f"repeat to stack [default: the folder's recipe when resuming, else "
                   f"{', '.join(DEFAULT_CONFIGS)}].")
@click.option("--gin-param", "gin_params", multiple=True, metavar="'BINDING=VALUE'",
              help="Extra gin binding, applied after the configs, e.g. 'RnnFcDecoder.ch = 128'; repeatable "
                   "[default: the folder's recorded bindings when resuming].")
@click.option("--steps", type=int, default=DEFAULTS["steps"], show_default=True,
              help="Train until this step count.")
@click.option("--batch-size", type=int, default=DEFAULTS["batch_size"], show_default=True,
              help="Examples per step (all replicas).")
@click.option("--learning-rate", type=float, default=DEFAULTS["learning_rate"],
              help="Initial learning rate [default: the config's].")
@click.option("--save-every", type=int, default=DEFAULTS["save_every"], show_default=True,
              help="Steps between checkpoints.")
@click.option("--eval-every", type=int, default=DEFAULTS["eval_every"], show_default=True,
              help="Steps between evaluations.")
@click.option("--strategy", type=click.Choice(request.STRATEGIES), default=DEFAULTS["strategy"],
              show_default=True, help="auto: all GPUs (MirroredStrategy), TF_CONFIG clusters, else one device.")
@click.option("--mixed-precision", is_flag=True, default=DEFAULTS["mixed_precision"],
              help="Networks in float16 (bfloat16 on CPU), DSP in float32.")
@click.option("--xla/--no-xla", default=DEFAULTS["xla"], help="XLA-compile the train step [default: on with a GPU].")
@click.option("--seed", type=int, default=DEFAULTS["seed"],
              help="Seed the initial weights, the shuffling and the noise, to repeat a run [default: random].")
@click.option("--init", default=DEFAULTS["init"], metavar="base|MODEL_DIR",
              help="Start a new model from these weights: 'base' (the packaged base model of the recipe) or a "
                   "model folder ddsp-train wrote (its best checkpoint; without --config its recipe is used). "
                   "The optimizer state starts fresh [default: random weights].")
@click.option("--minutes", type=float, default=DEFAULTS["minutes"],
              help="Wall-clock budget for the training loop, in minutes; it stops, saves and evaluates when the "
                   "budget is spent. With --steps: whichever comes first [default: no budget].")
@click.option("--until-converged", is_flag=True, default=DEFAULTS["until_converged"],
              help="Stop when the eval loss improves by less than --converge-threshold over --converge-window "
                   "steps (at most --steps).")
@click.option("--converge-window", type=int, default=DEFAULTS["converge_window"],
              help=f"Steps the --until-converged rule looks back [default: "
                   f"{convergence.DEFAULT_WINDOW_EVALS} x --eval-every].")
@click.option("--converge-threshold", type=float, default=DEFAULTS["converge_threshold"], show_default=True,
              help="Smallest relative improvement of the best eval loss over the window (0.01 = 1 %).")
def command(data_dir, model_dir, configs, gin_params, steps, batch_size, learning_rate, save_every,
            eval_every, strategy, mixed_precision, xla, seed, init, minutes, until_converged, converge_window,
            converge_threshold):
    """Train a DDSP timbre-transfer model on a dataset made by ddsp-prepare.

    Writes into MODEL_DIR: operative_config.gin, recipe.json (the --config and --gin-param used),
    a copy of the dataset's description, checkpoints/ (resumed automatically; the best-eval one is kept),
    logs/ (TensorBoard), eval.json (with the DDSP paper's metrics and the best step), samples/step-N.wav
    (reference, then resynthesis, at each evaluation) and plots/.
    """
    figures = train(data_dir=data_dir, model_dir=model_dir, configs=configs or None, gin_params=gin_params,
                    steps=steps, batch_size=batch_size, learning_rate=learning_rate, save_every=save_every,
                    eval_every=eval_every, strategy=strategy, mixed_precision=mixed_precision, xla=xla, seed=seed,
                    init=init, minutes=minutes, until_converged=until_converged, converge_window=converge_window,
                    converge_threshold=converge_threshold)
    best = figures.get("best")
    best_note = f" (best: step {best['step']}, {best['loss']:.4f})" if best and best["step"] != figures["step"] else ""
    click.echo(f"Done: step {figures['step']}, eval spectral loss {figures.get('spectral_loss', figures['loss']):.4f}"
               f"{best_note}; model in {model_dir}")


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
