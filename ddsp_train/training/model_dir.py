"""MODEL_DIR: its layout, the recipe it was trained with, and what a run may do to it.

Layout: ``operative_config.gin`` (the gin bindings in use, what ``load_model`` rebuilds from),
``dataset.json`` (the dataset's :class:`~ddsp_train.dataset_info.DatasetInfo` with ``data_dir``
set), ``recipe.json`` (the ``--config`` names or files and the ``--gin-param`` bindings, reused
when a resume gives no ``--config``), ``checkpoints/ckpt-NNNNNNNN/``, ``logs/``, ``eval.json`` and
``plots/``. No TensorFlow here: every check runs before it is imported.

The rule: a run writes nothing into an existing folder until it has checked everything and
restored its checkpoint; a folder the run created is removed again when the run fails before it
saved a checkpoint (:func:`cleanup_on_failure`). A folder that ddsp-train did not write is
refused (:func:`ddsp_train.paths.check_model_dir`), so nothing of it is changed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import re
import shutil
from typing import Iterator, Sequence

from ddsp_train import dataset_info as dataset_info_lib
from ddsp_train.atomic import write_json_atomic, write_text_atomic
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError

CHECKPOINTS = "checkpoints"
OPERATIVE_CONFIG = "operative_config.gin"
RECIPE = "recipe.json"
EVAL_JSON = "eval.json"
PLOTS = "plots"
#: What marks a folder as written by ddsp-train.
MARKERS = (OPERATIVE_CONFIG, CHECKPOINTS, dataset_info_lib.FILENAME, RECIPE)
#: The dataset grid a model is bound to: resuming on another one is refused.
GRID_KEYS = ("sample_rate", "frame_rate", "example_secs")
_NAME = re.compile(r"^ckpt-(\d+)$")
_INDEX = "ckpt.index"


def checkpoint_dir(model_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(model_dir) / CHECKPOINTS


def list_checkpoints(model_dir: str | os.PathLike) -> list[tuple[int, pathlib.Path]]:
    """``(step, folder)`` of every complete checkpoint in ``model_dir``, oldest first."""
    found = []
    folder = checkpoint_dir(model_dir)
    if folder.is_dir():
        for path in folder.iterdir():
            match = _NAME.match(path.name)
            if match and (path / _INDEX).exists():
                found.append((int(match.group(1)), path))
    return sorted(found)


def latest_step(model_dir: str | os.PathLike) -> int | None:
    """The step of the newest complete checkpoint, None when there is none."""
    found = list_checkpoints(model_dir)
    return found[-1][0] if found else None


def best_step(model_dir: str | os.PathLike) -> int | None:
    """The step of the best-eval checkpoint (``eval.json``'s ``best``, the lowest eval loss), None
    when none is recorded or its checkpoint is gone. ddsp-export takes it by default."""
    best = (read_eval(model_dir) or {}).get("best")
    step = best.get("step") if isinstance(best, dict) else None
    if not isinstance(step, int) or isinstance(step, bool):
        return None
    return step if any(s == step for s, _ in list_checkpoints(model_dir)) else None


def read_eval(model_dir: str | os.PathLike) -> dict | None:
    """``eval.json`` of ``model_dir`` (None if missing or unreadable)."""
    try:
        data = json.loads((pathlib.Path(model_dir) / EVAL_JSON).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "step" in data else None


# ------------------------------------------------------------------------------- the recipe
@dataclasses.dataclass(frozen=True)
class Recipe:
    """What a model was trained with: ``configs`` (packaged names, or absolute .gin paths) and
    the ``gin_params`` bindings applied after them."""

    configs: tuple[str, ...]
    gin_params: tuple[str, ...] = ()

    def flags(self) -> str:
        """The recipe as ddsp-train options, e.g. ``--config tiny --gin-param 'A.b = 1'``."""
        parts = [f"--config {c}" for c in self.configs] + [f"--gin-param '{b}'" for b in self.gin_params]
        return " ".join(parts)

    def config_flags(self) -> str:
        return " ".join(f"--config {c}" for c in self.configs)


def read_recipe(model_dir: str | os.PathLike) -> Recipe | None:
    """The recipe recorded in ``model_dir`` (None if none or unreadable: folders of older versions)."""
    try:
        data = json.loads((pathlib.Path(model_dir) / RECIPE).read_text())
        return Recipe(configs=tuple(str(c) for c in data["configs"]),
                      gin_params=tuple(str(b) for b in data.get("gin_params", ())))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_recipe(model_dir: str | os.PathLike, recipe: Recipe) -> None:
    write_json_atomic(pathlib.Path(model_dir) / RECIPE,
                      {"configs": list(recipe.configs), "gin_params": list(recipe.gin_params)})


def choose_recipe(model_dir: pathlib.Path, *, configs: Sequence[str] | None, gin_params: Sequence[str],
                  default: Sequence[str], default_gin_params: Sequence[str] = ()) -> Recipe:
    """The recipe of this run: the given ``configs`` (normalised names/paths) or, when none are
    given, the folder's recorded ones, else ``default``; the given ``gin_params``, else the
    recorded ones, else ``default_gin_params`` when the configs are the default ones. A folder with
    checkpoints refuses other configs than it was trained with."""
    recorded = read_recipe(model_dir)
    if not configs:
        chosen = recorded.configs if recorded else tuple(default)
    else:
        chosen = tuple(configs)
        if recorded and recorded.configs != chosen and list_checkpoints(model_dir):
            raise UserError(f"--model-dir {model_dir} was trained with {recorded.config_flags()}; resume with "
                            f"{recorded.config_flags()} (or no --config) or use a new --model-dir", exit_code=2)
    fallback = tuple(default_gin_params) if chosen == tuple(default) else ()
    params = tuple(gin_params) if gin_params else (recorded.gin_params if recorded else fallback)
    return Recipe(configs=chosen, gin_params=params)


# ------------------------------------------------------------------------------- the folder
def check_not_a_dataset(model_dir: pathlib.Path) -> None:
    """Refuse a dataset folder as MODEL_DIR: its ``dataset.json`` (unlike a model folder's copy)
    has no ``data_dir``, and nothing else of ddsp-train's is there; training would overwrite it."""
    if not dataset_info_lib.exists(model_dir) or any((model_dir / m).exists() for m in MARKERS[:2] + (RECIPE,)):
        return
    try:
        is_copy = DatasetInfo.read(model_dir).data_dir is not None
    except UserError:
        is_copy = False
    if not is_copy:
        raise UserError(f"--model-dir {model_dir} is a dataset folder (its {dataset_info_lib.FILENAME} was written "
                        "by ddsp-prepare); nothing in it is changed: choose a new or empty folder", exit_code=2)


def check_same_grid(model_dir: pathlib.Path, info: DatasetInfo, *, data_dir: pathlib.Path) -> None:
    """Refuse resuming a model trained on another frame grid than ``info``'s."""
    if not (dataset_info_lib.exists(model_dir) and list_checkpoints(model_dir)):
        return
    try:
        old = DatasetInfo.read(model_dir)
    except UserError:
        return
    for key in GRID_KEYS:
        if getattr(old, key) != getattr(info, key):
            raise UserError(f"--model-dir {model_dir} holds a model trained on {key} = {getattr(old, key)}, but "
                            f"{data_dir} has {key} = {getattr(info, key)}; use another --model-dir", exit_code=2)


def first_missing(path: pathlib.Path) -> pathlib.Path | None:
    """The outermost folder of ``path`` that does not exist yet (what ``mkdir -p`` would create)."""
    missing = None
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            break
        missing = candidate
    return missing


def prepare(model_dir: pathlib.Path, *, info: DatasetInfo, data_dir: pathlib.Path, recipe: Recipe) -> None:
    """Create ``model_dir`` and write the dataset's description (with ``data_dir``, where
    ddsp-export streams the eval examples from) and the recipe."""
    model_dir.mkdir(parents=True, exist_ok=True)
    info.replace(data_dir=str(data_dir.resolve())).write(model_dir)
    write_recipe(model_dir, recipe)


def write_operative_config(model_dir: pathlib.Path) -> None:
    """The gin bindings in use (the dataset's macros included): what load_model rebuilds from."""
    import gin

    write_text_atomic(model_dir / OPERATIVE_CONFIG, gin.operative_config_str())


@contextlib.contextmanager
def cleanup_on_failure(created: pathlib.Path | None, model_dir: pathlib.Path) -> Iterator[None]:
    """Remove ``created`` (the folder this run made, None if it existed) when the block fails
    (an error or Ctrl-C) before a checkpoint was saved in ``model_dir``."""
    try:
        yield
    except BaseException:
        if created is not None and created.is_dir() and not list_checkpoints(model_dir):
            shutil.rmtree(created, ignore_errors=True)
        raise
