"""Running the pitch network: the packaged inference ``.tflite`` on LiteRT, pooled per thread.

For the packaged weights the packaged ``weights/pitch_network.tflite`` (:data:`TFLITE_FILE`, built
by ``scripts/build_pitch_tflite.py`` with :func:`build_tflite`) runs on LiteRT's XNNPACK kernels,
so tracking needs no TensorFlow; other weights are converted once per process. Interpreters are
lent from a pool, one per concurrent caller (one kernel thread for worker threads, as
ddsp-prepare's threads already fill the cores; all cores for the main thread). Without LiteRT,
:func:`_cached_model` gives a TensorFlow function instead.
"""
from __future__ import annotations

import contextlib
import functools
import os
import pathlib
import threading

import numpy as np

from ddsp_train.contract import FRAME_SIZE

#: The packaged weights' inference model as a builtin-ops TFLite flatbuffer.
TFLITE_FILE = "pitch_network.tflite"


def packaged_file(name: str):
    """A context manager giving the packaged file ``weights/name`` as a real path: the file beside
    this module when the package is installed as files (no ``importlib.resources`` import, ~15 ms
    of start-up), else through ``importlib.resources`` (e.g. a zipped install)."""
    path = pathlib.Path(__file__).resolve().with_name("weights") / name
    if path.is_file():
        return contextlib.nullcontext(path)
    import importlib.resources

    return importlib.resources.as_file(importlib.resources.files("ddsp_train.pitch").joinpath("weights", name))


_MODEL_LOCK = threading.RLock()


def _cached_model(weights_path: str | None):
    """The model with its weights and a compiled ``frames -> sigmoid(logits)`` function, built
    once per weights file and shared by the trackers of all threads."""
    with _MODEL_LOCK:
        return _build_cached(weights_path)


@functools.lru_cache(maxsize=4)
def _build_cached(weights_path: str | None):
    import tensorflow as tf

    from ddsp_train.pitch.network import load_model

    model = load_model(weights_path)
    infer = tf.function(lambda x: tf.sigmoid(model(x, training=False)),
                        input_signature=[tf.TensorSpec([None, FRAME_SIZE], tf.float32)])
    return model, infer


#: Frames per call of the TFLite inference model (its input has a fixed batch; the last call is padded).
TFLITE_BATCH = 128
#: Idle interpreters by (weights path, kernel threads).
_POOL: dict[tuple, list] = {}


def packaged_tflite_path():
    """A context manager giving the packaged inference flatbuffer (:data:`TFLITE_FILE`) as a path."""
    return packaged_file(TFLITE_FILE)


def build_tflite(weights_path: str | os.PathLike | None = None) -> bytes:
    """``frames [TFLITE_BATCH, 1024] -> sigmoid(logits)`` of the weights as builtin-ops TFLite bytes
    (TensorFlow converts it; ``scripts/build_pitch_tflite.py`` writes the packaged one)."""
    import tensorflow as tf

    from ddsp_train import tflite

    with _MODEL_LOCK:
        model, _ = _build_cached(None if weights_path is None else os.fspath(weights_path))
    signature = [tf.TensorSpec([TFLITE_BATCH, FRAME_SIZE], tf.float32, name="audio")]
    return tflite.convert(model, lambda x: tf.sigmoid(model(x, training=False)), signature)


@functools.lru_cache(maxsize=4)
def _tflite_content(weights_path: str | None) -> bytes | None:
    """The inference flatbuffer for ``weights_path``: the packaged file for the packaged weights
    (no TensorFlow needed), else converted once per process; None without LiteRT."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return None
    if weights_path is None:
        with packaged_tflite_path() as path:
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    return f.read()
    return build_tflite(weights_path)


class _BatchInterpreter:
    """A LiteRT interpreter of the inference model, used by one caller at a time (see
    :func:`_interpreter`): ``frames [n <= TFLITE_BATCH, 1024]`` -> activations ``[n, N_BINS]``
    (a short batch is zero-padded)."""

    def __init__(self, content: bytes, threads: int):
        from ddsp_train.tflite import builtin_interpreter

        self.interpreter = builtin_interpreter(content, xnnpack=True, threads=threads)
        self._in = self.interpreter.get_input_details()[0]["index"]
        self._out = self.interpreter.get_output_details()[0]["index"]
        self._batch = np.zeros((TFLITE_BATCH, FRAME_SIZE), np.float32)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        n = len(frames)
        self._batch[:n] = frames
        self._batch[n:] = 0.0
        self.interpreter.set_tensor(self._in, self._batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._out)[:n]


@contextlib.contextmanager
def _interpreter(weights_path: str | None, *, enabled: bool = True):
    """Lend an idle interpreter for ``weights_path`` (a new one when all are busy) and take it
    back afterwards; yields None without LiteRT or when not ``enabled``."""
    if not enabled:
        yield None
        return
    threads = (os.cpu_count() or 1) if threading.current_thread() is threading.main_thread() else 1
    key = (weights_path, threads)
    with _MODEL_LOCK:
        content = _tflite_content(weights_path)
        idle = _POOL.setdefault(key, [])
        lent = idle.pop() if idle else None
    if content is None:
        yield None
        return
    lent = lent or _BatchInterpreter(content, threads)
    try:
        yield lent
    finally:
        with _MODEL_LOCK:
            _POOL[key].append(lent)
