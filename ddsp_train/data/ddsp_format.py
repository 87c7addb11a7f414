"""Datasets written by magenta/ddsp's ``ddsp_prepare_tfrecord``: where their splits are, and
their :class:`~ddsp_train.dataset_info.DatasetInfo` inferred from the records themselves.

**Files.** ``DATA`` is a folder, a TFRecord file or a glob pattern. A folder holds Beam shards
``STEM-SSSSS-of-NNNNN`` (any ``STEM``: ddsp's ``--output_tfrecord_path``) or ``*.tfrecord*`` files.
A shard's split (:func:`shard_split`): the ``-train-`` / ``-eval-`` infix that ddsp's
``--eval_split_fraction`` writes (``train.tfrecord-eval-00000-of-00001``); else ``eval`` when its
stem starts with ``eval`` (our own ``eval.tfrecord-*``); else ``train``. When no file is eval, the
last :func:`held_out` examples of the train files (in file order) are the eval split.

**Grid** (:func:`infer_info`), from the first record: ``n = len(audio)``, ``m = len(f0_hz)``; the
sample rate ``len(audio) / len(audio_16k) * 16000`` when ``audio_16k`` is there, else 16000 (ddsp's
default, said in a note) unless given; frames centred (``m = n // hop + 1``, ours and ddsp's
``center=True``: ``hop = n / (m - 1)``) if that is whole, else uncentred (``m = n // hop``,
ddsp's default: ``hop = n / m``); ``frame_rate = sample_rate / hop``, ``example_secs = n / sample_rate``.

**The other way** (:func:`add_audio_16k`): ddsp-prepare's shards get ``audio_16k`` (the audio at
16 kHz) as well, so that they parse under ddsp's ``TFRecordProvider`` feature spec (``audio``,
``audio_16k``, ``f0_hz``, ``f0_confidence``, ``loudness_db``; ``centered=True``: our frames).

The reader (:mod:`ddsp_train.data.reader`) pads uncentred frames by one (the last repeated) to the
centred grid the models use: ddsp itself puts frame ``k`` at sample ``k * hop`` when it upsamples.
"""
from __future__ import annotations

import dataclasses
import glob
import os
import re

from ddsp_train import console, contract, dataset_info
from ddsp_train.data import examples as ex_lib
from ddsp_train.errors import UserError

#: Record keys accepted for each feature (ddsp's names; NSynth's ``f0_and_loudness`` layout).
KEY_ALIASES = {
    "audio": ("audio",),
    "f0_hz": ("f0_hz", "f0/hz"),
    "f0_confidence": ("f0_confidence", "f0/confidence"),
    "loudness_db": ("loudness_db", "loudness/db"),
    "power_db": ("power_db",),
}
#: The 16 kHz copy of the audio that newer ddsp versions write (and its rate).
AUDIO_16K, AUDIO_16K_RATE = "audio_16k", 16000
#: ddsp_prepare_tfrecord's default sample rate, assumed when the records have no ``audio_16k``.
DDSP_SAMPLE_RATE = 16000
#: A Beam shard name: ``STEM[-train|-eval]-SSSSS-of-NNNNN``.
SHARD_NAME = re.compile(r"^(?P<stem>.+?)(?:-(?P<split>train|eval))?-(?P<index>\d+)-of-(?P<count>\d+)$")
#: Frames of records from another tool count as voiced from this confidence (CREPE's usual threshold).
VOICED_THRESHOLD = 0.5
#: Without eval shards, this share of the train examples is held out for evaluation ...
HELD_OUT_FRACTION = 0.1
#: ... but no more than this many examples.
HELD_OUT_MAX = 200


def is_record_name(name: str) -> bool:
    """True for a Beam shard name or a name holding ``.tfrecord``."""
    return bool(SHARD_NAME.match(name)) or ".tfrecord" in name


def shard_split(path: str) -> str:
    """``train`` or ``eval`` for one file (see the module docstring)."""
    name = os.path.basename(path)
    match = SHARD_NAME.match(name)
    if match and match.group("split"):
        return match.group("split")
    stem = match.group("stem") if match else name
    return "eval" if stem.lower().startswith("eval") else "train"


def find_records(data: str) -> list[str]:
    """The TFRecord files that ``data`` names, sorted: a folder's record files (not recursive),
    a file, or a glob pattern's files. UserError (exit 2) when nothing matches."""
    if os.path.isdir(data):
        files = sorted(os.path.join(data, n) for n in os.listdir(data)
                       if is_record_name(n) and os.path.isfile(os.path.join(data, n)))
        if not files:
            raise UserError(f"--data {data} is not a prepared dataset: it has no {dataset_info.FILENAME} and no "
                            "TFRecord files (make one with ddsp-prepare, or give ddsp_prepare_tfrecord's shards "
                            "such as train.tfrecord-00000-of-00010)", exit_code=2)
        return files
    if os.path.isfile(data):
        return [data]
    files = sorted(p for p in glob.glob(data) if os.path.isfile(p)) if glob.has_magic(data) else []
    if not files:
        raise UserError(f"--data {data} does not exist or matches no file (give a dataset folder, a TFRecord "
                        "file or a pattern such as 'DIR/train.tfrecord*')", exit_code=2)
    return files


def held_out(n_examples: int) -> int:
    """Examples held out from the train files when there is no eval file:
    ``min(HELD_OUT_MAX, max(1, round(n * HELD_OUT_FRACTION)))``, 0 for fewer than 2 examples."""
    if n_examples < 2:
        return 0
    return min(HELD_OUT_MAX, max(1, int(round(n_examples * HELD_OUT_FRACTION))))


@dataclasses.dataclass(frozen=True)
class Layout:
    """The files of each split and their example counts; ``held_out`` of the train files' last
    examples form the eval split when ``eval_files`` is empty."""

    train_files: tuple[str, ...]
    eval_files: tuple[str, ...]
    train_examples: int
    eval_examples: int
    held_out: int

    def files(self, split: str) -> tuple[str, ...]:
        """The files that ``split``'s examples come from."""
        return self.eval_files if split == "eval" and self.eval_files else self.train_files


def layout(data: str) -> Layout:
    """Split ``data``'s files by :func:`shard_split` and count their examples."""
    files = find_records(data)
    train = tuple(f for f in files if shard_split(f) == "train")
    evals = tuple(f for f in files if shard_split(f) == "eval")
    if not train:
        raise UserError(f"--data {data} has only eval shards ({os.path.basename(evals[0])}, ...); "
                        "give the folder or a pattern that also matches the train shards", exit_code=2)
    try:
        counts = {f: ex_lib.count_records(f) for f in files}
    except (OSError, ValueError) as e:
        raise UserError(f"--data {data}: cannot read its TFRecords: {e}") from None
    n_train, n_eval = sum(counts[f] for f in train), sum(counts[f] for f in evals)
    if not n_train:
        raise UserError(f"--data {data}: its train TFRecords hold no examples")
    keep = 0 if evals else held_out(n_train)
    return Layout(train_files=train, eval_files=evals, train_examples=n_train - keep,
                  eval_examples=n_eval if evals else keep, held_out=keep)


def feature_keys(record: dict, *, source: str) -> dict[str, str | None]:
    """``{feature: record key}`` by :data:`KEY_ALIASES` (``power_db`` may be None: computed);
    UserError naming what the records have when one is missing."""
    keys = {}
    for name, aliases in KEY_ALIASES.items():
        key = next((k for k in aliases if k in record), None)
        if key is None and name != "power_db":
            raise UserError(f"records in {source} lack {name!r} (looked for {', '.join(aliases)}); "
                            f"they have: {', '.join(sorted(record))}")
        keys[name] = key
    return keys


def first_record(files) -> dict:
    """The first record of ``files``, decoded."""
    for path in files:
        for record in ex_lib.read_tfrecord(path):
            return ex_lib.decode_example(record)
    raise UserError(f"no records in {', '.join(files)}")


def infer_grid(*, n_samples: int, n_frames: int, sample_rate: int) -> tuple[int, str]:
    """``(hop, frames)`` of records with ``n_samples`` and ``n_frames``: centred when
    ``n_samples / (n_frames - 1)`` is a whole hop, else uncentred when ``n_samples / n_frames`` is;
    the hop must divide ``sample_rate``. UserError otherwise."""
    for frames, divisor in (("centred", n_frames - 1), ("uncentred", n_frames)):
        if divisor > 0 and n_samples % divisor == 0 and sample_rate % (n_samples // divisor) == 0:
            return n_samples // divisor, frames
    raise UserError(f"records of {n_samples} samples and {n_frames} frames fit no frame grid at {sample_rate} Hz "
                    f"(n // hop + 1 or n // hop frames, with a hop that divides the sample rate)")


def infer_sample_rate(record: dict, *, n_samples: int) -> int | None:
    """``n_samples / len(audio_16k) * 16000`` rounded, or None without ``audio_16k``."""
    short = record.get(AUDIO_16K)
    if short is None or not len(short):
        return None
    return int(round(n_samples * AUDIO_16K_RATE / len(short)))


def infer_info(data: str, *, sample_rate: int | None = None, say: console.Say = console.silent
               ) -> dataset_info.DatasetInfo:
    """The :class:`DatasetInfo` of the records ``data`` names (see the module docstring), with
    ``source="ddsp"``, ``data_dir=data`` and no statistics; notes (an assumed sample rate, held-out
    examples) go to ``say``."""
    files = layout(data)
    record = first_record(files.train_files)
    keys = feature_keys(record, source=files.train_files[0])
    n_samples, n_frames = len(record[keys["audio"]]), len(record[keys["f0_hz"]])
    inferred = infer_sample_rate(record, n_samples=n_samples)
    rate = int(sample_rate or inferred or DDSP_SAMPLE_RATE)
    if not sample_rate and not inferred:
        say(f"Note: the records in {data} have no {AUDIO_16K}; taking their audio as {rate} Hz "
            "(ddsp_prepare_tfrecord's default)")
    hop, frames = infer_grid(n_samples=n_samples, n_frames=n_frames, sample_rate=rate)
    if files.held_out:
        say(f"Note: {data} has no eval shards; holding out its last {files.held_out} train examples for evaluation")
    example_secs = n_samples / rate
    splits = {
        "train": {"examples": files.train_examples, "shards": len(files.train_files)},
        "eval": {"examples": files.eval_examples, "shards": len(files.eval_files), "held_out": files.held_out},
    }
    return dataset_info.DatasetInfo(
        sample_rate=rate, frame_rate=rate // hop, example_secs=example_secs,
        splits=splits, total_seconds=round((files.train_examples + files.eval_examples) * example_secs, 3),
        features={name: key for name, key in keys.items() if key}, data_dir=str(data), source="ddsp", frames=frames,
        extra={"sample_rate_from": "given" if sample_rate else AUDIO_16K if inferred else "assumed"})


def with_audio_16k(record: bytes, *, sample_rate: int) -> bytes:
    """``record`` (a serialized Example) with ``audio_16k``: its ``audio`` resampled from
    ``sample_rate`` to 16 kHz (the same samples at 16 kHz)."""
    from ddsp_train import audio as audio_lib

    example = ex_lib.decode_example(record)
    example[AUDIO_16K] = audio_lib.resample(example["audio"], rate_in=sample_rate, rate_out=AUDIO_16K_RATE)
    return ex_lib.encode_example(example)


def add_audio_16k(folder: str, *, sample_rate: int) -> None:
    """Add ``audio_16k`` to every record of ``folder``'s ``{train,eval}.tfrecord-*`` shards, each
    shard rewritten atomically (ddsp-prepare's staging folder)."""
    from ddsp_train import atomic

    for split in ("train", "eval"):
        for path in ex_lib.shard_paths(folder, split):
            with atomic.atomic_path(path) as tmp:
                with ex_lib.TFRecordWriter(str(tmp)) as writer:
                    for record in ex_lib.read_tfrecord(path):
                        writer.write(with_audio_16k(record, sample_rate=sample_rate))


def describe(info: dataset_info.DatasetInfo) -> str:
    """One line of what was inferred (for ddsp-train to print)."""
    frames = info.example_frames - (info.frames == "uncentred")
    held = info.splits.get("eval", {}).get("held_out")
    return (f"Inferred from the records of {info.data_dir}: {info.sample_rate} Hz, {info.frame_rate} frames/s "
            f"({info.frames}, {frames} per example), {info.example_secs:g} s examples; "
            f"{info.examples('train')} train and {info.examples('eval')} eval examples"
            + (" (held out from train)" if held else "")
            + (f" (no {AUDIO_16K}: {info.sample_rate} Hz assumed)" if info.extra.get("sample_rate_from") == "assumed"
               else ""))


def load_info(data: str, *, sample_rate: int | None = None, say: console.Say = console.silent
              ) -> dataset_info.DatasetInfo:
    """``DatasetInfo.read(data)`` for a ddsp-prepare folder, else :func:`infer_info`."""
    if os.path.isdir(data) and dataset_info.exists(data):
        return dataset_info.DatasetInfo.read(data)
    return infer_info(data, sample_rate=sample_rate, say=say)


def compute_statistics(info: dataset_info.DatasetInfo, *, say: console.Say = console.stderr) -> dict:
    """The per-note statistics (:func:`ddsp_train.data.stats.compute_statistics`, which export
    needs) of ``info.data_dir``'s examples, train and eval, each example one part (power from the
    audio when the records lack it), frames voiced from :data:`VOICED_THRESHOLD`; a progress line."""
    from ddsp_train.data import reader, stats

    total = info.examples("train") + info.examples("eval")
    progress = console.Progress(label="Statistics", total=total, unit="examples", enabled=say is not console.silent)
    parts: list[dict] = []
    for split in ("train", "eval"):
        if info.examples(split):
            for ex in reader.read_dataset(str(info.data_dir), split=split, sample_rate=info.sample_rate
                                          ).as_numpy_iterator():
                parts.append({k: ex[k] for k in dataset_info.FRAME_KEYS})
                progress.update(len(parts))
    progress.close(len(parts))
    return stats.compute_statistics(parts, frame_rate=info.frame_rate, example_secs=info.example_secs,
                                    voiced_threshold=VOICED_THRESHOLD)


def with_statistics(info: dataset_info.DatasetInfo, *, model_dir: str | os.PathLike,
                    say: console.Say = console.stderr) -> dict:
    """``info.statistics``; for inferred records without them, those of ``model_dir``'s copy of the
    same data (an earlier run), else computed now (:func:`compute_statistics`). Only ddsp-train's
    copy in ``model_dir`` stores them: the user's dataset folder is never written."""
    if info.statistics or info.source != "ddsp":
        return dict(info.statistics)
    if dataset_info.exists(model_dir):
        try:
            old = dataset_info.DatasetInfo.read(model_dir)
        except UserError:
            old = None
        same = old is not None and old.statistics and old.source == "ddsp" and old.data_dir and \
            os.path.abspath(old.data_dir) == os.path.abspath(str(info.data_dir)) and \
            old.examples("train") == info.examples("train")
        if same:
            return dict(old.statistics)
    say(f"Computing the per-note statistics of {info.data_dir} (kept in {model_dir}, for ddsp-export)...")
    return compute_statistics(info, say=say)


def plugin_rate_note(info: dataset_info.DatasetInfo) -> str | None:
    """A note when ``info``'s grid is not the plugin's (16 kHz, 50 frames/s): offline use only."""
    if (info.sample_rate, info.frame_rate) == (contract.SAMPLE_RATE, contract.FRAME_RATE):
        return None
    return (f"Note: {info.sample_rate} Hz / {info.frame_rate} frames/s is not the plugin's "
            f"{contract.SAMPLE_RATE} Hz / {contract.FRAME_RATE} frames/s: the model will play offline "
            "(ddsp-transfer) but not in DDSP-VST; for the plugin prepare with ddsp_prepare_tfrecord "
            f"--frame_rate={contract.FRAME_RATE} --sample_rate={contract.SAMPLE_RATE}, or with ddsp-prepare")
