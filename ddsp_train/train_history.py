"""``MODEL_DIR/logs/train_history.jsonl``: one JSON object per logged training step.

ddsp-train appends to it (:func:`append`); its own plots and the model page read it back
(:func:`read`). A line cut short by a kill, or one that is not a step record, is skipped; a step
logged again (after a resume) keeps its latest record.
"""
from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Mapping

#: The file, relative to MODEL_DIR.
PATH = pathlib.Path("logs") / "train_history.jsonl"


def append(path: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """Add ``record`` (which holds ``step``) as one line."""
    with open(path, "a") as f:
        f.write(json.dumps(dict(record)) + "\n")


def read(path: str | os.PathLike) -> list[dict]:
    """The records of ``path`` by step (empty when the file is missing)."""
    path = pathlib.Path(path)
    records: dict[int, dict] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
                records[int(record["step"])] = record
            except (ValueError, KeyError, TypeError):
                continue
    return [records[s] for s in sorted(records)]
