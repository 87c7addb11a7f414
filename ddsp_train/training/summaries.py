"""TensorBoard logs under ``MODEL_DIR/logs``, plus a JSON-lines history the plots are drawn from.

``logs/train``: scalars ``loss``, each loss term, ``learning_rate``, ``grad_norm``,
``steps_per_sec``, ``skipped_steps``. ``logs/eval``: the evaluation figures, the audio of an eval
example and its resynthesis, and their spectrogram image. ``logs/train_history.jsonl``: one JSON
object per logged training step (``step``, ``loss``, ...), appended as training goes.
``samples/step-N.wav``: the same eval example as a wav to listen to, the reference, then half a
second of silence, then the resynthesis.
"""
from __future__ import annotations

import math
import pathlib
from typing import Mapping

import numpy as np
import tensorflow as tf

from ddsp_train import train_history

LOGS = str(train_history.PATH.parent)
HISTORY = train_history.PATH.name


class Summaries:
    """Writers for the train and eval TensorBoard runs of ``model_dir``."""

    def __init__(self, model_dir: str | pathlib.Path):
        self.logs = pathlib.Path(model_dir) / LOGS
        self.logs.mkdir(parents=True, exist_ok=True)
        self.train_writer = tf.summary.create_file_writer(str(self.logs / "train"))
        self.eval_writer = tf.summary.create_file_writer(str(self.logs / "eval"))

    def train_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        """Log ``scalars`` at ``step`` to TensorBoard and append them to the history file."""
        with self.train_writer.as_default(step=step):
            for name, value in scalars.items():
                tf.summary.scalar(name, value)
        record = {"step": int(step), **{k: float(v) for k, v in scalars.items()}}
        train_history.append(self.logs / HISTORY, record)

    def eval_summaries(self, step: int, metrics: Mapping[str, float], *, reference: np.ndarray,
                       resynthesis: np.ndarray, sample_rate: int, spectrogram_png: bytes) -> None:
        """Eval figures, the reference and resynthesised audio, and their spectrogram image (PNG bytes)."""
        with self.eval_writer.as_default(step=step):
            for name, value in metrics.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    tf.summary.scalar(name, value)
            pair = listening_pair(reference=reference, resynthesis=resynthesis)
            tf.summary.audio("reference_vs_resynthesis", pair[..., np.newaxis],
                             sample_rate=sample_rate, max_outputs=2, step=step,
                             description="first: the eval example, second: the model's resynthesis")
            tf.summary.image("spectrograms", tf.image.decode_png(spectrogram_png)[tf.newaxis], step=step)

    def flush(self) -> None:
        self.train_writer.flush()
        self.eval_writer.flush()

    def history(self) -> list[dict]:
        """The logged training records, one per step (a re-logged step keeps its latest record)."""
        return train_history.read(self.logs / HISTORY)


def listening_pair(*, reference: np.ndarray, resynthesis: np.ndarray) -> np.ndarray:
    """``[reference, resynthesis]`` as float32 rows, both divided by ``max(peak, 1)`` (no clipping,
    and their levels stay comparable): TensorBoard's pair of clips."""
    pair = np.stack([np.ravel(reference), np.ravel(resynthesis)]).astype(np.float32)
    return pair / max(float(np.max(np.abs(pair))), 1.0)


def write_sample(model_dir: str | pathlib.Path, step: int, *, reference: np.ndarray, resynthesis: np.ndarray,
                 sample_rate: int) -> pathlib.Path:
    """Write ``MODEL_DIR/samples/step-N.wav``: reference, a gap, resynthesis (:mod:`ddsp_train.snapshots`)."""
    from ddsp_train import snapshots

    return snapshots.write(model_dir, step, reference=reference, resynthesis=resynthesis, sample_rate=sample_rate)
