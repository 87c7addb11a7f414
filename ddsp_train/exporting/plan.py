"""Everything ddsp-export can refuse, checked before TensorFlow is imported (8-18 s).

:func:`plan_export` resolves the arguments into an :class:`ExportPlan` or raises one-line
:class:`~ddsp_train.errors.UserError`\\ s: the model folder (missing, a file, a dataset folder
instead, no operative config or checkpoint yet), ``--format``, ``--name``, ``--data``, ``--output`` (not the model folder
or a folder holding it, not inside the dataset, not under a file, writable, and either new, empty
or an earlier export: :mod:`ddsp_train.exporting.manifest`) and ``--install`` (the plugin folder
writable; an existing ``NAME.tflite`` there is replaced only if ddsp-export wrote it, or with
``overwrite``), and last a ``--checkpoint`` the folder does not hold (the message lists the
steps it does).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
from typing import Iterable, Sequence

from ddsp_train import contract, dataset_info, paths
from ddsp_train.errors import UserError
from ddsp_train.exporting import manifest

FORMATS = ("tflite", "saved_model", "features")
#: What ddsp-train writes into a model folder (its layout: ``checkpoints/ckpt-<step>/ckpt.index``).
OPERATIVE_CONFIG = "operative_config.gin"
CHECKPOINTS = "checkpoints"
CHECKPOINT_NAME = re.compile(r"^ckpt-(\d+)$")


@dataclasses.dataclass(frozen=True)
class ExportPlan:
    """The checked arguments of one export."""

    model_dir: pathlib.Path
    output_dir: pathlib.Path
    name: str
    formats: tuple[str, ...]
    checkpoint: int | None
    steps: tuple[int, ...]
    data_dir: pathlib.Path | None
    install_target: pathlib.Path | None
    previous: dict | None


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"tflite,saved_model"`` -> ``("tflite", "saved_model")``; UserError for anything else."""
    items = value.split(",") if isinstance(value, str) else [str(i) for i in value]
    items = [i.strip() for i in items if i.strip()]
    bad = [i for i in items if i not in FORMATS]
    if bad or not items:
        raise UserError(f"--format got {','.join(items) or 'nothing'}; allowed: a comma-separated list of "
                        f"{', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def available_steps(model_dir: pathlib.Path) -> tuple[int, ...]:
    """The steps of the complete checkpoints in ``model_dir/checkpoints``, oldest first."""
    folder = model_dir / CHECKPOINTS
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = CHECKPOINT_NAME.match(path.name)
            if match and (path / "ckpt.index").is_file():
                found.append(int(match.group(1)))
    return tuple(sorted(found))


def check_model_dir(model_dir: pathlib.Path) -> tuple[int, ...]:
    """Refuse what is not a trained model folder; returns its checkpoint steps."""
    try:
        os.stat(model_dir)
    except PermissionError:
        raise UserError(f"model folder {model_dir} cannot be read (permission denied)") from None
    except OSError:
        pass
    if not model_dir.exists():
        raise UserError(f"model folder {model_dir} does not exist; give the --model-dir of ddsp-train")
    if not model_dir.is_dir():
        raise UserError(f"model folder {model_dir} is a file; give the --model-dir of ddsp-train")
    if not (model_dir / OPERATIVE_CONFIG).is_file():
        if dataset_info.exists(model_dir):
            raise UserError(f"{model_dir} is a dataset folder written by ddsp-prepare; give the --model-dir of "
                            "ddsp-train (pass the dataset as --data)")
        raise UserError(f"{model_dir} is not a trained model folder: {OPERATIVE_CONFIG} is missing "
                        "(ddsp-train writes it when it starts)")
    if not dataset_info.exists(model_dir):
        raise UserError(f"{model_dir} is not a trained model folder: {dataset_info.FILENAME} is missing "
                        "(ddsp-train writes it when it starts)")
    steps = available_steps(model_dir)
    if not steps:
        raise UserError(f"{model_dir} has no checkpoint yet in {model_dir / CHECKPOINTS}; "
                        "train for at least --save-every steps first")
    return steps


def check_step(checkpoint: int | None, *, steps: Sequence[int], model_dir: pathlib.Path) -> None:
    if checkpoint is not None and checkpoint not in steps:
        raise UserError(f"no checkpoint of step {checkpoint} in {model_dir}; available steps: "
                        f"{', '.join(map(str, steps))}")


def check_name(name: str) -> str:
    if not name or any(c in name for c in "/\\\0") or name.startswith(".") or name != name.strip():
        raise UserError(f"--name {name!r} must be a plain file name (no folders, not hidden)")
    return name


def recorded_data_dir(model_dir: pathlib.Path) -> pathlib.Path | None:
    """The dataset the model was trained on, as recorded in its copy of the dataset description."""
    try:
        recorded = dataset_info.DatasetInfo.read(model_dir).data_dir
    except UserError:
        return None
    return pathlib.Path(recorded) if recorded else None


def check_output(output_dir: pathlib.Path, *, model_dir: pathlib.Path, datasets: Sequence[pathlib.Path]) -> dict | None:
    """Refuse an ``--output`` that could lose anything; returns the previous manifest (if any)."""
    out, model = paths.resolved(output_dir), paths.resolved(model_dir)
    if out == model or out in model.parents:
        raise UserError(f"--output {output_dir} is {'the' if out == model else 'a folder holding the'} model folder "
                        f"{model_dir}; give a folder of its own (default: {model_dir / 'export'})", exit_code=2)
    if paths.is_within(out, model / CHECKPOINTS):
        raise UserError(f"--output {output_dir} lies in the model's {CHECKPOINTS} folder; give a folder of its own "
                        f"(default: {model_dir / 'export'})", exit_code=2)
    paths.check_not_input(output_dir, [d for d in datasets if d.is_dir()], flag="--output")
    if os.path.lexists(out) and not out.is_dir():
        raise UserError(f"--output {output_dir} exists and is not a folder; give a folder path", exit_code=2)
    previous = None
    if out.is_dir():
        try:
            entries = os.listdir(out)
        except OSError as e:
            raise UserError(f"--output {output_dir} cannot be read ({e.strerror})") from None
        if entries and not manifest.is_export_folder(out):
            raise UserError(f"--output {output_dir} is not empty and holds no {manifest.FILENAME} of ddsp-export; "
                            "nothing there is replaced: choose a new or empty folder", exit_code=2)
        previous = manifest.read_manifest(out)
    paths.check_creatable(out / ".probe" if out.is_dir() else out, flag="--output")
    return previous


def check_install(plugin_dir: pathlib.Path, *, name: str, overwrite: bool) -> pathlib.Path:
    """The ``NAME.tflite`` to write in the plugin's folder, after refusing what would lose a file."""
    target = plugin_dir / f"{name}{contract.MODEL_SUFFIX}"
    paths.check_creatable(target, flag="--plugin-dir")  # probes the nearest existing folder
    if os.path.lexists(target):
        if target.is_dir():
            raise UserError(f"--install: {target} is a folder; nothing is replaced (rename it or use --name)",
                            exit_code=2)
        if not overwrite and not manifest.is_our_tflite(target):
            raise UserError(f"--install: {target} exists and was not written by ddsp-export; pass --overwrite "
                            "to replace it, or choose another --name", exit_code=2)
        if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK):
            raise UserError(f"--install: {target} exists and cannot be replaced (permission denied)")
    return target


def plan_export(
    model_dir: str | os.PathLike,
    *,
    output_dir: str | os.PathLike | None,
    name: str | None,
    checkpoint: int | None,
    formats: str | Sequence[str],
    install: bool,
    plugin_dir: str | os.PathLike | None,
    data_dir: str | os.PathLike | None,
    overwrite: bool,
) -> ExportPlan:
    """Check every argument of :func:`ddsp_train.exporting.exporter.export_model` (module docstring)."""
    for flag, value in (("MODEL_DIR", model_dir), ("--output", output_dir), ("--plugin-dir", plugin_dir),
                        ("--data", data_dir), ("--name", name)):
        if value is not None and "\0" in os.fspath(value):
            raise UserError(f"{flag} {os.fspath(value)!r} holds a NUL character; give a real path or name")
    model_dir = pathlib.Path(model_dir)
    formats = parse_formats(formats)
    if install and "tflite" not in formats:
        raise UserError("--install copies the .tflite into the plugin's folder, but --format does not include tflite")
    if checkpoint is not None and (isinstance(checkpoint, bool) or int(checkpoint) < 0):
        raise UserError(f"--checkpoint {checkpoint} must be a step number >= 0")
    steps = check_model_dir(model_dir)
    name = check_name(name if name is not None else paths.resolved(model_dir).name)
    data = pathlib.Path(data_dir) if data_dir is not None else None
    if data is not None and not dataset_info.exists(data):
        raise UserError(f"--data {data} is not a prepared dataset (it has no {dataset_info.FILENAME}; "
                        "give the --output folder of ddsp-prepare)")
    if data is not None and paths.resolved(data) == paths.resolved(model_dir):
        raise UserError(f"--data {data} is the model folder; give the dataset folder written by ddsp-prepare")
    recorded = recorded_data_dir(model_dir)
    output = pathlib.Path(output_dir) if output_dir is not None else model_dir / "export"
    previous = check_output(output, model_dir=model_dir, datasets=[d for d in (data, recorded) if d is not None])
    plugin_folder = pathlib.Path(plugin_dir or contract.MODEL_FOLDER).expanduser()
    if "features" in formats and paths.is_within(output, plugin_folder):
        raise UserError(f"--output {output} lies in the plugin's model folder {plugin_folder}, which lists every "
                        ".tflite as a model (features.tflite too); export elsewhere and use --install", exit_code=2)
    target = None
    if install:
        target = check_install(plugin_folder, name=name, overwrite=overwrite)
    check_step(checkpoint, steps=steps, model_dir=model_dir)
    if data is None and recorded is not None and dataset_info.exists(recorded):
        data = recorded
    return ExportPlan(model_dir=model_dir, output_dir=output, name=name, formats=formats,
                      checkpoint=checkpoint, steps=steps, data_dir=data, install_target=target, previous=previous)
