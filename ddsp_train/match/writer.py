"""Write a match: ``NAME.patch.json``, ``NAME.wav``, ``NAME.tflite`` and ``NAME.png`` in the output folder.

Every file is written atomically (a temporary file beside it, renamed on success), so an
interrupted run leaves the previous files whole. :func:`check_outputs` runs before any work: it
refuses an output that is the target or the patch being read, existing files without
``--overwrite``, and folders that cannot be written.
"""
from __future__ import annotations

import io
import os
import pathlib
from typing import Any, Mapping, Sequence

import numpy as np

from ddsp_train import contract, paths
from ddsp_train.atomic import write_bytes_atomic, write_text_atomic
from ddsp_train.errors import UserError
from ddsp_train.match.patch import SUFFIX, Patch

KINDS = ("patch", "wav", "tflite", "png")


def output_paths(folder: str | os.PathLike, name: str) -> dict[str, pathlib.Path]:
    folder = pathlib.Path(folder)
    return {"patch": folder / f"{name}{SUFFIX}", "wav": folder / f"{name}.wav",
            "tflite": folder / f"{name}{contract.MODEL_SUFFIX}", "png": folder / f"{name}.png"}


def check_name(name: str) -> str:
    """A file stem the plugin lists as the model's name: no path separators, not empty."""
    if not name or name.strip() != name or any(c in name for c in '/\\\0') or name in (".", ".."):
        raise UserError(f"--name {name!r} must be a plain file name (no slashes, no leading or trailing spaces)",
                        exit_code=2)
    return name


def check_outputs(folder: str | os.PathLike, name: str, *, kinds: Sequence[str], overwrite: bool,
                  inputs: Sequence[str | os.PathLike]) -> dict[str, pathlib.Path]:
    """The paths of ``kinds`` in ``folder``, each checked (see the module docstring)."""
    folder = pathlib.Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--output {folder} is a file; give a folder (it is created if missing)", exit_code=2)
    out = output_paths(folder, check_name(name))
    for kind in kinds:
        paths.check_output_file(out[kind], overwrite=overwrite, inputs=inputs, flag="--output")
    return {k: out[k] for k in kinds}


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.asarray(audio, np.float32), int(sample_rate), format="WAV", subtype="FLOAT")
    return buf.getvalue()


def _log_spectrogram(audio: np.ndarray, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    """``20 log10 |STFT|`` (Hann window, dB, floored 100 dB below the peak) ``[bins, frames]``."""
    audio = np.pad(np.asarray(audio, np.float64), (n_fft // 2, n_fft // 2))
    count = max(1, 1 + (len(audio) - n_fft) // hop)
    frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop][:count]
    mag = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1)).T
    db = 20 * np.log10(mag + 1e-10)
    return np.maximum(db, db.max() - 100.0)


def spectrogram_png(target: np.ndarray | None, match: np.ndarray, *, title: str) -> bytes:
    """A PNG of the target's and the match's spectrograms (16 kHz audio) one above the other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("target", target), ("match", match)] if target is not None else [("patch", match)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 3.2 * len(panels)), squeeze=False, sharex=True)
    top = max(_log_spectrogram(a).max() for _, a in panels)
    for ax, (label, audio) in zip(axes[:, 0], panels):
        spec = _log_spectrogram(audio)
        seconds = len(audio) / contract.SAMPLE_RATE
        image = ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=top - 90, vmax=top,
                          extent=(0, seconds, 0, contract.SAMPLE_RATE / 2000))
        ax.set_ylabel(f"{label}\nkHz")
    axes[-1, 0].set_xlabel("seconds")
    axes[0, 0].set_title(title)
    fig.colorbar(image, ax=axes[:, 0].tolist(), label="dB")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def write_patch(path: pathlib.Path, patch: Patch) -> None:
    write_text_atomic(path, patch.to_json())


def write_outputs(out: Mapping[str, pathlib.Path], *, patch: Patch | None = None, wav: tuple | None = None,
                  tflite: bytes | None = None, png: bytes | None = None) -> list[pathlib.Path]:
    """Write what is given to its path in ``out``; returns the paths written."""
    written = []
    pathlib.Path(next(iter(out.values()))).parent.mkdir(parents=True, exist_ok=True)
    items: list[tuple[str, Any]] = [("patch", patch), ("wav", wav), ("tflite", tflite), ("png", png)]
    for kind, value in items:
        if value is None or kind not in out:
            continue
        if kind == "patch":
            write_patch(out[kind], value)
        elif kind == "wav":
            write_bytes_atomic(out[kind], wav_bytes(*value))
        else:
            write_bytes_atomic(out[kind], value)
        written.append(out[kind])
    return written
