"""The train/eval split policy (:data:`SPLIT_RULE`), and the note when it cannot keep the fraction.

Several recordings are split by recording (:func:`split_files`), so no eval example shares a
take with a training one. A single recording is cut in time (:func:`time_split`): eval gets the
last ``eval_fraction`` of it; when that is shorter than one example, everything goes to train
(README, "With a single recording ...").
"""
from __future__ import annotations

import dataclasses
import hashlib

SPLIT_RULE = ("by recording: distinct file contents ordered by sha256(f'{seed}:{sha256 of the file}'), eval takes, "
              "in that order, each one that still fits within eval_fraction of the audio; if none fits, the shortest "
              "(the first of equals in that order); never all; a single "
              "recording is cut in time at (1 - eval_fraction) of its length on the hop grid, examples never "
              "cross the cut; all train when the eval side would be shorter than one example")
#: The README section on how much audio to give.
AUDIO_ADVICE = 'README.md, "What audio, and how much"'


@dataclasses.dataclass(frozen=True)
class Region:
    """A stretch ``[start, stop)`` (output samples) of one recording that goes to one split."""

    split: str
    start: int
    stop: int


def split_files(digests: list[str], seconds: list[float], *, eval_fraction: float, seed: int) -> list[str]:
    """Split per recording (:data:`SPLIT_RULE`): distinct contents in ``sha256(seed:digest)`` order; eval
    takes each that still fits within ``eval_fraction`` of the audio, or else the shortest one, and
    never all of them. Identical copies go together."""
    splits = ["train"] * len(digests)
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(digests):
        groups.setdefault(d, []).append(i)
    if eval_fraction <= 0 or len(groups) < 2:
        return splits
    order = sorted(groups, key=lambda d: hashlib.sha256(f"{seed}:{d}".encode()).hexdigest())
    length = {d: sum(seconds[i] for i in groups[d]) for d in order}
    target = eval_fraction * sum(seconds)
    chosen, taken = [], 0.0
    for d in order:
        if taken + length[d] <= target and len(chosen) < len(order) - 1:
            chosen.append(d)
            taken += length[d]
    if not chosen:
        chosen = [min(order, key=lambda d: length[d])]  # min keeps the first of equals
    for d in chosen:
        for i in groups[d]:
            splits[i] = "eval"
    return splits


def time_split(n_samples: int, *, eval_fraction: float, example_samples: int, hop_samples: int) -> list[Region]:
    """One recording of ``n`` samples: train on ``[0, T)``, eval on ``[T, n)`` with
    ``T = round((1 - eval_fraction) * n / hop) * hop``; all train when either side is shorter
    than one example (``example_samples``)."""
    e, h = example_samples, hop_samples
    if eval_fraction > 0:
        cut = int(round((1 - eval_fraction) * n_samples / h)) * h
        if cut >= e and n_samples - cut >= e:
            return [Region("train", 0, cut), Region("eval", cut, n_samples)]
    return [Region("train", 0, n_samples)]


def is_far(share: float, *, eval_fraction: float) -> bool:
    """True when the eval share is far from the asked fraction ``f``: above ``max(2f, f + 0.1)``
    or below ``f / 2`` (never for ``f = 0``)."""
    return eval_fraction > 0 and (share > max(2 * eval_fraction, eval_fraction + 0.1) or share < eval_fraction / 2)


def split_note(*, share: float, eval_fraction: float, recordings: int, eval_recordings: int,
               example_secs: float) -> str | None:
    """The ``Note:`` line when eval holds ``share`` of the audio, far from ``eval_fraction``
    (:func:`is_far`); None otherwise."""
    if not is_far(share, eval_fraction=eval_fraction):
        return None
    if recordings == 1 and share == 0:
        return (f"Note: the only recording is too short to hold out --eval-fraction {eval_fraction:g} of it for "
                f"eval (that part must hold one {example_secs:g} s example): all of it goes to train, and "
                "ddsp-train will evaluate on training examples. Add recordings or give a longer one "
                f"(see {AUDIO_ADVICE}).")
    return (f"Note: eval holds {share:.0%} of the audio ({eval_recordings} of {recordings} recordings), far from "
            f"--eval-fraction {eval_fraction:g}: the split keeps whole recordings apart. Add recordings, or give "
            "one file to split it by time.")


def amount_note(total_secs: float, *, minimum_secs: float) -> str | None:
    """The ``Note:`` line when the usable audio (``total_secs``) is under ``minimum_secs``."""
    if total_secs >= minimum_secs:
        return None
    return (f"Note: only {total_secs / 60:.1f} min of usable audio; about {minimum_secs / 60:g} min already gives a "
            f"recognisable timbre and 10-20 min is what the DDSP-VST recipe is tuned for (see {AUDIO_ADVICE}).")
