"""The DDSP-VST plugin's control model: one frame per call, as a builtin-ops ``.tflite``.

The plugin calls the model every 20 ms with ``call_f0_scaled:0`` (1 value),
``call_pw_scaled:0`` (1 value) and ``call_state:0`` (512 values) and reads
``StatefulPartitionedCall:0..3``: amplitude (1), harmonic distribution (60), noise magnitudes
(65) and the next state (512). Those names come out of TensorFlow 2.21 / Keras 3 when the step
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

from ddsp_train.tflite import builtin_interpreter

#: Plugin input tensor name -> number of values.
PLUGIN_INPUTS = {"call_f0_scaled:0": 1, "call_pw_scaled:0": 1, "call_state:0": 512}
#: Plugin output tensor name -> (control name, number of values).
PLUGIN_OUTPUTS = {
    "StatefulPartitionedCall:0": ("amplitude", 1),
    "StatefulPartitionedCall:1": ("harmonic_distribution", 60),
    "StatefulPartitionedCall:2": ("noise_magnitudes", 65),
    "StatefulPartitionedCall:3": ("state", 512),
}
CONTROL_NAMES = tuple(name for name, _ in PLUGIN_OUTPUTS.values())
STATE_SIZE = PLUGIN_INPUTS["call_state:0"]


def step_function(model: Any) -> Callable:
    """``(f0_scaled, pw_scaled, state) -> {amplitude, harmonic_distribution, noise_magnitudes, state}``.

    Uses ``model.controls_step``; only the four plugin outputs are kept.
    """

    def call(f0_scaled, pw_scaled, state):
        out = model.controls_step(f0_scaled, pw_scaled, state)
        return {name: out[name] for name in CONTROL_NAMES}

    return call


def convert_step_model(model: Any, *, state_size: int = STATE_SIZE, quantize: bool = False) -> bytes:
    """The ``.tflite`` flatbuffer (no metadata yet) of ``model.controls_step`` for batch 1.

    ``model`` is a built Keras model (or layer) with a ``controls_step(f0_scaled [1, 1],
    pw_scaled [1, 1], state [1, state_size])`` method. Builtin TFLite ops only: a graph that needs
    Select-TF (Flex) ops fails the conversion instead of producing a file the plugin cannot load.
    ``quantize``: dynamic-range quantization (int8 weights, float32 inputs, outputs and
    activations; the builtin hybrid kernels), a quarter of the weight bytes to read per frame.
    """
    import tensorflow as tf

    from ddsp_train import tflite

    if not getattr(model, "built", True):
        raise ValueError("the model must be built (restored from a checkpoint) before export")
    signature = [tf.TensorSpec([1, 1], tf.float32, name="f0_scaled"),
                 tf.TensorSpec([1, 1], tf.float32, name="pw_scaled"),
                 tf.TensorSpec([1, state_size], tf.float32, name="state")]
    return tflite.convert(model, step_function(model), signature, quantize=quantize)


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
        missing = [n for n in list(PLUGIN_INPUTS) + list(PLUGIN_OUTPUTS) if n not in ins and n not in outs]
        if missing:
            raise ValueError(f"not a plugin control model: tensors {missing} are missing "
                             f"(has inputs {sorted(ins)}, outputs {sorted(outs)})")
        self._f0 = ins["call_f0_scaled:0"]
        self._pw = ins["call_pw_scaled:0"]
        self._state_in = ins["call_state:0"]
        self._outs = {control: outs[n]["index"] for n, (control, _) in PLUGIN_OUTPUTS.items()}
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
        return {k: np.stack([fr[k] for fr in frames]) for k in CONTROL_NAMES if k != "state"}
