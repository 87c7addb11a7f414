"""What a Beam worker does with one work item: read its stretch, compute features, write records.

A work item reads just its stretch of the recording plus :data:`CONTEXT_SECS` on each side
(:func:`ddsp_train.audio.read_resampled`), computes the frame features and keeps the examples
that start inside it, so the features equal those of the whole file at once
(tests/test_prepare_chunks.py). Its records (prefixed with their kind, :data:`KIND_PREFIX`) go
to one file of its own in the staging folder, written atomically, so a retried item rewrites
the same file and no runner's sink finalisation is relied on (Beam's Dask runner left
WriteToTFRecord's output in its temporary folders, unmoved). A progress mark per finished item
feeds the driver's progress line.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ddsp_train import atomic, features
from ddsp_train import audio as audio_lib
from ddsp_train.data import examples as ex_lib
from ddsp_train.data.plan import Config, WorkItem
from ddsp_train.pitch import FILL_REACH_SECS, get_tracker

#: Audio read on each side of a work item so that features at its edges equal whole-file ones:
#: it covers the trackers' 64 ms windows, the unvoiced-f0 fill reach (FILL_REACH_SECS = 2 s)
#: and, in practice, pyin's Viterbi path re-converging (tests/test_prepare_chunks.py).
CONTEXT_SECS = 3.0
assert CONTEXT_SECS >= FILL_REACH_SECS + 0.5
#: First byte of each record a work item writes: which output it belongs to.
KIND_PREFIX = {"train": b"T", "eval": b"E", "frames": b"F"}


def frame_features(audio: np.ndarray, *, config: Config, tracker) -> dict[str, np.ndarray]:
    """All frame features of ``audio`` on its centred grid (the whole-recording computation)."""
    f0, confidence = tracker.track(audio, sample_rate=config.sample_rate, frame_rate=config.frame_rate)
    return {
        "f0_hz": np.asarray(f0, np.float32),
        "f0_confidence": np.asarray(confidence, np.float32),
        "loudness_db": features.compute_loudness_db(audio, sample_rate=config.sample_rate, frame_rate=config.frame_rate),
        "power_db": features.compute_power_db(audio, sample_rate=config.sample_rate, frame_rate=config.frame_rate),
    }


def process_item(item: WorkItem, *, config: Config, tracker, context_secs: float = CONTEXT_SECS):
    """``(examples, frames)`` of one work item: example dicts (audio, features, source,
    start_secs, split) and the item's own frames ``{"start_frame", features...}`` for statistics."""
    e, hop = config.example_samples, config.frame_hop
    n_ex_frames = config.example_frames
    context = int(round(context_secs * config.frame_rate)) * hop
    aligned = [s for s in item.starts if s % hop == 0]
    unaligned = [s for s in item.starts if s % hop]
    first = item.starts[0]
    a = max(0, (first - context) // hop * hop)
    b = min(item.n_samples, max(max(item.starts) + e, item.own_stop) + context)
    audio = audio_lib.read_resampled(item.info, sample_rate=config.sample_rate, start=a, stop=b)
    feats = frame_features(audio, config=config, tracker=tracker)
    out = []
    for s in aligned:
        k = (s - a) // hop
        out.append(_example(item, config, s, audio[s - a:s - a + e], {n: v[k:k + n_ex_frames] for n, v in feats.items()}))
    for s in unaligned:  # the last window of a region: its own grid starting at s
        c = min(context, s - a) // hop * hop
        own = frame_features(audio[s - c - a:], config=config, tracker=tracker)
        k = c // hop
        out.append(_example(item, config, s, audio[s - a:s - a + e], {n: v[k:k + n_ex_frames] for n, v in own.items()}))
    k0 = (first - a) // hop
    k1 = -(-(item.own_stop - a) // hop)  # frames centred in [first, own_stop)
    if item.own_stop == item.region.stop == item.n_samples:
        k1 = (item.n_samples - a) // hop + 1  # the file's last frame too
    frames = {"file_index": item.file_index, "split": item.region.split, "start_frame": first // hop,
              **{n: v[k0:k1] for n, v in feats.items()}}
    return out, frames


def _example(item: WorkItem, config: Config, start: int, audio: np.ndarray, feats: dict) -> dict:
    return {"audio": np.asarray(audio, np.float32), **feats, "source": item.source.encode(),
            "start_secs": np.float32(start / config.sample_rate), "split": item.region.split}


def item_records(examples: list[dict], frames: dict) -> list[bytes]:
    """The encoded records of one item: its examples (prefixed train/eval), then its frames."""
    records = [KIND_PREFIX[example.pop("split")] + ex_lib.encode_example(example) for example in examples]
    records.append(KIND_PREFIX["frames"] + ex_lib.encode_example(
        {**{k: v for k, v in frames.items() if k != "split"}, "split": frames["split"]}))
    return records


def run_item(item: WorkItem, *, config: Config, tracker, stop: threading.Event | None = None) -> int:
    """Process one item, write its records file and its progress mark; the number of records.
    When ``stop`` is set meanwhile (the job failed or was interrupted), nothing is written (0)."""
    examples, frames = process_item(item, config=config, tracker=tracker)
    records = item_records(examples, frames)
    if stop is not None and stop.is_set():
        return 0
    write_item_records(config.records_dir, item, records)
    mark_progress(config.progress_dir, item, seconds=item.own_samples / config.sample_rate)
    return len(records)


_THREAD = threading.local()


def thread_tracker(method: str):
    """This thread's tracker for ``method`` (made on first use; a tracker is used by one thread)."""
    trackers = _THREAD.__dict__.setdefault("trackers", {})
    if method not in trackers:
        trackers[method] = get_tracker(method)
    return trackers[method]


def run_pooled(item: WorkItem, config: Config, *, stop: threading.Event | None = None) -> int:
    """:func:`run_item` with :func:`thread_tracker` (a job run without Beam, in a thread or process pool)."""
    return run_item(item, config=config, tracker=thread_tracker(config.f0_method), stop=stop)


def make_dofn(config: Config):
    """The Beam DoFn around :func:`run_item` (one tracker per worker, made in ``setup``)."""
    import apache_beam as beam

    class ProcessItem(beam.DoFn):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.tracker = None

        def setup(self):
            self.tracker = get_tracker(self.config.f0_method)

        def process(self, item):
            yield run_item(item, config=self.config, tracker=self.tracker)

    return ProcessItem(config)


def item_records_name(item: WorkItem) -> str:
    """The records file of a work item: sorting the names gives the plan's order."""
    return f"{item.file_index:06d}-{item.starts[0]:012d}-{item.region.split}.tfrecord"


def write_item_records(records_dir: str, item: WorkItem, records: list[bytes]) -> None:
    """Write one work item's records to ``records_dir`` atomically (a retry writes the same file)."""
    with atomic.atomic_path(os.path.join(records_dir, item_records_name(item))) as tmp:
        with ex_lib.TFRecordWriter(str(tmp)) as writer:
            for record in records:
                writer.write(record)


def progress_name(item: WorkItem) -> str:
    """The progress mark of a work item (names starting with ``.`` are temporary)."""
    return f"{item.file_index}-{item.starts[0]}-{item.region.split}"


def mark_progress(progress_dir: str | None, item: WorkItem, *, seconds: float) -> None:
    """Record that ``item`` (``seconds`` of audio) is done, for the driver's progress line."""
    if not progress_dir or not os.path.isdir(progress_dir):
        return
    atomic.write_json_atomic(os.path.join(progress_dir, progress_name(item)),
                             {"file": item.file_index, "seconds": seconds})
