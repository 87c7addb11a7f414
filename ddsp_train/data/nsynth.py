"""NSynth TFRecords as ddsp-prepare INPUT: select notes, f0 from their exact ``pitch`` label.

NSynth (magenta) holds 4 s notes at 16 kHz, one ``tf.train.Example`` each: ``audio`` (float),
``pitch``, ``velocity``, ``instrument_family``, ``instrument_source`` (int64), ``instrument_str``,
``note_str`` (bytes), ``qualities`` (int64 list). :func:`note_filter` selects by family, source,
instrument and MIDI pitch range. Each selected note becomes examples like a recording does (windows
of ``example_secs`` every ``hop_secs``; the whole note at the default 4 s), with

- ``f0_hz = 440 * 2 ** ((pitch - 69) / 12)`` on every frame (the label, exact), and
- ``f0_confidence`` from the tracker (``--f0-method``), so a note's silent or noisy tail is still
  unvoiced for the statistics and the trainer;
- ``loudness_db``, ``power_db`` and ``audio_16k`` as for recordings.

The notes are split train/eval per note (the recordings' rule with ``note_str`` as the content).
This runs in the driver process, one note at a time (no Beam job: a selection is usually a few
thousand notes at most), with a progress line.
"""
from __future__ import annotations

import dataclasses
import glob
import os
import re
from typing import Iterator, Sequence

import numpy as np

from ddsp_train import console
from ddsp_train.data import examples as ex_lib
from ddsp_train.errors import UserError

#: NSynth's ``instrument_family`` and ``instrument_source`` names, by their integer value.
FAMILIES = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed", "string", "synth_lead",
            "vocal")
SOURCES = ("acoustic", "electronic", "synthetic")
#: The keys that make a record an NSynth note.
NOTE_KEYS = ("audio", "pitch", "instrument_family", "instrument_source")
#: NSynth's sample rate.
SAMPLE_RATE = 16000


@dataclasses.dataclass(frozen=True)
class NoteFilter:
    """Which notes to use: empty tuples and None select everything."""

    families: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    pitch: tuple[int, int] | None = None

    @property
    def active(self) -> bool:
        return bool(self.families or self.sources or self.instruments or self.pitch)

    def describe(self) -> str:
        parts = [f"family {'/'.join(self.families)}" if self.families else "",
                 f"source {'/'.join(self.sources)}" if self.sources else "",
                 f"instrument {'/'.join(self.instruments)}" if self.instruments else "",
                 f"pitch {self.pitch[0]}-{self.pitch[1]}" if self.pitch else ""]
        return ", ".join(p for p in parts if p) or "all notes"


def parse_pitch_range(text: str | None) -> tuple[int, int] | None:
    """``"48-72"`` -> ``(48, 72)`` (MIDI, inclusive), ``"60"`` -> ``(60, 60)``; UserError otherwise."""
    if text is None or text == "":
        return None
    match = re.fullmatch(r"\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?", text)
    low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (-1, -1)
    if not match or not 0 <= low <= high <= 127:
        raise UserError(f"--pitch {text!r} must be a MIDI range LOW-HIGH within 0-127, e.g. --pitch 48-72")
    return low, high


def _names(values: Sequence[str], *, choices: tuple[str, ...], flag: str) -> tuple[str, ...]:
    names = tuple(v.strip().lower() for value in values for v in value.split(",") if v.strip())
    unknown = [n for n in names if n not in choices]
    if unknown:
        raise UserError(f"{flag} {unknown[0]!r} is not an NSynth {flag[2:]}; choose from {', '.join(choices)}")
    return names


def note_filter(*, family: Sequence[str] = (), source: Sequence[str] = (), instrument: Sequence[str] = (),
                pitch: str | None = None) -> NoteFilter:
    """The :class:`NoteFilter` of the CLI's values (each may be repeated or comma-separated)."""
    instruments = tuple(v.strip() for value in instrument for v in value.split(",") if v.strip())
    return NoteFilter(families=_names(family, choices=FAMILIES, flag="--family"),
                      sources=_names(source, choices=SOURCES, flag="--source"),
                      instruments=instruments, pitch=parse_pitch_range(pitch))


def _int(record: dict, key: str, default: int = -1) -> int:
    value = record.get(key)
    return int(np.asarray(value).reshape(-1)[0]) if value is not None and np.size(value) else default


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    return value.decode(errors="replace") if isinstance(value, bytes) else ""


def note_meta(record: dict) -> dict:
    """A decoded NSynth record's labels: ``note_str, instrument_str, family, source, pitch, velocity``."""
    family, source = _int(record, "instrument_family"), _int(record, "instrument_source")
    return {"note_str": _text(record, "note_str"), "instrument_str": _text(record, "instrument_str"),
            "family": FAMILIES[family] if 0 <= family < len(FAMILIES) else str(family),
            "source": SOURCES[source] if 0 <= source < len(SOURCES) else str(source),
            "pitch": _int(record, "pitch"), "velocity": _int(record, "velocity"),
            "sample_rate": _int(record, "sample_rate", SAMPLE_RATE)}


def matches(meta: dict, flt: NoteFilter) -> bool:
    """True if the note ``meta`` passes ``flt``."""
    return ((not flt.families or meta["family"] in flt.families)
            and (not flt.sources or meta["source"] in flt.sources)
            and (not flt.instruments or meta["instrument_str"] in flt.instruments)
            and (flt.pitch is None or flt.pitch[0] <= meta["pitch"] <= flt.pitch[1]))


def is_nsynth_file(path: str) -> bool:
    """True for a TFRecord file whose first record has NSynth's keys (:data:`NOTE_KEYS`)."""
    try:
        for record in ex_lib.read_tfrecord(path):
            return all(k in ex_lib.decode_example(record) for k in NOTE_KEYS)
    except (OSError, ValueError, IndexError):
        return False
    return False


def nsynth_inputs(inputs: Sequence[str]) -> list[str]:
    """The NSynth TFRecord files among ``inputs`` (files or glob patterns of files; a folder is
    searched for ``*.tfrecord*``), in order; empty when there are none."""
    found: list[str] = []
    for pattern in inputs:
        if os.path.isdir(pattern):
            paths = sorted(glob.glob(os.path.join(glob.escape(pattern), "*.tfrecord*")))
        elif os.path.exists(pattern):
            paths = [pattern]
        else:
            paths = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else []
        found += [p for p in paths if os.path.isfile(p) and ".tfrecord" in os.path.basename(p)
                  and is_nsynth_file(p) and p not in found]
    return found


def select_notes(paths: Sequence[str], flt: NoteFilter) -> list[tuple[str, int, dict]]:
    """``(path, record index, meta)`` of every note of ``paths`` that passes ``flt``."""
    selected = []
    for path in paths:
        for i, record in enumerate(ex_lib.read_tfrecord(path)):
            meta = note_meta(ex_lib.decode_example(record))
            if matches(meta, flt):
                selected.append((path, i, meta))
    return selected


def read_notes(selected: Sequence[tuple[str, int, dict]]) -> Iterator[tuple[dict, np.ndarray]]:
    """``(meta, audio)`` of the selected notes, in order (each file read once)."""
    wanted: dict[str, dict[int, dict]] = {}
    for path, i, meta in selected:
        wanted.setdefault(path, {})[i] = meta
    for path, indices in wanted.items():
        for i, record in enumerate(ex_lib.read_tfrecord(path)):
            if i in indices:
                yield indices[i], np.asarray(ex_lib.decode_example(record)["audio"], np.float32)


def label_f0(pitch: int, n_frames: int) -> np.ndarray:
    """The exact f0 of MIDI ``pitch``, ``440 * 2 ** ((pitch - 69) / 12)`` Hz, on ``n_frames`` frames."""
    return np.full(n_frames, 440.0 * 2.0 ** ((pitch - 69) / 12.0), np.float32)


def note_features(audio: np.ndarray, *, pitch: int, sample_rate: int, frame_rate: float, tracker
                  ) -> dict[str, np.ndarray]:
    """Frame features of one note on the centred grid: f0 from the label, the tracker's confidence,
    loudness and power."""
    from ddsp_train import features

    _, confidence = tracker.track(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    confidence = np.asarray(confidence, np.float32)
    return {"f0_hz": label_f0(pitch, len(confidence)), "f0_confidence": confidence,
            "loudness_db": features.compute_loudness_db(audio, sample_rate=sample_rate, frame_rate=frame_rate),
            "power_db": features.compute_power_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)}


def split_inputs(inputs: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(NSynth files, the other INPUTs)``; UserError when both are non-empty (one kind per run)."""
    files, others = [], []
    for pattern in inputs:
        found = nsynth_inputs([pattern])
        files += [f for f in found if f not in files]
        if not found:
            others.append(pattern)
    if files and others:
        raise UserError(f"INPUT {others[0]!r} is not an NSynth TFRecord but {files[0]} is: prepare NSynth notes "
                        "and recordings in separate runs", exit_code=2)
    return files, others


def _windows(n_samples: int, *, config) -> list[int]:
    """Example starts in a note of ``n_samples``: the recordings' rule, each snapped down to the frame grid."""
    from ddsp_train.data import plan
    from ddsp_train.data.split import Region

    starts = plan.example_starts(Region("train", 0, n_samples), example_samples=config.example_samples,
                                 hop_samples=config.hop_samples)
    return sorted({s // config.frame_hop * config.frame_hop for s in starts})


def note_examples(meta: dict, audio: np.ndarray, *, source: str, config, tracker) -> tuple[list[dict], dict]:
    """``(examples, frames)`` of one note: feature dicts of each window (with ``audio_16k``,
    ``source``, ``start_secs``) and the note's whole frame features (for the statistics)."""
    from ddsp_train import audio as audio_lib

    audio = audio_lib.resample(audio, rate_in=meta["sample_rate"], rate_out=config.sample_rate)
    feats = note_features(audio, pitch=meta["pitch"], sample_rate=config.sample_rate,
                          frame_rate=config.frame_rate, tracker=tracker)
    out = []
    for s in _windows(len(audio), config=config):
        k, window = s // config.frame_hop, audio[s:s + config.example_samples]
        out.append({"audio": window, **{n: v[k:k + config.example_frames] for n, v in feats.items()},
                    "audio_16k": audio_lib.resample(window, rate_in=config.sample_rate, rate_out=SAMPLE_RATE),
                    "source": source.encode(), "start_secs": np.float32(s / config.sample_rate)})
    return out, feats


def write_notes(staging: str, selected: Sequence[tuple[str, int, dict]], splits: Sequence[str], *, config,
                tracker, shards: int | None, say: console.Say) -> tuple[dict[str, int], dict[str, int], list[dict]]:
    """Write the notes' examples into ``staging/{split}.tfrecord-SSSSS-of-NNNNN`` (round-robin);
    ``(examples per split, shards per split, each note's frame features)``."""
    from ddsp_train.data import beam_job

    per_note = len(_windows(int(round(4.0 * config.sample_rate)), config=config))
    example_bytes = 4 * (config.example_samples * 2 + 4 * config.example_frames) + 200
    writers = {}
    for split in ("train", "eval"):
        n = beam_job.shard_count(per_note * list(splits).count(split), shards=shards, example_bytes=example_bytes)
        writers[split] = [ex_lib.TFRecordWriter(os.path.join(staging, f"{split}.tfrecord-{i:05d}-of-{n:05d}"))
                          for i in range(n)]
    written, recordings = {"train": 0, "eval": 0}, []
    progress = console.Progress(label="NSynth notes", total=len(selected), unit="notes",
                                enabled=say is not console.silent)
    try:
        for n, ((meta, audio), split) in enumerate(zip(read_notes(selected), splits)):
            source = f"{os.path.basename(selected[n][0])}#{meta['note_str'] or selected[n][1]}"
            examples, feats = note_examples(meta, audio, source=source, config=config, tracker=tracker)
            for example in examples:
                out = writers[split]
                out[written[split] % len(out)].write(ex_lib.encode_example(example))
                written[split] += 1
            recordings.append(feats)
            progress.update(n + 1)
        progress.close(len(selected))
    finally:
        for out in writers.values():
            for w in out:
                w.close()
    return written, {s: len(w) for s, w in writers.items()}, recordings


def nsynth_info(files: Sequence[str], selected: Sequence[tuple[str, int, dict]], splits: Sequence[str], *,
                written: dict[str, int], shard_counts: dict[str, int], statistics: dict, flt: NoteFilter, config,
                eval_fraction: float, seed: int, wall_secs: float):
    """The dataset's :class:`~ddsp_train.dataset_info.DatasetInfo` (``source="nsynth"``; one
    ``files`` entry per NSynth file with its note count; ``extra["nsynth"]``: the filter)."""
    from ddsp_train import dataset_info
    from ddsp_train.data import split as split_lib

    total = 4.0 * len(selected)
    per_file = {f: sum(1 for p, _, _ in selected if p == f) for f in files}
    return dataset_info.DatasetInfo(
        sample_rate=config.sample_rate, frame_rate=int(config.frame_rate), example_secs=config.example_secs,
        hop_secs=config.hop_secs, f0_method=config.f0_method, eval_fraction=eval_fraction, seed=seed,
        split_rule="per note: " + split_lib.SPLIT_RULE, source="nsynth",
        splits={s: {"examples": written[s], "shards": shard_counts[s], "files": list(splits).count(s),
                    "notes": list(splits).count(s), "seconds": 4.0 * list(splits).count(s)} for s in written},
        total_seconds=total,
        files=tuple({"path": os.path.abspath(f), "status": "used" if per_file[f] else "skipped",
                     "reason": None if per_file[f] else f"no note passes the filter ({flt.describe()})",
                     "seconds": 4.0 * per_file[f], "split": "train+eval", "notes": per_file[f]} for f in files),
        statistics=statistics, wall_seconds=round(wall_secs, 2),
        times_real_time=round(total / wall_secs, 2) if wall_secs else None,
        extra={"nsynth": {"filter": dataclasses.asdict(flt), "notes": len(selected),
                          "f0": "the pitch label on every frame; f0_confidence from the tracker"}})


def prepare_nsynth(files: Sequence[str], *, target: str, flt: NoteFilter, config, eval_fraction: float, seed: int,
                   shards: int | None, say: console.Say = console.stderr):
    """Write the dataset of ``files``' notes that pass ``flt`` into ``target`` (via a staging
    folder, atomically) and return its :class:`~ddsp_train.dataset_info.DatasetInfo`."""
    import time

    from ddsp_train.data import report, split as split_lib, staging as staging_lib, stats
    from ddsp_train.pitch import get_tracker, tracker_voiced_threshold

    t0 = time.time()
    selected = select_notes(files, flt)
    if not selected:
        raise UserError(f"no NSynth note of {', '.join(files)} passes the filter ({flt.describe()}); "
                        "widen --family/--source/--instrument/--pitch")
    if not _windows(int(round(4.0 * config.sample_rate)), config=config):
        raise UserError(f"--example-secs {config.example_secs:g} is longer than NSynth's 4 s notes; use at most 4")
    splits = split_lib.split_files([m["note_str"] or f"{p}#{i}" for p, i, m in selected], [4.0] * len(selected),
                                   eval_fraction=eval_fraction, seed=seed)
    say(f"Preparing {len(selected)} NSynth notes ({flt.describe()}) with f0 from their pitch labels and "
        f"confidence from {config.f0_method!r}...")
    tracker = get_tracker(config.f0_method)
    staging = staging_lib.create(target)
    try:
        written, shard_counts, recordings = write_notes(staging, selected, splits, config=config, tracker=tracker,
                                                        shards=shards, say=say)
        statistics = stats.compute_statistics(recordings, frame_rate=config.frame_rate,
                                              example_secs=config.example_secs,
                                              voiced_threshold=tracker_voiced_threshold(config.f0_method))
        info = nsynth_info(files, selected, splits, written=written, shard_counts=shard_counts, statistics=statistics,
                           flt=flt, config=config, eval_fraction=eval_fraction, seed=seed, wall_secs=time.time() - t0)
        report.write_report(staging, info.to_dict())
        info.write(staging)
        staging_lib.commit(staging, target)
    except BaseException:
        staging_lib.discard(staging)
        raise
    return info
