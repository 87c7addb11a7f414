"""The DDSP autoencoder: features -> (encoder) -> decoder -> processor group -> audio, with losses.

``features`` (``audio`` [B, n], ``f0_hz``, ``power_db``, ``loudness_db`` [B, T]) go through the
preprocessor (scaled inputs), optionally an encoder (``z``), the decoder (raw control heads) and
the processor group (synths, noise, reverb) that renders ``audio_synth``; the losses compare it
with ``audio``. Everything is wired by gin (``configs/*.gin``).

For the plugin export, :meth:`Autoencoder.controls` (a whole sequence) and
:meth:`Autoencoder.controls_step` (one frame, the GRU state passed in and out) return the synth
controls exactly as the DDSP-VST plugin's synth takes them: ``amplitude`` (linear, >= 0),
``harmonic_distribution`` (>= 0, zero at/above Nyquist, sums to 1) and ``noise_magnitudes``
(linear, >= 0). :meth:`Autoencoder.is_plugin_compatible` lists what keeps a model out of the plugin.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import gin
import keras
import tensorflow as tf

from ddsp_train.dsp import losses as dsp_losses  # noqa: F401  (gin registrations)
from ddsp_train.dsp import fir, noise as dsp_noise
from ddsp_train.dsp import processors as dsp_processors  # noqa: F401  (gin registrations)
from ddsp_train.dsp import reverb as dsp_reverb  # noqa: F401  (gin registrations)
from ddsp_train.dsp import synths as dsp_synths
from ddsp_train.dsp.scaling import unscale_f0_hz
from ddsp_train.models import decoders, encoders, preprocessor  # noqa: F401  (gin registrations)

#: What the DDSP-VST plugin requires of a model (see shared/plugin-contract.md).
PLUGIN_SAMPLE_RATE = 16000
PLUGIN_FRAME_RATE = 50
PLUGIN_HARMONICS = 60
PLUGIN_NOISE_BANDS = 65
PLUGIN_STATE_SIZE = 512
PLUGIN_INPUTS = ("f0_scaled", "pw_scaled")


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

    # ---------------------------------------------------------------------- plugin controls
    def _dag(self) -> list[tuple[Any, list[str]]]:
        return list(zip(self.processor_group.processors, self.processor_group.input_keys))

    def _synth(self, kind) -> tuple[Any, list[str]] | tuple[None, None]:
        for processor, keys in self._dag():
            if isinstance(processor, kind):
                return processor, list(keys)
        return None, None

    def _scaled_controls(self, heads: Mapping[str, tf.Tensor], f0_hz: tf.Tensor) -> dict[str, tf.Tensor]:
        """Raw heads ``[B, T, n]`` -> the plugin's synth controls through the processors' scalings."""
        harmonic, h_keys = self._synth(dsp_synths.Harmonic)
        noise, n_keys = self._synth(dsp_noise.FilteredNoise)
        if harmonic is None or noise is None:
            raise ValueError("controls need a Harmonic synth and a FilteredNoise in the processor group: "
                             + "; ".join(self.is_plugin_compatible()))
        values = {**heads, "f0_hz": f0_hz}
        h = harmonic.get_controls(*[values[k] for k in h_keys])
        n = noise.get_controls(*[values[k] for k in n_keys])
        return {
            "amplitude": h["amplitudes"],
            "harmonic_distribution": h["harmonic_distribution"],
            "noise_magnitudes": n["magnitudes"],
        }

    def controls(self, features: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Synth controls of whole sequences: ``amplitude`` [B, T, 1], ``harmonic_distribution``
        [B, T, H], ``noise_magnitudes`` [B, T, N] (as the plugin's synth takes them)."""
        inputs = self.encode(features)
        heads = self.decoder(inputs)
        return self._scaled_controls(heads, inputs["f0_hz"])

    def controls_step(self, f0_scaled: tf.Tensor, pw_scaled: tf.Tensor, state: tf.Tensor) -> dict[str, tf.Tensor]:
        """One frame: ``f0_scaled`` [B, 1], ``pw_scaled`` [B, 1], ``state`` [B, S] -> ``amplitude``
        [B, 1], ``harmonic_distribution`` [B, H], ``noise_magnitudes`` [B, N], ``state`` [B, S]."""
        heads = self.decoder.step({"f0_scaled": f0_scaled, "pw_scaled": pw_scaled}, state)
        new_state = heads.pop("state")
        f0_hz = unscale_f0_hz(tf.convert_to_tensor(f0_scaled, tf.float32))
        framed = {k: v[:, tf.newaxis, :] for k, v in heads.items()}
        controls = self._scaled_controls(framed, f0_hz[:, tf.newaxis, :])
        controls = {k: v[:, 0, :] for k, v in controls.items()}
        controls["state"] = new_state
        return controls

    # ---------------------------------------------------------------------- introspection
    def timing(self) -> list[tuple[str, str, int]]:
        """``(where, name, value)`` for every sample rate / frame rate / length the model was built with."""
        found = [("model", "sample_rate", self.sample_rate), ("model", "frame_rate", self.frame_rate),
                 ("model", "n_samples", self.n_samples)]
        parts = [("encoder", self.encoder)] + [(p.name, p) for p, _ in self._dag()]
        for where, part in parts:
            for name in ("sample_rate", "frame_rate", "n_samples"):
                value = getattr(part, name, None)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found.append((where, name, int(value)))
        return found

    def _head_size(self, key: str) -> int | None:
        return dict(getattr(self.decoder, "output_splits", ())).get(key)

    def is_plugin_compatible(self) -> list[str]:
        """What keeps this model out of the DDSP-VST plugin; an empty list when it fits."""
        problems = []
        if self.sample_rate != PLUGIN_SAMPLE_RATE:
            problems.append(f"sample rate {self.sample_rate} Hz (the plugin runs models at {PLUGIN_SAMPLE_RATE} Hz)")
        if self.frame_rate != PLUGIN_FRAME_RATE:
            problems.append(f"frame rate {self.frame_rate} Hz (the plugin calls the model at {PLUGIN_FRAME_RATE} Hz)")
        if self.encoder is not None:
            problems.append(f"a {type(self.encoder).__name__} encoder that needs the audio (not causal; "
                            "the plugin feeds only f0 and power)")
        inputs = tuple(getattr(self.decoder, "input_keys", ()))
        if "ld_scaled" in inputs:
            problems.append("loudness input (ld_scaled) instead of the plugin's power (pw_scaled)")
        if sorted(k for k in inputs if k != "z") != sorted(PLUGIN_INPUTS):
            problems.append(f"decoder inputs {list(inputs)} (the plugin feeds exactly {list(PLUGIN_INPUTS)})")
        if not hasattr(self.decoder, "step"):
            problems.append(f"{type(self.decoder).__name__} decoder cannot run one frame at a time")
        state = getattr(self.decoder, "rnn_channels", None)
        if state != PLUGIN_STATE_SIZE:
            problems.append(f"recurrent state size {state} (the plugin passes {PLUGIN_STATE_SIZE} values)")
        harmonic, h_keys = self._synth(dsp_synths.Harmonic)
        if harmonic is None:
            synths = [type(p).__name__ for p, _ in self._dag()]
            problems.append(f"no Harmonic synth (processors: {', '.join(synths)}; the plugin plays a harmonic synth)")
        else:
            size = self._head_size(h_keys[1]) if len(h_keys) > 1 else None
            if size != PLUGIN_HARMONICS:
                problems.append(f"{size} harmonics (the plugin plays {PLUGIN_HARMONICS})")
            if harmonic.amp_resample_method != "linear":
                problems.append(f"Harmonic.amp_resample_method = '{harmonic.amp_resample_method}' (the plugin "
                                "moves the amplitudes linearly across each frame)")
            if not harmonic.normalize_below_nyquist:
                problems.append("Harmonic.normalize_below_nyquist = False (the plugin renormalises the harmonic "
                                "distribution below Nyquist)")
        noise, n_keys = self._synth(dsp_noise.FilteredNoise)
        if noise is None:
            problems.append("no FilteredNoise (the plugin plays filtered noise)")
        else:
            size = self._head_size(n_keys[0])
            if size != PLUGIN_NOISE_BANDS:
                problems.append(f"{size} noise bands (the plugin takes {PLUGIN_NOISE_BANDS})")
            if noise.n_taps != fir.PLUGIN_TAPS:
                problems.append(f"FilteredNoise.n_taps = {noise.n_taps} (the plugin builds {fir.PLUGIN_TAPS}-tap "
                                "noise filters)")
        return problems

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
        """Create every weight by running the model (and the one-frame path) once."""
        self(self.dummy_features())
        if hasattr(self.decoder, "step") and all(k in PLUGIN_INPUTS for k in self.decoder.input_keys):
            try:
                self.controls_step(tf.zeros([1, 1]), tf.zeros([1, 1]), tf.zeros([1, self.decoder.rnn_channels]))
            except ValueError:
                pass  # not plugin-shaped (no Harmonic/FilteredNoise); is_plugin_compatible says why

