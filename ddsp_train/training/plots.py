"""PNG figures of a training run under ``MODEL_DIR/plots``: loss curves and a spectrogram pair.

- ``losses.png``: training loss per logged step (and its running mean) and the eval losses.
- ``spectrogram.png``: log-magnitude spectrograms (dB, 1024-point Hann STFT, hop 256 at the
  audio's rate) of an eval example and of its resynthesis, on the same colour scale.
"""
from __future__ import annotations

import io
import pathlib
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ddsp_train.atomic import write_bytes_atomic  # noqa: E402

N_FFT = 1024
HOP = 256
FLOOR_DB = -100.0


def spectrogram_db(audio: np.ndarray, *, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """``20 log10(max(|STFT_hann(audio)|, 1e-5))`` as ``[bins, frames]`` (frames zero-padded at the end)."""
    audio = np.asarray(audio, np.float64).reshape(-1)
    if len(audio) < n_fft:
        audio = np.pad(audio, (0, n_fft - len(audio)))
    n = 1 + (len(audio) - n_fft + hop - 1) // hop
    audio = np.pad(audio, (0, (n - 1) * hop + n_fft - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop][:n]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1)).T
    return np.maximum(20 * np.log10(np.maximum(spectrum, 1e-5)), FLOOR_DB)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def spectrogram_png(reference: np.ndarray, resynthesis: np.ndarray, *, sample_rate: int,
                    title: str = "") -> bytes:
    """PNG bytes of the reference (top) and resynthesis (bottom) spectrograms."""
    ref, syn = spectrogram_db(reference), spectrogram_db(resynthesis)
    top = max(ref.max(), syn.max())
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    extent = [0, len(np.ravel(reference)) / sample_rate, 0, sample_rate / 2000]
    for ax, spec, label in zip(axes, (ref, syn), ("reference", "resynthesis")):
        image = ax.imshow(spec, origin="lower", aspect="auto", extent=extent, vmin=top - 80, vmax=top,
                          cmap="magma")
        ax.set_ylabel("kHz")
        ax.set_title(f"{label} {title}".strip())
    axes[-1].set_xlabel("seconds")
    fig.colorbar(image, ax=axes, label="dB")
    return _png(fig)


def losses_png(train: Sequence[Mapping[str, float]], evals: Sequence[Mapping[str, float]]) -> bytes:
    """PNG bytes of the training loss curve (``train``: dicts with step, loss) and eval losses."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if train:
        steps = np.array([r["step"] for r in train], float)
        loss = np.array([r["loss"] for r in train], float)
        ax.plot(steps, loss, color="tab:blue", alpha=0.35, lw=1, label="train loss")
        if len(loss) >= 5:
            width = max(1, len(loss) // 20)
            smooth = np.convolve(loss, np.ones(width) / width, mode="valid")
            ax.plot(steps[width - 1:], smooth, color="tab:blue", lw=2, label=f"train (mean of {width})")
    if evals:
        ax.plot([r["step"] for r in evals], [r["loss"] for r in evals], "o-", color="tab:red", label="eval loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if train or evals:
        ax.legend()
    fig.tight_layout()
    return _png(fig)


def write_plots(plots_dir: pathlib.Path, *, train: Sequence[Mapping[str, float]],
                evals: Sequence[Mapping[str, float]], spectrogram: bytes | None = None) -> None:
    """Write ``losses.png`` and (given its PNG bytes) ``spectrogram.png`` into ``plots_dir``."""
    write_bytes_atomic(pathlib.Path(plots_dir) / "losses.png", losses_png(train, evals))
    if spectrogram is not None:
        write_bytes_atomic(pathlib.Path(plots_dir) / "spectrogram.png", spectrogram)
