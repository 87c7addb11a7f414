"""The plugin's ``metadata.json``, appended to the ``.tflite`` flatbuffer as a zip archive.

The DDSP-VST plugin opens a model file as a zip and reads ``metadata.json`` from it (the
TFLite interpreter ignores the trailing bytes). The keys it reads are the typical pitch and power
range of the training data, taken from the dataset's per-note statistics
(:class:`~ddsp_train.dataset_info.DatasetInfo`):
``mean_min_pitch_note_hz``, ``mean_max_pitch_note_hz`` (Hz), ``mean_min_power_note``,
``mean_max_power_note`` (dB), ``version`` and ``export_time`` (strings). As DDSP's own exporter
does, the MIDI versions of the pitch range and the model's timing and sizes are written too.
"""
from __future__ import annotations

import datetime
import io
import json
import math
import zipfile
from typing import Any, Mapping

from ddsp_train import __version__, contract, dataset_info as dataset_info_lib
from ddsp_train.errors import UserError

METADATA_NAME = contract.METADATA_NAME
#: Keys the plugin itself reads (see the plugin contract).
PLUGIN_KEYS = contract.METADATA_PLUGIN_KEYS
#: The ``version`` of every file ddsp-export writes starts with this (how an earlier export is recognised).
VERSION_PREFIX = "ddsp-train "
#: Per-note statistics copied from the dataset's ``statistics``.
STATISTIC_KEYS = ("mean_min_pitch_note", "mean_max_pitch_note", "mean_min_pitch_note_hz",
                  "mean_max_pitch_note_hz", "mean_min_power_note", "mean_max_power_note")


def dataset_fields(info: "dataset_info_lib.DatasetInfo | Mapping[str, Any]") -> dict[str, Any]:
    """``statistics``, ``sample_rate``, ``frame_rate``, ``f0_method`` of a
    :class:`~ddsp_train.dataset_info.DatasetInfo` or of the parsed dict of its file."""
    names = ("statistics", "sample_rate", "frame_rate", "f0_method")
    if isinstance(info, dataset_info_lib.DatasetInfo):
        return {k: getattr(info, k) for k in names}
    return {k: info.get(k) for k in names}


def build_metadata(
    *,
    dataset_info: "dataset_info_lib.DatasetInfo | Mapping[str, Any]",
    num_harmonics: int,
    num_noise_amps: int,
    frame_size: int = contract.FRAME_SIZE,
    export_time: datetime.datetime | None = None,
) -> dict:
    """The metadata dict of a plugin model trained on the dataset described by ``dataset_info``.

    ``dataset_info`` is the dataset's :class:`~ddsp_train.dataset_info.DatasetInfo` (or its
    parsed dict); its ``statistics`` must hold the per-note ranges (:data:`STATISTIC_KEYS`),
    finite, with min < max.
    """
    info = dataset_fields(dataset_info)
    where = f"the dataset's {dataset_info_lib.FILENAME}"
    stats = info["statistics"]
    if not isinstance(stats, Mapping) or not stats:
        raise UserError(f"{where} has no 'statistics' section: re-run ddsp-prepare on the data "
                        "to get the per-note pitch and power ranges the plugin needs.")
    missing = [k for k in STATISTIC_KEYS if k not in stats or stats[k] is None]
    if missing:
        raise UserError(f"{where} statistics lack {', '.join(missing)}: re-run ddsp-prepare "
                        "(the plugin needs the per-note pitch and power ranges).")
    values = {k: float(stats[k]) for k in STATISTIC_KEYS}
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    if bad:
        raise UserError(f"{where} statistics are not finite for {', '.join(bad)} "
                        "(the dataset may have no confident, loud notes).")
    for lo, hi in (("mean_min_pitch_note_hz", "mean_max_pitch_note_hz"),
                   ("mean_min_power_note", "mean_max_power_note")):
        if not values[lo] < values[hi]:
            raise UserError(f"{where} statistics: {lo} = {values[lo]:g} is not below "
                            f"{hi} = {values[hi]:g}.")
    sample_rate = int(info["sample_rate"])
    frame_rate = float(info["frame_rate"])
    when = export_time or datetime.datetime.now(datetime.timezone.utc)
    meta = dict(values)
    meta.update(
        version=f"{VERSION_PREFIX}{__version__}",
        export_time=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        num_harmonics=int(num_harmonics),
        num_noise_amps=int(num_noise_amps),
        frame_rate=int(frame_rate) if frame_rate.is_integer() else frame_rate,
        frame_size=int(frame_size),
        sample_rate=sample_rate,
        f0_method=str(info["f0_method"] or ""),
    )
    return meta


def append_metadata(flatbuffer: bytes, metadata: Mapping[str, Any]) -> bytes:
    """``flatbuffer`` followed by a zip archive holding one entry ``metadata.json``.

    A zip is read from its end (the central directory records offsets relative to the archive
    start, which readers correct for leading bytes), so the result opens both as a flatbuffer
    and as a zip.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(METADATA_NAME, json.dumps(dict(metadata), indent=2, sort_keys=True))
    return bytes(flatbuffer) + buf.getvalue()


def read_metadata(content: bytes) -> dict:
    """The ``metadata.json`` of a model file's bytes; UserError if there is none."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return json.loads(z.read(METADATA_NAME))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as e:
        raise UserError(f"the model file has no readable {METADATA_NAME} appended ({e}); "
                        "export it with ddsp-export.") from e


def written_by_us(content: bytes) -> bool:
    """True if ``content`` is a model file whose metadata ddsp-export wrote (``version`` starts
    with :data:`VERSION_PREFIX`)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            meta = json.loads(z.read(METADATA_NAME))
    except (zipfile.BadZipFile, KeyError, ValueError):
        return False
    return isinstance(meta, dict) and str(meta.get("version", "")).startswith(VERSION_PREFIX)
