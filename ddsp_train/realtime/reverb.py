"""Reverb for the plugin model, whose ``.tflite`` holds no reverb.

``y = dry * x + wet * (x * h)`` (``*`` is convolution, the output keeps the input's length), with

- the **learned** response ``h`` that ddsp-export writes beside the model as ``NAME.reverb.wav``
  (mono float at the model's rate) when that file is there: it is the model's whole reverb, direct
  path included and divided by the export's level gain, so ``dry = 0, wet = 1`` gives exactly the
  full trained model (see :mod:`ddsp_train.exporting.calibration`);
- else a simple **room** (:func:`room_impulse_response`): dry at unity plus ``wet`` of a tail.
"""
from __future__ import annotations

import os
import pathlib

import numpy as np

from ddsp_train import contract
from ddsp_train.errors import UserError

#: Suffix of the learned impulse response beside ``NAME.tflite``.
REVERB_SUFFIX = contract.REVERB_SUFFIX
#: The room's decay time (60 dB, seconds) and wet gain.
ROOM_SECONDS = 1.0
ROOM_WET = 0.25


def room_impulse_response(*, sample_rate: int, seconds: float = ROOM_SECONDS, seed: int = 0) -> np.ndarray:
    """``h[n] = g * e[n] * 10 ** (-3 n / (seconds * sr))`` for ``n >= 1``, ``h[0] = 0`` (the direct
    sound is the dry path): white noise ``e`` decaying by 60 dB over ``seconds``, ``g`` normalising
    ``sum h^2`` to 1."""
    n = max(2, int(seconds * sample_rate))
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(n) * 10.0 ** (-3.0 * np.arange(n) / n)
    h[0] = 0.0
    return h / np.sqrt(np.sum(h * h))


def add_reverb(audio: np.ndarray, impulse_response: np.ndarray, *, wet: float = 1.0, dry: float = 1.0) -> np.ndarray:
    """``dry * x + wet * (x * h)`` (FFT convolution), the input's length."""
    x = np.asarray(audio, np.float64)
    h = np.asarray(impulse_response, np.float64).ravel()
    if len(x) == 0 or len(h) == 0 or wet == 0:
        return (dry * x).astype(np.float32)
    size = 1 << int(np.ceil(np.log2(len(x) + len(h) - 1)))
    reverberated = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]
    return (dry * x + wet * reverberated).astype(np.float32)


def room_reverb(audio: np.ndarray, *, sample_rate: int, seconds: float = ROOM_SECONDS, wet: float = ROOM_WET,
                seed: int = 0) -> np.ndarray:
    """:func:`add_reverb` with :func:`room_impulse_response`: ``x + wet * (x * h)``."""
    return add_reverb(audio, room_impulse_response(sample_rate=sample_rate, seconds=seconds, seed=seed), wet=wet)


def learned_reverb_path(model_path: str | os.PathLike) -> pathlib.Path:
    """``NAME.reverb.wav`` beside ``NAME.tflite``."""
    path = pathlib.Path(model_path)
    return path.with_name(path.stem + REVERB_SUFFIX)


def read_impulse_response(path: str | os.PathLike, *, sample_rate: int) -> np.ndarray:
    """The mono impulse response in ``path`` at ``sample_rate`` (channels averaged, resampled if
    the file's rate differs); UserError naming the file when it is not usable."""
    import soundfile as sf

    from ddsp_train import audio as audio_lib

    try:
        h, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 - libsndfile says why in its message
        raise UserError(f"learned reverb {path} is not readable audio ({e}); re-export the model or pass "
                        "--no-reverb") from None
    h = h.mean(axis=1)
    if len(h) == 0 or not np.all(np.isfinite(h)):
        raise UserError(f"learned reverb {path} is empty or not finite; re-export the model or pass --no-reverb")
    return audio_lib.resample(h, rate_in=int(rate), rate_out=int(sample_rate))
