"""Reverb: convolution with a learned (or given) impulse response. Training and offline use only."""
from __future__ import annotations

import gin
import keras
import tensorflow as tf

from ddsp_train.dsp import core, filtering
from ddsp_train.dsp.processors import Processor


@gin.register
class Reverb(Processor):
    """Convolution reverb, ddsp's ``Reverb``.

    ``wet[n] = sum_{m >= 1} ir[m] x[n - m]`` (``ir[0]`` is masked to 0: the direct path is the dry
    signal), ``y = x + wet`` when ``add_dry`` else ``wet``; computed with
    :func:`ddsp_train.dsp.filtering.fft_convolve` (``padding="same"``, no delay compensation).
    With ``trainable=True`` the impulse response is a weight ``ir [reverb_length]`` initialised
    N(0, 1e-6^2) and shared by the batch; otherwise ``ir`` ``[B or 1, L]`` must be passed to
    ``get_controls(audio, ir)``.
    """

    def __init__(self, reverb_length: int = 16000, trainable: bool = True, add_dry: bool = True,
                 name: str = "reverb"):
        super().__init__(name=name, trainable=trainable)
        if int(reverb_length) < 2:
            raise ValueError(f"reverb_length must be >= 2 samples, got {reverb_length}")
        self.reverb_length = int(reverb_length)
        self.learn_ir = bool(trainable)
        self.add_dry = bool(add_dry)
        self.ir = None
        if self.learn_ir:
            self.ir = self.add_weight(
                name="ir", shape=(self.reverb_length,), dtype="float32",
                initializer=keras.initializers.RandomNormal(mean=0.0, stddev=1e-6))

    def get_controls(self, audio, ir=None):
        if ir is None:
            if self.ir is None:
                raise ValueError("a Reverb with trainable=False needs an impulse response input")
            ir = tf.convert_to_tensor(self.ir)[tf.newaxis]
        ir = core._f32(ir)
        if ir.shape.rank == 1:
            ir = ir[tf.newaxis]
        return {"audio": core._f32(audio), "ir": ir}

    def get_signal(self, audio, ir):
        audio, ir = core._f32(audio), core._f32(ir)
        ir = tf.concat([tf.zeros_like(ir[:, :1]), ir[:, 1:]], axis=1)  # mask the direct path
        wet = filtering.fft_convolve(audio, ir, padding="same", delay_compensation=0)
        return audio + wet if self.add_dry else wet
