"""Atomic training checkpoints (model + optimizer + step), resume, and loading a trained model.

Layout: ``MODEL_DIR/checkpoints/ckpt-00001200/`` holds one ``tf.train.Checkpoint`` (``ckpt.index``
and ``ckpt.data-*``) of the model, the optimizer (moments, iteration count) and the step counter.
Each checkpoint is written into a temporary folder and renamed into place in one step, so a
checkpoint folder either exists complete or not at all; the last ``keep`` are kept. Restoring
tries the newest first and falls back to older ones when a file is unreadable (a truncated or
corrupted write), saying so. The steps in ``protected`` (the best-eval checkpoint) are never
deleted by the rotation; :func:`best_step` says which one that is.
"""
from __future__ import annotations

import logging
import pathlib
import shutil
from typing import Any

import tensorflow as tf

from ddsp_train import console
from ddsp_train.atomic import atomic_directory
from ddsp_train import dataset_info as dataset_info_lib
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training.model_dir import (  # noqa: F401  (the layout, re-exported)
    CHECKPOINTS, OPERATIVE_CONFIG, best_step, checkpoint_dir, list_checkpoints)

PREFIX = "ckpt"

log = logging.getLogger(__name__)


class CheckpointManager:
    """Saves and restores ``tf.train.Checkpoint(**objects)`` under ``model_dir/checkpoints``.

    ``objects`` are the trackables to save (the model, the optimizer, the step variable).
    ``read_dir`` (default ``model_dir``) is where :meth:`restore` looks: a non-chief worker of a
    cluster restores the chief's checkpoints and saves into a scratch folder.
    """

    def __init__(self, model_dir: str | pathlib.Path, *, keep: int = 3, read_dir: str | pathlib.Path | None = None,
                 say: console.Say = console.stderr, **objects: Any):
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        self.model_dir = pathlib.Path(model_dir)
        self.read_dir = pathlib.Path(read_dir) if read_dir is not None else self.model_dir
        self.keep = keep
        self.say = say
        #: Steps whose checkpoints the rotation keeps besides the last ``keep`` (the best eval).
        self.protected: set[int] = set()
        if "model" in objects:
            # Keras 3 layers do not expose layers held in lists (input stacks, the processors) as
            # checkpoint dependencies, so a model-only restore would miss their weights. The
            # model's weights in their (deterministic) order make every weight reachable.
            objects["model_weights"] = list(objects["model"].weights)
        self.checkpoint = tf.train.Checkpoint(**objects)

    def save(self, step: int) -> pathlib.Path:
        """Write the checkpoint of ``step`` atomically and delete all but the last ``keep`` and the
        ``protected`` ones."""
        target = checkpoint_dir(self.model_dir) / f"{PREFIX}-{step:08d}"
        with atomic_directory(target) as tmp:
            self.checkpoint.write(str(tmp / PREFIX))
        for old_step, old in list_checkpoints(self.model_dir)[: -self.keep]:
            if old_step not in self.protected:
                shutil.rmtree(old, ignore_errors=True)
        return target

    def restore(self, *, step: int | None = None) -> int | None:
        """Restore the newest readable checkpoint (or exactly ``step``); its step, or None if none.

        An unreadable newest checkpoint is reported and the previous one is tried. If
        checkpoints exist but none can be read, raises UserError.
        """
        available = list_checkpoints(self.read_dir)
        if step is not None:
            available = [(s, p) for s, p in available if s == step]
            if not available:
                steps = ", ".join(str(s) for s, _ in list_checkpoints(self.read_dir)) or "none"
                raise UserError(f"no checkpoint of step {step} in {checkpoint_dir(self.read_dir)} "
                                f"(available steps: {steps})")
        if not available:
            return None
        problems = []
        for found_step, path in reversed(available):
            try:
                status = self.checkpoint.read(str(path / PREFIX))
                status.assert_existing_objects_matched()
                status.expect_partial()  # A model-only load leaves the optimizer's values unused.
            except Exception as e:  # noqa: BLE001 (a corrupt file fails in many ways: OpError, IndexError, ...)
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                problems.append((path, reason))
                continue
            for skipped, reason in problems:  # said only when an older one could be read
                self.say(f"Warning: checkpoint {skipped} is unreadable ({reason[:200]}); using the previous one.")
            return found_step
        raise UserError(f"none of the {len(problems)} checkpoints in {checkpoint_dir(self.read_dir)} can be read "
                        f"({problems[0][1][:120]}); were they written with another --config or --gin-param? "
                        "Resume with the ones it was trained with, or use a new --model-dir")


def mixed_precision_layers() -> list[str]:
    """The gin names of the networks that ``ddsp-train --mixed-precision`` runs in float16 /
    bfloat16 (the DSP stays float32): every decoder and encoder class that declares
    ``MIXED_PRECISION = True``."""
    from ddsp_train.models import decoders, encoders

    return sorted(name for module in (decoders, encoders) for name, obj in vars(module).items()
                  if isinstance(obj, type) and obj.__module__ == module.__name__
                  and getattr(obj, "MIXED_PRECISION", False))


def load_model(model_dir: str | pathlib.Path, *, step: int | None = None) -> tuple[Any, DatasetInfo]:
    """Rebuild the model of a training run and restore its weights.

    Parses ``MODEL_DIR/operative_config.gin``, builds the model in float32 (a model trained with
    ``--mixed-precision`` keeps float32 variables; export and playback need float32 ops), restores
    the newest readable checkpoint (or the one of ``step``). Returns ``(model, dataset_info)``, the
    latter the :class:`~ddsp_train.dataset_info.DatasetInfo` copied into ``MODEL_DIR`` (its
    ``data_dir`` says where the dataset is). Raises UserError when there is nothing to load.
    """
    from ddsp_train.training import gin_config  # Imports every gin configurable.

    model_dir = pathlib.Path(model_dir)
    if not model_dir.is_dir():
        raise UserError(f"model folder {model_dir} does not exist")
    config = model_dir / OPERATIVE_CONFIG
    info_path = model_dir / dataset_info_lib.FILENAME
    for needed in (config, info_path):
        if not needed.exists():
            raise UserError(f"{model_dir} is not a trained model folder: {needed.name} is missing "
                            "(ddsp-train writes it when it starts)")
    if not list_checkpoints(model_dir):
        raise UserError(f"{model_dir} has no checkpoint yet in {checkpoint_dir(model_dir)}; "
                        "train for at least --save-every steps first")
    dataset_info = DatasetInfo.read(model_dir)
    float32 = [f"{name}.dtype = 'float32'" for name in mixed_precision_layers()]
    gin_config.parse(config_files=[str(config)], bindings=float32, dataset_info=None)
    model = gin_config.build_model(dataset_info=dataset_info)
    manager = CheckpointManager(model_dir, model=model)
    restored = manager.restore(step=step)
    model.restored_step = restored
    return model, dataset_info
