"""The plugin model's level, calibrated against the full model, and its learned reverb as a wav.

Why: the plugin plays the synth controls dry, but a trained model's learned reverb carries a
share of the energy of its output (issue #10: a ``vst`` model's ``.tflite`` played dry was
4.2 dB below its full model; a ``vst`` model trained 400 steps on 3 minutes of synthetic bowed
phrases gets a +2.7 dB gain here, and its calibrated ``.tflite`` played by the plugin-like synth
is within 0.2 dB of the full model on held-out examples). The export therefore measures, on eval
examples,

- ``P_full[k]``: the plugin's frame power (:func:`ddsp_train.features.frame_power_db`, 1024-sample
  causal frames every hop) of the full model's output (synths, then the reverb), and
- ``P_dry[k]``: the same of the reverb's input (the synths alone, what the plugin renders),

and folds ``gain_db = median_k P_full[k] - median_k P_dry[k]`` (over the frames ``k`` where
``P_full[k] >= max P_full - FLOOR_DB``, i.e. the notes, not the silence; clipped to
+-:data:`GAIN_LIMIT_DB`) into the plugin model's amplitude and noise magnitudes: both synths are
linear in them, so the dry output is ``10 ** (gain_db / 20)`` times louder and the plugin needs
nothing new.

``NAME.reverb.wav`` (mono float32 at the model's sample rate) is the whole response of the
learned reverb, the direct path included when the model adds it (``h[0] = 1``, ``h[n] = ir[n]``),
divided by the gain: the calibrated plugin output convolved with it (100 % wet) is the full
model's output, so any DAW's convolution reverb reproduces the model's room.
"""
from __future__ import annotations

import math
import os
import pathlib
from typing import Any, Mapping, Sequence

import numpy as np

from ddsp_train import contract, features as feats
from ddsp_train.atomic import atomic_path

#: Frames quieter than the loudest full-model frame by more than this are not measured.
FLOOR_DB = 40.0
#: The calibration never changes the level by more than this.
GAIN_LIMIT_DB = 24.0
#: Suffix of the reverb's impulse response beside ``NAME.tflite`` (the contract module owns it).
REVERB_SUFFIX = contract.REVERB_SUFFIX
#: Windows overlap by this many frames when a curve is longer than the model's example.
OVERLAP_FRAMES = 10


def frame_power(audio: np.ndarray, *, sample_rate: int, hop: int) -> np.ndarray:
    """The plugin's power of the causal frames of ``audio`` (a 64 ms frame every ``hop`` samples)."""
    frames = feats.causal_frames(np.asarray(audio, np.float32), frame_size=feats.default_power_frame_size(sample_rate),
                                 hop=hop)
    return feats.frame_power_db(frames)


def median_level_db(power_db: np.ndarray, *, reference_db: np.ndarray, floor_db: float = FLOOR_DB) -> float:
    """``median(power_db[k])`` over the frames ``k`` where ``reference_db[k] >= max(reference_db) - floor_db``."""
    power_db, reference_db = np.asarray(power_db, np.float64), np.asarray(reference_db, np.float64)
    keep = reference_db >= reference_db.max() - floor_db
    return float(np.median(power_db[keep]))


def gain_db(full: Sequence[np.ndarray], dry: Sequence[np.ndarray], *, sample_rate: int, hop: int) -> float:
    """``median P_full - median P_dry`` over the measured frames of all examples (module docstring)."""
    p_full = np.concatenate([frame_power(a, sample_rate=sample_rate, hop=hop) for a in full])
    p_dry = np.concatenate([frame_power(a, sample_rate=sample_rate, hop=hop) for a in dry])
    value = median_level_db(p_full, reference_db=p_full) - median_level_db(p_dry, reference_db=p_full)
    return float(np.clip(value, -GAIN_LIMIT_DB, GAIN_LIMIT_DB)) if math.isfinite(value) else 0.0


def render(model: Any, example: Mapping[str, np.ndarray], *, output: str) -> np.ndarray:
    """The model's ``output`` (a processor-group output, e.g. ``audio_synth``) for an example's
    ``f0_hz`` / ``power_db`` curves of any length (fixed windows cross-faded, as the SavedModel)."""
    import tensorflow as tf

    from ddsp_train.exporting.saved_model import render_long

    n_frames, n_samples = int(model.n_frames), int(model.n_samples)

    def window(f0_hz, power_db):
        ones = tf.ones_like(f0_hz)
        batch = {"f0_hz": f0_hz, "power_db": power_db, "loudness_db": power_db, "f0_confidence": ones,
                 "audio": tf.zeros([1, n_samples], tf.float32)}
        return {"audio": model(batch, training=False)[output]}

    curves = {"f0_hz": np.asarray(example["f0_hz"], np.float32), "power_db": np.asarray(example["power_db"], np.float32)}
    return render_long(window, curves, n_frames=n_frames, hop=int(model.hop), overlap_frames=OVERLAP_FRAMES)


def measure_gain_db(model: Any, examples: Sequence[Mapping[str, np.ndarray]], *, dry_key: str | None) -> float:
    """:func:`gain_db` of the full model vs its reverb's input on ``examples`` (0 without a reverb)."""
    if dry_key is None or not examples:
        return 0.0
    full = [render(model, ex, output="audio_synth") for ex in examples]
    dry = [render(model, ex, output=dry_key) for ex in examples]
    return gain_db(full, dry, sample_rate=int(model.sample_rate), hop=int(model.hop))


def reverb_response(model: Any, *, gain_db: float = 0.0) -> np.ndarray | None:
    """The learned reverb's whole response divided by the gain (module docstring); None when the
    model has no reverb with a learned impulse response."""
    from ddsp_train.dsp.reverb import Reverb
    from ddsp_train.exporting.plugin_model import find_processor

    wired = find_processor(model, Reverb)
    if wired is None or getattr(wired.processor, "ir", None) is None:
        return None
    h = np.array(wired.processor.ir.numpy(), dtype=np.float64).ravel()
    h[0] = 1.0 if wired.processor.add_dry else 0.0  # the model masks ir[0]: the direct path is the dry signal
    return (h / 10 ** (gain_db / 20)).astype(np.float32)


def write_reverb_wav(path: str | os.PathLike, response: np.ndarray, *, sample_rate: int) -> pathlib.Path:
    """``response`` as a mono 32-bit float wav, atomically."""
    import soundfile as sf

    path = pathlib.Path(path)
    with atomic_path(path) as tmp:
        sf.write(tmp, np.asarray(response, np.float32), int(sample_rate), subtype="FLOAT", format="WAV")
    return path
