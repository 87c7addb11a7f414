"""The causal RNN-FC decoder of DDSP and DDSP-VST: scaled features -> raw synth controls.

Each input (``f0_scaled``, ``pw_scaled``, optionally ``ld_scaled`` or ``z``) goes through its own
MLP stack (``layers_per_stack`` x [Dense(ch) -> LayerNorm -> leaky ReLU]); the stacks are
concatenated and fed to a GRU; the GRU output is concatenated with the stacks again and goes
through an output MLP stack and one Dense layer whose outputs are split into the named heads
(``amps``, ``harmonic_distribution``, ``noise_magnitudes``, ...). The outputs are raw (unscaled):
the synth processors' ``get_controls`` turn them into synth parameters.

Everything is frame-wise except the GRU, which only looks back, so the same layer runs on a whole
sequence (:meth:`RnnFcDecoder.call`) or one frame at a time with the recurrent state passed in
and out (:meth:`RnnFcDecoder.step`); both give the same numbers (the GRU's cell is the layer's).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import gin
import keras
import tensorflow as tf

DEFAULT_OUTPUT_SPLITS = (("amps", 1), ("harmonic_distribution", 60), ("noise_magnitudes", 65))


class FcStack(keras.layers.Layer):
    """``layers`` x [Dense(ch) -> LayerNormalization -> leaky ReLU(0.2)] on the last axis."""

    def __init__(self, ch: int, layers: int, **kwargs):
        super().__init__(**kwargs)
        self.ch = ch
        self.dense = [keras.layers.Dense(ch, name=f"dense_{i}") for i in range(layers)]
        self.norms = [keras.layers.LayerNormalization(name=f"norm_{i}") for i in range(layers)]

    def call(self, x):
        for dense, norm in zip(self.dense, self.norms):
            x = keras.activations.leaky_relu(norm(dense(x)), negative_slope=0.2)
        return x

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.ch)


@gin.register(module="decoders")
class RnnFcDecoder(keras.layers.Layer):
    """Input MLP stacks -> GRU -> output MLP stack -> Dense heads (see the module docstring).

    ``input_keys`` name the features the decoder reads (each ``[B, T, d]`` for a sequence,
    ``[B, d]`` for a step); ``output_splits`` name the heads and their sizes.
    """

    #: ``ddsp-train --mixed-precision`` runs this network in float16/bfloat16 (its heads are cast
    #: back to float32 for the DSP).
    MIXED_PRECISION = True

    def __init__(
        self,
        *,
        rnn_channels: int = 512,
        ch: int = 256,
        layers_per_stack: int = 1,
        input_keys: Sequence[str] = ("pw_scaled", "f0_scaled"),
        output_splits: Sequence[tuple[str, int]] = DEFAULT_OUTPUT_SPLITS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not input_keys:
            raise ValueError("RnnFcDecoder needs at least one input key")
        self.rnn_channels = int(rnn_channels)
        self.input_keys = tuple(input_keys)
        self.output_splits = tuple((str(k), int(n)) for k, n in output_splits)
        self.input_stacks = [FcStack(ch, layers_per_stack, name=f"in_{k}") for k in self.input_keys]
        # The GRU layer holds the weights; its cell runs one frame (step) and _gru_sequence a sequence.
        self.rnn = keras.layers.GRU(self.rnn_channels, return_sequences=True, return_state=True, name="gru")
        self.out_stack = FcStack(ch, layers_per_stack, name="out_stack")
        self.dense_out = keras.layers.Dense(sum(n for _, n in self.output_splits), name="dense_out")

    def _stacks(self, inputs: Mapping[str, tf.Tensor]) -> list[tf.Tensor]:
        missing = [k for k in self.input_keys if k not in inputs]
        if missing:
            raise KeyError(f"decoder inputs {missing} missing; got {sorted(inputs)}")
        return [stack(inputs[k]) for stack, k in zip(self.input_stacks, self.input_keys)]

    def _heads(self, stacks: list[tf.Tensor], rnn_out: tf.Tensor) -> dict[str, tf.Tensor]:
        x = self.dense_out(self.out_stack(tf.concat(stacks + [rnn_out], axis=-1)))
        x = tf.cast(x, tf.float32)  # The heads feed the float32 DSP even under mixed precision.
        sizes = [n for _, n in self.output_splits]
        return dict(zip((k for k, _ in self.output_splits), tf.split(x, sizes, axis=-1)))

    def _gru_sequence(self, x: tf.Tensor, initial_state: tf.Tensor | None) -> tuple[tf.Tensor, tf.Tensor]:
        """The GRU layer's recurrence (Keras' ``reset_after`` GRU cell, the same weights) over ``[B, T, d]``.

        With ``[x_z, x_r, x_h] = x_t W + b_in`` computed for all frames in one matmul and
        ``[h_z, h_r, h_h] = h_{t-1} U + b_rec``: ``z = sigmoid(x_z + h_z)``, ``r = sigmoid(x_r + h_r)``,
        ``h~ = tanh(x_h + r * h_h)``, ``h_t = z * h_{t-1} + (1 - z) * h~``. Only the recurrent matmul
        stays inside the loop, which makes training several times cheaper on CPU than Keras' loop.
        """
        if not self.rnn.built:
            self.rnn.build(x.shape)
        cell = self.rnn.cell
        kernel, recurrent = tf.cast(cell.kernel, x.dtype), tf.cast(cell.recurrent_kernel, x.dtype)
        input_bias, recurrent_bias = tf.unstack(tf.cast(cell.bias, x.dtype))
        projected = tf.transpose(tf.tensordot(x, kernel, 1) + input_bias, [1, 0, 2])  # [T, B, 3U]
        if initial_state is None:
            initial_state = tf.zeros([tf.shape(x)[0], self.rnn_channels], x.dtype)

        def step(h, x_t):
            x_z, x_r, x_h = tf.split(x_t, 3, axis=-1)
            h_z, h_r, h_h = tf.split(tf.matmul(h, recurrent) + recurrent_bias, 3, axis=-1)
            z = tf.sigmoid(x_z + h_z)
            candidate = tf.tanh(x_h + tf.sigmoid(x_r + h_r) * h_h)
            return z * h + (1.0 - z) * candidate

        states = tf.scan(step, projected, initializer=tf.cast(initial_state, x.dtype))  # [T, B, U]
        return tf.transpose(states, [1, 0, 2]), states[-1]

    def call(self, inputs: Mapping[str, tf.Tensor], initial_state: tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        """Whole sequences ``[B, T, d]`` -> heads ``[B, T, n]`` and the final ``state`` ``[B, rnn]``."""
        stacks = self._stacks(inputs)
        x = tf.concat(stacks, axis=-1)
        rnn_out, state = self._gru_sequence(x, initial_state)
        outputs = self._heads(stacks, rnn_out)
        outputs["state"] = tf.cast(state, tf.float32)
        return outputs

    def step(self, inputs: Mapping[str, tf.Tensor], state: tf.Tensor) -> dict[str, tf.Tensor]:
        """One frame ``[B, d]`` with the state ``[B, rnn]`` -> heads ``[B, n]`` and the next ``state``."""
        stacks = self._stacks(inputs)
        x = tf.concat(stacks, axis=-1)
        rnn_out, _ = self.rnn.cell(x, [tf.cast(state, x.dtype)])
        outputs = self._heads(stacks, rnn_out)
        outputs["state"] = tf.cast(rnn_out, tf.float32)
        return outputs
