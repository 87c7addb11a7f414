"""Listening snapshots: ``MODEL_DIR/samples/step-N.wav``, written by ddsp-train, read by the model page.

One mono 16-bit wav per evaluation: the eval example's recording, :data:`GAP_SECONDS` of
silence, then the model's resynthesis of it, both of ``n`` samples and divided by
``max(peak, 1)`` together (no clipping, levels comparable). So ``n = (len - gap) / 2``, which
:func:`split` uses to read the two parts back.
"""
from __future__ import annotations

import os
import pathlib
import re

import numpy as np

from ddsp_train.atomic import atomic_path

FOLDER = "samples"
GAP_SECONDS = 0.5
NAME = re.compile(r"^step-(\d+)\.wav$")


def path(model_dir: str | os.PathLike, step: int) -> pathlib.Path:
    """``MODEL_DIR/samples/step-N.wav``."""
    return pathlib.Path(model_dir) / FOLDER / f"step-{int(step)}.wav"


def join(*, reference: np.ndarray, resynthesis: np.ndarray, sample_rate: int) -> np.ndarray:
    """``[reference, gap, resynthesis] / max(peak, 1)`` (float32), both cut to the shorter one's length."""
    ref, syn = (np.ravel(np.asarray(a, np.float32)) for a in (reference, resynthesis))
    n = min(len(ref), len(syn))
    audio = np.concatenate([ref[:n], np.zeros(gap_samples(sample_rate), np.float32), syn[:n]])
    return (audio / max(float(np.max(np.abs(audio))) if len(audio) else 0.0, 1.0)).astype(np.float32)


def gap_samples(sample_rate: int) -> int:
    return int(GAP_SECONDS * int(sample_rate))


def split(audio: np.ndarray, *, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, resynthesis)`` of a joined snapshot (:func:`join`)."""
    audio = np.ravel(np.asarray(audio, np.float32))
    n = max(0, (len(audio) - gap_samples(sample_rate)) // 2)
    return audio[:n], audio[len(audio) - n:]


def write(model_dir: str | os.PathLike, step: int, *, reference: np.ndarray, resynthesis: np.ndarray,
          sample_rate: int) -> pathlib.Path:
    """Write the snapshot of ``step`` atomically; returns its path."""
    import soundfile as sf

    target = path(model_dir, step)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        sf.write(str(tmp), join(reference=reference, resynthesis=resynthesis, sample_rate=sample_rate),
                 int(sample_rate), subtype="PCM_16", format="WAV")
    return target


def read_all(model_dir: str | os.PathLike) -> list[tuple[int, np.ndarray, np.ndarray, int]]:
    """``[(step, reference, resynthesis, sample_rate)]`` of every snapshot, by step (a file being
    written or not audio is skipped)."""
    import soundfile as sf

    folder = pathlib.Path(model_dir) / FOLDER
    out = []
    for file in folder.iterdir() if folder.is_dir() else ():
        found = NAME.match(file.name)
        if not found:
            continue
        try:
            audio, rate = sf.read(str(file), dtype="float32", always_2d=True)
        except RuntimeError:
            continue
        reference, resynthesis = split(audio.mean(axis=1), sample_rate=int(rate))
        out.append((int(found.group(1)), reference, resynthesis, int(rate)))
    return sorted(out, key=lambda s: s[0])
