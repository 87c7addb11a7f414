"""Keras functions as TFLite flatbuffers (tflite.py): the named tensors, the builtin-ops
interpreter's results against Keras, quantization, and Flex ops refused."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def dense():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="tanh"), keras.layers.Dense(3)])
    return model


def run(interpreter, **inputs):
    by_name = {d["name"]: d for d in interpreter.get_input_details()}
    for name, value in inputs.items():
        interpreter.set_tensor(by_name[f"call_{name}:0"]["index"], value)
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


def test_converted_function_runs_in_the_builtin_interpreter_as_in_keras(dense):
    import tensorflow as tf

    from ddsp_train import tflite

    def fn(x, gain):
        return {"a_sum": tf.reduce_sum(dense(x), axis=-1, keepdims=True) * gain, "b_out": dense(x)}

    signature = [tf.TensorSpec([1, 64], tf.float32, name="x"), tf.TensorSpec([1, 1], tf.float32, name="gain")]
    content = tflite.convert(dense, fn, signature)
    assert content[4:8] == b"TFL3"  # the flatbuffer identifier
    x = np.random.default_rng(1).standard_normal((1, 64)).astype(np.float32)
    gain = np.array([[2.0]], np.float32)
    expected = dense(x).numpy()
    for xnnpack in (False, True):
        interpreter = tflite.builtin_interpreter(content, xnnpack=xnnpack)
        assert sorted(d["name"] for d in interpreter.get_input_details()) == ["call_gain:0", "call_x:0"]
        out = run(interpreter, x=x, gain=gain)
        # Dict outputs are numbered in sorted key order (docs/plugin-contract.md).
        np.testing.assert_allclose(out["StatefulPartitionedCall:1"], expected, atol=1e-5)
        np.testing.assert_allclose(out["StatefulPartitionedCall:0"], 2 * expected.sum(-1, keepdims=True), atol=1e-4)
    # Dynamic-range quantization: int8 weights (about a quarter of the size), close results.
    quantized = tflite.convert(dense, fn, signature, quantize=True)
    assert len(quantized) < 0.4 * len(content)
    out = run(tflite.builtin_interpreter(quantized), x=x, gain=gain)
    np.testing.assert_allclose(out["StatefulPartitionedCall:1"], expected, atol=0.05 * np.abs(expected).max())


def test_a_graph_that_needs_flex_ops_fails_the_conversion(dense):
    import tensorflow as tf

    from ddsp_train import tflite

    def fn(x):  # a string op: only in Select-TF
        return {"out": tf.strings.to_number(tf.strings.as_string(dense(x)))}

    with pytest.raises(Exception, match="(?i)flex|select|not supported|converter"):
        tflite.convert(dense, fn, [tf.TensorSpec([1, 64], tf.float32, name="x")])
