"""Every packaged gin recipe builds on a prepared dataset and takes a training step; config errors
(unknown names, syntax errors, timing that contradicts the dataset) are clear UserErrors."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.data.reader import read_dataset
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints, gin_config, optimizer, strategy
from ddsp_train.training.step import Trainer

PACKAGED = ["sinusoidal", "solo_instrument", "tiny", "vst", "wavetable"]


def test_every_config_file_is_covered_here():
    assert gin_config.packaged_configs() == PACKAGED


def one_step(data_dir, config, *, placement=None, bindings=()):
    info = DatasetInfo.read(data_dir)
    placement = placement or strategy.choose(strategy="auto", xla=False)
    gin_config.parse(config_files=[gin_config.resolve_config(config)], bindings=list(bindings), dataset_info=info)
    with placement.strategy.scope():
        model = gin_config.build_model(dataset_info=info)
        train = Trainer(model=model, optimizer=optimizer.make_optimizer(), placement=placement)
    before = [v.numpy().copy() for v in model.trainable_variables]
    batch = next(iter(read_dataset(data_dir, split="train").batch(1)))
    metrics = train.train_step(batch)
    changed = sum(not np.array_equal(b, v.numpy()) for b, v in zip(before, model.trainable_variables))
    return model, train, metrics, changed


@pytest.mark.parametrize("config", PACKAGED)
def test_config_builds_and_takes_a_training_step(prepared_dataset, config):
    model, train, metrics, changed = one_step(prepared_dataset, config)
    assert model.sample_rate == 16000 and model.n_samples == 32000  # from the dataset, not the recipe
    assert metrics["applied"] == 1.0 and np.isfinite(metrics["loss"]) and metrics["loss"] > 0
    assert int(train.step.numpy()) == 1 and int(train.optimizer.iterations.numpy()) == 1
    assert changed == len(model.trainable_variables)  # every weight got a gradient


def test_xla_compiled_step_computes_the_graph_step(prepared_dataset):
    import keras

    info = DatasetInfo.read(prepared_dataset)
    batch = next(iter(read_dataset(prepared_dataset, split="train").batch(1)))
    runs = {}
    for xla in (False, True):
        keras.utils.set_random_seed(3)  # the same initial weights for both
        placement = strategy.choose(strategy="auto", xla=xla)
        gin_config.parse(config_files=[gin_config.resolve_config("tiny")], bindings=[], dataset_info=info)
        model = gin_config.build_model(dataset_info=info)
        train = Trainer(model=model, optimizer=optimizer.make_optimizer(), placement=placement)
        before = np.concatenate([v.numpy().ravel() for v in model.trainable_variables])
        metrics = train.train_step(batch)
        after = np.concatenate([v.numpy().ravel() for v in model.trainable_variables])
        assert placement.xla == xla and metrics["applied"] == 1.0
        runs[xla] = (metrics["loss"], before, after - before)
    (loss, start, step), (loss_xla, start_xla, step_xla) = runs[False], runs[True]
    np.testing.assert_array_equal(start, start_xla)
    assert loss_xla == pytest.approx(loss, rel=1e-3)  # the same forward pass (seen: 3e-5 apart)
    # Adam's first update is +-lr per weight: the same direction for nearly all of them (the noise
    # heads' gradients follow the synth's noise draws, which XLA makes differently; seen: 94-98 %).
    moved = (step != 0) & (step_xla != 0)
    assert moved.mean() > 0.99 and np.mean(np.sign(step[moved]) == np.sign(step_xla[moved])) > 0.9


def test_mirrored_strategy_with_mixed_precision_keeps_dsp_in_float32(prepared_dataset):
    placement = strategy.choose(strategy="mirrored", xla=False, mixed_precision=True)
    bindings = [f"{name}.dtype = '{placement.mixed_precision_policy}'" for name in checkpoints.mixed_precision_layers()]
    model, train, metrics, changed = one_step(prepared_dataset, "tiny", placement=placement, bindings=bindings)
    assert isinstance(placement.strategy, tf.distribute.MirroredStrategy)
    assert model.decoder.compute_dtype == "bfloat16"  # CPU: bfloat16
    assert all(p.compute_dtype == "float32" for p in model.processor_group.processors)
    assert metrics["applied"] == 1.0 and np.isfinite(metrics["loss"]) and changed > 0


def test_config_names_and_paths_resolve(tmp_path):
    assert gin_config.resolve_config("vst").name == "vst.gin"
    own = tmp_path / "mine.gin"
    own.write_text("include 'tiny.gin'\nRnnFcDecoder.ch = 32\n")
    assert gin_config.resolve_config(str(own)) == own.resolve()
    with pytest.raises(UserError, match=r"unknown config 'vts'.*packaged: sinusoidal, solo_instrument, tiny, vst"):
        gin_config.resolve_config("vts")


def test_gin_syntax_error_names_file_and_line(tmp_path, prepared_dataset):
    bad = tmp_path / "bad.gin"
    bad.write_text("include 'tiny.gin'\nRnnFcDecoder.ch = 32\nRnnFcDecoder.rnn_channels = = 3\n")
    with pytest.raises(UserError) as error:
        gin_config.parse(config_files=[bad], bindings=[], dataset_info=DatasetInfo.read(prepared_dataset))
    assert "bad.gin" in error.value.message and "line 3" in error.value.message
    unknown = tmp_path / "unknown.gin"
    unknown.write_text("include 'tiny.gin'\nNoSuchThing.x = 1\n")
    with pytest.raises(UserError, match=r"No configurable matching 'NoSuchThing'(.|\n)*unknown.gin\", line 2"):
        gin_config.parse(config_files=[unknown], bindings=[], dataset_info=DatasetInfo.read(prepared_dataset))


def test_config_that_contradicts_the_dataset_names_both_values(tmp_path, prepared_dataset):
    info = DatasetInfo.read(prepared_dataset)
    demanding = tmp_path / "demanding.gin"
    demanding.write_text("include 'vst.gin'\nsample_rate = 48000\n")
    with pytest.raises(UserError, match="sample_rate = 48000.*sample_rate = 16000"):
        gin_config.parse(config_files=[demanding], bindings=[], dataset_info=info)
    gin_config.parse(config_files=[gin_config.resolve_config("vst")], bindings=["Harmonic.n_samples = 64000"],
                     dataset_info=info)
    with pytest.raises(UserError, match="n_samples = 64000 for harmonic.*n_samples = 32000"):
        gin_config.build_model(dataset_info=info, create_weights=False)


def test_44k_dataset_builds_an_offline_model():
    info = DatasetInfo(sample_rate=44100, frame_rate=50, example_secs=4.0)
    gin_config.parse(config_files=[gin_config.resolve_config("vst")], bindings=[], dataset_info=info)
    model = gin_config.build_model(dataset_info=info, create_weights=False)
    assert (model.sample_rate, model.n_samples, model.n_frames) == (44100, 176400, 201)
    from ddsp_train.exporting import plugin_model  # the plugin export logic lives in exporting/
    assert plugin_model.problems(model) == ["sample rate 44100 Hz (the plugin runs models at 16000 Hz)"]
