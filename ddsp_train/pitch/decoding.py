"""Reading f0 off the pitch network's activations: its bin grid, CREPE's local average and Viterbi.

Pitch bin ``p`` has frequency ``F_MIN * 2 ** (p / 60)`` (20-cent bins from 30 Hz, :data:`N_BINS`
of them up to 2073 Hz). See :mod:`ddsp_train.pitch.network` for the network itself.
"""
from __future__ import annotations

import numpy as np

F_MIN = 30.0  # Hz, pitch bin 0
BINS_PER_OCTAVE = 60  # 20 cents
CENTS_PER_BIN = 1200 // BINS_PER_OCTAVE
N_BINS = 366  # 30 Hz .. 2073 Hz
LOCAL_AVERAGE_RADIUS = 4  # bins either side of the peak


def local_average_f0(activation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``[n, N_BINS]`` activations: local weighted average of bin cents around the argmax.

    ``f0 = F_MIN * 2 ** (c / 1200)`` with ``c = sum a_p 20 p / sum a_p`` over ``|p - argmax| <= 4``;
    ``confidence = max_p a_p``.
    """
    return decode_around(activation, np.argmax(activation, axis=1))


def decode_around(activation: np.ndarray, centre: np.ndarray):
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
