"""Reading prepared datasets back as ``tf.data.Dataset`` s of feature dicts.

:func:`read_dataset` yields dicts of float32 tensors with static shapes: ``audio``
``[n_samples]`` and ``f0_hz``, ``f0_confidence``, ``loudness_db``, ``power_db`` ``[n_frames]``.

It reads our own folders (``dataset.json`` + ``{split}.tfrecord-*``) and TFRecords in NSynth's
``f0_and_loudness`` layout (``audio``, ``f0/hz``, ``f0/confidence``, ``loudness/db``): give
their folder (shards named ``{split}.tfrecord*``) or a file / glob pattern. Those records have
no ``power_db``; it is then computed from the audio with
:func:`ddsp_train.features.compute_power_db` (frame of 64 ms, the plugin's formula) on the
records' own frame grid: ``hop = n_samples // (n_frames - 1)`` when the frame count is
``n_samples // hop + 1`` (centred frames, as ours), else ``n_samples // n_frames`` (ddsp's older
uncentred frames), trimmed to ``n_frames``. The sample rate of such records is taken as 16 kHz
unless ``sample_rate`` is given.
"""
from __future__ import annotations

import glob
import os

import numpy as np

from ddsp_train import contract, dataset_info
from ddsp_train.data import examples as ex_lib
from ddsp_train.errors import UserError

FEATURES = dataset_info.FEATURE_KEYS
#: Alternative record keys for each feature (NSynth's f0_and_loudness layout).
KEY_ALIASES = {
    "audio": ("audio",),
    "f0_hz": ("f0_hz", "f0/hz"),
    "f0_confidence": ("f0_confidence", "f0/confidence"),
    "loudness_db": ("loudness_db", "loudness/db"),
    "power_db": ("power_db",),
}


def load_dataset_info(data_dir: str) -> dict:
    """``DatasetInfo.read(data_dir).to_dict()``: a thin alias kept for ddsp-train (training/trainer.py),
    which still takes the dict; new code reads :class:`ddsp_train.dataset_info.DatasetInfo`."""
    return dataset_info.DatasetInfo.read(data_dir).to_dict()


def split_files(data_dir: str, split: str) -> list[str]:
    """The TFRecord files of ``split``: ``DIR/{split}.tfrecord*`` or the files a path/glob names."""
    if os.path.isdir(data_dir):
        files = ex_lib.shard_paths(data_dir, split)
    else:
        files = sorted(p for p in glob.glob(data_dir) if os.path.isfile(p))
    return files


def _first_record(files: list[str]) -> dict:
    for path in files:
        for record in ex_lib.read_tfrecord(path):
            return ex_lib.decode_example(record)
    raise UserError(f"no records in {', '.join(files)}")


def read_dataset(data_dir: str, *, split: str = "train", sample_rate: int | None = None):
    """``tf.data.Dataset`` of feature dicts of ``split`` (``train`` or ``eval``), in file order.

    ``data_dir`` is a folder made by ddsp-prepare, a folder of NSynth-layout shards, or a
    TFRecord file or glob pattern. UserError when nothing matches or records lack a feature.
    """
    import tensorflow as tf

    if split not in ("train", "eval"):
        raise UserError(f"split must be 'train' or 'eval', got {split!r}")
    if os.path.isdir(data_dir) and dataset_info.exists(data_dir):
        info = dataset_info.DatasetInfo.read(data_dir)
        sample_rate = sample_rate or info.sample_rate
        if info.splits.get(split, {}).get("examples", 1) == 0:
            raise UserError(f"the {split} split of {data_dir} has no examples (it was prepared with "
                            f"--eval-fraction {info.eval_fraction}; see its {dataset_info.FILENAME})")
    elif not os.path.isdir(data_dir) and not glob.glob(data_dir):
        raise UserError(f"dataset {data_dir} does not exist (make one with ddsp-prepare)")
    files = split_files(data_dir, split)
    if not files:
        raise UserError(f"no {split} TFRecords in {data_dir} (expected {split}.tfrecord-* files)")
    first = _first_record(files)
    keys = {}
    for name in FEATURES:
        key = next((k for k in KEY_ALIASES[name] if k in first), None)
        if key is None and name != "power_db":
            raise UserError(f"records in {files[0]} lack {name!r} (looked for {', '.join(KEY_ALIASES[name])}); "
                            f"they have: {', '.join(sorted(first))}")
        keys[name] = key
    n_samples = len(first[keys["audio"]])
    n_frames = len(first[keys["f0_hz"]])
    spec = {keys[name]: tf.io.FixedLenFeature([n_samples if name == "audio" else n_frames], tf.float32)
            for name in FEATURES if keys[name]}
    rate = int(sample_rate or contract.SAMPLE_RATE)
    power_hop = None
    if keys["power_db"] is None:
        centred = n_frames > 1 and n_samples % (n_frames - 1) == 0
        power_hop = n_samples // (n_frames - 1) if centred else n_samples // n_frames

    def parse(record):
        ex = tf.io.parse_single_example(record, spec)
        out = {name: ex[keys[name]] for name in FEATURES if keys[name]}
        if power_hop is not None:
            out["power_db"] = _power_from_audio(out["audio"], rate, power_hop, n_frames)
        return out

    return tf.data.TFRecordDataset(files).map(parse, num_parallel_calls=tf.data.AUTOTUNE)


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

