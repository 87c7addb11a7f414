"""The staging folder: the dataset is built beside ``--output`` and moved into place in one step.

A run writes everything into ``.ddsp-prepare-staging-NAME-PID-RANDOM`` next to ``--output``
with a marker file (:data:`MARKER`: pid and host), then :func:`commit` swaps it into place
(:func:`ddsp_train.atomic.replace_directory`). A killed run leaves its staging folder behind;
the next run beside it removes it, but only when :func:`is_abandoned` is sure it is one of
ours: the name, a marker naming this host and a process that no longer exists, and nothing in
it but what a run writes. Anything else with a similar name is left alone.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import socket
import time
import uuid

from ddsp_train import atomic, dataset_info

STAGING_PREFIX = ".ddsp-prepare-staging-"
#: The file that marks a staging folder as ours: ``{"pid", "host", "output"}``.
MARKER = "_staging.json"
#: What a run writes into its staging folder.
OWN_NAMES = frozenset({MARKER, "_progress", "_records", "_beam.log", dataset_info.FILENAME, "report.png",
                       "report.html"})
OWN_PATTERN = re.compile(r"^((train|eval)\.tfrecord-\d{5}-of-\d{5}|\..+\.tmp)$")
#: An empty folder with our prefix (a run killed before its marker) is removed after this long.
EMPTY_GRACE_SECS = 3600.0


def create(output: str) -> str:
    """Make a new staging folder beside ``output`` (after removing abandoned ones there)."""
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    remove_abandoned(parent)
    name = os.path.basename(os.path.abspath(output))
    path = os.path.join(parent, f"{STAGING_PREFIX}{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.makedirs(path)
    atomic.write_json_atomic(os.path.join(path, MARKER),
                             {"pid": os.getpid(), "host": socket.gethostname(), "output": os.path.abspath(output)})
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def is_abandoned(path: str) -> bool:
    """True only for a staging folder of ours (see the module docstring) whose run is gone."""
    if not os.path.basename(path).startswith(STAGING_PREFIX) or os.path.islink(path) or not os.path.isdir(path):
        return False
    try:
        entries = os.listdir(path)
        if not entries:
            return time.time() - os.path.getmtime(path) > EMPTY_GRACE_SECS
        if any(e not in OWN_NAMES and not OWN_PATTERN.match(e) for e in entries):
            return False
        with open(os.path.join(path, MARKER)) as f:
            marker = json.load(f)
        pid, host = int(marker["pid"]), str(marker["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return host == socket.gethostname() and pid != os.getpid() and not _alive(pid)


def remove_abandoned(parent: str) -> list[str]:
    """Remove the abandoned staging folders in ``parent``; returns their paths."""
    removed = []
    for path in sorted(glob.glob(os.path.join(glob.escape(parent), STAGING_PREFIX + "*"))):
        if is_abandoned(path):
            if os.listdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.rmdir(path)
            removed.append(path)
    return removed


def discard(path: str, *, tries: int = 20) -> None:
    """Remove a failed or interrupted run's staging folder (retrying while workers wind down)."""
    for _ in range(tries):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.1)


def commit(path: str, output: str) -> None:
    """Move the finished staging folder to ``output`` in one step (the previous one, if any, is
    swapped out and deleted)."""
    os.remove(os.path.join(path, MARKER))
    atomic.replace_directory(path, output)
