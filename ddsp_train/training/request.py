"""Every check of a ddsp-train run that needs no TensorFlow, made before it is imported.

:func:`check` turns the arguments of :func:`ddsp_train.training.trainer.train` into a
:class:`Request` or raises a one-line UserError: numbers out of range, a missing folder or one
that is not a dataset (``DatasetInfo.read``), a model folder that is the dataset, inside it or
holds it, that ddsp-train did not write, that lies under a file or cannot be written, a resume
with another recipe or frame grid, an unknown ``--config``, a ``--gin-param`` gin cannot parse, a
``TF_CONFIG`` that is not a cluster description, a ``--minutes`` or convergence setting out of
range, an ``--init`` that is no model, was trained with another recipe or rates, or names a recipe
no base ships for (:func:`ddsp_train.training.warm_start.resolve`).
It takes well under a second (measured by the tests: the refusal happens before ``tensorflow``
is imported), instead of the 8-18 s that importing TensorFlow takes.
"""
from __future__ import annotations

import dataclasses
import glob
import math
import pathlib
from typing import Sequence

from ddsp_train import paths
from ddsp_train.data import ddsp_format
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import gin_config, model_dir as model_dir_lib, strategy as strategy_lib, warm_start

STRATEGIES = strategy_lib.STRATEGIES
SEED_LIMIT = 2 ** 32


@dataclasses.dataclass(frozen=True)
class Request:
    """A checked run: the folders, the dataset's description, the recipe and its files."""

    data_dir: pathlib.Path
    model_dir: pathlib.Path
    info: DatasetInfo
    recipe: model_dir_lib.Recipe
    config_files: tuple[pathlib.Path, ...]
    #: The outermost folder this run creates (removed again if it fails), None if it exists or
    #: the run is one worker of a cluster (the folder is shared with the others).
    created: pathlib.Path | None
    #: The step of the newest checkpoint in ``model_dir`` (None: a new model).
    latest_step: int | None
    #: Where the starting weights of a new model come from (None: random, or a resume).
    init: warm_start.Source | None = None


def check_numbers(*, steps: int, batch_size: int, save_every: int, eval_every: int,
                  learning_rate: float | None, seed: int | None) -> None:
    """Refuse counts below 1, a learning rate that is not a positive finite number, a seed
    outside ``0 .. 2**32 - 1``, naming the option and the value."""
    for name, value in (("steps", steps), ("batch_size", batch_size), ("save_every", save_every),
                        ("eval_every", eval_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be a whole number >= 1, got {value}", exit_code=2)
    if learning_rate is not None and not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate)
                                          and learning_rate > 0):
        raise UserError(f"--learning-rate must be a number > 0 (e.g. 3e-4), got {learning_rate}", exit_code=2)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT):
        raise UserError(f"--seed must be a whole number in 0..{SEED_LIMIT - 1}, got {seed}", exit_code=2)


def check_stopping(*, minutes: float | None, converge_window: int | None, converge_threshold: float) -> None:
    """Refuse a ``--minutes`` that is not a positive finite number, a convergence window below 1,
    a threshold outside ``0 .. 1``."""
    if minutes is not None and not (isinstance(minutes, (int, float)) and not isinstance(minutes, bool)
                                    and math.isfinite(minutes) and minutes > 0):
        raise UserError(f"--minutes must be a number of minutes > 0 (e.g. 3 or 0.5), got {minutes}", exit_code=2)
    if converge_window is not None and (isinstance(converge_window, bool) or not isinstance(converge_window, int)
                                        or converge_window < 1):
        raise UserError(f"--converge-window must be a whole number of steps >= 1, got {converge_window}",
                        exit_code=2)
    if not (isinstance(converge_threshold, (int, float)) and 0 <= converge_threshold < 1):
        raise UserError(f"--converge-threshold must be a fraction in 0..1 (0.01 = 1 %), got {converge_threshold}",
                        exit_code=2)


def normalise_config(name_or_path: str) -> tuple[str, pathlib.Path]:
    """``(how the recipe records it, its file)``: a packaged recipe keeps its name, a file its
    absolute path (so the same file given from another folder is the same recipe)."""
    path = gin_config.resolve_config(name_or_path)
    with gin_config.packaged_config_dir() as folder:
        if path.parent == folder and not pathlib.Path(name_or_path).expanduser().is_file():
            return path.stem, path
    return str(path), path


def check(*, data_dir: str | pathlib.Path, model_dir: str | pathlib.Path, configs: Sequence[str] | None,
          gin_params: Sequence[str], default_configs: Sequence[str], steps: int, batch_size: int,
          save_every: int, eval_every: int, learning_rate: float | None, seed: int | None,
          strategy: str, init: str | None = None, minutes: float | None = None,
          converge_window: int | None = None, converge_threshold: float = 0.01) -> Request:
    """All the checks of the module docstring, in the order a user would fix them."""
    check_numbers(steps=steps, batch_size=batch_size, save_every=save_every, eval_every=eval_every,
                  learning_rate=learning_rate, seed=seed)
    check_stopping(minutes=minutes, converge_window=converge_window, converge_threshold=converge_threshold)
    cluster = strategy_lib.check_environment(strategy)
    data_dir, model_dir = pathlib.Path(data_dir), pathlib.Path(model_dir)
    if data_dir.exists() and not data_dir.is_dir() and not ddsp_format.is_record_name(data_dir.name):
        raise UserError(f"--data {data_dir} is a file, not a dataset folder (ddsp-prepare writes one)", exit_code=2)
    if data_dir.is_dir() and not any(data_dir.iterdir()):
        raise UserError(f"dataset folder {data_dir} is empty (ddsp-prepare writes TFRecords and its description "
                        "there)", exit_code=2)
    if not data_dir.exists() and not glob.has_magic(str(data_dir)):
        DatasetInfo.read(data_dir)  # "does not exist"
    info = ddsp_format.load_info(str(data_dir))  # dataset.json, or inferred from ddsp's records
    roots = [data_dir if data_dir.exists() else data_dir.parent]  # a pattern: its folder
    paths.check_model_dir(model_dir, markers=model_dir_lib.MARKERS, writer="ddsp-train", inputs=roots,
                          flag="--model-dir")
    model_dir_lib.check_not_a_dataset(model_dir)
    model_dir_lib.check_same_grid(model_dir, info, data_dir=data_dir)
    normalised = [normalise_config(c) for c in (configs or ())]
    for binding in gin_params:
        gin_config.check_binding(binding)
    init_recipe = warm_start.source_recipe(init) if init else None
    recipe = model_dir_lib.choose_recipe(model_dir, configs=[name for name, _ in normalised],
                                         gin_params=gin_params,
                                         default=init_recipe.configs if init_recipe else default_configs,
                                         default_gin_params=init_recipe.gin_params if init_recipe else ())
    latest = model_dir_lib.latest_step(model_dir)
    source = warm_start.resolve(init, recipe=recipe, info=info, model_dir=model_dir) if init else None
    files = tuple(normalise_config(c)[1] for c in recipe.configs) if not normalised else \
        tuple(path for _, path in normalised)
    return Request(data_dir=data_dir, model_dir=model_dir, info=info, recipe=recipe, config_files=files,
                   created=None if cluster else model_dir_lib.first_missing(paths.resolved(model_dir)),
                   latest_step=latest, init=source)
