"""The dataset's examples as the training loop reads them, checked against the model first.

The examples come from :func:`ddsp_train.data.reader.read_dataset` (which checks the folder
and its ``dataset.json``); here they are reduced to :data:`ddsp_train.dataset_info.FEATURE_KEYS`
and the first one is checked against what the built model reads: the features it needs (derived
from the model's parts, see :func:`required_features`) and the example length in samples and
frames. Unreadable records become a one-line UserError.
"""
from __future__ import annotations

import pathlib
from typing import Mapping

import tensorflow as tf

from ddsp_train import console, dataset_info
from ddsp_train.errors import UserError
from ddsp_train.training import evaluation


def example_stream(data_dir: pathlib.Path, split: str) -> tf.data.Dataset:
    """The ``split`` examples of ``data_dir`` as dicts of the dataset's feature keys."""
    from ddsp_train.data.reader import read_dataset

    ds = read_dataset(str(data_dir), split=split)
    keys = dataset_info.FEATURE_KEYS
    return ds.map(lambda ex: {k: ex[k] for k in keys if k in ex}, num_parallel_calls=tf.data.AUTOTUNE)


def first_or_error(ds: tf.data.Dataset, data_dir: pathlib.Path, split: str) -> dict | None:
    """The first element (None when the split is empty); bad records become a UserError."""
    try:
        for element in ds.take(1):
            return element
    except (tf.errors.InvalidArgumentError, tf.errors.DataLossError, tf.errors.NotFoundError) as e:
        message = str(e).strip().splitlines()[0]
        raise UserError(f"cannot read the {split} examples of {data_dir}: {message[:300]} "
                        f"(the TFRecords need the keys {', '.join(dataset_info.FEATURE_KEYS)}; "
                        "re-run ddsp-prepare)") from None
    return None


def read_splits(data_dir: pathlib.Path, *, say: console.Say = console.stderr
                ) -> tuple[dict, tf.data.Dataset, tf.data.Dataset]:
    """``(first train example, train examples, eval examples)``; eval falls back to train when empty."""
    train_examples = example_stream(data_dir, "train")
    first = first_or_error(train_examples, data_dir, "train")
    if first is None:
        raise UserError(f"the train split of {data_dir} has no examples (see its {dataset_info.FILENAME}); "
                        "add recordings or lower --example-secs in ddsp-prepare")
    try:
        eval_examples = example_stream(data_dir, "eval")
        has_eval = first_or_error(eval_examples, data_dir, "eval") is not None
    except UserError:
        has_eval = False
    if not has_eval:
        say("Note: the dataset has no eval examples; evaluating on training examples.")
        eval_examples = train_examples
    return first, train_examples, eval_examples


def required_features(model) -> set[str]:
    """The dataset features ``model`` reads, from what its parts declare:

    the evaluation's :data:`~ddsp_train.training.evaluation.INPUT_FEATURES` (the loss target
    ``audio`` among them), the sources of the decoder's ``input_keys`` (the preprocessor's
    ``features_for``), the encoder's ``input_keys`` and the dataset features that the processor
    group's entries read (e.g. ``f0_hz`` for the harmonic synth).
    """
    needed = set(evaluation.INPUT_FEATURES)
    features_for = getattr(model.preprocessor, "features_for", None)
    if features_for is not None:
        needed |= set(features_for(getattr(model.decoder, "input_keys", ())))
    if getattr(model, "encoder", None) is not None:
        needed |= set(getattr(model.encoder, "input_keys", ()))
    group = getattr(model, "processor_group", None)
    for keys in getattr(group, "input_keys", ()):
        needed |= set(keys) & set(dataset_info.FEATURE_KEYS)
    return needed


def check_example(element: Mapping[str, tf.Tensor], model, data_dir: pathlib.Path) -> None:
    """Refuse examples that lack a feature ``model`` reads or have another length than it expects."""
    missing = sorted(required_features(model) - set(element))
    if missing:
        raise UserError(f"the examples in {data_dir} lack {', '.join(missing)}, which the model needs")
    n_audio = int(element["audio"].shape[-1])
    if n_audio != model.n_samples:
        raise UserError(f"the examples in {data_dir} have {n_audio} samples but {dataset_info.FILENAME} says "
                        f"{model.n_samples} (example_secs x sample_rate); re-run ddsp-prepare")
    n_frames = int(element["f0_hz"].shape[-1])
    if n_frames != model.n_frames:
        raise UserError(f"the examples in {data_dir} have {n_frames} frames, expected {model.n_frames} "
                        f"({model.n_samples} samples // hop {model.hop} + 1); re-run ddsp-prepare")
