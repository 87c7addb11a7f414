"""Reverberation: the decay time of the recording's fastest free decays.

A room rings every note out with its own decay; an instrument can decay more slowly than the
room (a held piano note) but never faster. So the fastest decays bound the room's reverb:

1. Level ``L`` in dB of 50 ms frames every 10 ms (``10 log10(mean(x^2))``, floored at -100 dB;
   50 ms smooths the frame-to-frame flicker of a noise-like reverb tail).
2. A *free decay* starts at a frame that is the loudest within +-``PEAK_SECS`` and at least
   ``drop_db + 5`` dB above the recording's quiet level (its 5th percentile). It runs to the
   first frame ``drop_db`` (20 dB) below the start, provided the level never rises more than
   ``RISE_DB`` above its running minimum on the way (no new note) and it takes at most
   ``MAX_DECAY_SECS``. When fewer than ``MIN_DECAYS`` fall by 20 dB (a wet take: the next note
   comes before the tail has fallen that far), decays of ``SHORT_DROP_DB`` (10 dB) are used.
3. Its decay time ``T60 = 60 / slope``, the slope (dB/s) fitted by least squares to the levels
   from 3 dB to ``drop_db`` below the start (like a room's T20 read off a measured decay).
4. The recording's decay time is the ``QUANTILE``-th percentile (25 %) of its decays' T60 (the
   fast ones); ``None`` with fewer than ``MIN_DECAYS`` decays (legato playing without stops).

A dry recording reads a few tenths of a second (the instruments' own release); a wet hall 2 s
and more.
"""
from __future__ import annotations

import dataclasses

import numpy as np

FRAME_SECS = 0.05
HOP_SECS = 0.01
PEAK_SECS = 0.05
RISE_DB = 4.0
SHORT_DROP_DB = 10.0
MAX_DECAY_SECS = 4.0
QUANTILE = 25
MIN_DECAYS = 2


@dataclasses.dataclass(frozen=True)
class Decay:
    """The T60 (s) of each free decay found, and their ``QUANTILE``-th percentile (None if too few)."""

    t60s: tuple[float, ...]

    @property
    def seconds(self) -> float | None:
        if len(self.t60s) < MIN_DECAYS:
            return None
        return float(np.percentile(self.t60s, QUANTILE))


def level_db(audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """Step 1: the level of 20 ms frames every 10 ms, dB."""
    frame, hop = int(round(FRAME_SECS * sample_rate)), int(round(HOP_SECS * sample_rate))
    x = np.asarray(audio, np.float64)
    if len(x) < frame:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    return 10 * np.log10(np.maximum(np.mean(frames ** 2, axis=1), 1e-10))


def free_decays(level: np.ndarray, *, frame_rate: float = 1 / HOP_SECS, drop_db: float = 20.0) -> list[float]:
    """Steps 2 and 3: the T60 of every free decay of a level curve (dB at ``frame_rate``)."""
    if len(level) < 3:
        return []
    reach = max(1, int(round(PEAK_SECS * frame_rate)))
    longest = int(MAX_DECAY_SECS * frame_rate)
    quiet = float(np.percentile(level, 5))
    padded = np.pad(level, reach, constant_values=-np.inf)
    local_max = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).max(axis=1)
    starts = np.flatnonzero((level >= local_max) & (level >= quiet + drop_db + 5))
    t60s = []
    for s in starts:
        segment = level[s: s + longest]
        below = np.flatnonzero(segment <= segment[0] - drop_db)
        if below.size == 0:
            continue
        segment = segment[: below[0] + 1]
        if np.any(segment - np.minimum.accumulate(segment) > RISE_DB):
            continue
        fit = segment <= segment[0] - 3
        if fit.sum() < 3:
            continue
        t = np.flatnonzero(fit) / frame_rate
        slope = np.polyfit(t, segment[fit], 1)[0]
        if slope < 0:
            t60s.append(float(-60.0 / slope))
    return t60s


def estimate_decay(audio: np.ndarray, *, sample_rate: int) -> Decay:
    """:class:`Decay` of a mono recording (module docstring)."""
    level = level_db(audio, sample_rate=sample_rate)
    t60s = free_decays(level)
    if len(t60s) < MIN_DECAYS:
        t60s = free_decays(level, drop_db=SHORT_DROP_DB)
    return Decay(t60s=tuple(t60s))
