"""``export.json``: what ddsp-export wrote into an export folder, so it never touches anything else.

Each export writes ``OUTPUT/export.json`` (:data:`FILENAME`) last, listing the entries it wrote
(``files``: plain names inside the folder, e.g. ``Violin.tflite``, ``Violin.saved_model``), with
the ``name``, the checkpoint ``step`` and the writer's ``version``. The next export into the same
folder replaces what it writes again, removes what the previous manifest lists and it does not
write now (stale files of an earlier export: another NAME, a format no longer asked for), and
leaves every other entry alone, naming it in the summary.

A folder with an ``export.json`` is an earlier export. So is a folder written by a ddsp-export
older than the manifest, recognised by its entries (:func:`looks_like_old_export`): only
``*.tflite`` files whose metadata ddsp-export wrote, ``features.tflite``, ``*.selfcheck.json``,
``*.tflite.rejected`` / ``*.tflite.unchecked`` and ``*.saved_model`` folders holding a
``ddsp_train.json``. Nothing of such a folder is removed (no manifest says it was ours).
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
from typing import Iterable

from ddsp_train import __version__
from ddsp_train.atomic import write_json_atomic

FILENAME = "export.json"
WRITER = "ddsp-export"


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The parsed ``export.json`` of ``folder`` (None if it has none or it is unreadable)."""
    path = pathlib.Path(folder) / FILENAME
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("writer") == WRITER else None


def listed_files(manifest: dict | None) -> list[str]:
    """The plain entry names a manifest lists (anything with a folder part or hidden is ignored)."""
    names = manifest.get("files", []) if manifest else []
    return [n for n in names if isinstance(n, str) and n and "/" not in n and "\\" not in n
            and not n.startswith(".") and n != FILENAME]


def is_our_tflite(path: pathlib.Path) -> bool:
    from ddsp_train.exporting.metadata import written_by_us

    try:
        return written_by_us(path.read_bytes())
    except OSError:
        return False


def old_export_entry(path: pathlib.Path) -> bool:
    """True if ``path`` is an entry an older ddsp-export (without manifest) writes (module docstring)."""
    from ddsp_train.exporting.feature_model import FILE_NAME as FEATURES
    from ddsp_train.exporting.saved_model import INFO_NAME

    name = path.name
    if path.is_dir():
        return name.endswith(".saved_model") and (path / INFO_NAME).is_file()
    if name == FEATURES or name.endswith((".selfcheck.json", ".tflite.rejected", ".tflite.unchecked")):
        return True
    return name.endswith(".tflite") and is_our_tflite(path)


def looks_like_old_export(folder: pathlib.Path) -> bool:
    """True if every entry of ``folder`` (which exists and is not empty) is an :func:`old_export_entry`."""
    entries = list(folder.iterdir())
    return bool(entries) and all(old_export_entry(p) for p in entries)


def is_export_folder(folder: pathlib.Path) -> bool:
    """An earlier export: it holds an ``export.json`` of ddsp-export, or :func:`looks_like_old_export`."""
    return read_manifest(folder) is not None or looks_like_old_export(folder)


def write_manifest(folder: pathlib.Path, *, files: Iterable[str], name: str, step: int | None) -> pathlib.Path:
    """Write ``folder/export.json`` atomically listing ``files`` (plain names)."""
    return write_json_atomic(folder / FILENAME, {"writer": WRITER, "version": __version__, "name": name,
                                                 "step": step, "files": sorted(set(files))})


def tidy(folder: pathlib.Path, *, previous: dict | None, written: Iterable[str]) -> tuple[list[str], list[str]]:
    """After an export that wrote ``written``: remove what ``previous`` lists and this export did
    not write again; returns ``(removed, foreign)``, the latter the entries ddsp-export did not
    write (left as they are)."""
    written = set(written) | {FILENAME}
    removed = []
    for entry in listed_files(previous):
        path = folder / entry
        if entry in written or not os.path.lexists(path):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(entry)
    ours = written | set(listed_files(previous))
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in ours and not p.name.startswith("."))
    return sorted(removed), foreign
