"""What the examples must hold, derived from the model's parts (a recipe change needs only gin),
and the check of the first example against the model."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import data_checks, gin_config

INFO = DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=1.0, f0_method="yin")


def build(config, bindings=()):
    gin_config.parse(config_files=[gin_config.resolve_config(config)], bindings=list(bindings), dataset_info=INFO)
    return gin_config.build_model(dataset_info=INFO, create_weights=False)


def test_required_features_follow_the_recipe():
    assert data_checks.required_features(build("tiny")) == {"audio", "f0_hz", "f0_confidence", "power_db"}
    # The DDSP paper's model: loudness instead of power, and the encoder reads the audio.
    assert data_checks.required_features(build("solo_instrument")) == {"audio", "f0_hz", "f0_confidence",
                                                                         "loudness_db"}
    # A decoder input changed in gin alone changes what the data must hold.
    loud = build("tiny", ["RnnFcDecoder.input_keys = ('ld_scaled', 'f0_scaled')"])
    assert data_checks.required_features(loud) == {"audio", "f0_hz", "f0_confidence", "loudness_db"}


def example(frames=51, samples=16000, drop=()):
    element = {"audio": tf.zeros([samples]), **{k: tf.zeros([frames]) for k in
                                                ("f0_hz", "f0_confidence", "loudness_db", "power_db")}}
    return {k: v for k, v in element.items() if k not in drop}


def test_check_example_names_what_is_missing_or_mis_sized():
    model = build("tiny")
    data_checks.check_example(example(), model, "data")
    data_checks.check_example(example(drop=("loudness_db",)), model, "data")  # tiny does not read it
    with pytest.raises(UserError, match="lack power_db, which the model needs"):
        data_checks.check_example(example(drop=("power_db",)), model, "data")
    with pytest.raises(UserError, match="have 8000 samples but dataset.json says 16000"):
        data_checks.check_example(example(samples=8000), model, "data")
    with pytest.raises(UserError, match="have 50 frames, expected 51"):
        data_checks.check_example(example(frames=50), model, "data")


def test_read_splits_gives_the_dataset_features_of_both_splits(prepared_dataset):
    said = []
    first, train, evaluation = data_checks.read_splits(prepared_dataset, say=said.append)
    assert said == [] and set(first) == {"audio", "f0_hz", "f0_confidence", "loudness_db", "power_db"}
    assert np.asarray(first["audio"]).shape == (32000,)
