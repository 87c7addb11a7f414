"""Dataset features -> the scaled model inputs, exactly as the DDSP-VST plugin feeds them.

- ``f0_scaled = hz_to_midi(clip(f0_hz, 8.18, 12543.85)) / 127``
- ``pw_scaled = power_db / 80 + 1``
- ``ld_scaled = loudness_db / 80 + 1`` (ddsp's ``scale_db`` of A-weighted loudness)

Frame-wise features come in as ``[B, T]`` or ``[B, T, 1]`` and leave as ``[B, T, 1]``.
"""
from __future__ import annotations

from typing import Mapping

import gin
import tensorflow as tf

from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db

FRAME_KEYS = ("f0_hz", "f0_confidence", "power_db", "loudness_db")
#: The dataset feature each scaled input is computed from.
SOURCES = {"f0_scaled": "f0_hz", "pw_scaled": "power_db", "ld_scaled": "loudness_db"}


def _frames(x) -> tf.Tensor:
    """``[B, T]`` or ``[B, T, 1]`` -> float32 ``[B, T, 1]``."""
    x = tf.convert_to_tensor(x, tf.float32)
    return x[..., tf.newaxis] if x.shape.rank == 2 else x


@gin.register(module="preprocessing")
class F0PowerPreprocessor:
    """Adds ``f0_scaled``, ``pw_scaled`` and (when ``loudness_db`` is present) ``ld_scaled``.

    The other features pass through; frame-wise ones are reshaped to ``[B, T, 1]``.
    """

    def features_for(self, keys) -> set[str]:
        """The dataset features that the inputs ``keys`` are computed from (:data:`SOURCES`);
        keys this preprocessor does not make (e.g. an encoder's ``z``) need none."""
        return {SOURCES[k] for k in keys if k in SOURCES}

    def __call__(self, features: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        out = dict(features)
        for key in FRAME_KEYS:
            if key in features:
                out[key] = _frames(features[key])
        if "f0_hz" not in out:
            raise KeyError(f"the features lack f0_hz; got {sorted(features)}")
        out["f0_scaled"] = tf.cast(scale_f0_hz(out["f0_hz"]), tf.float32)
        if "power_db" in out:
            out["pw_scaled"] = tf.cast(scale_power_db(out["power_db"]), tf.float32)
        if "loudness_db" in out:
            out["ld_scaled"] = tf.cast(scale_power_db(out["loudness_db"]), tf.float32)
        return out
