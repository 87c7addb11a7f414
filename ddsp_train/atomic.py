"""Atomic file and folder writes: a crash never leaves a half-written file behind.

The one implementation every stage uses. Everything is first written beside the target under a
temporary name in the same folder (so the final rename stays on one file system), then moved
into place with one ``os.replace`` (or, for a folder that already exists, one atomic exchange
where Linux offers it).
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import sys
import tempfile
from typing import Any, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[pathlib.Path]:
    """Yield a temporary file path beside ``path``; on success it replaces ``path``.

    Write the file at the yielded path with any writer (a TFRecord writer, ``soundfile``, ...).
    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        yield pathlib.Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> pathlib.Path:
    """Write ``data`` to ``path`` via a temporary file, fsync and ``os.replace``; returns the path."""
    path = pathlib.Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> pathlib.Path:
    """:func:`write_bytes_atomic` of UTF-8 ``text``."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, data: Any) -> pathlib.Path:
    """:func:`write_bytes_atomic` of ``data`` as indented JSON (NaN written as ``null`` is the
    caller's job: ``json`` writes ``NaN``, which strict readers refuse)."""
    return write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Atomically swap two existing paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system does not offer it."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(os.fspath(a)), at_fdcwd, os.fsencode(os.fspath(b)), rename_exchange) == 0


def replace_directory(new: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move the finished folder ``new`` to ``path`` in one step (same file system).

    An existing ``path`` is swapped out atomically where the system allows it (else moved aside
    first) and deleted only once ``new`` is in place. The caller has already checked that
    ``path`` is safe to replace (see :mod:`ddsp_train.paths`).
    """
    new, path = os.fspath(new), os.fspath(path)
    if not os.path.exists(path):
        os.rename(new, path)
        return
    if exchange(new, path):
        shutil.rmtree(new)  # now holds the previous contents
        return
    aside = f"{new}-old"
    os.rename(path, aside)
    os.rename(new, path)
    shutil.rmtree(aside)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[pathlib.Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` as a whole.

    On an exception the temporary folder is removed and ``path`` is left as it was.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give the usual permissions
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_directory(tmp, path)
