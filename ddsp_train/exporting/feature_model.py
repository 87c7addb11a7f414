"""The feature extractor as a second ``.tflite``, with the interface of the plugin's own one.

Input ``call_audio:0``: 1024 samples at 16 kHz (the plugin passes the last 1024 samples, a
causal frame). Outputs, one value each, in the positional order the DDSP-VST plugin reads them
(``FeatureExtractionModel::call`` takes outputs()[0] as f0_scaled, [1] as pw_scaled, [2] as
f0_hz, [3] as power in dB):

- ``f0_scaled = hz_to_midi(clip(f0_hz, 8.18, 12543.85)) / 127``
- ``pw_scaled = pw_db / 80 + 1``
- ``f0_hz``: the pitch network's local average around its peak (see
  :mod:`ddsp_train.pitch.network`), exactly what the Keras model decodes;
- ``pw_db = max(10 log10(mean(frame ** 2)), -80)`` (the plugin's power).

Built through ``keras.export.ExportArchive`` (endpoint ``call``, input named ``audio``) and
``TFLiteConverter.from_saved_model(signature_keys=["call"])`` with builtin ops only, which gives
the input tensor the name ``call_audio:0`` and freezes every weight into a constant. The dict
outputs are named ``StatefulPartitionedCall:0..3`` in sorted key order (f0_hz, f0_scaled, pw_db,
pw_scaled, as ddsp's exporter names them); their positional order is then set explicitly.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import time

import numpy as np

from ddsp_train import contract
from ddsp_train.pitch import network

INPUT_NAME = contract.FEATURE_INPUT
#: Output position -> feature name, the order the plugin reads them in.
OUTPUT_ORDER = contract.FEATURE_OUTPUTS
#: Tensor names: the converter numbers the dict outputs in sorted key order, as ddsp's own
#: exporter numbered its (f0_hz, f0_scaled, pw_db, pw_scaled) tuple.
OUTPUT_NAMES = {"f0_hz": "StatefulPartitionedCall:0", "f0_scaled": "StatefulPartitionedCall:1",
                "pw_db": "StatefulPartitionedCall:2", "pw_scaled": "StatefulPartitionedCall:3"}


def feature_function(model):
    """``audio [1024] -> {position_name: [1]}``: f0 by local average, power, and their scalings."""
    import tensorflow as tf

    from ddsp_train.dsp.scaling import power_to_db, scale_f0_hz, scale_power_db

    bins = tf.range(network.N_BINS, dtype=tf.float32)

    def call(audio):
        x = tf.reshape(audio, [1, network.FRAME_SIZE])
        act = tf.sigmoid(model(x, training=False))[0]
        peak = tf.cast(tf.argmax(act), tf.float32)
        w = act * tf.cast(tf.abs(bins - peak) <= network.LOCAL_AVERAGE_RADIUS, tf.float32)
        cents = tf.reduce_sum(w * bins) / tf.maximum(tf.reduce_sum(w), 1e-12) * network.CENTS_PER_BIN
        f0_hz = tf.reshape(network.F_MIN * tf.pow(2.0, cents / 1200.0), [1])
        pw_db = tf.reshape(power_to_db(tf.reduce_mean(x * x)), [1])
        values = {"f0_scaled": scale_f0_hz(f0_hz), "pw_scaled": scale_power_db(pw_db), "f0_hz": f0_hz,
                  "pw_db": pw_db}
        return {name: tf.cast(values[name], tf.float32) for name in sorted(values)}

    return call


def convert_feature_model(*, weights_path: str | os.PathLike | None = None) -> bytes:
    """The feature ``.tflite`` flatbuffer for the pitch network (default: the packaged weights)."""
    import tensorflow as tf

    from ddsp_train import tflite

    model = network.load_model(weights_path)
    signature = [tf.TensorSpec([network.FRAME_SIZE], tf.float32, name="audio")]
    return order_outputs(tflite.convert(model, feature_function(model), signature))


def order_outputs(content: bytes) -> bytes:
    """Rewrite the flatbuffer so the subgraph's outputs come in ``OUTPUT_ORDER``.

    The converter lists the graph outputs in an order of its own (it changed with unrelated edits
    of the graph); the plugin reads them by position, so the list is set explicitly from the
    signature's output names (each output keeps its tensor and its name).
    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(content))
    graph = model.subgraphs[0]
    by_name = {(o.name.decode() if isinstance(o.name, bytes) else o.name): o.tensorIndex
               for o in model.signatureDefs[0].outputs}
    if sorted(by_name) != sorted(OUTPUT_ORDER):
        raise ValueError(f"feature model outputs are {sorted(by_name)}, expected {sorted(OUTPUT_ORDER)}")
    graph.outputs = [by_name[name] for name in OUTPUT_ORDER]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def write_feature_model(path: str | os.PathLike, *, weights_path: str | os.PathLike | None = None) -> pathlib.Path:
    """Convert and write the feature ``.tflite`` to ``path`` atomically; returns the path."""
    from ddsp_train.atomic import write_bytes_atomic

    return write_bytes_atomic(path, convert_feature_model(weights_path=weights_path))


class FeatureModel:
    """A feature ``.tflite`` run as the plugin runs it: builtin ops, one 1024-sample frame per call."""

    def __init__(self, content: bytes | str | os.PathLike):
        from ddsp_train.tflite import builtin_interpreter

        if not isinstance(content, (bytes, bytearray)):
            content = pathlib.Path(content).read_bytes()
        self.interpreter = builtin_interpreter(bytes(content))
        inputs = self.interpreter.get_input_details()
        if [d["name"] for d in inputs] != [INPUT_NAME]:
            raise ValueError(f"not a feature model: inputs {[d['name'] for d in inputs]}, expected [{INPUT_NAME!r}]")
        self._input = inputs[0]
        self._outputs = [d["index"] for d in self.interpreter.get_output_details()]
        if len(self._outputs) != len(OUTPUT_ORDER):
            raise ValueError(f"not a feature model: {len(self._outputs)} outputs, expected {len(OUTPUT_ORDER)}")

    def __call__(self, frame: np.ndarray) -> dict[str, float]:
        """Features of one frame of 1024 samples at 16 kHz, by name (read positionally)."""
        frame = np.asarray(frame, np.float32).reshape(self._input["shape"])
        self.interpreter.set_tensor(self._input["index"], frame)
        self.interpreter.invoke()
        return {name: float(self.interpreter.get_tensor(i).reshape(-1)[0])
                for name, i in zip(OUTPUT_ORDER, self._outputs)}


#: File name of the feature extractor in an export folder (the same for every model).
FILE_NAME = "features.tflite"
#: Largest f0 difference (cents) and power difference (dB) between the file and the Keras network.
MAX_CENTS, MAX_POWER_DB = 1.0, 1e-3


@dataclasses.dataclass
class FeatureCheck:
    """The feature ``.tflite`` against the Keras pitch network, frame by frame, and its speed."""

    frames: int
    max_cents: float
    max_power_db: float
    latency_us_median: float
    latency_us_p99: float

    @property
    def ok(self) -> bool:
        return self.max_cents <= MAX_CENTS and self.max_power_db <= MAX_POWER_DB

    def line(self) -> str:
        return (f"{'PASS' if self.ok else 'FAIL'} features: {self.frames} causal frames, f0 within "
                f"{self.max_cents:.3f} cents of the Keras network (<= {MAX_CENTS:g}), power within "
                f"{self.max_power_db:.1e} dB; {self.latency_us_median:.0f} us per frame (p99 "
                f"{self.latency_us_p99:.0f} us)")


def check_feature_model(content: bytes, audio: np.ndarray, *, max_frames: int = 200) -> FeatureCheck:
    """Run the file on the causal frames (the last 1024 samples every 320) of 16 kHz ``audio`` and
    on silence, as the plugin calls it, and compare with the Keras network run by TensorFlow
    (:class:`ddsp_train.pitch.network.NetworkTracker` with ``use_tflite=False``)."""
    from ddsp_train import features

    frames = features.causal_frames(np.asarray(audio, np.float32), frame_size=contract.FRAME_SIZE,
                                    hop=contract.HOP)[1:max_frames + 1]
    frames = np.concatenate([frames, np.zeros((1, network.FRAME_SIZE), np.float32)])
    f0_keras, _ = network.NetworkTracker(use_tflite=False).track_frames(frames)
    power = features.frame_power_db(frames)
    model = FeatureModel(content)
    cents, power_diff, times = [], [], []
    for frame, f_k, p_k in zip(frames, f0_keras, power):
        t0 = time.perf_counter()
        out = model(frame)
        times.append(time.perf_counter() - t0)
        if f_k > 0 and out["f0_hz"] > 0:
            cents.append(abs(1200.0 * np.log2(out["f0_hz"] / f_k)))
        power_diff.append(abs(out["pw_db"] - p_k))
    return FeatureCheck(frames=len(frames), max_cents=float(max(cents, default=0.0)),
                        max_power_db=float(max(power_diff)), latency_us_median=float(np.median(times) * 1e6),
                        latency_us_p99=float(np.percentile(times, 99) * 1e6))
