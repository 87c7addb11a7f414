"""Keras functions as TFLite flatbuffers, and the builtin-ops interpreter that runs them.

:func:`convert` exports a function of a Keras model through ``keras.export.ExportArchive`` with
one endpoint named ``call`` and converts it with ``TFLiteConverter.from_saved_model(path,
signature_keys=["call"])`` to builtin ops only: the weights are frozen into constants and the
tensors are named ``call_<input name>:0`` / ``StatefulPartitionedCall:<i>`` (see
docs/plugin-contract.md and :mod:`ddsp_train.contract`). A graph that needs Select-TF (Flex) ops fails the conversion
instead of producing a file the plugin cannot load. Used by the plugin control model, the
feature extractor and the pitch network's fast inference path.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Callable, Sequence


def convert(model: Any, fn: Callable, input_signature: Sequence[Any], *, quantize: bool = False) -> bytes:
    """The flatbuffer of ``fn`` (which uses ``model``'s weights) for ``input_signature``.

    ``quantize``: dynamic-range quantization (int8 weights, float32 inputs, outputs and
    activations; the builtin hybrid kernels).
    """
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="call", fn=fn, input_signature=list(input_signature))
    with tempfile.TemporaryDirectory(prefix="ddsp-tflite-") as tmp:
        saved = os.path.join(tmp, "model")
        archive.write_out(saved, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=["call"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        return converter.convert()


def builtin_interpreter(content: bytes, *, xnnpack: bool = False, threads: int = 1):
    """A LiteRT interpreter with the builtin op resolver only, as the plugin has; tensors allocated.

    ``xnnpack`` keeps the resolver's default XNNPACK delegate (faster, still builtin ops only);
    without it nothing but the reference builtin kernels runs (the strictest load check).
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kind = OpResolverType.BUILTIN if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(model_content=bytes(content), experimental_op_resolver_type=kind,
                              num_threads=int(threads))
    interpreter.allocate_tensors()
    return interpreter
