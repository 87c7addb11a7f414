"""One training step: forward pass, the configured losses, gradients, clipping, Adam.

A step whose loss or gradient norm is not finite applies no update (the weights and the
optimizer's state stay as they were) and says so in its ``applied`` metric; the loop
(:mod:`ddsp_train.training.loop`) decides when to give up. The step runs under the chosen
tf.distribute strategy, optionally XLA-compiled.
"""
from __future__ import annotations

from typing import Mapping

import keras
import tensorflow as tf

from ddsp_train.training import strategy as strategy_lib


class Trainer:
    """Holds the model, the optimizer and the step counter; runs (distributed) training steps."""

    def __init__(self, *, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                 placement: strategy_lib.Placement):
        self.model = model
        self.placement = placement
        self.loss_scaling = placement.mixed_precision_policy == "mixed_float16"
        if self.loss_scaling:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        self.optimizer = optimizer
        self.strategy = placement.strategy
        with self.strategy.scope():
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.optimizer.build(self.model.trainable_variables)
        self._step_fn = None

    def _gradients(self, batch: Mapping[str, tf.Tensor]):
        """Forward and backward pass of one replica (XLA-compiled when asked; no sync points)."""
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            outputs = self.model(batch, training=True)
            terms = self.model.loss_terms(batch, outputs)
            loss = tf.add_n(list(terms.values()))
            scaled = self.optimizer.scale_loss(loss / self.strategy.num_replicas_in_sync)
        grads = tape.gradient(scaled, variables)
        grad_norm = tf.linalg.global_norm([g for g in grads if g is not None])
        if self.loss_scaling:  # report the norm of the true gradients
            grad_norm = grad_norm / tf.cast(self.optimizer.dynamic_scale, grad_norm.dtype)
        return loss, terms, grads, grad_norm

    def _apply_if(self, ok: tf.Tensor, grads) -> tf.Tensor:
        """Apply ``grads`` when ``ok`` (the same on every replica); True if applied.

        Under a strategy whose updates need ``merge_call`` (MirroredStrategy) the condition has to
        be taken in the cross-replica context, as Keras' LossScaleOptimizer does.
        """
        variables = self.model.trainable_variables

        def apply():
            self.optimizer.apply_gradients(zip(grads, variables))
            return tf.constant(True)

        if not tf.distribute.has_strategy() or tf.__internal__.distribute.strategy_supports_no_merge_call():
            return tf.cond(ok, apply, lambda: tf.constant(False))

        def cross_replica(distribution, ok, grads):
            first_ok = distribution.experimental_local_results(ok)[0]

            def apply_all():
                distribution.extended.call_for_each_replica(
                    lambda g: self.optimizer.apply_gradients(zip(g, variables)), args=(grads,))
                return tf.constant(True)

            return tf.cond(first_ok, apply_all, lambda: tf.constant(False))

        return tf.distribute.get_replica_context().merge_call(cross_replica, args=(ok, grads))

    def _build_step(self):
        # No autograph: the model has no data-dependent Python control flow, and converting it is slow.
        gradients = tf.function(self._gradients, jit_compile=self.placement.xla, autograph=False)

        def replica_step(batch):
            loss, terms, grads, grad_norm = gradients(batch)
            finite = tf.math.is_finite(loss)
            if not self.loss_scaling:  # (a LossScaleOptimizer skips overflowing float16 gradients itself)
                finite = finite & tf.math.is_finite(grad_norm)
            bad = tf.cast(tf.logical_not(finite), tf.float32)
            bad = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, bad)
            applied = self._apply_if(bad == 0, grads)
            return {"loss": loss, **terms, "grad_norm": grad_norm, "applied": tf.cast(applied, tf.float32)}

        @tf.function(autograph=False)
        def step_fn(batch):
            per_replica = self.strategy.run(replica_step, args=(batch,))
            metrics = {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                       for k, v in per_replica.items()}
            self.step.assign_add(1)
            return metrics

        return step_fn

    def train_step(self, batch) -> dict[str, float]:
        """One step on a (distributed) batch: ``loss``, each loss term, ``grad_norm``, ``applied`` (0/1)."""
        if self._step_fn is None:
            self._step_fn = self._build_step()
        return {k: float(v) for k, v in self._step_fn(batch).items()}

    def learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))
