"""The whole model as a TensorFlow SavedModel, for offline use in Python or TF Serving.

Per-frame features in, audio out, reverb included, for every config (also those the plugin
cannot load: encoders, loudness inputs, 100 harmonics, other sample rates). The model's synths
render a fixed length, so the SavedModel works on one window of the model's training example
length (``n_frames`` frames -> ``n_samples`` samples); :func:`render_long` (and ``ddsp-transfer``)
plays any length by overlapping windows (see there).

Signatures (``tf.saved_model.load(path).signatures[...]``), all inputs float32 ``[1, n_frames]``
(``audio`` ``[1, n_samples]``), output ``{"audio": [1, n_samples]}``:

- ``serving_default``: the model's output (``audio_synth``: synths, then the learned reverb);
- ``dry``: the same without the reverb (the reverb processor's input), or equal to
  ``serving_default`` when the model has no reverb.

Inputs: ``f0_hz`` always; ``power_db`` (plugin-style models), ``loudness_db`` (loudness
models), ``audio`` (models with a z encoder). ``NAME.saved_model/ddsp_train.json`` records the
inputs, sample rate, frame rate, window size and the metadata (ranges for auto-adjust).
"""
from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Mapping

import numpy as np

from ddsp_train.atomic import atomic_directory

INFO_NAME = "ddsp_train.json"
#: Decoder input -> the feature the SavedModel takes for it.
FEATURE_OF_INPUT = {"f0_scaled": "f0_hz", "pw_scaled": "power_db", "ld_scaled": "loudness_db", "z": "audio"}


def model_inputs(model: Any) -> list[str]:
    """The features the SavedModel takes: ``f0_hz`` first, then what the decoder (and encoder) read."""
    keys = ["f0_hz"]
    for k in getattr(model.decoder, "input_keys", ()):
        feature = FEATURE_OF_INPUT.get(k)
        if feature and feature not in keys:
            keys.append(feature)
    if getattr(model, "encoder", None) is not None and "audio" not in keys:
        keys.append("audio")
    return keys


def dry_key_of(model: Any) -> str | None:
    """The processor-group output that feeds the reverb (None if the model has no reverb)."""
    from ddsp_train.dsp.reverb import Reverb
    from ddsp_train.exporting.plugin_model import find_processor

    wired = find_processor(model, Reverb)
    return wired.keys[0] if wired is not None else None


def write_saved_model(model: Any, path: str | os.PathLike, *, metadata: Mapping[str, Any]) -> pathlib.Path:
    """Export ``model`` (a built ddsp-train Autoencoder) to the SavedModel folder ``path``, atomically."""
    import keras
    import tensorflow as tf

    inputs = model_inputs(model)
    n_frames, n_samples = int(model.n_frames), int(model.n_samples)
    specs = [tf.TensorSpec([1, n_samples if k == "audio" else n_frames], tf.float32, name=k) for k in inputs]
    dry_key = dry_key_of(model)

    def features_of(args):
        features = dict(zip(inputs, args))
        if "audio" not in features:
            features["audio"] = tf.zeros([1, n_samples], tf.float32)
        return features

    def wet(*args):
        return {"audio": model(features_of(args), training=False)["audio_synth"]}

    def dry(*args):
        out = model(features_of(args), training=False)
        return {"audio": out[dry_key] if dry_key else out["audio_synth"]}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serving_default", fn=wet, input_signature=specs)
    archive.add_endpoint(name="dry", fn=dry, input_signature=specs)
    info = {
        "inputs": inputs,
        "sample_rate": int(model.sample_rate),
        "frame_rate": int(model.frame_rate),
        "n_frames": n_frames,
        "n_samples": n_samples,
        "has_reverb": dry_key is not None,
        "metadata": dict(metadata),
    }
    path = pathlib.Path(path)
    with atomic_directory(path) as tmp:
        archive.write_out(str(tmp), verbose=False)
        (tmp / INFO_NAME).write_text(json.dumps(info, indent=2, sort_keys=True))
    return path


def read_info(path: str | os.PathLike) -> dict:
    return json.loads((pathlib.Path(path) / INFO_NAME).read_text())


def window_weights(n_samples: int, overlap: int, *, first: bool, last: bool) -> np.ndarray:
    """Cross-fade weights of one window: 0 over the first ``overlap / 2`` samples (the recurrent
    state warms up), a linear rise over the next ``overlap / 2``; a linear fall over the last
    ``overlap / 2`` (none for the first rise / last fall). Consecutive windows, offset by
    ``n_samples - overlap``, sum to 1."""
    w = np.ones(n_samples)
    half = overlap // 2
    if half == 0:
        return w
    ramp = (np.arange(half) + 0.5) / half
    if not first:
        w[:half] = 0.0
        w[half:2 * half] = ramp
    if not last:
        w[n_samples - half:] = 1.0 - ramp
    return w


def render_long(fn, features: Mapping[str, np.ndarray], *, n_frames: int, hop: int,
                overlap_frames: int) -> np.ndarray:
    """Audio of any number of frames from a fixed-window signature ``fn`` (``n_frames`` per call).

    Windows start every ``n_frames - 1 - overlap_frames`` frames; each is rendered from a fresh
    state and cross-faded (:func:`window_weights`) so each window's first ``overlap / 2`` samples,
    where its state warms up, are never heard. Features past the end repeat the last frame
    (``audio`` is zero-padded). Returns ``(T - 1) * hop`` samples for ``T`` frames.
    """
    import tensorflow as tf

    total = len(features["f0_hz"])
    n_samples = (n_frames - 1) * hop
    overlap_frames = int(min(max(overlap_frames, 0), (n_frames - 1) // 2))
    step = n_frames - 1 - overlap_frames
    length = max((total - 1) * hop, 1)
    starts = list(range(0, max(total - 1, 1), step)) or [0]
    while starts[-1] + n_frames - 1 < total - 1:
        starts.append(starts[-1] + step)
    out = np.zeros(starts[-1] * hop + n_samples)
    for i, s in enumerate(starts):
        args = {}
        for key, values in features.items():
            values = np.asarray(values, np.float32)
            if key == "audio":
                chunk = values[s * hop: s * hop + n_samples]
                chunk = np.pad(chunk, (0, n_samples - len(chunk)))
            else:
                chunk = values[s: s + n_frames]
                chunk = np.concatenate([chunk, np.full(n_frames - len(chunk), values[-1], np.float32)])
            args[key] = tf.constant(chunk[None])
        audio = fn(**args)["audio"].numpy()[0].astype(np.float64)
        w = window_weights(n_samples, overlap_frames * hop, first=i == 0, last=i == len(starts) - 1)
        out[s * hop: s * hop + n_samples] += w * audio
    return out[:length].astype(np.float32)
