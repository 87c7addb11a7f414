"""The finished dataset's description: counts, statistics and ``dataset.json``, and the
end-of-run table.

:func:`build_info` checks that every planned example and work item arrived, computes the
statistics from the frame records and returns the :class:`~ddsp_train.dataset_info.DatasetInfo`
that the pipeline writes (the only writer of ``dataset.json`` is that class).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ddsp_train import console, dataset_info
from ddsp_train.data import examples as ex_lib
from ddsp_train.data.plan import Config
from ddsp_train.data.split import SPLIT_RULE
from ddsp_train.errors import UserError
from ddsp_train.pitch import tracker_voiced_threshold
from ddsp_train.reports.checks import GOOD, LABELS, LEVELS, TITLES
from ddsp_train.reports.verdicts import CHECK_KEY

SPLITS = ("train", "eval")
FEATURE_DEFINITIONS = {
    "power_db": "10*log10(mean(frame**2)) over centred frames of frame_size samples, floored at -80 dB",
    "loudness_db": "ddsp A-weighted loudness: n_fft 512 at 16 kHz, Hann, mean over bins of "
                   "|STFT|^2*10^(A/10), 10*log10, floored at -80 dB (ref 0 dB)",
    "frames": "frame k centred at sample k*sample_rate/frame_rate, zero padding at the edges",
}


def count_written(staging: str) -> dict[str, int]:
    """Examples in each split's shards."""
    return {split: sum(1 for path in ex_lib.shard_paths(staging, split) for _ in ex_lib.read_tfrecord(path))
            for split in SPLITS}


def check_complete(written: dict[str, int], *, expected: dict[str, int], frame_parts: int, n_items: int) -> None:
    """UserError unless every planned example (``expected``) and work item (``n_items``) arrived."""
    if written != expected or frame_parts != n_items:
        raise UserError(
            f"the Beam job ended without writing everything: {written['train']}/{expected['train']} train and "
            f"{written['eval']}/{expected['eval']} eval examples, {frame_parts}/{n_items} work items; the "
            "output was left untouched. The default DirectRunner is known to work; check the runner's logs.")


def _joined(frame_records: list[bytes], *, by_split: bool) -> dict[tuple, dict[str, np.ndarray]]:
    """The frame features of each recording (or ``(recording, split)``), its work items' frames
    joined in time order."""
    parts: dict[tuple, list[dict]] = {}
    for record in frame_records:
        frames = ex_lib.decode_example(record)
        key = (int(frames["file_index"][0]),) + ((frames["split"].decode(),) if by_split else ())
        parts.setdefault(key, []).append(frames)
    joined = {}
    for key in sorted(parts):
        chunks = sorted(parts[key], key=lambda f: float(f["start_frame"][0]))
        joined[key] = {n: np.concatenate([c[n] for c in chunks]) for n in dataset_info.FRAME_KEYS}
    return joined


def recordings_frames(frame_records: list[bytes]) -> list[dict[str, np.ndarray]]:
    """The frame features of each (recording, split), joined from its work items in time order."""
    return list(_joined(frame_records, by_split=True).values())


def file_frames(frame_records: list[bytes]) -> dict[int, dict[str, np.ndarray]]:
    """``{file_index: frame features}`` of each whole recording (both splits of one cut in time):
    frame ``k`` centred at sample ``k * hop`` of the file, as the job computed them."""
    return {key[0]: frames for key, frames in _joined(frame_records, by_split=False).items()}


def split_seconds(record: dict, split: str) -> float:
    """Seconds of one file's record in ``split`` (its regions when it was cut in time)."""
    if "regions" in record:
        return sum(r["stop_secs"] - r["start_secs"] for r in record["regions"] if r["split"] == split)
    return record["seconds"] if record["split"] == split else 0.0


def split_counts(staging: str, records: list[dict], written: dict[str, int]) -> dict[str, dict]:
    """``{split: {examples, shards, files, seconds}}``."""
    used = [r for r in records if r["status"] == "used"]
    return {split: {"examples": written[split], "shards": len(ex_lib.shard_paths(staging, split)),
                    "files": sum(1 for r in used if split in (r["split"] or "").split("+")),
                    "seconds": round(sum(split_seconds(r, split) for r in used), 3)} for split in SPLITS}


def build_info(staging: str, *, records: list[dict], config: Config, seed: int, eval_fraction: float,
               total_secs: float, wall_secs: float, expected: dict[str, int], frame_records: list[bytes],
               n_items: int) -> dataset_info.DatasetInfo:
    """The dataset's :class:`DatasetInfo` once the shards are in ``staging`` (see the module docstring)."""
    from ddsp_train.data import stats

    written = count_written(staging)
    check_complete(written, expected=expected, frame_parts=len(frame_records), n_items=n_items)
    statistics = stats.compute_statistics(recordings_frames(frame_records), frame_rate=config.frame_rate,
                                          example_secs=config.example_secs,
                                          voiced_threshold=tracker_voiced_threshold(config.f0_method))
    return dataset_info.DatasetInfo(
        sample_rate=config.sample_rate, frame_rate=int(config.frame_rate), example_secs=config.example_secs,
        hop_secs=config.hop_secs, f0_method=config.f0_method, eval_fraction=eval_fraction, seed=seed,
        split_rule=SPLIT_RULE, splits=split_counts(staging, records, written), total_seconds=round(total_secs, 3),
        files=tuple(records), statistics=statistics, features=FEATURE_DEFINITIONS, wall_seconds=round(wall_secs, 2),
        times_real_time=round(total_secs / wall_secs, 2) if wall_secs > 0 else None)


def summary_lines(info: dataset_info.DatasetInfo, *, output: str) -> list[str]:
    """The end-of-run table: files used and skipped (with reasons), hours, examples, speed."""
    rows = [
        ("output", output),
        ("files used", str(info.files_used)),
        ("files skipped", str(info.files_skipped)),
        ("audio", f"{info.total_seconds / 3600:.3f} h ({info.total_seconds:.1f} s)"),
        ("train examples", f"{info.examples('train')} from {info.splits['train']['files']} file(s)"),
        ("eval examples", f"{info.examples('eval')} from {info.splits['eval']['files']} file(s)"),
        ("f0 method", str(info.f0_method)),
        ("wall time", f"{info.wall_seconds:.1f} s"),
        ("speed", console.format_speed(info.total_seconds, info.wall_seconds or 0.0)),
    ]
    width = max(len(k) for k, _ in rows)
    lines = ["", "ddsp-prepare summary"] + [f"  {k:<{width}}  {v}" for k, v in rows]
    lines += [f"  skipped: {r['path']}: {r['reason']}" for r in info.files if r["status"] == "skipped"]
    check = info.extra.get(CHECK_KEY)
    return lines + verdict_lines(check) if isinstance(check, Mapping) else lines


def verdict_lines(check: Mapping[str, Any], *,
                  heading: str = "Data check (details: report.html in the dataset folder)") -> list[str]:
    """The data check's end of the summary, from the set's verdicts as dataset.json holds them
    (``{"overall", "verdicts": {item: {level, sentence, advice}}}``): one line per item, its
    verdict and the figure, then what to do when it is not good; the overall verdict last."""
    verdicts = check.get("verdicts") or {}
    width = max(len(label) for label in LABELS.values())
    lines = ["", heading]
    for item, v in verdicts.items():
        lines.append(f"  {LABELS.get(v.get('level'), v.get('level')):<{width}}  {TITLES.get(item, item)}: {v.get('sentence')}")
        if v.get("level") != GOOD and v.get("advice"):
            lines.append(f"  {'':<{width}}  -> {v['advice']}")
    return lines + [f"  verdict: {LABELS.get(check.get('overall'), check.get('overall'))}"]


def file_verdict_lines(checks: Sequence[Any]) -> list[str]:
    """One line per checked recording (``RecordingCheck``): its worst verdict and the flags of the
    items that are not good."""
    order, width = list(LEVELS), max(len(label) for label in LABELS.values())
    lines = []
    for c in checks:
        levels = c.levels()
        worst = max(levels.values(), key=order.index)
        flags = ", ".join(c.flags()) or "nothing to fix"
        lines.append(f"  {LABELS[worst]:<{width}}  {c.path}: {flags}")
    return lines
