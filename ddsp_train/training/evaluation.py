"""Evaluation on held-out examples: spectral loss and the DDSP paper's resynthesis accuracy.

For each eval example the model resynthesises the audio from its features; then

- ``spectral_loss``: the model's configured losses between input and resynthesis (mean);
- ``f0_cents_median``, ``f0_within_50_cents``: the resynthesis is pitch-tracked again (the
  dataset's tracker unless told otherwise) and compared with the input ``f0_hz`` on the frames the
  input calls voiced (``f0_confidence >= voiced_threshold``):
  ``cents = 1200 * |log2(f0_resynth / f0_input)|`` (a frame where the resynthesis has no f0 counts
  as 1200 cents); the median and the share of frames below 50 cents;
- ``power_error_db``: mean ``|power_db(resynth) - power_db(input)|`` with the plugin's power
  (:func:`ddsp_train.features.compute_power_db`) over frames where the input is above
  ``audible_db``; ``loudness_error_db`` the same for A-weighted loudness when the data has it;
- ``f0_l1_midi``, ``f0_outlier_ratio``, ``loudness_l1_db``: the DDSP paper's figures, with ddsp's
  definitions (:mod:`ddsp_train.training.paper_metrics`), on the same tracking.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

import gin
import numpy as np
import tensorflow as tf

from ddsp_train import features as feature_lib
from ddsp_train import pitch
from ddsp_train.training import paper_metrics

MISSING_F0_CENTS = 1200.0
#: The dataset features the figures compare with (besides what the model reads).
INPUT_FEATURES = ("audio", "f0_hz", "f0_confidence")


@dataclasses.dataclass
class Evaluation:
    """The figures (``metrics``) and one example (reference / resynthesis audio) for summaries."""

    metrics: dict[str, float]
    reference: np.ndarray
    resynthesis: np.ndarray


def f0_cents_error(f0_resynth: np.ndarray, f0_input: np.ndarray) -> np.ndarray:
    """``1200 * |log2(f0_resynth / f0_input)|`` per frame; MISSING_F0_CENTS where f0_resynth <= 0."""
    f0_resynth = np.asarray(f0_resynth, np.float64)
    f0_input = np.asarray(f0_input, np.float64)
    ok = (f0_resynth > 0) & (f0_input > 0)
    cents = np.full(np.broadcast(f0_resynth, f0_input).shape, MISSING_F0_CENTS)
    cents[ok] = 1200.0 * np.abs(np.log2(f0_resynth[ok] / f0_input[ok]))
    return cents


def _level_error(resynth_db: np.ndarray, input_db: np.ndarray, audible_db: float) -> list[float]:
    mask = input_db > audible_db
    return list(np.abs(resynth_db[mask] - input_db[mask]))


@gin.configurable(module="evaluation", denylist=["model", "batches", "sample_rate", "frame_rate", "dataset_f0_method"])
def evaluate(
    model,
    batches: Iterable[Mapping[str, tf.Tensor]],
    *,
    sample_rate: int,
    frame_rate: int,
    dataset_f0_method: str | None = None,
    f0_method: str | None = None,
    voiced_threshold: float | None = None,
    audible_db: float = -60.0,
) -> Evaluation:
    """Run ``model`` over ``batches`` of eval features and compute the figures (module docstring).

    The resynthesis is tracked with ``f0_method``, by default the dataset's own method
    (``dataset_f0_method``), else ``pitch.DEFAULT_F0_METHOD``. Input frames count as voiced from
    ``voiced_threshold`` on, by default the threshold of the tracker that labelled the dataset
    (``pitch.tracker_voiced_threshold``, as ddsp-prepare's statistics use it).
    """
    if voiced_threshold is None:
        voiced_threshold = pitch.tracker_voiced_threshold(dataset_f0_method) if dataset_f0_method else 0.5
    f0_method = f0_method or dataset_f0_method or pitch.DEFAULT_F0_METHOD
    tracker = pitch.get_tracker(f0_method)
    forward = _forward_function(model)
    losses, cents, power_errors, loudness_errors = [], [], [], []
    paper_f0, paper_loudness = [], []
    reference = resynthesis = None
    for batch in batches:
        total, terms, audio_synth = forward(batch)
        losses.append({k: float(v) for k, v in terms.items()} | {"loss": float(total)})
        audio_synth = audio_synth.numpy()
        for i in range(audio_synth.shape[0]):
            synth = audio_synth[i]
            if reference is None:
                reference, resynthesis = np.asarray(batch["audio"][i]), synth
            f0_in = np.asarray(batch["f0_hz"][i]).reshape(-1)
            voiced = np.asarray(batch["f0_confidence"][i]).reshape(-1) >= voiced_threshold
            f0_out, _ = tracker.track(synth, sample_rate=sample_rate, frame_rate=frame_rate)
            f0_out = pitch.fit_length(f0_out, len(f0_in))
            cents.extend(f0_cents_error(f0_out[voiced], f0_in[voiced]))
            confidence = np.asarray(batch["f0_confidence"][i]).reshape(-1)
            paper_f0.append(paper_metrics.f0_l1_midi(f0_ref=f0_in, f0_resynth=f0_out, confidence=confidence,
                                                     threshold=voiced_threshold))
            l_out = feature_lib.compute_loudness_db(synth, sample_rate=sample_rate, frame_rate=frame_rate)
            l_in = (np.asarray(batch["loudness_db"][i]).reshape(-1) if "loudness_db" in batch else
                    feature_lib.compute_loudness_db(np.asarray(batch["audio"][i]).reshape(-1),
                                                    sample_rate=sample_rate, frame_rate=frame_rate))
            l_out = pitch.fit_length(l_out, len(l_in))
            paper_loudness.append(paper_metrics.loudness_l1_db(loudness_ref=l_in, loudness_resynth=l_out))
            if "power_db" in batch:
                p_in = np.asarray(batch["power_db"][i]).reshape(-1)
                p_out = feature_lib.compute_power_db(synth, sample_rate=sample_rate, frame_rate=frame_rate)
                power_errors.extend(_level_error(pitch.fit_length(p_out, len(p_in)), p_in, audible_db))
            if "loudness_db" in batch:
                loudness_errors.extend(_level_error(l_out, l_in, audible_db))
    if reference is None:
        raise ValueError("evaluate() got no examples")
    metrics: dict[str, Any] = {k: float(np.mean([x[k] for x in losses])) for k in losses[0]}
    cents = np.asarray(cents)
    metrics["f0_method"] = f0_method
    metrics["voiced_frames"] = int(len(cents))
    metrics["f0_cents_median"] = float(np.median(cents)) if len(cents) else float("nan")
    metrics["f0_within_50_cents"] = float(np.mean(cents < 50.0)) if len(cents) else float("nan")
    metrics["power_error_db"] = float(np.mean(power_errors)) if power_errors else float("nan")
    if loudness_errors:
        metrics["loudness_error_db"] = float(np.mean(loudness_errors))
    metrics.update(paper_metrics.summarise(f0_l1=paper_f0, loudness_l1=paper_loudness).as_dict())
    return Evaluation(metrics=metrics, reference=reference, resynthesis=resynthesis)


def _forward_function(model):
    """The model's traced eval forward pass (traced once per model, kept on it)."""
    if getattr(model, "_eval_forward", None) is None:
        def forward(batch):
            outputs = model(batch, training=False)
            terms = model.loss_terms(batch, outputs)
            return tf.add_n(list(terms.values())), terms, outputs["audio_synth"]

        model._eval_forward = tf.function(forward, autograph=False)
    return model._eval_forward
