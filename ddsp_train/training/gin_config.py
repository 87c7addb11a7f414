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
import re
import tokenize
from typing import Mapping, Sequence

import gin
from gin import config_parser

from ddsp_train.dataset_info import FILENAME, DatasetInfo
from ddsp_train.errors import UserError

PACKAGE = "ddsp_train.configs"
DATA_MACROS = ("sample_rate", "frame_rate", "n_samples")


def _import_configurables() -> None:
    """Import every module that registers gin configurables used by the recipes."""
    from ddsp_train.models import autoencoder  # noqa: F401  (models, dsp processors)
    from ddsp_train.training import evaluation, optimizer  # noqa: F401


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


def data_macros(dataset_info: DatasetInfo) -> dict[str, int]:
    """The gin macros that come from the dataset: ``sample_rate``, ``frame_rate`` and
    ``n_samples = round(example_secs * sample_rate)`` (one example)."""
    return {"sample_rate": dataset_info.sample_rate, "frame_rate": dataset_info.frame_rate,
            "n_samples": dataset_info.example_samples}


class _AnyReference(config_parser.ParserDelegate):
    """Accepts every ``@reference`` and ``%macro``: :func:`check_binding` checks syntax only."""

    def configurable_reference(self, scoped_configurable_name, evaluate):
        return scoped_configurable_name

    def macro(self, macro_name):
        return macro_name


_BAD_TOKEN = re.compile(r"Failed to parse token '(.*)'", re.S)
VALUE_FORMS = ("a number (128, 3e-4), a quoted string ('L1'), True/False/None, a tuple or list ((1024, 256)), "
               "a @Configurable() or a %macro")


def check_binding(binding: str) -> None:
    """Refuse a ``--gin-param`` that gin cannot parse, naming the binding, the value and what a
    valid one looks like (syntax only: no configurable is looked up, nothing is imported)."""
    name, _, value = binding.partition("=")
    try:
        statements = list(config_parser.ConfigParser(binding, _AnyReference()))
    except SyntaxError as e:
        token = _BAD_TOKEN.search(str(e.msg or ""))
        if token and "=" in binding:
            raise UserError(f"--gin-param {binding!r}: {token.group(1)!r} is not a value for {name.strip()}; "
                            f"give {VALUE_FORMS}, e.g. '{name.strip()} = 128'", exit_code=2) from None
        if "=" not in binding:
            raise UserError(f"--gin-param {binding!r} is not a binding; write 'Configurable.parameter = value', "
                            "e.g. 'RnnFcDecoder.ch = 128'", exit_code=2) from None
        raise UserError(f"--gin-param {binding!r}: cannot read the value {value.strip()!r} of {name.strip()} "
                        f"({e.msg}); give {VALUE_FORMS}", exit_code=2) from None
    except tokenize.TokenError:
        raise UserError(f"--gin-param {binding!r}: unclosed bracket or quote in {value.strip()!r}; "
                        f"give {VALUE_FORMS}", exit_code=2) from None
    if not statements:
        raise UserError(f"--gin-param {binding!r} is empty; write 'Configurable.parameter = value', "
                        "e.g. 'RnnFcDecoder.ch = 128'", exit_code=2)


def _gin_error(e: BaseException, where: str) -> UserError:
    if isinstance(e, SyntaxError):
        location = f"{e.filename or where}, line {e.lineno}" if e.lineno else (e.filename or where)
        text = f"\n    {e.text.strip()}" if e.text and e.text.strip() else ""
        return UserError(f"gin syntax error in {location}: {e.msg}{text}")
    if isinstance(e, tokenize.TokenError):
        return UserError(f"gin syntax error in {where}: {e.args[0]} (unclosed bracket or quote?)")
    return UserError(f"gin error in {where}: {e}")


def parse(*, config_files: Sequence[str | pathlib.Path], bindings: Sequence[str],
          dataset_info: DatasetInfo | None) -> None:
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
            check_binding(binding)
            try:
                gin.parse_config(binding)
            except (ValueError, SyntaxError, tokenize.TokenError, TypeError, NameError) as e:
                raise _gin_error(e, f"--gin-param {binding!r}") from None
    for name, value in macros.items():
        configured = gin.query_parameter(f"%{name}")
        if configured != value:
            raise UserError(f"the config sets {name} = {configured}, but the dataset has {name} = {value} "
                            f"(from its {FILENAME}); remove the setting or prepare the data at that rate")


def build_model(*, dataset_info: DatasetInfo, create_weights: bool = True):
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
                            f"{name} = {macros[name]} (from its {FILENAME}); use %{name} in the config")
