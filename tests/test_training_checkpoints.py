"""Checkpoints: keep the last few, restore exactly, ignore half-written ones, fall back from a
corrupt latest checkpoint to the previous one."""
import numpy as np
import pytest
import keras
import tensorflow as tf

from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints


def small_state():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(model.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    return model, optimizer, step


def train_one(model, optimizer, step):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.ones([2, 3])) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    step.assign_add(1)


def test_save_keeps_the_last_few_and_restores_exactly(tmp_path):
    model, optimizer, step = small_state()
    manager = checkpoints.CheckpointManager(tmp_path, keep=2, model=model, optimizer=optimizer, step=step)
    saved = {}
    for _ in range(4):
        train_one(model, optimizer, step)
        manager.save(int(step.numpy()))
        saved[int(step.numpy())] = [v.numpy().copy() for v in model.variables + optimizer.variables]
    assert [s for s, _ in checkpoints.list_checkpoints(tmp_path)] == [3, 4]

    fresh_model, fresh_optimizer, fresh_step = small_state()
    restored = checkpoints.CheckpointManager(tmp_path, model=fresh_model, optimizer=fresh_optimizer,
                                             step=fresh_step).restore()
    assert restored == 4 and int(fresh_step.numpy()) == 4 and int(fresh_optimizer.iterations.numpy()) == 4
    for expected, actual in zip(saved[4], fresh_model.variables + fresh_optimizer.variables):
        np.testing.assert_array_equal(expected, actual.numpy())


class ListHolder(keras.layers.Layer):
    """Layers kept in a list, as the decoder's input stacks and the processor group's processors."""

    def __init__(self):
        super().__init__()
        self.stack = [keras.layers.Dense(3), keras.layers.Dense(2)]

    def call(self, x):
        return self.stack[1](self.stack[0](x))


def test_model_only_restore_reaches_layers_held_in_lists(tmp_path):
    model = ListHolder()
    model(tf.ones([1, 4]))
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(model.trainable_variables)
    checkpoints.CheckpointManager(tmp_path, model=model, optimizer=optimizer).save(7)
    fresh = ListHolder()
    fresh(tf.ones([1, 4]))
    assert checkpoints.CheckpointManager(tmp_path, model=fresh).restore() == 7
    assert len(model.weights) == 4
    for expected, actual in zip(model.weights, fresh.weights):
        np.testing.assert_array_equal(expected.numpy(), actual.numpy())


def test_half_written_and_corrupt_checkpoints(tmp_path, capsys):
    model, optimizer, step = small_state()
    manager = checkpoints.CheckpointManager(tmp_path, model=model, optimizer=optimizer, step=step)
    values = {}
    for _ in range(2):
        train_one(model, optimizer, step)
        manager.save(int(step.numpy()))
        values[int(step.numpy())] = [v.numpy().copy() for v in model.variables]
    # A write killed half-way leaves only a temporary folder, which is not a checkpoint.
    (tmp_path / "checkpoints" / ".ckpt-00000003.abc.tmp").mkdir()
    (tmp_path / "checkpoints" / ".ckpt-00000003.abc.tmp" / "ckpt.index").write_bytes(b"partial")
    assert [s for s, _ in checkpoints.list_checkpoints(tmp_path)] == [1, 2]
    # Corrupt the newest checkpoint's data: restoring falls back to step 1 and says so.
    data = next((tmp_path / "checkpoints" / "ckpt-00000002").glob("ckpt.data-*"))
    data.write_bytes(b"\0" * 16)
    fresh = small_state()
    restored = checkpoints.CheckpointManager(tmp_path, model=fresh[0], optimizer=fresh[1], step=fresh[2]).restore()
    assert restored == 1 and int(fresh[2].numpy()) == 1
    assert "ckpt-00000002 is unreadable" in capsys.readouterr().err
    for expected, actual in zip(values[1], fresh[0].variables):
        np.testing.assert_array_equal(expected, actual.numpy())
    # When none can be read, a clear error instead of silently starting over.
    other = next((tmp_path / "checkpoints" / "ckpt-00000001").glob("ckpt.data-*"))
    other.write_bytes(b"\0" * 16)
    with pytest.raises(UserError, match="none of the 2 checkpoints") as error:
        checkpoints.CheckpointManager(tmp_path, model=fresh[0], optimizer=fresh[1], step=fresh[2]).restore()
    # One short line, and no warnings about trying older ones that do not help either.
    assert "\n" not in error.value.message and len(error.value.message) < 400
    assert "use a new --model-dir" in error.value.message and capsys.readouterr().err == ""


def test_a_checkpoint_of_another_recipe_is_one_short_error(tmp_path, capsys):
    model, optimizer, step = small_state()
    checkpoints.CheckpointManager(tmp_path, model=model, optimizer=optimizer, step=step).save(1)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(7)])  # another width
    with pytest.raises(UserError) as error:
        checkpoints.CheckpointManager(tmp_path, model=other).restore()
    message = error.value.message
    assert message.startswith("none of the 1 checkpoints") and "another --config or --gin-param" in message
    assert len(message) < 400 and capsys.readouterr().err == ""


def test_load_model_refuses_a_folder_without_a_model(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        checkpoints.load_model(tmp_path / "nothing")
    with pytest.raises(UserError, match="operative_config.gin is missing"):
        checkpoints.load_model(tmp_path)


def test_the_rotation_keeps_the_protected_best_checkpoint(tmp_path):
    model, optimizer, step = small_state()
    manager = checkpoints.CheckpointManager(tmp_path, keep=2, model=model, optimizer=optimizer, step=step)
    for _ in range(5):
        train_one(model, optimizer, step)
        manager.save(int(step.numpy()))
        if int(step.numpy()) == 2:
            manager.protected = {2}
    assert [s for s, _ in checkpoints.list_checkpoints(tmp_path)] == [2, 4, 5]


def test_best_step_is_the_recorded_best_while_its_checkpoint_exists(tmp_path):
    import json

    (tmp_path / "checkpoints" / "ckpt-00000004").mkdir(parents=True)
    (tmp_path / "checkpoints" / "ckpt-00000004" / "ckpt.index").write_bytes(b"")
    assert checkpoints.best_step(tmp_path) is None  # no eval.json
    (tmp_path / "eval.json").write_text(json.dumps({"step": 6, "best": {"step": 4, "loss": 1.0}}))
    assert checkpoints.best_step(tmp_path) == 4
    (tmp_path / "eval.json").write_text(json.dumps({"step": 6, "best": {"step": 3, "loss": 1.0}}))
    assert checkpoints.best_step(tmp_path) is None  # its checkpoint is gone


def test_the_mixed_precision_layers_are_the_networks():
    assert checkpoints.mixed_precision_layers() == ["MfccRnnEncoder", "RnnFcDecoder"]
