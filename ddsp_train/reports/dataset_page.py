"""``DATASET/report.html``: the data check a musician reads before training.

Top to bottom: the headline (ready / usable / fix this first), one row per item with its verdict,
the figure in a sentence and what to do; the range the model will play (and the plugin's
tone-shaping box, from the dataset description's statistics when there is one); pitch and level
histograms; spectrograms with the tracked pitch of a few excerpts; a table of every file
(length, split, status or skip reason, pitch range, typical level, flags, a player of its
excerpt). One self-contained file (:mod:`ddsp_train.reports.html`).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ddsp_train.atomic import write_text_atomic
from ddsp_train.reports import figures, html, units
from ddsp_train.reports.checks import FIX, GOOD, LABELS, RecordingCheck
from ddsp_train.reports.verdicts import DatasetVerdicts, plugin_range, summarize_checks

FILENAME = "report.html"
#: Seconds of each file's excerpt (its player and spectrogram).
EXCERPT_SECS = 8.0
#: Spectrograms drawn (the excerpts of the first files).
SPECTROGRAMS = 3

HEADLINES = {
    GOOD: "Ready to train: every check is good.",
    "usable": "Usable: training will work. The notes below say what would make the model better.",
    FIX: "Fix this first: some recordings need attention before hours of training.",
}


@dataclasses.dataclass(frozen=True)
class Excerpt:
    """A short stretch of one file to listen to and look at (``f0_hz``/``voiced`` on ``frame_rate``)."""

    path: str
    audio: np.ndarray
    sample_rate: int
    start_secs: float = 0.0
    f0_hz: np.ndarray | None = None
    voiced: np.ndarray | None = None
    frame_rate: float | None = None


def pick_excerpt(audio: np.ndarray, *, sample_rate: int, power_db: np.ndarray, frame_rate: float,
                 f0_hz: np.ndarray | None = None, f0_confidence: np.ndarray | None = None,
                 voiced_threshold: float = 0.5, seconds: float = EXCERPT_SECS, path: str = "") -> Excerpt:
    """The ``seconds`` of ``audio`` starting on a whole second with the largest sum of
    ``power_db + 80`` over its voiced frames (all frames without ``f0_confidence``): the most playing."""
    power = np.asarray(power_db, np.float64) + 80.0
    if f0_confidence is not None:
        power = power * (np.asarray(f0_confidence) >= voiced_threshold)
    width = max(1, int(round(seconds * frame_rate)))
    starts = np.arange(0, max(1, len(power) - width + 1), int(frame_rate))
    sums = np.array([power[s:s + width].sum() for s in starts])
    first = int(starts[int(np.argmax(sums))])
    frames = slice(first, first + width)
    hop = sample_rate / frame_rate
    clip = np.asarray(audio, np.float32)[int(first * hop): int((first + width) * hop)]
    voiced = None if f0_confidence is None else np.asarray(f0_confidence)[frames] >= voiced_threshold
    return Excerpt(path=str(path), audio=clip, sample_rate=int(sample_rate), start_secs=first / frame_rate,
                   f0_hz=None if f0_hz is None else np.asarray(f0_hz)[frames], voiced=voiced, frame_rate=frame_rate)


def _verdict_rows(summary: DatasetVerdicts) -> list[list[str]]:
    rows = []
    for v in summary.verdicts:
        text = html.esc(v.sentence) + (f'<br><span class="muted">{html.esc(v.advice)}</span>' if v.advice else "")
        rows.append([f"<b>{html.esc(v.title)}</b>", html.badge(v.level, v.label), text])
    return rows


def _range_box(summary: DatasetVerdicts, statistics: Mapping[str, Any]) -> str:
    parts = [f"The model will play what it heard: notes {html.esc(units.note_range(summary.low_midi, summary.high_midi))}"
             f", levels {html.esc(units.dbfs(summary.low_db))} to {html.esc(units.dbfs(summary.high_db))}."]
    sentence = plugin_range(statistics)
    if sentence:
        parts.append(html.esc(sentence))
    return '<div class="box">' + " ".join(parts) + "</div>"


def _file_rows(checks: Sequence[RecordingCheck], files: Sequence[Mapping[str, Any]],
               excerpts: Mapping[str, Excerpt]) -> list[list[str]]:
    by_path = {c.path: c for c in checks}
    entries = list(files) or [{"path": c.path, "status": "checked", "seconds": c.seconds} for c in checks]
    rows = []
    for entry in entries:
        path = str(entry.get("path", ""))
        check = by_path.get(path)
        status = str(entry.get("status") or "")
        if entry.get("reason"):
            status += f": {entry['reason']}"
        seconds = entry.get("seconds", check.seconds if check else None)
        if check is None:
            pitch = level = "\u2014"
            flags = ""
        else:
            pitch = units.note_range(check.low_midi, check.high_midi)
            level = units.dbfs(check.level_db[1])
            flags = " ".join(html.badge(FIX if lv == FIX else "usable", word)
                             for word, lv in zip(check.flags(), [x for x in check.levels().values() if x != GOOD]))
            flags = flags or html.badge(GOOD, "ok")
        excerpt = excerpts.get(path)
        listen = html.player(excerpt.audio, sample_rate=excerpt.sample_rate, label=os.path.basename(path)) \
            if excerpt is not None else ""
        rows.append([html.esc(os.path.basename(path)) + f'<br><span class="muted">{html.esc(path)}</span>',
                     html.esc(units.minutes(seconds)), html.esc(entry.get("split") or "\u2014"), html.esc(status),
                     html.esc(pitch), html.esc(level), flags, listen])
    return rows


def _sum(histograms: Iterable[Sequence[int]], size: int) -> np.ndarray:
    total = np.zeros(size)
    for h in histograms:
        if len(h) == size:
            total += np.asarray(h, float)
    return total


def render_dataset_report(*, checks: Sequence[RecordingCheck], excerpts: Iterable[Excerpt] = (),
                          info=None, title: str | None = None) -> str:
    """The page's HTML. ``info``: the dataset's :class:`~ddsp_train.dataset_info.DatasetInfo`
    (its files table, splits and statistics), or None for a check of files not yet prepared."""
    summary = summarize_checks(checks)
    excerpts = {e.path: e for e in excerpts}
    statistics = dict(info.statistics) if info is not None else {}
    files = list(info.files) if info is not None else []
    name = title or (os.path.basename(str(info.data_dir)) if info is not None and info.data_dir else "your recordings")
    body = [f"<h1>Is this audio good for training? \u2014 {html.esc(name)}</h1>",
            f'<p class="lead">{html.badge(summary.overall, LABELS[summary.overall])} {html.esc(HEADLINES[summary.overall])}</p>',
            f'<p class="muted">{summary.files} file{"s" * (summary.files != 1)}, {html.esc(units.minutes(summary.seconds))}'
            f" of audio, {html.esc(units.minutes(summary.usable_seconds))} of playing.</p>",
            "<h2>The checks</h2>", html.table(["", "verdict", "what we measured / what to do"],
                                               _verdict_rows(summary), cls="verdict", raw=True),
            "<h2>What the model will play</h2>", _range_box(summary, statistics)]
    box = (statistics.get("mean_min_pitch_note"), statistics.get("mean_max_pitch_note"))
    level_box = (statistics.get("mean_min_power_note"), statistics.get("mean_max_power_note"))
    body.append('<div class="pair">' + html.figure(
        figures.pitch_histogram_png(_sum((c.pitch_histogram for c in checks), 128),
                                    box=box if None not in box else None),
        alt="histogram of the notes played", caption="Share of the playing time spent on each note.") + html.figure(
        figures.level_histogram_png(_sum((c.level_histogram for c in checks), 81),
                                    box=level_box if None not in level_box else None),
        alt="histogram of the playing level", caption="Share of the playing time at each level (0 dBFS: full scale).")
        + "</div>")
    shown = [e for e in excerpts.values()][:SPECTROGRAMS]
    if shown:
        body.append("<h2>A closer look</h2>")
        for e in shown:
            png = figures.spectrogram_png(e.audio, sample_rate=e.sample_rate, f0_hz=e.f0_hz, voiced=e.voiced,
                                          frame_rate=e.frame_rate,
                                          title=f"{os.path.basename(e.path)} from {units.minutes(e.start_secs)}")
            body.append(html.figure(png, alt=f"spectrogram of {os.path.basename(e.path)}",
                                    caption="Brightness: the sound's energy at each pitch; the blue line: the pitch "
                                            "the tracker heard (gaps: no clear pitch). Listen to it in the table "
                                            "below."))
    body.append("<h2>Every file</h2>")
    body.append(html.table(["file", "length", "split", "status", "notes", "typical level", "flags",
                            f"listen ({EXCERPT_SECS:.0f} s)"], _file_rows(checks, files, excerpts), raw=True))
    body.append('<p class="muted">Levels are the plugin\'s loudness measure (a full-scale sine reads \u22123 dBFS). '
                "Thresholds and how each figure is measured: docs/reports.md of ddsp-train.</p>")
    return html.page(f"Data check \u2014 {name}", "\n".join(body))


def write_dataset_report(folder: str | os.PathLike, *, checks: Sequence[RecordingCheck],
                         excerpts: Iterable[Excerpt] = (), info=None, filename: str = FILENAME,
                         title: str | None = None) -> pathlib.Path:
    """Write ``folder/report.html`` atomically (see :func:`render_dataset_report`); returns its path."""
    page = render_dataset_report(checks=checks, excerpts=excerpts, info=info, title=title)
    return write_text_atomic(pathlib.Path(folder) / filename, page)
