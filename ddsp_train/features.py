"""The frame grid and the frame-wise loudness and power features.

Frame grid (docs/architecture.md): ``hop = sample_rate / frame_rate`` samples (an integer);
frame ``k`` is centred at sample ``k * hop``; a signal of ``n`` samples has ``n // hop + 1``
frames; frame-wise features pad the signal with zeros by half a window on each side.

Two level features share that grid:

- ``power_db`` (the DDSP-VST plugin's power input):
  ``power_db[k] = max(10 * log10(mean(frame_k ** 2)), -80)`` over a 1024-sample frame at
  16 kHz (64 ms). A full-scale sine reads ``10 log10(1/2) = -3.01`` dB.
- ``loudness_db`` (ddsp's A-weighted loudness, as ``ddsp.spectral_ops.compute_loudness`` with
  the ``n_fft=512``, centre padding and ``ref_db=0`` that ddsp's ``prepare_tfrecord`` uses):
  ``S_k = rfft(hann(n_fft) * frame_k)``, ``P_k = mean_f(|S_k(f)|^2 * 10 ** (A(f) / 10))``,
  ``loudness_db[k] = max(10 * log10(max(P_k, 1e-8)), -80)`` where ``A(f)`` is the A-weighting
  curve in dB (``librosa.A_weighting``, floored at -80 dB), the mean runs over the
  ``n_fft // 2 + 1`` bins and ``hann`` is the periodic Hann window.
"""
from __future__ import annotations

import functools

import numpy as np

from ddsp_train.dsp.scaling import DB_RANGE, power_to_db
from ddsp_train.errors import UserError

#: The plugin's power frame at its 16 kHz model rate.
POWER_FRAME_SIZE_16K = 1024
#: ddsp's loudness FFT size at 16 kHz (ddsp/training/data_preparation/prepare_tfrecord_lib.py).
LOUDNESS_N_FFT_16K = 512


def hop_size(*, sample_rate: int, frame_rate: float) -> int:
    """Samples between frame centres, ``sample_rate / frame_rate``; UserError if not an integer."""
    if sample_rate <= 0 or frame_rate <= 0:
        raise UserError(f"sample rate and frame rate must be positive, got {sample_rate} and {frame_rate}")
    hop = sample_rate / frame_rate
    if abs(hop - round(hop)) > 1e-9:
        raise UserError(
            f"the frame rate must divide the sample rate: {sample_rate} Hz / {frame_rate} Hz = {hop:g} "
            "samples per frame is not a whole number (e.g. 16000 Hz with 50, 100 or 250 frames/s)")
    return int(round(hop))


def n_frames(n_samples: int, *, sample_rate: int, frame_rate: float) -> int:
    """Frames on the centred grid for ``n_samples``: ``n_samples // hop + 1``."""
    return int(n_samples) // hop_size(sample_rate=sample_rate, frame_rate=frame_rate) + 1


def frame_signal(audio: np.ndarray, *, frame_size: int, hop: int) -> np.ndarray:
    """Centred frames ``[n // hop + 1, frame_size]`` of a 1-D signal zero-padded by
    ``frame_size // 2`` on each side: row ``k`` holds samples ``k*hop - frame_size//2`` to
    ``k*hop - frame_size//2 + frame_size - 1`` (a read-only strided view of the padded copy)."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"audio must be 1-D, got shape {audio.shape}")
    half = frame_size // 2
    count = len(audio) // hop + 1
    # Pad enough at the end that the last frame exists even when frame_size - half < hop.
    tail = max(frame_size - half, (count - 1) * hop + frame_size - half - len(audio))
    padded = np.pad(audio, (half, max(tail, 0)))
    view = np.lib.stride_tricks.sliding_window_view(padded, frame_size)[::hop]
    return view[:count]


def causal_frames(audio: np.ndarray, *, frame_size: int, hop: int) -> np.ndarray:
    """Frames ``[n // hop + 1, frame_size]``: row ``k`` holds samples ``k*hop - frame_size .. k*hop - 1``
    (the last ``frame_size`` samples before ``k * hop``, zeros before the start): the plugin's frames."""
    audio = np.asarray(audio, np.float32)
    count = len(audio) // hop + 1
    padded = np.concatenate([np.zeros(frame_size, np.float32), audio, np.zeros(hop, np.float32)])
    return np.lib.stride_tricks.sliding_window_view(padded, frame_size)[::hop][:count]


def frame_power_db(frames: np.ndarray) -> np.ndarray:
    """The plugin's power of each frame: ``max(10 * log10(mean(frame ** 2)), -80)`` over the last axis.

    Computed in float64 and returned as float32. A full-scale sine gives -3.01 dB, amplitude
    0.1 gives -23.01 dB, silence -80 dB.
    """
    frames = np.asarray(frames, np.float64)
    return power_to_db(np.mean(frames * frames, axis=-1)).astype(np.float32)


def default_power_frame_size(sample_rate: int) -> int:
    """``round(1024 * sample_rate / 16000)``: the plugin's 64 ms frame at ``sample_rate``."""
    return int(round(POWER_FRAME_SIZE_16K * sample_rate / 16000))


def compute_power_db(audio: np.ndarray, *, sample_rate: int, frame_rate: float,
                     frame_size: int | None = None) -> np.ndarray:
    """``power_db`` on the centred frame grid: :func:`frame_power_db` of each centred frame.

    ``frame_size`` defaults to :func:`default_power_frame_size` (1024 at 16 kHz). Returns
    float32 ``[n_frames(len(audio))]``.
    """
    hop = hop_size(sample_rate=sample_rate, frame_rate=frame_rate)
    frame_size = default_power_frame_size(sample_rate) if frame_size is None else int(frame_size)
    if frame_size <= 0:
        raise ValueError(f"frame_size must be positive, got {frame_size}")
    frames = frame_signal(np.asarray(audio, np.float32), frame_size=frame_size, hop=hop)
    # Blocks keep the float64 temporary small on long inputs.
    out = np.empty(len(frames), np.float32)
    for i in range(0, len(frames), 4096):
        out[i:i + 4096] = frame_power_db(frames[i:i + 4096])
    return out


#: The A-weighting's pole frequencies (Hz), as in IEC 61672-1 and ``librosa.A_weighting``.
A_WEIGHTING_POLES = (12194.217, 20.598997, 107.65265, 737.86223)


def a_weighting_db(freqs: np.ndarray, *, min_db: float = -DB_RANGE) -> np.ndarray:
    """``A(f) = max(2 + 20 log10(c1^2 f^4 / ((f^2 + c1^2)(f^2 + c2^2) sqrt((f^2 + c3^2)(f^2 + c4^2)))), min_db)``
    with ``c1..c4`` = :data:`A_WEIGHTING_POLES`: ``librosa.A_weighting`` term by term, without
    importing librosa (with scipy and numba, seconds of a worker's start-up)."""
    f_sq = np.asarray(freqs, np.float64) ** 2.0
    c = np.asarray(A_WEIGHTING_POLES) ** 2.0
    with np.errstate(divide="ignore"):  # A(0 Hz) = -inf, floored at min_db
        weights = 2.0 + 20.0 * (np.log10(c[0]) + 2 * np.log10(f_sq) - np.log10(f_sq + c[0]) - np.log10(f_sq + c[1])
                                - 0.5 * np.log10(f_sq + c[2]) - 0.5 * np.log10(f_sq + c[3]))
    return np.maximum(min_db, weights)


@functools.lru_cache(maxsize=16)
def _a_weighting_power(sample_rate: int, n_fft: int) -> np.ndarray:
    """``10 ** (A(f) / 10)`` at the rfft bin frequencies ``f = k * sample_rate / n_fft``."""
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    return (10.0 ** (a_weighting_db(freqs) / 10.0)).astype(np.float64)


def default_loudness_n_fft(sample_rate: int) -> int:
    """ddsp's 512-point FFT at 16 kHz, scaled to ``sample_rate`` (``round(512 * sr / 16000)``)."""
    return int(round(LOUDNESS_N_FFT_16K * sample_rate / 16000))


def compute_loudness_db(audio: np.ndarray, *, sample_rate: int, frame_rate: float,
                        n_fft: int | None = None) -> np.ndarray:
    """ddsp's A-weighted loudness in dB on the centred frame grid.

    ``loudness_db[k] = max(10 log10(max(mean_f(|rfft(hann * frame_k)|^2 * 10^(A(f)/10)), 1e-8)), -80)``
    with centred, zero-padded frames of ``n_fft`` samples (512 at 16 kHz, ddsp's
    ``prepare_tfrecord`` setting), the periodic Hann window, the A-weighting
    :func:`a_weighting_db` (floored at -80 dB) and ``ref_db = 0`` (ddsp >= 2.0). Returns float32 ``[n_frames(len(audio))]``.
    """
    hop = hop_size(sample_rate=sample_rate, frame_rate=frame_rate)
    n_fft = default_loudness_n_fft(sample_rate) if n_fft is None else int(n_fft)
    frames = frame_signal(np.asarray(audio, np.float32), frame_size=n_fft, hop=hop)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    weighting = _a_weighting_power(int(sample_rate), n_fft)
    out = np.empty(len(frames), np.float32)
    for i in range(0, len(frames), 2048):
        spectrum = np.fft.rfft(frames[i:i + 2048] * window, axis=-1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2) * weighting
        out[i:i + 2048] = power_to_db(power.mean(axis=-1), amin=10 ** (-DB_RANGE / 10))
    return out
