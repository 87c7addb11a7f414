"""The ``ddsp-prepare`` job: recordings -> TFRecord examples with f0, loudness and power.

Stages:

1. Driver: expand INPUTs, probe and scan every file (decode errors, truncation, NaN, silence,
   too short), hash its bytes, decide the train/eval split, plan work items.
2. Beam: each work item is one stretch (``SEGMENT_SECS``) of one recording; it reads just that
   stretch plus ``CONTEXT_SECS`` on each side (:func:`ddsp_train.audio.read_resampled`),
   computes the features and emits the examples that start inside it, so a long file runs in
   bounded memory and in parallel, with the same features as the whole file at once.
   Each work item writes its records (prefixed with their kind: train, eval, frames) into one
   file of its own in the staging folder, atomically; the job has no Beam sink. A retried item
   rewrites the same file, and no runner's sink finalisation is relied on (Beam's Dask runner
   left WriteToTFRecord's output in its temporary folders, unmoved).
3. Driver: deal the records, item by item in plan order, into ``train``/``eval`` shards, check
   that every planned example arrived, statistics from the per-frame records, ``report.png``,
   ``dataset.json``, and the atomic move of the staging folder into place.

Examples are windows of ``example_secs`` every ``hop_secs`` from the start of each recording
(or of each side of a time split); the last one ends at the end, so nothing is dropped or
padded. Its features are computed on its own frame grid when it does not start on the
recording's grid.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
import uuid
from typing import Sequence

import numpy as np

from ddsp_train import audio as audio_lib
from ddsp_train import features
from ddsp_train.data import examples as ex_lib
from ddsp_train.errors import UserError
from ddsp_train.pitch import (DEFAULT_F0_METHOD, FILL_REACH_SECS, check_tracker, get_tracker,
                              tracker_parallel, tracker_voiced_threshold)

DATASET_VERSION = 1
#: Audio per Beam work item (examples starting in it), seconds of the output.
SEGMENT_SECS = 60.0
#: Audio read on each side of a work item so that features at its edges equal whole-file ones:
#: it covers the trackers' 64 ms windows, the unvoiced-f0 fill reach (FILL_REACH_SECS = 2 s)
#: and, in practice, pyin's Viterbi path re-converging (tests/test_prepare_chunks.py).
CONTEXT_SECS = 3.0
assert CONTEXT_SECS >= FILL_REACH_SECS + 0.5
#: Files whose loudest 64 ms block is below this level are skipped as silent.
SILENCE_DBFS = -70.0
#: Below this much audio in total the job runs in-process (Beam's in_memory mode): starting
#: worker processes would cost more than it saves. The output is the same in either mode.
SMALL_JOB_SECS = 60.0
STAGING_PREFIX = ".ddsp-prepare-staging-"
SPLIT_RULE = ("by recording: distinct file contents ordered by sha256(f'{seed}:{sha256 of the file}'), eval takes, "
              "in that order, each one that still fits within eval_fraction of the audio; if none fits, the shortest "
              "(the first of equals in that order); never all; a single "
              "recording is cut in time at (1 - eval_fraction) of its length on the hop grid, examples never "
              "cross the cut")


@dataclasses.dataclass(frozen=True)
class Config:
    """The validated parameters every work item needs."""

    sample_rate: int
    frame_rate: float
    example_secs: float
    hop_secs: float
    f0_method: str
    example_samples: int
    hop_samples: int
    frame_hop: int
    progress_dir: str | None = None
    records_dir: str | None = None


@dataclasses.dataclass(frozen=True)
class Region:
    """A stretch ``[start, stop)`` (output samples) of one recording that goes to one split."""

    split: str
    start: int
    stop: int


@dataclasses.dataclass(frozen=True)
class WorkItem:
    """Examples starting at ``starts`` (output samples) of one region of one recording."""

    file_index: int
    info: audio_lib.AudioInfo
    source: str
    n_samples: int
    region: Region
    starts: tuple[int, ...]
    own_stop: int  # frames centred in [starts[0], own_stop) feed the statistics


# ----------------------------------------------------------------------------------------------
# Validation and input expansion


def make_config(*, sample_rate: int, frame_rate: float, example_secs: float, hop_secs: float,
                f0_method: str) -> Config:
    """Check the numeric options together; UserError saying what was given and what fits."""
    if int(sample_rate) != sample_rate or sample_rate < 8000:
        raise UserError(f"--sample-rate must be a whole number of Hz >= 8000, got {sample_rate}")
    if not frame_rate > 0 or frame_rate != int(frame_rate):
        raise UserError(f"--frame-rate must be a whole number of frames per second (the models run on one), "
                        f"got {frame_rate:g}")
    frame_hop = features.hop_size(sample_rate=int(sample_rate), frame_rate=frame_rate)
    for name, secs in (("--example-secs", example_secs), ("--hop-secs", hop_secs)):
        if not secs > 0:
            raise UserError(f"{name} must be positive, got {secs}")
        frames = secs * frame_rate
        if abs(frames - round(frames)) > 1e-6:
            raise UserError(f"{name} {secs:g} must be a whole number of frames at --frame-rate "
                            f"{frame_rate:g} (a multiple of {1 / frame_rate:g} s)")
    check_tracker(f0_method)  # UserError naming the choices (without loading a model here)
    return Config(sample_rate=int(sample_rate), frame_rate=float(frame_rate), example_secs=float(example_secs),
                  hop_secs=float(hop_secs), f0_method=f0_method,
                  example_samples=int(round(example_secs * frame_rate)) * frame_hop,
                  hop_samples=int(round(hop_secs * frame_rate)) * frame_hop, frame_hop=frame_hop)


def expand_inputs(inputs: Sequence[str]) -> list[tuple[str, str]]:
    """``[(path, source)]`` for every file an INPUT names: files as given, folders searched
    recursively for audio extensions, glob patterns expanded (``**`` recursive). ``source`` is the
    path relative to the INPUT it came from. UserError (exit 2) when an INPUT matches nothing."""
    found: dict[str, tuple[str, str]] = {}
    unmatched = []
    for pattern in inputs:
        if os.path.exists(pattern):
            matches = [pattern]
            base = pattern if os.path.isdir(pattern) else os.path.dirname(pattern)
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            base = _glob_base(pattern)
        files = []
        for match in matches:
            if os.path.isdir(match):
                for root, dirs, names in os.walk(match):
                    dirs.sort()
                    files += [os.path.join(root, n) for n in sorted(names)
                              if audio_lib.is_audio_path(os.path.join(root, n))]
            elif os.path.isfile(match) and (match == pattern or audio_lib.is_audio_path(match)):
                files.append(match)
        if not files:
            unmatched.append(pattern)
        for path in files:
            key = os.path.realpath(path)
            if key not in found:
                found[key] = (path, os.path.relpath(path, base or "."))
    if unmatched:
        what = ", ".join(repr(u) for u in unmatched)
        raise UserError(f"no audio files match INPUT {what} (give audio files, folders holding audio "
                        f"files, or glob patterns; extensions searched: {' '.join(audio_lib.AUDIO_EXTENSIONS)})",
                        exit_code=2)
    return list(found.values())


def _glob_base(pattern: str) -> str:
    parts = pattern.split(os.sep)
    keep = []
    for part in parts:
        if glob.has_magic(part):
            break
        keep.append(part)
    return os.sep.join(keep) if keep else ""


def check_output(output: str, *, overwrite: bool) -> None:
    """Refuse a non-empty ``output`` without ``overwrite`` (before anything is touched)."""
    if os.path.exists(output) and not os.path.isdir(output):
        raise UserError(f"--output {output} exists and is not a folder")
    if os.path.isdir(output) and os.listdir(output) and not overwrite:
        raise UserError(f"--output {output} exists and is not empty; pass --overwrite to replace it")


# ----------------------------------------------------------------------------------------------
# Planning


def check_file(path: str, *, config: Config) -> tuple[audio_lib.AudioInfo | None, str | None, str | None]:
    """``(info, digest, None)`` for a usable file, ``(info or None, None, reason)`` otherwise."""
    try:
        info = audio_lib.probe_audio(path)
        scan = audio_lib.scan_audio(info)
    except audio_lib.AudioFileError as e:
        return None, None, e.reason
    if scan.frames_read < info.frames - max(1, int(0.05 * info.sample_rate)):
        return info, None, (f"truncated file (decoded {scan.frames_read / info.sample_rate:.2f} s of "
                            f"{info.seconds:.2f} s)")
    if scan.non_finite:
        return info, None, "contains NaN or infinite samples"
    if scan.max_block_db < SILENCE_DBFS:
        return info, None, f"silent (loudest 64 ms block {max(scan.max_block_db, -999):.1f} dBFS < {SILENCE_DBFS:g})"
    n = audio_lib.output_length(min(info.frames, scan.frames_read), rate_in=info.sample_rate,
                                rate_out=config.sample_rate)
    if n < config.example_samples:
        return info, None, f"too short ({n / config.sample_rate:.2f} s < --example-secs {config.example_secs:g})"
    return info, audio_lib.file_digest(path), None


def example_starts(region: Region, *, example_samples: int, hop_samples: int) -> list[int]:
    """Window starts in ``region``: every ``hop`` from its start, plus one ending at its end."""
    if region.stop - region.start < example_samples:
        return []
    starts = list(range(region.start, region.stop - example_samples + 1, hop_samples))
    if starts[-1] + example_samples < region.stop:
        starts.append(region.stop - example_samples)
    return starts


def split_files(digests: list[str], seconds: list[float], *, eval_fraction: float, seed: int) -> list[str]:
    """Split per recording (:data:`SPLIT_RULE`): distinct contents in ``sha256(seed:digest)`` order; eval
    takes each that still fits within ``eval_fraction`` of the audio, or else the shortest one, and
    never all of them. Identical copies go together."""
    splits = ["train"] * len(digests)
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(digests):
        groups.setdefault(d, []).append(i)
    if eval_fraction <= 0 or len(groups) < 2:
        return splits
    order = sorted(groups, key=lambda d: hashlib.sha256(f"{seed}:{d}".encode()).hexdigest())
    length = {d: sum(seconds[i] for i in groups[d]) for d in order}
    target = eval_fraction * sum(seconds)
    chosen, taken = [], 0.0
    for d in order:
        if taken + length[d] <= target and len(chosen) < len(order) - 1:
            chosen.append(d)
            taken += length[d]
    if not chosen:
        chosen = [min(order, key=lambda d: length[d])]  # min keeps the first of equals
    for d in chosen:
        for i in groups[d]:
            splits[i] = "eval"
    return splits


def time_split(n_samples: int, *, eval_fraction: float, config: Config) -> list[Region]:
    """One recording: train on ``[0, T)``, eval on ``[T, n)``, ``T`` on the example hop grid
    with at least one example on each side; all train when that does not fit."""
    e, h = config.example_samples, config.hop_samples
    if eval_fraction > 0:
        cut = int(round((1 - eval_fraction) * n_samples / h)) * h
        cut = min(cut, (n_samples - e) // h * h)
        if cut >= e:
            return [Region("train", 0, cut), Region("eval", cut, n_samples)]
    return [Region("train", 0, n_samples)]


def plan_items(file_index: int, info: audio_lib.AudioInfo, source: str, regions: list[Region], *,
               config: Config, segment_secs: float = SEGMENT_SECS) -> list[WorkItem]:
    """Cut each region's examples into work items of about ``segment_secs``."""
    n = audio_lib.output_length(info.frames, rate_in=info.sample_rate, rate_out=config.sample_rate)
    per_item = max(1, int(round(segment_secs / config.hop_secs)))
    items = []
    for region in regions:
        starts = example_starts(region, example_samples=config.example_samples, hop_samples=config.hop_samples)
        for i in range(0, len(starts), per_item):
            chunk = tuple(starts[i:i + per_item])
            own_stop = starts[i + per_item] if i + per_item < len(starts) else region.stop
            items.append(WorkItem(file_index=file_index, info=info, source=source, n_samples=n,
                                  region=region, starts=chunk, own_stop=own_stop))
    return items


# ----------------------------------------------------------------------------------------------
# Work items -> examples (runs on the Beam workers)


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
    n_ex_frames = e // hop + 1
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


def _make_dofn(config: Config):
    import apache_beam as beam

    class ProcessItem(beam.DoFn):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.tracker = None

        def setup(self):
            self.tracker = get_tracker(self.config.f0_method)

        def process(self, item):
            examples, frames = process_item(item, config=self.config, tracker=self.tracker)
            records = [KIND_PREFIX[example.pop("split")] + ex_lib.encode_example(example) for example in examples]
            records.append(KIND_PREFIX["frames"] + ex_lib.encode_example(
                {**{k: v for k, v in frames.items() if k != "split"}, "split": frames["split"]}))
            write_item_records(self.config.records_dir, item, records)
            _mark_progress(self.config.progress_dir, item, self.config)
            yield len(records)

    return ProcessItem(config)


def item_records_name(item: WorkItem) -> str:
    """The records file of a work item: sorting the names gives the plan's order."""
    return f"{item.file_index:06d}-{item.starts[0]:012d}-{item.region.split}.tfrecord"


def write_item_records(records_dir: str, item: WorkItem, records: list[bytes]) -> None:
    """Write one work item's records to ``records_dir`` atomically (a retry writes the same file)."""
    path = os.path.join(records_dir, item_records_name(item))
    tmp = os.path.join(records_dir, f".{uuid.uuid4().hex}.tmp")
    with ex_lib.TFRecordWriter(tmp) as writer:
        for record in records:
            writer.write(record)
    os.replace(tmp, path)


def _mark_progress(progress_dir: str | None, item: WorkItem, config: Config) -> None:
    if not progress_dir or not os.path.isdir(progress_dir):
        return
    secs = (item.own_stop - item.starts[0]) / config.sample_rate
    name = f"{item.file_index}-{item.starts[0]}-{item.region.split}"
    tmp = os.path.join(progress_dir, f".{name}.{uuid.uuid4().hex}")
    with open(tmp, "w") as f:
        json.dump({"file": item.file_index, "seconds": secs}, f)
    os.replace(tmp, os.path.join(progress_dir, name))


# ----------------------------------------------------------------------------------------------
# Running the Beam job


def _import_beam():
    """Import Apache Beam without its import-time warning about optional GCP clients."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        import apache_beam
    finally:
        root.setLevel(level)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    return apache_beam


def pipeline_options(beam_args: Sequence[str], *, workers: int, total_secs: float, parallel: str = "processes"):
    """Beam options: the user's ``beam_args`` win; otherwise the DirectRunner with ``workers``
    processes (``parallel="processes"``) or threads of one process (``"threads"``, for
    TensorFlow trackers: one copy of TensorFlow in memory), or in-memory for jobs under
    :data:`SMALL_JOB_SECS`; worker processes log warnings and errors only."""
    _import_beam()
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_args)
    given = " ".join(args)
    if "--default_sdk_harness_log_level" not in given:
        args.append("--default_sdk_harness_log_level=WARNING")
    if "--runner" not in given or "DirectRunner" in given:
        if "--direct_running_mode" not in given:
            small = total_secs < SMALL_JOB_SECS or workers == 1
            mode = "multi_threading" if parallel == "threads" else "multi_processing"
            args.append("--direct_running_mode=" + ("in_memory" if small else mode))
        if "--direct_num_workers" not in given:
            args.append(f"--direct_num_workers={workers}")
    try:
        return PipelineOptions(args)
    except BaseException as e:  # argparse exits on unknown values
        raise UserError(f"invalid Beam pipeline options {args}: {e}") from None


#: First byte of each record the Beam job writes: which output it belongs to.
KIND_PREFIX = {"train": b"T", "eval": b"E", "frames": b"F"}
#: Automatic sharding: about this many bytes of examples per shard.
SHARD_BYTES = 256 << 20


def run_beam(items: list[WorkItem], *, config: Config, options) -> None:
    """The Beam job: each work item -> one records file in ``config.records_dir``
    (:func:`write_item_records`); the dealing into shards happens after the job
    (:func:`split_records`)."""
    beam = _import_beam()
    p = beam.Pipeline(options=options)
    _ = (p | "items" >> beam.Create(items, reshuffle=True)
         | "features" >> beam.ParDo(_make_dofn(config)))
    result = p.run()
    try:
        result.wait_until_finish()
    finally:
        client = getattr(result, "client", None)  # the Dask runner's connection to the cluster
        if client is not None:
            client.close()


def split_records(staging: str, *, records_dir: str, shards: int | None, expected: dict[str, int],
                  example_bytes: int) -> list[bytes]:
    """Deal the work items' records (``records_dir``, in plan order) into
    ``staging/{train,eval}.tfrecord-SSSSS-of-NNNNN`` (``shards`` per split, or one per
    :data:`SHARD_BYTES`, round-robin); return the frame records. Removes ``records_dir``."""
    frames: list[bytes] = []
    writers: dict[str, list] = {}
    counts = {"train": 0, "eval": 0}
    kinds = {v: k for k, v in KIND_PREFIX.items()}
    for split, n in expected.items():
        count = shards or max(1, -(-n * example_bytes // SHARD_BYTES))
        writers[split] = [ex_lib.TFRecordWriter(os.path.join(staging, f"{split}.tfrecord-{i:05d}-of-{count:05d}"))
                          for i in range(count)]
    try:
        for path in sorted(glob.glob(os.path.join(glob.escape(records_dir), "*.tfrecord"))):
            for record in ex_lib.read_tfrecord(path):
                kind = kinds[record[:1]]
                if kind == "frames":
                    frames.append(record[1:])
                    continue
                out = writers[kind]
                out[counts[kind] % len(out)].write(record[1:])
                counts[kind] += 1
    finally:
        for out in writers.values():
            for w in out:
                w.close()
    shutil.rmtree(records_dir, ignore_errors=True)
    return frames


@contextlib.contextmanager
def _beam_log(path: str, *, capture: bool):
    """While the local Beam job runs, send file descriptor 2 (ours and the worker processes' that
    inherit it) to ``path`` and yield a stream on the real stderr for progress lines. If the
    job fails, the log's last lines are printed. With ``capture=False`` nothing is redirected."""
    if not capture:
        yield sys.stderr
        return
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    stream = os.fdopen(os.dup(saved), "w", buffering=1)
    os.dup2(log, 2)
    ok = False
    try:
        yield stream
        ok = True
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)
        stream.close()
        if ok:
            os.remove(path)
        else:
            with open(path, errors="replace") as f:
                tail = [line for line in f.read().splitlines() if line.strip()][-25:]
            if tail:
                print("Beam log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)


class _Progress:
    """Prints files and audio seconds done with an ETA from the workers' progress markers."""

    def __init__(self, directory: str, total_secs: float, total_files: int, *, enabled: bool):
        self.directory, self.total_secs, self.total_files = directory, total_secs, total_files
        self.enabled = enabled and total_secs > 0
        self.t0 = time.time()
        self.stop = threading.Event()

    def poll(self) -> tuple[float, int]:
        secs, done_files = 0.0, {}
        for name in os.listdir(self.directory):
            if name.startswith("."):
                continue
            try:
                with open(os.path.join(self.directory, name)) as f:
                    info = json.load(f)
            except (OSError, ValueError):
                continue
            secs += info["seconds"]
            done_files[info["file"]] = done_files.get(info["file"], 0) + info["seconds"]
        return secs, len(done_files)

    def loop(self, per_file_secs: dict[int, float], stream) -> None:
        last = ""
        while not self.stop.wait(2.0):
            secs, _ = self.poll()
            elapsed = time.time() - self.t0
            files_done = self._files_done(per_file_secs)
            eta = elapsed * (self.total_secs - secs) / secs if secs > 0 else float("nan")
            line = (f"  {files_done}/{self.total_files} files, {secs / 60:.1f}/{self.total_secs / 60:.1f} min of audio"
                    f", {elapsed:.0f} s elapsed" + (f", ETA {eta:.0f} s" if secs > 0 else ""))
            if line != last:
                print(line, file=stream, flush=True)
                last = line

    def _files_done(self, per_file_secs: dict[int, float]) -> int:
        done: dict[int, float] = {}
        for name in os.listdir(self.directory):
            if not name.startswith("."):
                index = int(name.split("-")[0])
                with open(os.path.join(self.directory, name)) as f:
                    done[index] = done.get(index, 0.0) + json.load(f)["seconds"]
        return sum(1 for i, s in done.items() if s >= per_file_secs.get(i, 0) - 1e-6)


# ----------------------------------------------------------------------------------------------
# Atomic output


def _staging_dir(output: str) -> str:
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    for old in glob.glob(os.path.join(glob.escape(parent), STAGING_PREFIX + "*")):
        _remove_if_abandoned(old)
    path = os.path.join(parent, f"{STAGING_PREFIX}{os.path.basename(os.path.abspath(output))}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.makedirs(path)
    with open(os.path.join(path, "_pid"), "w") as f:
        f.write(str(os.getpid()))
    return path


def _remove_if_abandoned(path: str) -> None:
    """Remove a staging folder left by a killed run (its process no longer exists)."""
    try:
        with open(os.path.join(path, "_pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        return  # still running
    except ProcessLookupError:
        pass
    except (OSError, ValueError):
        if time.time() - os.path.getmtime(path) < 24 * 3600:
            return
    shutil.rmtree(path, ignore_errors=True)


def _exchange(a: str, b: str) -> bool:
    """Atomically swap two existing paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def commit_output(staging: str, output: str) -> None:
    """Move the finished staging folder to ``output`` in one step. An existing (overwritten or
    empty) ``output`` is swapped out atomically where the OS allows it and then deleted."""
    os.remove(os.path.join(staging, "_pid"))
    if not os.path.exists(output):
        os.rename(staging, output)
        return
    if _exchange(staging, output):
        shutil.rmtree(staging)  # now holds the previous contents
        return
    aside = staging + "-old"
    os.rename(output, aside)
    os.rename(staging, output)
    shutil.rmtree(aside)


# ----------------------------------------------------------------------------------------------
# The job


def prepare_dataset(
    inputs: Sequence[str],
    *,
    output: str,
    sample_rate: int = 16000,
    frame_rate: float = 50,
    example_secs: float = 4.0,
    hop_secs: float = 1.0,
    eval_fraction: float = 0.1,
    seed: int = 0,
    f0_method: str = DEFAULT_F0_METHOD,
    workers: int | None = None,
    shards: int | None = None,
    overwrite: bool = False,
    strict: bool = False,
    beam_args: Sequence[str] = (),
    progress: bool = True,
) -> dict:
    """Prepare a training dataset in ``output`` from the audio that ``inputs`` name.

    Returns the content of ``output/dataset.json`` (see docs/architecture.md), after writing
    ``train.tfrecord-*``, ``eval.tfrecord-*``, ``dataset.json`` and ``report.png`` atomically.
    """
    t_start = time.time()
    config = make_config(sample_rate=sample_rate, frame_rate=frame_rate, example_secs=example_secs,
                         hop_secs=hop_secs, f0_method=f0_method)
    if not 0 <= eval_fraction < 1:
        raise UserError(f"--eval-fraction must be in [0, 1), got {eval_fraction}")
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be >= 1, got {workers}")
    if shards is not None and shards < 1:
        raise UserError(f"--shards must be >= 1, got {shards}")
    workers = workers or os.cpu_count() or 1
    if not inputs:
        raise UserError("give at least one INPUT (audio file, folder or glob pattern)", exit_code=2)
    check_output(output, overwrite=overwrite)
    paths = expand_inputs(inputs)
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if progress else (lambda *a: None)
    say(f"Checking {len(paths)} file(s)...")

    records, usable = [], []
    last_note = time.time()
    for n_checked, (path, source) in enumerate(paths):
        if time.time() - last_note > 5:
            say(f"  checked {n_checked}/{len(paths)} files")
            last_note = time.time()
        info, digest, reason = check_file(path, config=config)
        record = {"path": os.path.abspath(path), "source": source, "status": "skipped" if reason else "used",
                  "reason": reason, "seconds": round(info.seconds, 3) if info else None, "split": None,
                  "sample_rate": info.sample_rate if info else None, "channels": info.channels if info else None,
                  "sha256": digest}
        records.append(record)
        if reason is None:
            usable.append((len(records) - 1, info, digest))
    skipped = [r for r in records if r["status"] == "skipped"]
    if strict and skipped:
        raise UserError("--strict: unusable input files:\n" + "\n".join(f"  {r['path']}: {r['reason']}" for r in skipped))
    if not usable:
        raise UserError("no usable audio remains:\n" + "\n".join(f"  {r['path']}: {r['reason']}" for r in skipped))

    # Split by recording (or by time for a single one) and plan the work items.
    lengths = {i: audio_lib.output_length(info.frames, rate_in=info.sample_rate, rate_out=config.sample_rate)
               for i, info, _ in usable}
    items = []
    if len({d for _, _, d in usable}) == 1 and len(usable) >= 1:
        i, info, _ = usable[0]
        regions = time_split(lengths[i], eval_fraction=eval_fraction, config=config)
        for j, other, _ in usable[1:]:  # identical copies: same treatment
            records[j].update(status="skipped", reason=f"duplicate content of {records[i]['path']}", split=None)
        records[i]["split"] = "+".join(r.split for r in regions)
        records[i]["regions"] = [{"split": r.split, "start_secs": r.start / config.sample_rate,
                                  "stop_secs": r.stop / config.sample_rate} for r in regions]
        items += plan_items(i, info, records[i]["source"], regions, config=config)
        usable = usable[:1]
    else:
        splits = split_files([d for _, _, d in usable], [lengths[i] / config.sample_rate for i, _, _ in usable],
                             eval_fraction=eval_fraction, seed=seed)
        for (i, info, _), split in zip(usable, splits):
            records[i]["split"] = split
            items += plan_items(i, info, records[i]["source"], [Region(split, 0, lengths[i])], config=config)
        share = sum(lengths[i] for (i, _, _), sp in zip(usable, splits) if sp == "eval") / sum(lengths.values())
        if share > max(2 * eval_fraction, eval_fraction + 0.1):
            say(f"Note: eval holds {share:.0%} of the audio ({splits.count('eval')} of {len(splits)} recordings), "
                f"more than --eval-fraction {eval_fraction:g}: the split keeps whole recordings apart. Add "
                "recordings, or give one file to split it by time.")
    total_secs = sum(lengths[i] for i, _, _ in usable) / config.sample_rate

    staging = _staging_dir(output)
    try:
        progress_dir, records_dir = os.path.join(staging, "_progress"), os.path.join(staging, "_records")
        os.makedirs(progress_dir)
        os.makedirs(records_dir)
        config = dataclasses.replace(config, progress_dir=progress_dir, records_dir=records_dir)
        options = pipeline_options(beam_args, workers=workers, total_secs=total_secs,
                                   parallel=tracker_parallel(config.f0_method))
        say(f"Preparing {total_secs / 60:.1f} min of audio from {len(usable)} file(s) with f0 method "
            f"{config.f0_method!r} ({len(items)} work items)...")
        reporter = _Progress(progress_dir, total_secs, len(usable), enabled=progress)
        per_file = {}
        for item in items:
            per_file[item.file_index] = per_file.get(item.file_index, 0) + (item.own_stop - item.starts[0]) / config.sample_rate
        direct = options.get_all_options().get("runner") in (None, "DirectRunner", "direct")
        with _beam_log(os.path.join(staging, "_beam.log"), capture=direct) as stream:
            thread = threading.Thread(target=reporter.loop, args=(per_file, stream), daemon=True)
            if reporter.enabled:
                thread.start()
            try:
                run_beam(items, config=config, options=options)
            finally:
                reporter.stop.set()
                thread.join(5) if reporter.enabled else None
        expected = {split: sum(len(i.starts) for i in items if i.region.split == split) for split in ("train", "eval")}
        n_frames_ex = config.example_samples // config.frame_hop + 1
        frame_records = split_records(staging, records_dir=records_dir, shards=shards, expected=expected,
                                      example_bytes=4 * (config.example_samples + 4 * n_frames_ex) + 200)
        summary = _finish(staging, records=records, config=config, seed=seed, eval_fraction=eval_fraction,
                          total_secs=total_secs, t_start=t_start, expected=expected, frame_records=frame_records,
                          n_items=len(items))
        shutil.rmtree(progress_dir, ignore_errors=True)
        commit_output(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if progress:
        print_summary(summary, output=output, file=sys.stderr)
    return summary


def _finish(staging: str, *, records: list[dict], config: Config, seed: int, eval_fraction: float,
            total_secs: float, t_start: float, expected: dict[str, int], frame_records: list[bytes],
            n_items: int) -> dict:
    """Check that every planned example and work item was written (``expected`` examples per
    split, ``n_items`` frame records), compute the statistics from the frame side output, and
    write dataset.json and report.png."""
    from ddsp_train.data import report, stats

    written = {split: sum(1 for path in ex_lib.shard_paths(staging, split) for _ in ex_lib.read_tfrecord(path))
               for split in ("train", "eval")}
    frame_parts = len(frame_records)
    if written != expected or frame_parts != n_items:
        raise UserError(
            f"the Beam job ended without writing everything: {written['train']}/{expected['train']} train and "
            f"{written['eval']}/{expected['eval']} eval examples, {frame_parts}/{n_items} work items; the "
            "output was left untouched. The default DirectRunner is known to work; check the runner's logs.")
    parts: dict[tuple[int, str], list[dict]] = {}
    for record in frame_records:
        frames = ex_lib.decode_example(record)
        key = (int(frames["file_index"][0]), frames["split"].decode())
        parts.setdefault(key, []).append(frames)
    recordings = []
    for key in sorted(parts):
        chunks = sorted(parts[key], key=lambda f: float(f["start_frame"][0]))
        recordings.append({n: np.concatenate([c[n] for c in chunks]) for n in ex_lib.FRAME_FEATURES})
    threshold = tracker_voiced_threshold(config.f0_method)
    statistics = stats.compute_statistics(recordings, frame_rate=config.frame_rate,
                                          example_secs=config.example_secs, voiced_threshold=threshold)
    counts = {}
    for split in ("train", "eval"):
        counts[split] = {
            "examples": written[split],
            "shards": len(ex_lib.shard_paths(staging, split)),
            "files": sum(1 for r in records if r["status"] == "used" and split in (r["split"] or "").split("+")),
            "seconds": round(sum(_split_seconds(r, split) for r in records if r["status"] == "used"), 3),
        }
    elapsed = time.time() - t_start
    summary = {
        "version": DATASET_VERSION,
        "sample_rate": config.sample_rate,
        "frame_rate": config.frame_rate,
        "frame_size": features.default_power_frame_size(config.sample_rate),
        "example_secs": config.example_secs,
        "hop_secs": config.hop_secs,
        "example_samples": config.example_samples,
        "example_frames": config.example_samples // config.frame_hop + 1,
        "f0_method": config.f0_method,
        "eval_fraction": eval_fraction,
        "seed": seed,
        "splits": counts,
        "split_rule": SPLIT_RULE,
        "total_seconds": round(total_secs, 3),
        "files_used": sum(1 for r in records if r["status"] == "used"),
        "files_skipped": sum(1 for r in records if r["status"] == "skipped"),
        "files": records,
        "statistics": statistics,
        "features": {
            "power_db": "10*log10(mean(frame**2)) over centred frames of frame_size samples, floored at -80 dB",
            "loudness_db": "ddsp A-weighted loudness: n_fft 512 at 16 kHz, Hann, mean over bins of "
                           "|STFT|^2*10^(A/10), 10*log10, floored at -80 dB (ref 0 dB)",
            "frames": "frame k centred at sample k*sample_rate/frame_rate, zero padding at the edges",
        },
        "wall_seconds": round(elapsed, 2),
        "times_real_time": round(total_secs / elapsed, 2) if elapsed > 0 else None,
    }
    report.write_report(staging, summary)
    with open(os.path.join(staging, "dataset.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary


def _split_seconds(record: dict, split: str) -> float:
    if "regions" in record:
        return sum(r["stop_secs"] - r["start_secs"] for r in record["regions"] if r["split"] == split)
    return record["seconds"] if record["split"] == split else 0.0


def print_summary(summary: dict, *, output: str, file=sys.stderr) -> None:
    """The end-of-run table: files used and skipped (with reasons), hours, examples, speed."""
    rows = [
        ("output", output),
        ("files used", str(summary["files_used"])),
        ("files skipped", str(summary["files_skipped"])),
        ("audio", f"{summary['total_seconds'] / 3600:.3f} h ({summary['total_seconds']:.1f} s)"),
        ("train examples", f"{summary['splits']['train']['examples']} from {summary['splits']['train']['files']} file(s)"),
        ("eval examples", f"{summary['splits']['eval']['examples']} from {summary['splits']['eval']['files']} file(s)"),
        ("f0 method", summary["f0_method"]),
        ("wall time", f"{summary['wall_seconds']:.1f} s"),
        ("speed", f"{summary['times_real_time']:.1f}x real time"),
    ]
    width = max(len(k) for k, _ in rows)
    print("\nddsp-prepare summary", file=file)
    for k, v in rows:
        print(f"  {k:<{width}}  {v}", file=file)
    for r in summary["files"]:
        if r["status"] == "skipped":
            print(f"  skipped: {r['path']}: {r['reason']}", file=file)
