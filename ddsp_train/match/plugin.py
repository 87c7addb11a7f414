"""A patch as a DDSP-VST control model (``NAME.tflite``), self-checked as ddsp-export checks its files.

:class:`PatchModel` holds the patch values as a (frozen) weight and runs one frame per call:
``f0_hz = unscale(f0_scaled)``, ``power_db = unscale(pw_scaled)``, the follower's previous level
comes in as ``state[0]`` (``pw_scaled`` of the followed power: a zero state is silence), the
followed level goes out in ``state[0]``, the other 511 values pass through. The controls are
:func:`ddsp_train.match.controls.controls`, the same function the renderer uses. The file is
converted with :func:`ddsp_train.exporting.plugin_tflite.convert_step_model`, carries the
target's pitch and power ranges in its metadata (:func:`ddsp_train.exporting.metadata.build_metadata`)
and passes :func:`ddsp_train.exporting.selfcheck.selfcheck_plugin_model` (streamed frame by frame
== the whole sequence at once, within 1e-4); the tests also hold it to every rule of the
project's own contract checker (:mod:`ddsp_train.exporting.plugin_check`).
"""
from __future__ import annotations

from typing import Any, Mapping

import keras
import numpy as np
import tensorflow as tf

from ddsp_train import contract
from ddsp_train.dsp.scaling import unscale_f0_hz, unscale_power_db
from ddsp_train.match import controls as C
from ddsp_train.match.patch import Patch


class PatchModel(keras.layers.Layer):
    """The control model of one patch (see the module docstring)."""

    def __init__(self, patch: Patch, **kwargs):
        super().__init__(**kwargs)
        init = patch.array()
        self.values = self.add_weight(name="patch_values", shape=init.shape, trainable=False,
                                      initializer=lambda shape, dtype=None: tf.constant(init))
        self.built = True

    def controls_step(self, f0_scaled, pw_scaled, state) -> dict:
        values = tf.convert_to_tensor(self.values)[tf.newaxis]
        f0_hz = unscale_f0_hz(tf.convert_to_tensor(f0_scaled, tf.float32))  # [1, 1]
        power_db = unscale_power_db(tf.convert_to_tensor(pw_scaled, tf.float32))
        previous = unscale_power_db(state[:, :1])
        followed = C.follow(values, previous, power_db)
        out = C.controls(values, f0_hz, followed)
        out = {k: tf.reshape(v, [1, -1]) for k, v in out.items()}
        out["state"] = tf.concat([followed / contract.DB_RANGE + 1.0, state[:, 1:]], axis=-1)
        return out

    def controls(self, features: Mapping[str, Any]) -> dict:
        """The whole sequence at once (what the self-check compares the streamed file with):
        ``features`` has ``f0_hz`` and ``power_db`` ``[1, T]``; f0 is clipped as the plugin's scaling does."""
        from ddsp_train.dsp.scaling import scale_f0_hz

        values = tf.convert_to_tensor(self.values)[tf.newaxis]
        f0_hz = unscale_f0_hz(scale_f0_hz(np.asarray(features["f0_hz"], np.float64))).astype(np.float32)
        power_db = np.asarray(features["power_db"], np.float32)
        out = C.controls(values, f0_hz, C.follow_sequence(values, power_db))
        return {k: v.numpy()[0] for k, v in out.items()}


def target_metadata(ranges: Mapping[str, float]) -> dict:
    """The plugin metadata of a patch matched to a target with ``ranges`` (pitch in Hz, power in dB)."""
    from ddsp_train.exporting.metadata import build_metadata
    from ddsp_train.dsp.scaling import hz_to_midi

    stats = {
        "mean_min_pitch_note_hz": float(ranges["pitch_min_hz"]), "mean_max_pitch_note_hz": float(ranges["pitch_max_hz"]),
        "mean_min_pitch_note": float(hz_to_midi(float(ranges["pitch_min_hz"]))),
        "mean_max_pitch_note": float(hz_to_midi(float(ranges["pitch_max_hz"]))),
        "mean_min_power_note": float(ranges["power_min_db"]), "mean_max_power_note": float(ranges["power_max_db"]),
    }
    info = {"statistics": stats, "sample_rate": contract.SAMPLE_RATE, "frame_rate": contract.FRAME_RATE,
            "f0_method": str(ranges.get("f0_method", ""))}
    meta = build_metadata(dataset_info=info, num_harmonics=contract.HARMONICS, num_noise_amps=contract.NOISE_BANDS,
                          frame_size=contract.FRAME_SIZE)
    meta["f0_method"] = info["f0_method"]
    meta["made_by"] = "ddsp-match"
    return meta


def plugin_bytes(patch: Patch, metadata: Mapping[str, Any]) -> tuple[bytes, PatchModel]:
    """The ``.tflite`` file's bytes (flatbuffer + metadata zip) and the Keras model it was made from."""
    from ddsp_train.exporting.metadata import append_metadata
    from ddsp_train.exporting.plugin_tflite import convert_step_model

    model = PatchModel(patch)
    return append_metadata(convert_step_model(model), metadata), model


def selfcheck(content: bytes, model: PatchModel, *, f0_hz: np.ndarray, power_db: np.ndarray,
              metadata: Mapping[str, Any]):
    """The export self-check on the target's own performance; returns the SelfCheckResult."""
    from ddsp_train.exporting.selfcheck import selfcheck_plugin_model

    examples = [{"f0_hz": np.asarray(f0_hz, np.float32), "power_db": np.asarray(power_db, np.float32)}]
    return selfcheck_plugin_model(content, model=model, examples=examples, expected_metadata=metadata, calls=200)
