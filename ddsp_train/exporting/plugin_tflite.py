"""The DDSP-VST plugin's control model: one frame per call, as a builtin-ops ``.tflite``.

The plugin calls the model every 20 ms with the inputs of :data:`ddsp_train.contract.INPUTS`
(``call_f0_scaled:0``, ``call_pw_scaled:0``, ``call_state:0``) and reads
:data:`ddsp_train.contract.OUTPUTS` (``StatefulPartitionedCall:0..3``: amplitude, harmonic
distribution, noise magnitudes and the next state). Those names come out of TensorFlow 2.21 / Keras 3 when the step
function is exported through ``keras.export.ExportArchive`` with an endpoint ``call`` whose input
signature names its tensors ``f0_scaled``, ``pw_scaled`` and ``state``, and the SavedModel is
converted with ``TFLiteConverter.from_saved_model(path, signature_keys=["call"])``
(:func:`ddsp_train.tflite.convert`): the weights are frozen into constants and the outputs, a
dict, are numbered in sorted key order (amplitude, harmonic_distribution, noise_magnitudes, state).
"""
from __future__ import annotations

import os
import pathlib
from typing import Any, Callable, Mapping

import numpy as np

from ddsp_train import contract
from ddsp_train.tflite import builtin_interpreter


def step_function(model: Any, *, gain: float = 1.0) -> Callable:
    """``(f0_scaled, pw_scaled, state) -> {amplitude, harmonic_distribution, noise_magnitudes, state}``.

    :func:`ddsp_train.exporting.plugin_model.controls_step` with the level controls times ``gain``
    (a model with its own one-frame controls, a ddsp-match patch, uses those).
    """
    from ddsp_train.exporting import plugin_model

    def call(f0_scaled, pw_scaled, state):
        out = plugin_model.controls_step(model, f0_scaled, pw_scaled, state, gain=gain)
        return {name: out[name] for name in contract.CONTROL_NAMES}

    return call


def convert_step_model(model: Any, *, gain: float = 1.0, quantize: bool = False) -> bytes:
    """The ``.tflite`` flatbuffer (no metadata yet) of the model's one-frame controls for batch 1.

    ``model`` is a built Autoencoder whose decoder has a ``step(inputs, state [1, STATE_SIZE])``.
    Builtin TFLite ops only: a graph that needs Select-TF (Flex) ops fails the conversion instead
    of producing a file the plugin cannot load. ``gain`` multiplies the amplitude and the noise
    magnitudes (the level calibration). ``quantize``: dynamic-range quantization (int8 weights,
    float32 inputs, outputs and activations; the builtin hybrid kernels), a quarter of the
    weight bytes to read per frame.
    """
    import tensorflow as tf

    from ddsp_train import tflite

    if not getattr(model, "built", True):
        raise ValueError("the model must be built (restored from a checkpoint) before export")
    f0, pw, state = contract.SIGNATURE_NAMES
    signature = [tf.TensorSpec([1, 1], tf.float32, name=f0), tf.TensorSpec([1, 1], tf.float32, name=pw),
                 tf.TensorSpec([1, contract.STATE_SIZE], tf.float32, name=state)]
    return tflite.convert(model, step_function(model, gain=float(gain)), signature, quantize=quantize)


class PluginModel:
    """A plugin ``.tflite`` driven as the plugin drives it: one frame per call, state fed back.

    ``xnnpack`` as in :func:`builtin_interpreter`.

    ``step(f0_scaled, pw_scaled)`` returns the controls of one frame (numpy arrays of 1, 60, 65
    values) and keeps the state; ``reset()`` zeroes the state.
    """

    def __init__(self, content: bytes | str | os.PathLike, *, xnnpack: bool = False):
        if not isinstance(content, (bytes, bytearray)):
            content = pathlib.Path(content).read_bytes()
        self.content = bytes(content)
        self.interpreter = builtin_interpreter(self.content, xnnpack=xnnpack)
        ins = {d["name"]: d for d in self.interpreter.get_input_details()}
        outs = {d["name"]: d for d in self.interpreter.get_output_details()}
        missing = [n for n in list(contract.INPUTS) + list(contract.OUTPUTS) if n not in ins and n not in outs]
        if missing:
            raise ValueError(f"not a plugin control model: tensors {missing} are missing "
                             f"(has inputs {sorted(ins)}, outputs {sorted(outs)})")
        self._f0, self._pw, self._state_in = (ins[n] for n in contract.INPUTS)
        self._outs = {control: outs[n]["index"] for n, (control, _) in contract.OUTPUTS.items()}
        self._f0_value = np.zeros(self._f0["shape"], np.float32)
        self._pw_value = np.zeros(self._pw["shape"], np.float32)
        self.state = None
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros(self._state_in["shape"], np.float32)

    def step(self, f0_scaled: float, pw_scaled: float) -> Mapping[str, Any]:
        it = self.interpreter
        self._f0_value.fill(f0_scaled)
        self._pw_value.fill(pw_scaled)
        it.set_tensor(self._f0["index"], self._f0_value)
        it.set_tensor(self._pw["index"], self._pw_value)
        it.set_tensor(self._state_in["index"], self.state)
        it.invoke()
        out = {k: it.get_tensor(i).reshape(-1) for k, i in self._outs.items()}  # get_tensor copies
        self.state = out.pop("state").reshape(self._state_in["shape"])
        return out

    def run(self, f0_scaled, pw_scaled) -> dict:
        """Stream whole curves (length T) from a zero state; controls stacked as [T, n]."""
        self.reset()
        frames = [self.step(f, p) for f, p in zip(np.asarray(f0_scaled).ravel(), np.asarray(pw_scaled).ravel())]
        return {k: np.stack([fr[k] for fr in frames]) for k in contract.CONTROL_NAMES if k != "state"}
