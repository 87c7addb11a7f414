"""The gin-configurable training settings: the optimizer and the loop's schedule.

They live apart from the loop so that parsing a recipe (``gin_config``) and loading a trained
model (``checkpoints.load_model``, used by ddsp-export) register them without importing the
training loop. Their gin names (``training.make_optimizer``, ``training.schedule``) are those of
every operative_config.gin written before.
"""
from __future__ import annotations

import gin
import keras


@gin.configurable(module="training")
def make_optimizer(*, learning_rate: float = 1e-3, lr_decay_steps: int = 10000, lr_decay_rate: float = 0.98,
                   grad_clip_norm: float = 3.0) -> keras.optimizers.Optimizer:
    """Adam with ``lr(step) = learning_rate * lr_decay_rate ** (step / lr_decay_steps)`` and
    gradients clipped to a global norm of ``grad_clip_norm``."""
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=learning_rate, decay_steps=lr_decay_steps, decay_rate=lr_decay_rate)
    return keras.optimizers.Adam(learning_rate=schedule, global_clipnorm=grad_clip_norm)


@gin.configurable(module="training")
def schedule(*, log_every: int = 10, eval_examples: int = 8, shuffle_buffer: int = 1000,
             checkpoints_to_keep: int = 3) -> dict:
    """Loop settings that are not command-line flags: how often to log scalars, how many eval
    examples, the shuffle buffer, how many checkpoints to keep."""
    return {"log_every": log_every, "eval_examples": eval_examples, "shuffle_buffer": shuffle_buffer,
            "checkpoints_to_keep": checkpoints_to_keep}
