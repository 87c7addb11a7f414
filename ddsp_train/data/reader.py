"""Reading datasets back as ``tf.data.Dataset`` s of feature dicts.

:func:`read_dataset` yields dicts of float32 tensors with static shapes: ``audio``
``[n_samples]`` and ``f0_hz``, ``f0_confidence``, ``loudness_db``, ``power_db`` ``[n_frames]``,
``n_frames = n_samples // hop + 1`` (centred frames, docs/architecture.md).

It reads our own folders (``dataset.json`` + ``{split}.tfrecord-*``) and, through
:mod:`ddsp_train.data.ddsp_format`, records without a ``dataset.json``: magenta/ddsp's
``ddsp_prepare_tfrecord`` shards (their ``-train-`` / ``-eval-`` infixes; without eval shards the
last few train examples are the eval split) and NSynth's ``f0_and_loudness`` layout (``f0/hz``,
``f0/confidence``, ``loudness/db``), given as a folder, a file or a glob pattern. Their grid is
inferred from the records (extra keys such as ``audio_16k`` are ignored). Uncentred frames
(``n_samples // hop``, ddsp's default) get one more frame, a copy of the last, so that frame ``k``
sits at sample ``k * hop`` on the centred grid. Records without ``power_db`` get it from the
audio with :func:`ddsp_train.features.compute_power_db` (frame of 64 ms, the plugin's formula).
"""
from __future__ import annotations

import os

import numpy as np

from ddsp_train import dataset_info
from ddsp_train.data import ddsp_format
from ddsp_train.data import examples as ex_lib
from ddsp_train.errors import UserError

FEATURES = dataset_info.FEATURE_KEYS
#: Alternative record keys for each feature (NSynth's f0_and_loudness layout).
KEY_ALIASES = ddsp_format.KEY_ALIASES


def load_dataset_info(data_dir: str) -> dict:
    """``DatasetInfo.read(data_dir).to_dict()``: a thin alias kept for ddsp-train (training/trainer.py),
    which still takes the dict; new code reads :class:`ddsp_train.dataset_info.DatasetInfo`."""
    return dataset_info.DatasetInfo.read(data_dir).to_dict()


def split_files(data_dir: str, split: str) -> list[str]:
    """The TFRecord files of ``split``: ``DIR/{split}.tfrecord*`` of a ddsp-prepare folder, else the
    files of ``data_dir`` (folder, file or pattern) that :func:`ddsp_format.shard_split` gives ``split``."""
    if os.path.isdir(data_dir) and dataset_info.exists(data_dir):
        return ex_lib.shard_paths(data_dir, split)
    return [f for f in ddsp_format.find_records(data_dir) if ddsp_format.shard_split(f) == split]


def _files_and_counts(data_dir: str, split: str):
    """``(files, take, skip, sample_rate)``: the split's files, how many of their records to
    take (None: all) after skipping ``skip`` (held-out eval examples), and the records' rate."""
    if os.path.isdir(data_dir) and dataset_info.exists(data_dir):
        info = dataset_info.DatasetInfo.read(data_dir)
        if info.splits.get(split, {}).get("examples", 1) == 0:
            raise UserError(f"the {split} split of {data_dir} has no examples (it was prepared with "
                            f"--eval-fraction {info.eval_fraction}; see its {dataset_info.FILENAME})")
        files = ex_lib.shard_paths(data_dir, split)
        if not files:
            raise UserError(f"no {split} TFRecords in {data_dir} (expected {split}.tfrecord-* files)")
        return files, None, 0, info.sample_rate
    found = ddsp_format.layout(data_dir)
    if not (found.eval_examples if split == "eval" else found.train_examples):
        raise UserError(f"the {split} split of {data_dir} has no examples ({found.train_examples} train "
                        "example(s), no eval shards)")
    first = ddsp_format.first_record(found.train_files)
    rate = ddsp_format.infer_sample_rate(first, n_samples=len(first.get("audio", ()))) or ddsp_format.DDSP_SAMPLE_RATE
    files = list(found.files(split))
    if found.held_out and split == "train":
        return files, found.train_examples, 0, rate
    return files, None, found.train_examples if found.held_out else 0, rate


def read_dataset(data_dir: str, *, split: str = "train", sample_rate: int | None = None):
    """``tf.data.Dataset`` of feature dicts of ``split`` (``train`` or ``eval``), in file order.

    ``data_dir`` is a folder made by ddsp-prepare, a folder of ddsp or NSynth-layout shards, or a
    TFRecord file or glob pattern; ``sample_rate`` overrides the records' (inferred) rate. UserError
    when nothing matches or records lack a feature.
    """
    import tensorflow as tf

    if split not in ("train", "eval"):
        raise UserError(f"split must be 'train' or 'eval', got {split!r}")
    files, take, skip, rate = _files_and_counts(data_dir, split)
    first = ddsp_format.first_record(files)
    keys = ddsp_format.feature_keys(first, source=files[0])
    rate = int(sample_rate or rate)
    n_samples = len(first[keys["audio"]])
    n_frames = len(first[keys["f0_hz"]])
    hop, frames = ddsp_format.infer_grid(n_samples=n_samples, n_frames=n_frames, sample_rate=rate)
    out_frames = n_samples // hop + 1
    spec = {keys[name]: tf.io.FixedLenFeature([n_samples if name == "audio" else n_frames], tf.float32)
            for name in FEATURES if keys[name]}

    def parse(record):
        ex = tf.io.parse_single_example(record, spec)
        out = {name: ex[keys[name]] for name in FEATURES if keys[name]}
        if frames == "uncentred":
            out = {name: value if name == "audio" else tf.concat([value, value[-1:]], 0) for name, value in out.items()}
        if keys["power_db"] is None:
            out["power_db"] = _power_from_audio(out["audio"], rate, hop, out_frames)
        return out

    ds = tf.data.TFRecordDataset(files)
    if skip:
        ds = ds.skip(skip)
    if take is not None:
        ds = ds.take(take)
    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE)


def _power_from_audio(audio, sample_rate: int, hop: int, n_frames: int):
    import tensorflow as tf

    from ddsp_train import features
    from ddsp_train.pitch import fit_length

    def compute(x):
        frame_rate = sample_rate / hop
        p = features.compute_power_db(np.asarray(x), sample_rate=sample_rate, frame_rate=frame_rate)
        return fit_length(p, n_frames).astype(np.float32)

    power = tf.numpy_function(compute, [audio], tf.float32)
    power.set_shape([n_frames])
    return power

