"""The DDSP paper's resynthesis metrics, as ddsp's ``ddsp/training/metrics.py`` defines them.

Per eval example (reference features from the dataset, resynthesis tracked again):

- **F0 L1** (MIDI units): ``mean |midi(f0_ref) - midi(f0_resynth)|`` over the frames whose
  reference confidence is ``>= confidence_threshold`` (ddsp: 0.85 for CREPE; here the threshold
  of the tracker that labelled the dataset). ``midi(0 Hz)`` counts as 0, as in ddsp (a frame the
  resynthesis leaves unvoiced is a large error). An example whose reference never reaches the
  threshold is discarded (ddsp's ``is_outlier`` of the ground truth).
- **F0 outlier ratio**: the share of the kept examples whose F0 L1 exceeds
  :data:`OUTLIER_MIDI_THRESHOLD` = 12 semitones (ddsp's ``OUTLIER_MIDI_THRESH``: an example off by
  more than an octave on average has no usable pitch). The reported F0 L1 is the mean over the
  examples that are not outliers, as in ddsp.
- **Loudness L1** (dB): ``mean |loudness_ref - loudness_resynth|`` over all frames of an example
  (ddsp's A-weighted loudness), averaged over the examples.

ddsp tracks with CREPE; this package uses its own tracker (the dataset's ``f0_method``).
No TensorFlow here.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

OUTLIER_MIDI_THRESHOLD = 12.0


def midi_or_zero(f0_hz: np.ndarray) -> np.ndarray:
    """``12 log2(f / 440) + 69`` for ``f > 0``, 0 where ``f <= 0`` (ddsp sets hz_to_midi's -inf to 0)."""
    f0_hz = np.asarray(f0_hz, np.float64)
    midi = np.zeros_like(f0_hz)
    voiced = f0_hz > 0
    midi[voiced] = 12.0 * np.log2(f0_hz[voiced] / 440.0) + 69.0
    return midi


def f0_l1_midi(*, f0_ref: np.ndarray, f0_resynth: np.ndarray, confidence: np.ndarray,
               threshold: float) -> float | None:
    """One example's ``mean |midi(f0_ref) - midi(f0_resynth)|`` over frames with
    ``confidence >= threshold``; None when no frame reaches it (the example is discarded)."""
    keep = np.asarray(confidence).reshape(-1) >= threshold
    if not keep.any():
        return None
    diff = np.abs(midi_or_zero(np.ravel(f0_ref)) - midi_or_zero(np.ravel(f0_resynth)))
    return float(np.mean(diff[keep]))


def loudness_l1_db(*, loudness_ref: np.ndarray, loudness_resynth: np.ndarray) -> float:
    """One example's ``mean |loudness_ref - loudness_resynth|`` in dB over all its frames."""
    return float(np.mean(np.abs(np.ravel(loudness_ref) - np.ravel(loudness_resynth))))


@dataclasses.dataclass(frozen=True)
class PaperMetrics:
    """The three figures over a set of examples (NaN when no example could be scored)."""

    f0_l1_midi: float
    f0_outlier_ratio: float
    loudness_l1_db: float
    f0_examples: int

    def as_dict(self) -> dict[str, float | int]:
        return dataclasses.asdict(self)


def summarise(*, f0_l1: Sequence[float | None], loudness_l1: Sequence[float],
              outlier_threshold: float = OUTLIER_MIDI_THRESHOLD) -> PaperMetrics:
    """Per-example figures -> :class:`PaperMetrics`: F0 L1 is the mean over the scored examples
    at or below ``outlier_threshold``; the outlier ratio is ``#(f0 L1 > threshold) / #scored``;
    discarded examples (None) count in neither; loudness L1 is the mean over all examples."""
    scored = np.asarray([x for x in f0_l1 if x is not None], np.float64)
    outlier = scored > outlier_threshold
    inliers = scored[~outlier]
    return PaperMetrics(
        f0_l1_midi=float(np.mean(inliers)) if len(inliers) else float("nan"),
        f0_outlier_ratio=float(np.mean(outlier)) if len(scored) else float("nan"),
        loudness_l1_db=float(np.mean(loudness_l1)) if len(loudness_l1) else float("nan"),
        f0_examples=int(len(scored)))
