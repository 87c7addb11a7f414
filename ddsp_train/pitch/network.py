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

Decoding (CREPE's local average, optional Viterbi): :mod:`ddsp_train.pitch.decoding`.

The packaged weights (``ddsp_train/pitch/weights/pitch_network.npz``, the trained
layers only: the front end is rebuilt from its formula) are read from the package
(:func:`packaged_file`); nothing is downloaded. ``scripts/train_pitch_model.py`` trains them.

Inference (:meth:`NetworkTracker.activations`) runs the packaged builtin-ops ``.tflite`` on
LiteRT, with no TensorFlow (:mod:`ddsp_train.pitch.inference`); the Keras model here is the
reference it is checked against and what training uses.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os

import numpy as np

from ddsp_train import features
from ddsp_train.errors import UserError
from ddsp_train.pitch import FILL_REACH_SECS, fill_unvoiced, register_tracker
from ddsp_train.pitch.decoding import (BINS_PER_OCTAVE, CENTS_PER_BIN, F_MIN, LOCAL_AVERAGE_RADIUS,  # noqa: F401
                                       N_BINS, decode_around, local_average_f0, viterbi_path)
from ddsp_train.pitch.inference import (TFLITE_BATCH, TFLITE_FILE, _cached_model, _interpreter,  # noqa: F401
                                        build_tflite, packaged_file, packaged_tflite_path)

MODEL_SAMPLE_RATE = 16000
FRAME_SIZE = 1024
HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7, 8)
HARMONIC_OFFSETS = tuple(int(round(BINS_PER_OCTAVE * math.log2(h))) for h in HARMONICS)
SPEC_OFFSET = -min(HARMONIC_OFFSETS)  # spectrum bin of pitch bin 0 (60: 15 Hz is spectrum bin 0)
N_SPEC = N_BINS + SPEC_OFFSET + max(HARMONIC_OFFSETS)  # spectrum bins the stack reads
FLOOR_DB = 80.0
VOICED_CONFIDENCE = 0.5  # frames below are unvoiced: their f0 is filled from voiced neighbours
WEIGHTS_FILE = "pitch_network.npz"


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
            return decode_around(activation, viterbi_path(activation))
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


# TensorFlow runs its own thread pools: ddsp-prepare runs this tracker in threads of one process.
register_tracker("network", NetworkTracker, parallel="threads", voiced_threshold=VOICED_CONFIDENCE)
