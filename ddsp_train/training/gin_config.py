"""Gin recipes: resolving ``--config`` names, parsing with the dataset's timing, building the model.

``--config vst`` is the packaged ``configs/vst.gin`` (shipped as ``ddsp_train.configs``); a path
to a ``.gin`` file works too, and several stack in order, followed by ``--gin-param`` bindings.
The dataset's timing is bound first as the gin macros ``sample_rate``, ``frame_rate`` and
``n_samples`` (one example), which the recipes use; a recipe that sets them to something else, or
a model whose synths were bound to another rate or length, fails early naming both values.
"""
from __future__ import annotations

import contextlib
import importlib.resources
import logging
import pathlib
import tokenize
from typing import Any, Mapping, Sequence

import gin

from ddsp_train.errors import UserError

PACKAGE = "ddsp_train.configs"
DATA_MACROS = ("sample_rate", "frame_rate", "n_samples")


def _import_configurables() -> None:
    """Import every module that registers gin configurables used by the recipes."""
    from ddsp_train.models import autoencoder  # noqa: F401  (models, dsp processors)
    from ddsp_train.training import evaluation, trainer  # noqa: F401


class _QuietGinResourceLookup(logging.Filter):
    """Drop gin's "Path not found" log line: it probes Python resources before the search path."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Path not found:")


@contextlib.contextmanager
def packaged_config_dir():
    """The folder of the packaged ``.gin`` recipes, as a real path."""
    with importlib.resources.as_file(importlib.resources.files(PACKAGE)) as path:
        yield pathlib.Path(path)


def packaged_configs() -> list[str]:
    """Names of the packaged recipes (``vst``, ``tiny``, ...)."""
    with packaged_config_dir() as folder:
        return sorted(p.stem for p in folder.glob("*.gin"))


def resolve_config(name_or_path: str) -> pathlib.Path:
    """A packaged recipe name (``vst``) or a path to a ``.gin`` file -> the file's path."""
    path = pathlib.Path(name_or_path).expanduser()
    if path.is_file():
        return path.resolve()
    if "/" not in name_or_path:
        with packaged_config_dir() as folder:
            packaged = folder / f"{path.stem if path.suffix == '.gin' else name_or_path}.gin"
            if packaged.is_file():
                return packaged
    if path.exists():
        raise UserError(f"config {name_or_path!r} is not a file")
    raise UserError(f"unknown config {name_or_path!r}: no such file, and not a packaged config "
                    f"(packaged: {', '.join(packaged_configs())})")


def data_macros(dataset_info: Mapping[str, Any]) -> dict[str, int]:
    """The gin macros that come from ``dataset.json``: sample rate, frame rate, example length."""
    try:
        sample_rate = int(dataset_info["sample_rate"])
        frame_rate_hz = float(dataset_info["frame_rate"])
        frame_rate = int(round(frame_rate_hz))
        n_samples = int(round(float(dataset_info["example_secs"]) * sample_rate))
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"dataset.json lacks a valid {e} (needs sample_rate, frame_rate, example_secs)") from None
    if frame_rate < 1 or abs(frame_rate_hz - frame_rate) > 1e-9:
        raise UserError(f"dataset.json: frame_rate {frame_rate_hz:g} is not a whole number of frames per second, "
                        "which the models need (prepare the data with e.g. --frame-rate 50)")
    if sample_rate % frame_rate:
        raise UserError(f"dataset.json: sample_rate {sample_rate} is not a multiple of frame_rate {frame_rate}")
    return {"sample_rate": sample_rate, "frame_rate": frame_rate, "n_samples": n_samples}


def _gin_error(e: BaseException, where: str) -> UserError:
    if isinstance(e, SyntaxError):
        location = f"{e.filename or where}, line {e.lineno}" if e.lineno else (e.filename or where)
        text = f"\n    {e.text.strip()}" if e.text and e.text.strip() else ""
        return UserError(f"gin syntax error in {location}: {e.msg}{text}")
    if isinstance(e, tokenize.TokenError):
        return UserError(f"gin syntax error in {where}: {e.args[0]} (unclosed bracket or quote?)")
    return UserError(f"gin error in {where}: {e}")


def parse(*, config_files: Sequence[str | pathlib.Path], bindings: Sequence[str],
          dataset_info: Mapping[str, Any] | None) -> None:
    """Clear gin, bind the dataset's macros, then parse ``config_files`` and ``bindings`` in order.

    Errors (syntax, unknown configurables, missing includes) become a UserError that quotes gin's
    message with the file and line. A recipe that overrides a dataset macro with another value is
    refused naming both.
    """
    _import_configurables()
    gin.clear_config()
    macros = data_macros(dataset_info) if dataset_info is not None else {}
    gin.parse_config([f"{k} = {v}" for k, v in macros.items()])
    quiet = _QuietGinResourceLookup()
    logging.getLogger().addFilter(quiet)
    with packaged_config_dir() as folder, contextlib.ExitStack() as cleanup:
        cleanup.callback(logging.getLogger().removeFilter, quiet)
        gin.add_config_file_search_path(str(folder))
        for path in config_files:
            try:
                gin.parse_config_file(str(path))
            except (OSError, ValueError, SyntaxError, tokenize.TokenError, TypeError, NameError) as e:
                raise _gin_error(e, str(path)) from None
        for binding in bindings:
            try:
                gin.parse_config(binding)
            except (ValueError, SyntaxError, tokenize.TokenError, TypeError, NameError) as e:
                raise _gin_error(e, f"--gin-param {binding!r}") from None
    for name, value in macros.items():
        configured = gin.query_parameter(f"%{name}")
        if configured != value:
            raise UserError(f"the config sets {name} = {configured}, but the dataset has {name} = {value} "
                            "(from its dataset.json); remove the setting or prepare the data at that rate")


def build_model(*, dataset_info: Mapping[str, Any], create_weights: bool = True):
    """Build the parsed recipe's model, check its timing against the dataset's, and (unless
    ``create_weights`` is False) run it once on zeros to create its weights."""
    from ddsp_train.models.autoencoder import Autoencoder

    macros = data_macros(dataset_info)
    try:
        model = gin.get_configurable(Autoencoder)()
    except (ValueError, TypeError) as e:
        raise UserError(f"the config does not build a model: {e}") from None
    check_fits_dataset(model, macros)
    if create_weights:
        model.build_from_timing()
    return model


def check_fits_dataset(model, macros: Mapping[str, int]) -> None:
    """Refuse a model whose synths or timing were bound to another rate or length than the data's."""
    for where, name, value in model.timing():
        if name in macros and value != macros[name]:
            raise UserError(f"the config sets {name} = {value} for {where}, but the dataset has "
                            f"{name} = {macros[name]} (from its dataset.json); use %{name} in the config")
