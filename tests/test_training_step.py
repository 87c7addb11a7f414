"""One training step on a small real network: a finite loss updates every weight and the optimizer;
a non-finite loss leaves weights and optimizer state as they were and reports it."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.training import optimizer, strategy
from ddsp_train.training.step import Trainer


class Regression(keras.Model):
    """``audio`` -> a Dense layer; the loss is ``scale * mean((out - 1)^2)``."""

    def __init__(self, scale):
        super().__init__()
        self.dense = keras.layers.Dense(2)
        self.scale = scale

    def call(self, batch, training=False):
        return {"out": self.dense(batch["audio"])}

    def loss_terms(self, batch, outputs):
        return {"mse": self.scale * tf.reduce_mean((outputs["out"] - 1.0) ** 2)}


def run_step(scale):
    model = Regression(scale)
    batch = {"audio": tf.ones([4, 3])}
    model(batch)
    placement = strategy.choose(strategy="auto", xla=False)
    trainer = Trainer(model=model, optimizer=optimizer.make_optimizer(learning_rate=0.1), placement=placement)
    before = [w.numpy().copy() for w in model.weights]
    metrics = trainer.train_step(batch)
    after = [w.numpy() for w in model.weights]
    return trainer, metrics, before, after


def test_a_finite_step_updates_everything():
    trainer, metrics, before, after = run_step(1.0)
    assert metrics["applied"] == 1.0 and metrics["mse"] == metrics["loss"] > 0 and metrics["grad_norm"] > 0
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))
    assert int(trainer.step.numpy()) == 1 and int(trainer.optimizer.iterations.numpy()) == 1
    # lr(1) = 0.1 * 0.98 ** (1 / 10000) (the default decay)
    assert trainer.learning_rate() == pytest.approx(0.1 * 0.98 ** (1 / 10000), rel=1e-6)


def test_a_non_finite_step_changes_nothing_but_the_counter():
    trainer, metrics, before, after = run_step(float("inf"))
    assert metrics["applied"] == 0.0 and not np.isfinite(metrics["loss"])
    assert all(np.array_equal(b, a) for b, a in zip(before, after))
    assert int(trainer.optimizer.iterations.numpy()) == 0 and int(trainer.step.numpy()) == 1
