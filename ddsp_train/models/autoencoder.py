"""The DDSP autoencoder: features -> (encoder) -> decoder -> processor group -> audio, with losses.

``features`` (``audio`` [B, n], ``f0_hz``, ``power_db``, ``loudness_db`` [B, T]) go through the
preprocessor (scaled inputs), optionally an encoder (``z``), the decoder (raw control heads) and
the processor group (synths, noise, reverb) that renders ``audio_synth``; the losses compare it
with ``audio``. Everything is wired by gin (``configs/*.gin``).

The plugin's view of the model (its synth controls one frame at a time, and what keeps a model
out of the plugin) is :mod:`ddsp_train.exporting.plugin_model`; the plugin's contract is
:mod:`ddsp_train.contract` (docs/plugin-contract.md).
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import gin
import keras
import tensorflow as tf

from ddsp_train.dsp import losses as dsp_losses  # noqa: F401  (gin registrations)
from ddsp_train.dsp import noise as dsp_noise  # noqa: F401  (gin registrations)
from ddsp_train.dsp import processors as dsp_processors  # noqa: F401  (gin registrations)
from ddsp_train.dsp import reverb as dsp_reverb  # noqa: F401  (gin registrations)
from ddsp_train.dsp import synths as dsp_synths  # noqa: F401  (gin registrations)
from ddsp_train.models import decoders, encoders, preprocessor  # noqa: F401  (gin registrations)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@gin.register(module="models")
class Autoencoder(keras.Model):
    """Preprocessor -> (encoder) -> decoder -> processor group; ``losses`` compare with the input audio.

    ``sample_rate``, ``frame_rate`` and ``n_samples`` (one example) are the model's timing; the
    recipes bind them to the gin macros that come from the dataset.
    """

    def __init__(
        self,
        *,
        preprocessor=gin.REQUIRED,
        decoder=gin.REQUIRED,
        processor_group=gin.REQUIRED,
        losses: Sequence[Any] = gin.REQUIRED,
        encoder=None,
        sample_rate: int = gin.REQUIRED,
        frame_rate: int = gin.REQUIRED,
        n_samples: int = gin.REQUIRED,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.preprocessor = preprocessor
        self.encoder = encoder
        self.decoder = decoder
        self.processor_group = processor_group
        self.loss_objects = list(losses)
        self.sample_rate = int(sample_rate)
        self.frame_rate = int(frame_rate)
        self.n_samples = int(n_samples)
        if self.sample_rate % self.frame_rate:
            raise ValueError(f"sample_rate {self.sample_rate} is not a multiple of frame_rate {self.frame_rate}")
        self.hop = self.sample_rate // self.frame_rate
        self.n_frames = self.n_samples // self.hop + 1

    # ----------------------------------------------------------------------------- forward pass
    def encode(self, features: Mapping[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        """Scaled inputs (and ``z`` when the model has an encoder)."""
        inputs = self.preprocessor(features)
        if self.encoder is not None:
            inputs["z"] = self.encoder(inputs, training=training)
        return inputs

    def call(self, features: Mapping[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        """Features -> dict with the decoder's raw heads, the group's outputs and ``audio_synth``."""
        inputs = self.encode(features, training=training)
        heads = self.decoder(inputs, training=training)
        group_inputs = {**inputs, **heads}
        outputs = dict(self.processor_group(group_inputs, training=training))
        outputs.update({k: v for k, v in heads.items() if k not in outputs})
        outputs["audio_synth"] = outputs["out"]
        return outputs

    def loss_terms(self, features: Mapping[str, tf.Tensor], outputs: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """``{loss name: scalar}`` of every configured loss between ``audio`` and ``audio_synth``."""
        target = tf.convert_to_tensor(features["audio"], tf.float32)
        terms = {}
        for loss in self.loss_objects:
            name = getattr(loss, "name", None) or _snake(type(loss).__name__)
            terms[name] = tf.cast(loss(target, outputs["audio_synth"]), tf.float32)
        return terms

    # ---------------------------------------------------------------------- introspection
    def timing(self) -> list[tuple[str, str, int]]:
        """``(where, name, value)`` for every sample rate / frame rate / length the model was built with."""
        found = [("model", "sample_rate", self.sample_rate), ("model", "frame_rate", self.frame_rate),
                 ("model", "n_samples", self.n_samples)]
        parts = [("encoder", self.encoder)] + [(p.name, p) for p in self.processor_group.processors]
        for where, part in parts:
            for name in ("sample_rate", "frame_rate", "n_samples"):
                value = getattr(part, name, None)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found.append((where, name, int(value)))
        return found

    # ---------------------------------------------------------------------- building
    def dummy_features(self, batch_size: int = 1) -> dict[str, tf.Tensor]:
        """Zero-level features of one example on the model's timing (to create the weights)."""
        frames = tf.ones([batch_size, self.n_frames], tf.float32)
        return {
            "audio": tf.zeros([batch_size, self.n_samples], tf.float32),
            "f0_hz": 220.0 * frames,
            "f0_confidence": frames,
            "power_db": -80.0 * frames,
            "loudness_db": -80.0 * frames,
        }

    def build_from_timing(self) -> None:
        """Create every weight by running the model once (the one-frame path of the decoder uses
        the same weights)."""
        self(self.dummy_features())

