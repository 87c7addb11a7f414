"""Scores of an f0 tracker against exact labels (the pitch bench and the network's training).

- cents error ``c = 1200 log2(f0_est / f0_true)`` on voiced labelled frames;
- raw pitch accuracy ``RPA = mean(|c| <= 50)``;
- octave errors ``mean(min_k ||c| - 1200 k| <= 100, k = 1, 2)`` (an octave or two off);
- ROC AUC of the confidence, voiced labelled frames against unvoiced ones (Mann-Whitney:
  ``P(conf_voiced > conf_unvoiced) + P(equal) / 2``).
"""
from __future__ import annotations

import numpy as np


def cents_error(f0_est: np.ndarray, f0_true: np.ndarray) -> np.ndarray:
    """``1200 log2(f0_est / f0_true)``; estimates <= 0 count as 1e-6 Hz (a huge error)."""
    return 1200.0 * np.log2(np.maximum(np.asarray(f0_est, np.float64), 1e-6) / np.asarray(f0_true, np.float64))


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Mann-Whitney ROC AUC ``P(pos > neg) + P(pos == neg) / 2`` from average ranks; nan if a side is empty."""
    positive, negative = np.asarray(positive, np.float64), np.asarray(negative, np.float64)
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    values = np.concatenate([positive, negative])
    order = np.argsort(values, kind="mergesort")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(first + (counts - 1) / 2.0 + 1.0, counts)
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def pitch_scores(f0_est: np.ndarray, f0_true: np.ndarray) -> dict:
    """``rpa50``, ``octave_errors`` and ``median_abs_cents`` over frames with ``f0_true > 0``."""
    f0_true = np.asarray(f0_true)
    voiced = f0_true > 0
    c = np.abs(cents_error(np.asarray(f0_est)[voiced], f0_true[voiced]))
    if len(c) == 0:
        return {"rpa50": float("nan"), "octave_errors": float("nan"), "median_abs_cents": float("nan"), "frames": 0}
    octave = (np.abs(c - 1200) <= 100) | (np.abs(c - 2400) <= 100)
    return {"rpa50": float(np.mean(c <= 50)), "octave_errors": float(np.mean(octave)),
            "median_abs_cents": float(np.median(c)), "frames": int(len(c))}
