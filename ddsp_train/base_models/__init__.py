"""The packaged base models behind ``ddsp-train --init base``: weights to start fine-tuning from.

Each base is two files named after the packaged recipe it was trained with:
``<recipe>.npz`` (the model's weights ``w0, w1, ...`` in the model's weight order, float16 to keep
the package small) and ``<recipe>.json`` (what it is: ``recipe`` {configs, gin_params},
``sample_rate``, ``frame_rate``, ``shapes``, and how it was trained: material, steps, time,
figures). They are written by ``scripts/train_base_model.py`` and described in docs/base_model.md.
Reading the description needs neither TensorFlow nor the weights.
"""
from __future__ import annotations

import dataclasses
import importlib.resources
import json
import pathlib
from typing import Any

import numpy as np

from ddsp_train.errors import UserError

PACKAGE = "ddsp_train.base_models"


@dataclasses.dataclass(frozen=True)
class BaseModel:
    """A packaged base: its recipe name, files and description."""

    name: str
    weights_path: pathlib.Path
    meta: dict[str, Any]

    @property
    def configs(self) -> tuple[str, ...]:
        return tuple(self.meta["recipe"]["configs"])

    @property
    def gin_params(self) -> tuple[str, ...]:
        return tuple(self.meta["recipe"].get("gin_params", ()))

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        return [tuple(s) for s in self.meta["shapes"]]

    def weights(self) -> list[np.ndarray]:
        """The weights in the model's order (as stored: float16)."""
        with np.load(self.weights_path) as data:
            return [data[f"w{i}"] for i in range(len(data.files))]


def folder() -> pathlib.Path:
    return pathlib.Path(str(importlib.resources.files(PACKAGE)))


def available(where: pathlib.Path | None = None) -> list[str]:
    """The recipe names a base ships for (those with both files)."""
    where = where or folder()
    return sorted(p.stem for p in where.glob("*.json") if p.with_suffix(".npz").exists())


def find(recipe: str, *, where: pathlib.Path | None = None) -> BaseModel:
    """The base of packaged recipe ``recipe``; UserError naming the ones that ship if none does."""
    where = where or folder()
    names = available(where)
    if recipe not in names:
        shipped = ", ".join(f"--config {n}" for n in names) or "none"
        raise UserError(f"--init base: no base model ships for --config {recipe} (bases ship for: {shipped}); "
                        "train from scratch (no --init), or give --init MODEL_DIR of an earlier model", exit_code=2)
    meta_path = where / f"{recipe}.json"
    try:
        meta = json.loads(meta_path.read_text())
        meta["recipe"]["configs"], meta["shapes"]  # noqa: B018  (the keys the loader needs)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"the packaged base {meta_path} is unreadable ({e}); reinstall ddsp-train") from e
    return BaseModel(name=recipe, weights_path=where / f"{recipe}.npz", meta=meta)


def write(where: pathlib.Path, *, name: str, weights: list[np.ndarray], meta: dict[str, Any]) -> pathlib.Path:
    """Store ``weights`` (float16) and ``meta`` (+ their shapes) as base ``name`` in ``where``."""
    from ddsp_train.atomic import atomic_path, write_json_atomic

    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{name}.npz"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **{f"w{i}": np.asarray(w, np.float16) for i, w in enumerate(weights)})
    write_json_atomic(where / f"{name}.json", {**meta, "shapes": [list(np.shape(w)) for w in weights]})
    return path
