"""Our own f0 tracker: a small harmonic-stacking convolutional network (the CREPE family).

One frame is 1024 samples at 16 kHz (64 ms). The network sees it through a fixed log-frequency
front end and answers with one sigmoid activation per pitch bin; f0 is read off around the peak.

Front end (fixed, not trained). Spectrum bin ``j`` has frequency
``g_j = F_MIN * 2 ** ((j - 60) / 60)`` (20-cent steps from 15 Hz) and magnitude
``|X_j| = |sum_n x[n] w_j[n] exp(-2 pi i g_j (n - 511.5) / 16000)| / sum_n w_j[n]``, where
``w_j`` is a Hann window of length ``L_j = min(1024, 172 * 16000 / g_j)`` centred in the frame
(a constant-Q kernel above ~2.7 kHz, the whole frame below); bins at or above 8 kHz are 0.
Level is normalised per frame: ``s_j = max(20 log10(|X_j| + 1e-7) - max_j(...), -80) / 80 + 1``.

Temporal channels (``DEFAULT_CONFIG``): the same kernels with windows inside the first and the
second half of the frame give early and late spectra, and
``d_j = clip(late_dB_j - early_dB_j, -30, 30) / 30 * s_j`` tells growing partials (a new note)
from decaying ones (the previous note's release).

Harmonic stacking: for pitch bin ``p`` (frequency ``F_MIN * 2 ** (p / 60)``) and harmonic ``h``
in ``HARMONICS`` the input channels are ``s[p + 60 + round(60 log2 h)]`` (and ``d[...]``), so a
convolution over ``p`` sees the sub-harmonic, the fundamental and seven overtones of every
candidate at once and is equivariant to transposition. 1-D convolutions over ``p`` (width 5,
width 5, width 3 dilated by an octave, then ``depth`` more of width 5; ReLU) map the stack to
one logit per bin; ``activation = sigmoid(logit)``.

Decoding (CREPE's local average): ``c* = argmax_p a_p``;
``cents = sum_{|p - c*| <= 4} a_p cents_p / sum_{|p - c*| <= 4} a_p`` with
``cents_p = 20 p`` above F_MIN, ``f0 = F_MIN * 2 ** (cents / 1200)``, ``confidence = max_p a_p``.
Optional Viterbi smoothing over bins (transition cost growing with the jump) before the local
average.

The packaged weights (``ddsp_train/pitch/weights/pitch_network.npz``, the trained
layers only: the front end is rebuilt from its formula) are read from the package
(:func:`packaged_file`); nothing is downloaded. ``scripts/train_pitch_model.py`` trains them.

Inference (:meth:`NetworkTracker.activations`) runs the model as a builtin-ops TFLite flatbuffer
of ``TFLITE_BATCH`` frames: for the packaged weights the packaged ``pitch_network.tflite`` (built
by ``scripts/build_pitch_tflite.py``, so tracking needs no TensorFlow), for other weights one
converted once per process (:func:`build_tflite`); it runs on
LiteRT's XNNPACK kernels: about twice TensorFlow's frames per second per core on this CPU, the
same activations to ~1e-5. Interpreters are lent from a pool, one per concurrent caller (one
kernel thread for worker threads, as ddsp-prepare's Beam threads already fill the cores; all
cores for the main thread). Without LiteRT it falls back to a TensorFlow function.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import pathlib
import threading

import numpy as np

from ddsp_train import features
from ddsp_train.errors import UserError
from ddsp_train.pitch import FILL_REACH_SECS, fill_unvoiced, register_tracker

MODEL_SAMPLE_RATE = 16000
FRAME_SIZE = 1024
F_MIN = 30.0  # Hz, pitch bin 0
BINS_PER_OCTAVE = 60  # 20 cents
CENTS_PER_BIN = 1200 // BINS_PER_OCTAVE
N_BINS = 366  # 30 Hz .. 2073 Hz
HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7, 8)
HARMONIC_OFFSETS = tuple(int(round(BINS_PER_OCTAVE * math.log2(h))) for h in HARMONICS)
SPEC_OFFSET = -min(HARMONIC_OFFSETS)  # spectrum bin of pitch bin 0 (60: 15 Hz is spectrum bin 0)
N_SPEC = N_BINS + SPEC_OFFSET + max(HARMONIC_OFFSETS)  # spectrum bins the stack reads
FLOOR_DB = 80.0
LOCAL_AVERAGE_RADIUS = 4  # bins either side of the peak
VOICED_CONFIDENCE = 0.5  # frames below are unvoiced: their f0 is filled from voiced neighbours
WEIGHTS_FILE = "pitch_network.npz"
#: The packaged weights' inference model as a builtin-ops TFLite flatbuffer (built from WEIGHTS_FILE).
TFLITE_FILE = "pitch_network.tflite"


def bin_frequencies() -> np.ndarray:
    """Pitch bin centre frequencies in Hz: ``F_MIN * 2 ** (p / 60)``, p = 0..N_BINS-1."""
    return F_MIN * 2.0 ** (np.arange(N_BINS) / BINS_PER_OCTAVE)


def hz_to_bin(f0_hz):
    """Fractional pitch bin of a frequency: ``60 * log2(f / F_MIN)``."""
    return BINS_PER_OCTAVE * np.log2(np.maximum(np.asarray(f0_hz, np.float64), 1e-6) / F_MIN)


def _kernel_columns(freqs: np.ndarray, *, start: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine kernels ``[1024, n]`` with Hann windows of length ``min(span, 172 sr / f)``
    centred in samples ``start .. start + span`` of the frame, each normalised to sum 1."""
    n = np.arange(FRAME_SIZE) - (FRAME_SIZE - 1) / 2
    cols_c, cols_s = [], []
    for f in freqs:
        length = min(span, int(math.ceil(172.0 * MODEL_SAMPLE_RATE / f)))
        w = np.zeros(FRAME_SIZE)
        first = start + (span - length) // 2
        w[first:first + length] = np.hanning(length + 2)[1:-1]
        w /= w.sum()
        arg = 2 * np.pi * f * n / MODEL_SAMPLE_RATE
        cols_c.append(w * np.cos(arg))
        cols_s.append(w * np.sin(arg))
    return np.stack(cols_c, 1), np.stack(cols_s, 1)


@functools.lru_cache(maxsize=None)
def front_end_kernels(temporal: bool = False) -> np.ndarray:
    """The fixed front end as one matrix ``[1024, 2 * n_live * (3 if temporal else 1)]``.

    Columns ``j`` and ``n_live + j`` are ``w_j[n] cos(2 pi g_j (n - 511.5) / sr) / sum(w_j)`` and
    the sine, for the spectrum bins below 8 kHz (``n_live`` of them, see module doc). With
    ``temporal`` the same pairs follow for windows inside the first and the second half of the
    frame (length ``min(512, 172 sr / g_j)``): early and late spectra.
    """
    j = np.arange(N_SPEC)
    freqs = F_MIN * 2.0 ** ((j - SPEC_OFFSET) / BINS_PER_OCTAVE)
    freqs = freqs[freqs < MODEL_SAMPLE_RATE / 2]
    parts = list(_kernel_columns(freqs, start=0, span=FRAME_SIZE))
    if temporal:
        half = FRAME_SIZE // 2
        parts += list(_kernel_columns(freqs, start=0, span=half)) + list(_kernel_columns(freqs, start=half, span=half))
    return np.concatenate(parts, 1).astype(np.float32)


#: Architecture of the first weights (width 32, no temporal channels, two convolutions after the
#: octave layer); files without a ``config`` entry are read with it.
LEGACY_CONFIG = (32, 0, 2)
#: (width, temporal, depth) of new models.
DEFAULT_CONFIG = (24, 1, 1)
TEMPORAL_RANGE_DB = 30.0


def build_model(*, width: int = DEFAULT_CONFIG[0], temporal: bool = bool(DEFAULT_CONFIG[1]),
                depth: int = DEFAULT_CONFIG[2]):
    """The Keras model: ``[batch, 1024]`` audio frames at 16 kHz -> ``[batch, N_BINS]`` logits.

    ``temporal`` adds, per spectrum bin, ``d_j = clip(late_dB - early_dB, +-30) / 30 * s_j``
    (does the partial grow or decay across the frame: a new note against the previous one's
    release), harmonic-stacked like ``s``; ``depth`` is the number of width-5 convolutions after
    the octave layer.
    """
    import keras
    from keras import layers, ops

    kernels = front_end_kernels(bool(temporal))
    n_live = kernels.shape[1] // (6 if temporal else 2)

    frames = keras.Input((FRAME_SIZE,), name="audio")
    # The fixed front end is frozen Dense layers (plain matmuls in every backend and in TFLite).
    # The early / late kernels are zero outside their half frame, so each reads only its half.
    half = FRAME_SIZE // 2
    spec = layers.Dense(2 * n_live, use_bias=False, trainable=False, name="front_end")(frames)
    if temporal:
        early = layers.Dense(2 * n_live, use_bias=False, trainable=False, name="front_end_early")(frames[:, :half])
        late = layers.Dense(2 * n_live, use_bias=False, trainable=False, name="front_end_late")(frames[:, half:])
        spec = layers.Concatenate(name="front_end_all")([spec, early, late])

    def power_db(x, part):
        re, im = x[:, 2 * part * n_live:(2 * part + 1) * n_live], x[:, (2 * part + 1) * n_live:(2 * part + 2) * n_live]
        return 10.0 * ops.log(re * re + im * im + 1e-14) / math.log(10.0)

    def log_spectrum(x):
        db = power_db(x, 0)
        db = db - ops.max(db, axis=1, keepdims=True)
        s = ops.maximum(db, -FLOOR_DB) / FLOOR_DB + 1.0
        channels = [s]
        if temporal:
            d = ops.clip(power_db(x, 2) - power_db(x, 1), -TEMPORAL_RANGE_DB, TEMPORAL_RANGE_DB)
            channels.append(d / TEMPORAL_RANGE_DB * s)
        return ops.stack([ops.pad(c, [[0, 0], [0, N_SPEC - n_live]]) for c in channels], axis=-1)

    def stack(s):
        cols = [s[:, SPEC_OFFSET + o: SPEC_OFFSET + o + N_BINS, :] for o in HARMONIC_OFFSETS]
        return ops.concatenate(cols, axis=-1)

    x = layers.Lambda(log_spectrum, name="log_spectrum")(spec)
    x = layers.Lambda(stack, name="harmonic_stack")(x)
    x = layers.Conv1D(width, 5, padding="same", activation="relu", name="conv1")(x)
    x = layers.Conv1D(width, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.Conv1D(width, 3, padding="same", dilation_rate=BINS_PER_OCTAVE, activation="relu",
                      name="conv_octave")(x)
    for i in range(depth):
        x = layers.Conv1D(width, 5, padding="same", activation="relu", name=f"conv{4 + i}")(x)
    x = layers.Conv1D(1, 1, name="logits")(x)
    logits = layers.Reshape((N_BINS,), name="flatten")(x)
    model = keras.Model(frames, logits, name="pitch_network")
    model.get_layer("front_end").set_weights([kernels[:, :2 * n_live]])
    if temporal:
        model.get_layer("front_end_early").set_weights([kernels[:half, 2 * n_live:4 * n_live]])
        model.get_layer("front_end_late").set_weights([kernels[half:, 4 * n_live:]])
    model.pitch_config = (int(width), int(bool(temporal)), int(depth))
    return model


def packaged_file(name: str):
    """A context manager giving the packaged file ``weights/name`` as a real path: the file beside
    this module when the package is installed as files (no ``importlib.resources`` import, ~15 ms
    of start-up), else through ``importlib.resources`` (e.g. a zipped install)."""
    path = pathlib.Path(__file__).resolve().with_name("weights") / name
    if path.is_file():
        return contextlib.nullcontext(path)
    import importlib.resources

    return importlib.resources.as_file(importlib.resources.files("ddsp_train.pitch").joinpath("weights", name))


def packaged_weights_path():
    """A context manager giving the packaged weights file (:data:`WEIGHTS_FILE`) as a real path."""
    return packaged_file(WEIGHTS_FILE)


def trained_layers(model) -> list:
    """The layers whose weights are learned (everything but the fixed front end)."""
    return [layer for layer in model.layers if layer.weights and not layer.name.startswith("front_end")]


def save_weights(model, path: str | os.PathLike) -> None:
    """Write the trained layers' weights to an ``.npz`` (keys ``layer/index``) plus the layout."""
    arrays = {f"{layer.name}/{i}": w for layer in trained_layers(model)
              for i, w in enumerate(layer.get_weights())}
    arrays["layout"] = np.array([N_BINS, BINS_PER_OCTAVE, FRAME_SIZE, MODEL_SAMPLE_RATE], np.int64)
    arrays["config"] = np.array(model.pitch_config, np.int64)
    tmp = f"{os.fspath(path)}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def weights_config(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(width, temporal, depth)`` of a weights file (:data:`LEGACY_CONFIG` if it has none)."""
    with np.load(path) as data:
        layout = [N_BINS, BINS_PER_OCTAVE, FRAME_SIZE, MODEL_SAMPLE_RATE]
        if "layout" not in data or list(data["layout"]) != layout:
            raise UserError(f"{path} is not a pitch-network weights file for this version "
                            f"(layout {list(data['layout']) if 'layout' in data else None}, expected {layout})")
        return tuple(int(v) for v in data["config"]) if "config" in data else LEGACY_CONFIG


def set_weights(model, path: str | os.PathLike) -> None:
    """Load an ``.npz`` written by :func:`save_weights` into ``model`` (of the same config)."""
    config = weights_config(path)
    if tuple(model.pitch_config) != config:
        raise UserError(f"{path} holds a network of config {config}, the model is {model.pitch_config}")
    with np.load(path) as data:
        for layer in trained_layers(model):
            layer.set_weights([data[f"{layer.name}/{i}"] for i in range(len(layer.weights))])


def load_model(weights_path: str | os.PathLike | None = None):
    """Build the model described by ``weights_path`` (default: the packaged weights) and load it."""
    with contextlib.ExitStack() as stack:
        if weights_path is None:
            weights_path = stack.enter_context(packaged_weights_path())
            if not weights_path.exists():
                raise UserError(f"the packaged pitch-network weights are missing ({weights_path}); "
                                "reinstall ddsp-train or use --f0-method pyin")
        width, temporal, depth = weights_config(weights_path)
        model = build_model(width=width, temporal=bool(temporal), depth=depth)
        set_weights(model, weights_path)
    return model


def local_average_f0(activation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``[n, N_BINS]`` activations: local weighted average of bin cents around the argmax.

    ``f0 = F_MIN * 2 ** (c / 1200)`` with ``c = sum a_p 20 p / sum a_p`` over ``|p - argmax| <= 4``;
    ``confidence = max_p a_p``.
    """
    return _decode_around(activation, np.argmax(activation, axis=1))


def _decode_around(activation: np.ndarray, centre: np.ndarray):
    n = activation.shape[0]
    offsets = np.arange(-LOCAL_AVERAGE_RADIUS, LOCAL_AVERAGE_RADIUS + 1)
    idx = np.clip(centre[:, None] + offsets[None, :], 0, N_BINS - 1)
    valid = (centre[:, None] + offsets[None, :] >= 0) & (centre[:, None] + offsets[None, :] < N_BINS)
    w = activation[np.arange(n)[:, None], idx] * valid
    cents = (w * idx * CENTS_PER_BIN).sum(1) / np.maximum(w.sum(1), 1e-12)
    f0 = F_MIN * 2.0 ** (cents / 1200.0)
    return f0.astype(np.float32), activation.max(axis=1).astype(np.float32)


def viterbi_path(activation: np.ndarray, *, max_jump_bins: int = 30, jump_cost: float = 0.1) -> np.ndarray:
    """Most likely bin path: maximise ``sum_t log(a_t[p_t] + 1e-4) - jump_cost * |p_t - p_{t-1}|``.

    Jumps larger than ``max_jump_bins`` are forbidden (except through the frame's own argmax,
    so a new note can always start). Dynamic programming over bins, O(frames * bins * jump).
    """
    n = activation.shape[0]
    if n == 0:
        return np.zeros(0, int)
    emit = np.log(activation.astype(np.float64) + 1e-4)
    score = emit[0].copy()
    back = np.zeros((n, N_BINS), np.int32)
    bins = np.arange(N_BINS)
    for t in range(1, n):
        best = np.full(N_BINS, -np.inf)
        arg = np.zeros(N_BINS, np.int32)
        for d in range(-max_jump_bins, max_jump_bins + 1):
            src = bins - d
            ok = (src >= 0) & (src < N_BINS)
            cand = np.full(N_BINS, -np.inf)
            cand[ok] = score[src[ok]] - jump_cost * abs(d)
            better = cand > best
            best[better] = cand[better]
            arg[better] = src[better]
        # A free restart from the best previous state at a fixed cost (note changes, octave leaps).
        restart = score.max() - jump_cost * max_jump_bins
        use = restart > best
        best[use] = restart
        arg[use] = int(score.argmax())
        score = best + emit[t]
        back[t] = arg
    path = np.zeros(n, int)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def frame_audio(audio_16k: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Frames ``[n, 1024]`` centred at ``centres`` (samples ``c - 512 .. c + 511``), zero-padded."""
    half = FRAME_SIZE // 2
    padded = np.pad(np.asarray(audio_16k, np.float32), (half, half + FRAME_SIZE))
    view = np.lib.stride_tricks.sliding_window_view(padded, FRAME_SIZE)
    return view[np.asarray(centres, int)]


class NetworkTracker:
    """The network as an f0 tracker on the package's frame grid, or on frames given directly.

    ``track(audio, sample_rate=, frame_rate=)`` follows the tracker interface of
    :mod:`ddsp_train.pitch` (frame k centred at sample ``k * hop``, ``n_samples // hop + 1``
    frames; f0 of frames with confidence < ``VOICED_CONFIDENCE`` filled by ``fill_unvoiced``).
    ``track_frames(frames)`` takes ``[n, 1024]`` frames at 16 kHz as they are (e.g. the last
    1024 samples, causally, as the plugin does) and returns the raw decoded f0 and confidence.
    """

    name = "network"
    voiced_threshold = VOICED_CONFIDENCE

    def __init__(self, *, weights_path: str | os.PathLike | None = None, viterbi: bool = False,
                 batch_size: int = 128, use_tflite: bool = True):
        self.viterbi = viterbi
        self.batch_size = batch_size
        self.use_tflite = use_tflite  # False: the Keras model through TensorFlow (the reference)
        self._weights_path = None if weights_path is None else os.fspath(weights_path)

    @property
    def model(self):
        """The Keras model (built, with TensorFlow, on first use: inference does not need it)."""
        return _cached_model(self._weights_path)[0]

    def activations(self, frames: np.ndarray) -> np.ndarray:
        """Sigmoid activations ``[n, N_BINS]`` for frames ``[n, 1024]`` at 16 kHz."""
        frames = np.asarray(frames, np.float32).reshape(-1, FRAME_SIZE)
        with _interpreter(self._weights_path, enabled=self.use_tflite) as interpreter:
            if interpreter is None:
                infer = _cached_model(self._weights_path)[1]
                out = [infer(frames[i:i + self.batch_size]).numpy()
                       for i in range(0, len(frames), self.batch_size)]
            else:
                out = [interpreter(frames[i:i + TFLITE_BATCH]) for i in range(0, len(frames), TFLITE_BATCH)]
        return np.concatenate(out) if out else np.zeros((0, N_BINS), np.float32)

    def decode(self, activation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f0 in Hz and confidence from activations (local average, after Viterbi if enabled)."""
        if self.viterbi and len(activation):
            return _decode_around(activation, viterbi_path(activation))
        return local_average_f0(activation)

    def track_frames(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f0 (Hz) and confidence (0..1) of each ``[n, 1024]`` frame at 16 kHz, no filling."""
        return self.decode(self.activations(frames))

    def track(self, audio: np.ndarray, *, sample_rate: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """f0 (Hz) and confidence on the centred frame grid of ``audio`` (mono, any sample rate)."""
        audio = np.asarray(audio, np.float32)
        if audio.ndim != 1:
            raise UserError(f"the network tracker takes mono audio (1-D), got shape {audio.shape}")
        n_frames = features.n_frames(len(audio), sample_rate=sample_rate, frame_rate=frame_rate)
        if sample_rate != MODEL_SAMPLE_RATE:
            import soxr

            audio = soxr.resample(audio, sample_rate, MODEL_SAMPLE_RATE).astype(np.float32)
        centres = np.round(np.arange(n_frames) * MODEL_SAMPLE_RATE / frame_rate).astype(int)
        f0, confidence = self.track_frames(frame_audio(audio, centres))
        reach = int(round(FILL_REACH_SECS * frame_rate))
        return fill_unvoiced(f0, confidence >= VOICED_CONFIDENCE, reach=reach), confidence


_MODEL_LOCK = threading.RLock()


def _cached_model(weights_path: str | None):
    """The model with its weights and a compiled ``frames -> sigmoid(logits)`` function, built
    once per weights file and shared by the trackers of all threads."""
    with _MODEL_LOCK:
        return _build_cached(weights_path)


@functools.lru_cache(maxsize=4)
def _build_cached(weights_path: str | None):
    import tensorflow as tf

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


# TensorFlow runs its own thread pools: ddsp-prepare runs this tracker in threads of one process.
register_tracker("network", NetworkTracker, parallel="threads", voiced_threshold=VOICED_CONFIDENCE)
