"""When a run is done: the convergence rule of ``ddsp-train --until-converged`` and the best eval.

The rule, over the evaluations so far ``(step_i, loss_i)``: let ``best(s) = min{loss_i : step_i <= s}``
and ``S`` the latest eval step. The run has converged when ``S >= window`` (a whole window has
been watched) and

    best(S - window) - best(S) < threshold * |best(S - window)|

i.e. over the last ``window`` steps the best eval loss improved by less than the fraction
``threshold`` of what it was. A noisy curve that keeps finding new lows goes on; a plateau, or
a curve that only gets worse, stops. No TensorFlow here.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

#: The default fraction: under 1 % better over a window is a plateau.
DEFAULT_THRESHOLD = 0.01
#: The default window, in evaluations (``window = DEFAULT_WINDOW_EVALS * eval_every`` steps).
DEFAULT_WINDOW_EVALS = 5


def best_so_far(curve: Sequence[tuple[int, float]], *, step: int) -> float:
    """``min{loss_i : step_i <= step}`` over finite losses (inf when there is none)."""
    losses = [loss for s, loss in curve if s <= step and math.isfinite(loss)]
    return min(losses) if losses else math.inf


def has_converged(curve: Sequence[tuple[int, float]], *, window: int, threshold: float) -> bool:
    """The rule of the module docstring on ``curve`` = ``[(step, eval loss), ...]``."""
    if window < 1 or not curve:
        return False
    latest = max(s for s, _ in curve)
    if latest < window:
        return False
    before, now = best_so_far(curve, step=latest - window), best_so_far(curve, step=latest)
    if not math.isfinite(before):
        return False
    return before - now < threshold * abs(before)


def best_eval(history: Iterable[Mapping], *, key: str = "loss", min_step: int = 1) -> Mapping | None:
    """The evaluation with the lowest finite ``key`` from step ``min_step`` on (the first of equals)."""
    best = None
    for entry in history:
        value = entry.get(key)
        if entry.get("step", -1) < min_step or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        if best is None or value < best[key]:
            best = entry
    return best


def curve_of(history: Iterable[Mapping], *, key: str = "loss") -> list[tuple[int, float]]:
    """``[(step, key)]`` of the evaluations in ``history`` that have a number for ``key``."""
    return [(int(e["step"]), float(e[key])) for e in history
            if isinstance(e.get(key), (int, float)) and "step" in e]
