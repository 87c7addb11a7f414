"""The one way library code talks to the person at the terminal.

Library functions take a ``say: Say`` argument (default :func:`stderr`) for notes and
progress; the command's result line goes to stdout from the CLI. Tests pass a list's
``append`` to read what was said. :class:`Progress` draws one line with a count, a rate and an
ETA, rewritten in place on a terminal and printed at most every few seconds otherwise.
"""
from __future__ import annotations

import math
import sys
import time
from typing import Callable, TextIO

#: A function that shows one message to the user.
Say = Callable[[str], None]


def stderr(message: str) -> None:
    """Print ``message`` on stderr, flushed (the default :data:`Say`)."""
    print(message, file=sys.stderr, flush=True)


def silent(message: str) -> None:
    """A :data:`Say` that shows nothing (``--quiet``)."""


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 07 min``; ``?`` for an unknown (non-finite) time."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def format_speed(audio_seconds: float, wall_seconds: float) -> str:
    """``12.3x real time``; a run too short to time says so instead of ``0x``."""
    if wall_seconds <= 0 or audio_seconds <= 0:
        return "too short to time"
    factor = audio_seconds / wall_seconds
    return f"{factor:.1f}x real time" if factor >= 0.1 else f"{factor:.3f}x real time"


def eta_seconds(*, done: float, total: float, elapsed: float) -> float:
    """Seconds left at the average rate so far: ``elapsed * (total - done) / done``; inf before
    anything is done."""
    if done <= 0 or elapsed <= 0:
        return math.inf
    return max(0.0, elapsed * (total - done) / done)


class Progress:
    """A progress line: ``label  done/total unit  pct%  ETA t``.

    ``update(done)`` redraws it (on a terminal in place, elsewhere at most every ``every``
    seconds); ``close()`` ends the line. With ``enabled=False`` it prints nothing.
    """

    def __init__(self, *, label: str, total: float, unit: str = "", enabled: bool = True,
                 stream: TextIO | None = None, every: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.label, self.total, self.unit = label, float(total), unit
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.every, self.clock = every, clock
        self.start = clock()
        self._last_print = -math.inf
        self._drawn = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, done: float) -> str:
        """The text of the line for ``done`` of ``total``."""
        elapsed = self.clock() - self.start
        pct = 100.0 * done / self.total if self.total > 0 else 100.0
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.label}  {_num(done)}/{_num(self.total)}{unit}  {pct:3.0f}%"
        if done < self.total:
            text += f"  ETA {format_duration(eta_seconds(done=done, total=self.total, elapsed=elapsed))}"
        else:
            text += f"  in {format_duration(elapsed)}"
        return text

    def update(self, done: float, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not (force or self._tty or now - self._last_print >= self.every):
            return
        self._last_print = now
        if self._tty:
            self.stream.write("\r\033[K" + self.line(done))
            self._drawn = True
        else:
            self.stream.write(self.line(done) + "\n")
        self.stream.flush()

    def close(self, done: float | None = None) -> None:
        """Draw the final state (``done``, if given) and end the line."""
        if not self.enabled:
            return
        if done is not None:
            self.update(done, force=True)
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"
