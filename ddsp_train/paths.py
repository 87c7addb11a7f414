"""Checks of every place a command writes, made before any work starts.

The rule of the house: nothing of the user's is ever lost. A command may write a new file or
folder, or replace one that it wrote itself, and nothing else. Each check raises a
:class:`~ddsp_train.errors.UserError` whose one-line message names the option, the path and
what to do. They run in well under a second (no TensorFlow), so a mistake is reported before
minutes of work, not after.

``inputs`` are the paths a command reads; an output may not be one of them, hold one, or lie
inside one (a dataset written into the recordings' folder would be mixed with them, and an
``--overwrite`` would delete them).
"""
from __future__ import annotations

import errno
import os
import pathlib
import tempfile
from typing import Iterable, Sequence

from ddsp_train.errors import UserError

PathLike = str | os.PathLike


def resolved(path: PathLike) -> pathlib.Path:
    """``path`` made absolute with ``~`` expanded and links followed (it need not exist)."""
    return pathlib.Path(os.path.expanduser(os.fspath(path))).resolve(strict=False)


def is_within(path: PathLike, folder: PathLike) -> bool:
    """True if ``path`` is ``folder`` or lies anywhere below it (after :func:`resolved`)."""
    path, folder = resolved(path), resolved(folder)
    return path == folder or folder in path.parents


def check_not_input(output: PathLike, inputs: Iterable[PathLike], *, flag: str = "--output") -> None:
    """Refuse an ``output`` that equals an input, contains one, or lies inside an input folder."""
    out = resolved(output)
    for given in inputs:
        source = resolved(given)
        if out == source:
            raise UserError(f"{flag} {output} is also an input; write to another path so the input is kept",
                            exit_code=2)
        if source in out.parents and source.is_dir():
            raise UserError(f"{flag} {output} lies inside the input folder {given}; write it outside the "
                            "folder you are reading from", exit_code=2)
        if out in source.parents:
            raise UserError(f"{flag} {output} holds the input {given}; write to a folder of its own",
                            exit_code=2)


def _nearest_existing(path: pathlib.Path) -> pathlib.Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return pathlib.Path(path.anchor or "/")


def check_creatable(path: PathLike, *, flag: str, shown: PathLike | None = None) -> None:
    """Refuse a ``path`` that cannot be created: under a regular file, or in a folder this user
    may not write (probed by creating and removing a temporary file there). Messages name
    ``shown`` (the path the user gave) when ``path`` is a probe inside it."""
    target = resolved(path)
    path = path if shown is None else shown
    base = _nearest_existing(target.parent)
    if not base.is_dir():
        raise UserError(f"{flag} {path}: {base} is a file, not a folder; choose a path that is not under a file")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ddsp-write-test-", dir=base)
    except OSError as e:
        reason = "permission denied" if e.errno in (errno.EACCES, errno.EPERM) else (e.strerror or str(e))
        if e.errno == errno.EROFS:
            reason = "read-only file system"
        raise UserError(f"{flag} {path}: cannot write in {base} ({reason}); choose a folder you can write to") \
            from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path: PathLike, *, overwrite: bool, inputs: Sequence[PathLike] = (),
                      flag: str = "--output") -> None:
    """A file a command is about to write: not an input, not a folder, not an existing file
    unless ``overwrite`` (``--overwrite``), and creatable."""
    check_not_input(path, inputs, flag=flag)
    target = resolved(path)
    if target.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name", exit_code=2)
    if target.exists() and not overwrite:
        raise UserError(f"{flag} {path} exists; pass --overwrite to replace it", exit_code=2)
    if target.exists() and not os.access(target, os.W_OK):
        raise UserError(f"{flag} {path} exists and cannot be replaced (permission denied)")
    check_creatable(target, flag=flag)


def check_output_dir(path: PathLike, *, overwrite: bool, marker: str, writer: str,
                     inputs: Sequence[PathLike] = (), flag: str = "--output") -> bool:
    """A folder a command is about to create or replace as a whole.

    Allowed: a new path, an empty folder, or, with ``overwrite``, a folder that ``writer`` wrote
    itself (it holds the file ``marker``, e.g. ``dataset.json``). Anything else is refused, even
    with ``overwrite``. Returns True when an existing folder will be replaced.
    """
    check_not_input(path, inputs, flag=flag)
    target = resolved(path)
    if os.path.lexists(target) and not target.is_dir():
        raise UserError(f"{flag} {path} exists and is not a folder; give a folder path", exit_code=2)
    if target.is_dir():
        try:
            entries = os.listdir(target)
        except OSError as e:
            raise UserError(f"{flag} {path} cannot be read ({e.strerror})") from None
        if entries:
            if not (target / marker).is_file():
                raise UserError(f"{flag} {path} is not empty and was not written by {writer} (it has no {marker}); "
                                "nothing there is replaced, even with --overwrite: choose a new or empty folder",
                                exit_code=2)
            if not overwrite:
                raise UserError(f"{flag} {path} holds an earlier {writer} output; pass --overwrite to replace it, "
                                "or choose a new folder", exit_code=2)
            check_creatable(target.parent / f".{target.name}.probe", flag=flag, shown=path)
            return True
    check_creatable(target / ".probe", flag=flag, shown=path)
    return False


def check_model_dir(path: PathLike, *, markers: Sequence[str], writer: str, inputs: Sequence[PathLike] = (),
                    flag: str = "--model-dir") -> bool:
    """A folder a command adds to and resumes from (ddsp-train's model folder).

    Allowed: a new path, an empty folder, or a folder that holds one of ``markers`` (written by
    ``writer`` before). Returns True when it resumes an existing folder.
    """
    check_not_input(path, inputs, flag=flag)
    target = resolved(path)
    if os.path.lexists(target) and not target.is_dir():
        raise UserError(f"{flag} {path} exists and is not a folder; give a folder path", exit_code=2)
    existing = target.is_dir() and bool(os.listdir(target))
    if existing and not any((target / m).exists() for m in markers):
        raise UserError(f"{flag} {path} is not empty and was not written by {writer}; choose a new or empty "
                        "folder (nothing in it is changed)", exit_code=2)
    check_creatable(target / ".probe", flag=flag, shown=path)
    return existing
