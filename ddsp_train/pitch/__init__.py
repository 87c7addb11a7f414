"""f0 trackers behind one interface, and a registry to pick them by name.

A tracker has ``track(audio, *, sample_rate, frame_rate) -> (f0_hz, confidence)``: float32
arrays of ``n_frames(len(audio))`` values on the centred frame grid (frame ``k`` centred at
sample ``k * sample_rate / frame_rate``), confidence in 0..1. On unvoiced frames the
confidence is near 0 and f0 is filled by :func:`fill_unvoiced` (interpolated or held from
nearby voiced frames, so it does not jump). Trackers resample internally to the rate they need.

Registered: ``yin`` (fast, ours), ``pyin`` (librosa's probabilistic YIN with Viterbi
smoothing); ``network`` (ours, the default; figures: scripts/bench_pitch.py) registers itself
from :mod:`ddsp_train.pitch.network` when that module exists (it is imported lazily the first time the registry is used).
"""
from __future__ import annotations

import importlib
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from ddsp_train.errors import UserError

DEFAULT_F0_METHOD = "network"

#: How far (in seconds) :func:`fill_unvoiced` looks for a voiced frame. Features of a frame
#: depend only on audio within this distance (plus the trackers' own windows), which lets the
#: data pipeline compute long files in overlapping chunks with identical results.
FILL_REACH_SECS = 2.0


@runtime_checkable
class PitchTracker(Protocol):
    """What every f0 tracker provides."""

    name: str

    def track(self, audio: np.ndarray, *, sample_rate: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """``(f0_hz, confidence)``, float32 ``[n_frames]`` each, on the centred frame grid."""
        ...


_FACTORIES: dict[str, Callable[[], PitchTracker]] = {}
_OPTIONAL_MODULES = ("ddsp_train.pitch.network",)
_optional_loaded = False
#: How the data pipeline runs a tracker in parallel on one machine: "processes" (one Python
#: process per worker: numpy/librosa trackers, which hold the GIL) or "threads" (one process:
#: the network, whose LiteRT kernels and numpy FFTs run outside the GIL, one interpreter per
#: thread; no process to start).
_PARALLEL: dict[str, str] = {"network": "threads"}
#: Confidence from which a frame counts as voiced, per tracker (default 0.5).
_VOICED_THRESHOLD: dict[str, float] = {"yin": 0.75, "pyin": 0.5}


def register_tracker(name: str, factory: Callable[[], PitchTracker], *, parallel: str | None = None,
                     voiced_threshold: float | None = None) -> None:
    """Make ``get_tracker(name)`` return ``factory()``; a later registration replaces an earlier one.

    ``parallel`` ("processes" or "threads") and ``voiced_threshold`` are kept when given; see
    :func:`tracker_parallel` and :func:`tracker_voiced_threshold`.
    """
    if parallel not in (None, "processes", "threads"):
        raise ValueError(f"parallel must be 'processes' or 'threads', got {parallel!r}")
    _FACTORIES[name] = factory
    if parallel is not None:
        _PARALLEL[name] = parallel
    if voiced_threshold is not None:
        _VOICED_THRESHOLD[name] = float(voiced_threshold)


def check_tracker(name: str) -> None:
    """UserError naming the choices unless ``name`` is registered (without building the tracker)."""
    if name not in _FACTORIES:
        _load_optional()
    if name not in _FACTORIES:
        raise UserError(f"unknown f0 method {name!r}; available: {', '.join(available_trackers())}")


def tracker_parallel(name: str) -> str:
    """"processes" or "threads": how to run tracker ``name`` in parallel (see :data:`_PARALLEL`)."""
    return _PARALLEL.get(name, "processes")


def tracker_voiced_threshold(name: str) -> float:
    """The confidence from which tracker ``name`` calls a frame voiced (0.5 unless registered)."""
    return _VOICED_THRESHOLD.get(name, getattr(_FACTORIES.get(name), "voiced_threshold", 0.5))


def _load_optional() -> None:
    """Import the optional tracker modules once, so that they can register themselves."""
    global _optional_loaded
    if _optional_loaded:
        return
    _optional_loaded = True
    for module in _OPTIONAL_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:  # the module exists but something it needs is missing: a bug
                raise


def available_trackers() -> list[str]:
    """Names accepted by :func:`get_tracker`, sorted."""
    _load_optional()
    return sorted(_FACTORIES)


def get_tracker(name: str) -> PitchTracker:
    """A new tracker instance registered under ``name``; UserError naming the choices otherwise.

    The optional modules (``network``) are imported only when ``name`` is not registered yet,
    so asking for ``yin`` or ``pyin`` never pays for their imports."""
    check_tracker(name)
    return _FACTORIES[name]()


def fit_length(x: np.ndarray, length: int) -> np.ndarray:
    """Trim ``x`` to ``length`` or extend it by repeating its last value (for off-by-one grids)."""
    x = np.asarray(x)
    if len(x) >= length:
        return x[:length]
    if len(x) == 0:
        return np.zeros(length, x.dtype)
    return np.concatenate([x, np.full(length - len(x), x[-1], x.dtype)])


def fill_unvoiced(f0_hz: np.ndarray, voiced: np.ndarray, *, reach: int) -> np.ndarray:
    """Replace f0 on unvoiced frames using only voiced frames at most ``reach`` frames away.

    Rule, per unvoiced frame ``i`` with nearest voiced frames ``l < i < r``:
    both within ``reach``: interpolate linearly in log-frequency between ``f0[l]`` and ``f0[r]``;
    only one within ``reach``: hold its f0; none: keep the tracker's own estimate (the
    Viterbi-smoothed best guess for pyin, the raw estimate for yin). Voiced frames are unchanged.
    """
    f0 = np.asarray(f0_hz, np.float64).copy()
    voiced = np.asarray(voiced, bool) & np.isfinite(f0) & (f0 > 0)
    n = len(f0)
    if n == 0 or voiced.all():
        return f0.astype(np.float32)
    idx = np.arange(n)
    pos = np.where(voiced, idx, -1)
    left = np.maximum.accumulate(pos)  # nearest voiced at or before i (-1 if none)
    pos_r = np.where(voiced, idx, n)
    right = np.minimum.accumulate(pos_r[::-1])[::-1]  # nearest voiced at or after i (n if none)
    has_l = (left >= 0) & (idx - left <= reach)
    has_r = (right < n) & (right - idx <= reach)
    logf = np.log(np.where(voiced, f0, 1.0))
    lf = logf[np.clip(left, 0, n - 1)]
    rf = logf[np.clip(right, 0, n - 1)]
    both = ~voiced & has_l & has_r
    w = np.where(both, (idx - left) / np.maximum(right - left, 1), 0.0)
    f0[both] = np.exp(lf[both] + w[both] * (rf[both] - lf[both]))
    only_l = ~voiced & has_l & ~has_r
    f0[only_l] = np.exp(lf[only_l])
    only_r = ~voiced & has_r & ~has_l
    f0[only_r] = np.exp(rf[only_r])
    bad = ~np.isfinite(f0) | (f0 <= 0)
    f0[bad] = 0.0
    return f0.astype(np.float32)


def _yin_factory() -> PitchTracker:
    from ddsp_train.pitch.yin import YinTracker

    return YinTracker()


def _pyin_factory() -> PitchTracker:
    from ddsp_train.pitch.pyin import PyinTracker

    return PyinTracker()


register_tracker("yin", _yin_factory)
register_tracker("pyin", _pyin_factory)
