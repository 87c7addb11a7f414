"""The pages' pictures as PNG bytes (matplotlib, Agg), labelled in notes, Hz, dBFS and seconds.

- :func:`pitch_histogram_png`: share of playing time per semitone, ticks at every C (``C4``);
- :func:`level_histogram_png`: share of playing time per dB of level (dBFS, the plugin's power);
- :func:`spectrogram_png`: ``20 log10 |STFT|`` (Hann, 64 ms, hop 16 ms) on a log-frequency axis
  from 50 Hz with note names, the tracked pitch drawn over it where the tracker heard one;
- :func:`curves_png`: lines over training steps (losses, eval figures).
"""
from __future__ import annotations

import io
from typing import Mapping, Sequence

import numpy as np

from ddsp_train.dsp.scaling import midi_to_hz
from ddsp_train.reports import units

BLUE, ORANGE, GREY = "#4a78b5", "#e07b39", "#888888"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    _plt().close(fig)
    return buffer.getvalue()


def _shade(ax, low, high, label):
    if low is not None and high is not None:
        ax.axvspan(low, high, color=BLUE, alpha=0.12, label=label)


def _histogram_done(fig, ax, *, box, xlabel: str, title: str, legend: str) -> bytes:
    """Labels, grid and legend of a histogram figure; its PNG."""
    if box and ax.patches:
        ax.legend(loc=legend, fontsize=8)
    ax.set(xlabel=xlabel, ylabel="% of playing time", title=title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def pitch_histogram_png(counts: Sequence[int], *, box: tuple[float, float] | None = None) -> bytes:
    """Bars of ``counts`` (frames per MIDI note 0..127) as % of all, ``box`` (MIDI) shaded."""
    plt = _plt()
    counts = np.asarray(counts, float)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    if counts.sum() > 0:
        used = np.flatnonzero(counts)
        lo, hi = max(0, used[0] - 3), min(127, used[-1] + 3)
        notes = np.arange(lo, hi + 1)
        ax.bar(notes, 100 * counts[lo:hi + 1] / counts.sum(), width=0.85, color=BLUE)
        _shade(ax, *(box or (None, None)), "the plugin's range")
        ticks = [n for n in notes if n % 12 == 0] or [int(notes[len(notes) // 2])]
        if len(ticks) < 3:
            ticks = [n for n in notes if n % 12 in (0, 4, 7)]
        ax.set_xticks(ticks, [units.note_name(n) for n in ticks])
    return _histogram_done(fig, ax, box=box, xlabel="note", title="Which notes you play", legend="upper right")


def level_histogram_png(counts: Sequence[int], *, box: tuple[float, float] | None = None) -> bytes:
    """Bars of ``counts`` (frames per dB, -80..0) as % of all, ``box`` (dBFS) shaded."""
    plt = _plt()
    counts = np.asarray(counts, float)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    levels = np.arange(-80, 1)
    if counts.sum() > 0:
        ax.bar(levels, 100 * counts / counts.sum(), width=0.85, color=ORANGE)
        used = np.flatnonzero(counts)
        ax.set_xlim(levels[max(0, used[0] - 3)], levels[min(80, used[-1] + 3)])
        _shade(ax, *(box or (None, None)), "the plugin's range")
    return _histogram_done(fig, ax, box=box, xlabel="level (dBFS)", title="How loud you play", legend="upper left")


def stft_db(audio: np.ndarray, *, sample_rate: int, window_secs: float = 0.064,
            hop_secs: float = 0.016) -> tuple[np.ndarray, float, float]:
    """``(20 log10(max(|STFT|, 1e-6)) [bins, frames], bin_hz, hop_secs)`` with a Hann window."""
    n = int(round(window_secs * sample_rate))
    hop = int(round(hop_secs * sample_rate))
    x = np.pad(np.asarray(audio, np.float64).reshape(-1), (n // 2, n))
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(n), axis=-1)).T / (n / 4)
    return 20 * np.log10(np.maximum(spectrum, 1e-6)), sample_rate / n, hop / sample_rate


def _spectrogram(ax, audio, *, sample_rate, f0_hz=None, voiced=None, frame_rate=None, title=""):
    spec, bin_hz, hop_secs = stft_db(audio, sample_rate=sample_rate)
    top = float(spec.max())
    freqs = np.arange(spec.shape[0]) * bin_hz
    times = np.arange(spec.shape[1]) * hop_secs
    high = min(sample_rate / 2, 6000.0)
    keep = (freqs >= 40) & (freqs <= high)
    ax.pcolormesh(times, freqs[keep], spec[keep], shading="auto", cmap="magma", vmin=top - 80, vmax=top)
    ax.set_yscale("log")
    notes = [m for m in range(24, 109, 12) if 50 <= midi_to_hz(m) <= high]
    ax.set_yticks([midi_to_hz(m) for m in notes], [f"{units.note_name(m)} {midi_to_hz(m):.0f} Hz" for m in notes])
    ax.minorticks_off()
    ax.set_ylim(50, high)
    if f0_hz is not None:
        t = np.arange(len(f0_hz)) / frame_rate
        ax.plot(t, np.where(voiced, f0_hz, np.nan), color="#35d0ff", lw=1.6, label="pitch heard")
        ax.legend(loc="upper right", fontsize=8)
    ax.set(xlabel="seconds", title=title)


def spectrogram_png(audio: np.ndarray, *, sample_rate: int, f0_hz: np.ndarray | None = None,
                    voiced: np.ndarray | None = None, frame_rate: float | None = None, title: str = "") -> bytes:
    """One spectrogram, with the tracked pitch over it when ``f0_hz`` is given."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    _spectrogram(ax, audio, sample_rate=sample_rate, f0_hz=f0_hz, voiced=voiced, frame_rate=frame_rate, title=title)
    fig.tight_layout()
    return _png(fig)


def pair_png(reference: np.ndarray, resynthesis: np.ndarray, *, sample_rate: int, title: str = "") -> bytes:
    """The reference (top) and the model's resynthesis (bottom) as spectrograms."""
    plt = _plt()
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.6), sharex=True)
    _spectrogram(axes[0], reference, sample_rate=sample_rate, title=f"the recording {title}".strip())
    _spectrogram(axes[1], resynthesis, sample_rate=sample_rate, title=f"the model's version {title}".strip())
    axes[0].set_xlabel("")
    fig.tight_layout()
    return _png(fig)


def curves_png(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, ylabel: str, title: str,
               logy: bool = False) -> bytes:
    """Lines ``label -> (steps, values)`` over training steps."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for i, (label, (steps, values)) in enumerate(series.items()):
        style = "o-" if len(steps) < 30 else "-"
        ax.plot(steps, values, style, lw=1.5, ms=4, label=label, color=(BLUE, ORANGE, GREY, "#3a9a4a")[i % 4])
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)
