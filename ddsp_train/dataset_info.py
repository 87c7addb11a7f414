"""``dataset.json``: the one typed description of a prepared dataset.

ddsp-prepare writes it (:meth:`DatasetInfo.write`), ddsp-train reads it and keeps a copy in the
model folder with ``data_dir`` set, ddsp-export reads that copy. Nothing else parses the file:
every stage holds a :class:`DatasetInfo`.

Fields (``version`` :data:`VERSION`):

- the grid: ``sample_rate`` (Hz), ``frame_rate`` (frames/s, whole), ``example_secs``,
  ``hop_secs`` (between example starts); derived: :attr:`~DatasetInfo.hop` (samples per frame),
  :attr:`~DatasetInfo.example_samples`, :attr:`~DatasetInfo.example_frames`
  (``example_samples // hop + 1``, centred frames);
- how it was made: ``f0_method``, ``eval_fraction``, ``seed``, ``split_rule``;
- what it holds: ``splits`` (``{train, eval}`` -> ``{examples, shards, files, seconds}``),
  ``total_seconds``, ``files`` (one dict per input file: ``path, status, reason, seconds, split,
  ...``), ``statistics`` (see :mod:`ddsp_train.data.stats`), ``features`` (their definitions);
- ``data_dir``: the dataset's folder, set in a model folder's copy;
- ``source``: ``None`` for a ddsp-prepare dataset, ``"ddsp"`` for records written by magenta/ddsp's
  ``ddsp_prepare_tfrecord`` (or any TFRecords without a ``dataset.json``), whose grid was
  inferred from the records (:mod:`ddsp_train.data.ddsp_format`); ``frames``: ``"centred"``
  (``n // hop + 1`` frames, ours) or ``"uncentred"`` (``n // hop``, ddsp's default), which the
  reader pads by one frame to the centred grid, so :attr:`~DatasetInfo.example_frames` holds for both.
  Written only when they differ from the defaults;
- ``extra``: any other key of the file, kept as it was (a newer writer's, or a user's).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
from typing import Any, Mapping

from ddsp_train.atomic import write_json_atomic
from ddsp_train.errors import UserError

#: The file's name, in a dataset folder and in a model folder.
FILENAME = "dataset.json"
#: The layout version this module writes; older files (no ``version``, or 1) read the same.
VERSION = 2
#: The TFRecord features of every example, ddsp's names kept (float32 lists).
FEATURE_KEYS = ("audio", "f0_hz", "f0_confidence", "loudness_db", "power_db")
#: The per-frame features (one value per frame) among :data:`FEATURE_KEYS`.
FRAME_KEYS = FEATURE_KEYS[1:]
#: How frames sit on the samples: centred at ``k * hop`` (``n // hop + 1`` of them) or starting
#: there (``n // hop``, ddsp_prepare_tfrecord's default ``center=False``).
FRAME_LAYOUTS = ("centred", "uncentred")
#: Fields a file must have.
REQUIRED = ("sample_rate", "frame_rate", "example_secs")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A prepared dataset's description (see the module docstring)."""

    sample_rate: int
    frame_rate: int
    example_secs: float
    hop_secs: float = 1.0
    f0_method: str | None = None
    eval_fraction: float | None = None
    seed: int | None = None
    split_rule: str | None = None
    splits: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    total_seconds: float = 0.0
    files: tuple[Mapping[str, Any], ...] = ()
    statistics: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    features: Mapping[str, str] = dataclasses.field(default_factory=dict)
    wall_seconds: float | None = None
    times_real_time: float | None = None
    data_dir: str | None = None
    source: str | None = None
    frames: str = "centred"
    version: int = VERSION
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        errors = validate_grid(sample_rate=self.sample_rate, frame_rate=self.frame_rate,
                               example_secs=self.example_secs)
        if errors:
            raise UserError(f"{FILENAME}: {errors[0]}")
        if self.frames not in FRAME_LAYOUTS:
            raise UserError(f"{FILENAME}: frames {self.frames!r} must be one of {', '.join(FRAME_LAYOUTS)}")

    # -- derived ---------------------------------------------------------------------------

    @property
    def hop(self) -> int:
        """Samples between frame centres, ``sample_rate / frame_rate``."""
        return self.sample_rate // self.frame_rate

    @property
    def example_samples(self) -> int:
        """Samples per example, ``round(example_secs * sample_rate)``."""
        return int(round(self.example_secs * self.sample_rate))

    @property
    def example_frames(self) -> int:
        """Frames per example, ``example_samples // hop + 1`` (frame k centred at sample k*hop)."""
        return self.example_samples // self.hop + 1

    def examples(self, split: str) -> int:
        """Examples in ``split`` (0 when the file does not say)."""
        return int(self.splits.get(split, {}).get("examples", 0) or 0)

    @property
    def files_used(self) -> int:
        return sum(1 for f in self.files if f.get("status") == "used")

    @property
    def files_skipped(self) -> int:
        return sum(1 for f in self.files if f.get("status") == "skipped")

    def replace(self, **changes: Any) -> "DatasetInfo":
        return dataclasses.replace(self, **changes)

    # -- (de)serialisation -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, ``extra`` keys merged back, derived counts included for readers."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        data["files"] = [dict(f) for f in self.files]
        data["files_used"], data["files_skipped"] = self.files_used, self.files_skipped
        for name, default in (("data_dir", None), ("source", None), ("frames", "centred")):
            if data[name] == default:
                del data[name]
        return {**dict(self.extra), **_finite(data)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = FILENAME) -> "DatasetInfo":
        """Parse a ``dataset.json`` object; UserError naming ``source`` if it is not one."""
        if not isinstance(data, Mapping):
            raise UserError(f"{source} is not a JSON object: not written by ddsp-prepare")
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise UserError(f"{source} lacks {', '.join(missing)}: not written by ddsp-prepare")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        derived = {"files_used", "files_skipped", "frame_size", "example_samples", "example_frames"}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names and k not in derived}
        try:
            sample_rate, frame_rate = int(known.pop("sample_rate")), float(known.pop("frame_rate"))
            example_secs = float(known.pop("example_secs"))
        except (TypeError, ValueError) as e:
            raise UserError(f"{source}: sample_rate, frame_rate and example_secs must be numbers ({e})") from None
        if not frame_rate.is_integer():
            raise UserError(f"{source}: frame_rate {frame_rate:g} is not a whole number of frames per second, "
                            "which the models need; prepare the data again with e.g. --frame-rate 50")
        known["files"] = tuple(known.get("files") or ())
        known["version"] = int(known.get("version") or 1)
        try:
            return cls(sample_rate=sample_rate, frame_rate=int(frame_rate), example_secs=example_secs,
                       extra=extra, **known)
        except UserError as e:
            raise UserError(e.message.replace(FILENAME, source, 1)) from None

    @classmethod
    def read(cls, folder: str | os.PathLike) -> "DatasetInfo":
        """The ``dataset.json`` of ``folder``; UserError if the folder is missing or is not a dataset."""
        folder = pathlib.Path(folder)
        if not folder.is_dir():
            raise UserError(f"dataset folder {folder} does not exist (make one with ddsp-prepare)", exit_code=2)
        path = folder / FILENAME
        if not path.is_file():
            raise UserError(f"{folder} is not a prepared dataset: it has no {FILENAME} (make one with ddsp-prepare)",
                            exit_code=2)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise UserError(f"{path} is not readable JSON: {e}") from None
        return cls.from_dict(data, source=str(path))

    def write(self, folder: str | os.PathLike) -> pathlib.Path:
        """Write ``folder/dataset.json`` atomically (strict JSON: non-finite numbers as null)."""
        return write_json_atomic(pathlib.Path(folder) / FILENAME, self.to_dict())


def exists(folder: str | os.PathLike) -> bool:
    """True if ``folder`` holds a ``dataset.json`` (a dataset, or a model folder's copy)."""
    return (pathlib.Path(folder) / FILENAME).is_file()


def validate_grid(*, sample_rate: int, frame_rate: float, example_secs: float) -> list[str]:
    """What is wrong with a frame grid (empty if nothing): whole positive rates, a whole number
    of samples per frame, and a positive example length that is a whole number of frames."""
    errors = []
    if sample_rate <= 0 or frame_rate <= 0:
        errors.append(f"sample_rate {sample_rate} and frame_rate {frame_rate:g} must be positive")
    elif sample_rate % frame_rate:
        errors.append(f"sample_rate {sample_rate} is not a multiple of frame_rate {frame_rate:g}")
    elif not example_secs > 0:
        errors.append(f"example_secs {example_secs:g} must be positive")
    return errors


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
