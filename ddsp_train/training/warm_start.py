"""``ddsp-train --init``: start a new model from the weights of a base or an earlier model.

``--init base`` takes the packaged base of the run's recipe (:mod:`ddsp_train.base_models`);
``--init MODEL_DIR`` a folder ddsp-train wrote, at its best-eval checkpoint (else its newest).
Only the model's weights are taken: the optimizer state (Adam's moments) and the step counter
start fresh. Compatibility is checked twice: before TensorFlow (:func:`resolve`: the recipe the
source was trained with must be this run's, the sample and frame rates the dataset's), then on
the built model (:func:`load_into`: every weight's shape). A mismatch is one UserError.
"""
from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Sequence

from ddsp_train import base_models, console
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import model_dir as model_dir_lib

BASE = "base"
#: What a source's frame grid must share with the dataset (the example length may differ).
RATE_KEYS = ("sample_rate", "frame_rate")
WEIGHT_NAME = "model_weights/{index}/.ATTRIBUTES/VARIABLE_VALUE"


@dataclasses.dataclass(frozen=True)
class Source:
    """Where the starting weights come from: a packaged base, or a checkpoint of a model folder."""

    label: str
    recipe: model_dir_lib.Recipe
    base: base_models.BaseModel | None = None
    checkpoint: pathlib.Path | None = None


def source_recipe(init: str) -> model_dir_lib.Recipe | None:
    """The recipe recorded in model folder ``init`` (None for ``base``): the recipe of a new model
    folder started from it when no ``--config`` is given. UserError if it is no trained model."""
    if init == BASE:
        return None
    folder = pathlib.Path(init)
    if not folder.is_dir():
        raise UserError(f"--init {init}: no such model folder (give 'base' or a folder ddsp-train wrote)",
                        exit_code=2)
    if not model_dir_lib.list_checkpoints(folder):
        raise UserError(f"--init {init} holds no checkpoint (ddsp-train writes them to "
                        f"{model_dir_lib.checkpoint_dir(folder)}); give a trained model folder or 'base'",
                        exit_code=2)
    recipe = model_dir_lib.read_recipe(folder)
    if recipe is None:
        raise UserError(f"--init {init} has no readable {model_dir_lib.RECIPE}, so its recipe is unknown; "
                        "give a model folder written by this version of ddsp-train", exit_code=2)
    return recipe


def resolve(init: str, *, recipe: model_dir_lib.Recipe, info: DatasetInfo, model_dir: pathlib.Path) -> Source:
    """Check ``init`` against this run's ``recipe`` and dataset ``info`` (no TensorFlow)."""
    if init == BASE:
        if len(recipe.configs) != 1 or "/" in recipe.configs[0]:
            raise UserError(f"--init base needs one packaged recipe, got {recipe.config_flags()} (bases ship for: "
                            f"{', '.join(base_models.available()) or 'none'})", exit_code=2)
        base = base_models.find(recipe.configs[0])
        rates = {k: base.meta.get(k) for k in RATE_KEYS}
        _check_rates(rates, info, what=f"the packaged {base.name} base")
        return Source(label=f"the packaged {base.name} base", recipe=model_dir_lib.Recipe(base.configs, base.gin_params),
                      base=base)
    folder = pathlib.Path(init)
    if folder.resolve() == model_dir.resolve():
        raise UserError(f"--init {init} is the --model-dir itself; to resume it, leave --init out", exit_code=2)
    source = source_recipe(init)
    if source.configs != recipe.configs:
        raise UserError(f"--init {init} was trained with {source.config_flags()}, this run uses "
                        f"{recipe.config_flags()}: its weights do not fit; use {source.config_flags()} "
                        "(or no --config), or another --init", exit_code=2)
    try:
        old = DatasetInfo.read(folder)
    except UserError:
        old = None
    if old is not None:
        _check_rates({k: getattr(old, k) for k in RATE_KEYS}, info, what=f"--init {init}")
    step = model_dir_lib.best_step(folder) or model_dir_lib.latest_step(folder)
    path = dict(model_dir_lib.list_checkpoints(folder))[step]
    return Source(label=f"{folder} (step {step})", recipe=source, checkpoint=path)


def _check_rates(rates: dict[str, Any], info: DatasetInfo, *, what: str) -> None:
    for key, value in rates.items():
        if value is not None and value != getattr(info, key):
            raise UserError(f"{what} was trained on {key} = {value}, but the dataset has {key} = "
                            f"{getattr(info, key)}; prepare the data at {key} {value} or train without --init",
                            exit_code=2)


def source_weights(source: Source) -> list[Any]:
    """The source's weights in the model's weight order (numpy arrays)."""
    if source.base is not None:
        return source.base.weights()
    import tensorflow as tf

    from ddsp_train.training.checkpoints import PREFIX

    reader = tf.train.load_checkpoint(str(source.checkpoint / PREFIX))
    names = reader.get_variable_to_shape_map()
    count = sum(1 for n in names if n.startswith("model_weights/"))
    return [reader.get_tensor(WEIGHT_NAME.format(index=i)) for i in range(count)]


def check_shapes(*, source: Sequence[tuple[int, ...]], target: Sequence[tuple[int, ...]], names: Sequence[str],
                 label: str) -> None:
    """UserError unless ``source`` and ``target`` shapes agree one by one (naming the first misfit)."""
    if len(source) != len(target):
        raise UserError(f"--init {label} has {len(source)} weights, this recipe's model {len(target)}: it was "
                        "built with other --config/--gin-param settings; use those, or train without --init",
                        exit_code=2)
    for name, a, b in zip(names, source, target):
        if tuple(a) != tuple(b):
            raise UserError(f"--init {label} does not fit this recipe: weight {name} is {tuple(a)} there, "
                            f"{tuple(b)} here (another --gin-param?); use its settings, or train without --init",
                            exit_code=2)


def load_into(model, source: Source, *, say: console.Say = console.stderr) -> None:
    """Assign the source's weights to ``model`` (built), after checking every shape."""
    weights = source_weights(source)
    check_shapes(source=[tuple(w.shape) for w in weights], target=[tuple(v.shape) for v in model.weights],
                 names=[v.path if hasattr(v, "path") else v.name for v in model.weights], label=source.label)
    for variable, value in zip(model.weights, weights):
        variable.assign(value.astype(variable.dtype if isinstance(variable.dtype, str) else "float32"))
    say(f"Starting from the weights of {source.label}; the optimizer state starts fresh (Adam's moments and the "
        "learning-rate schedule from step 0).")
