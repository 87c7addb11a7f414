"""The two kinds of model that ``ddsp-transfer`` plays, and :func:`load_player` that picks one.

- a plugin ``.tflite`` (:class:`TFLitePlayer`), driven as the DDSP-VST plugin drives it: the
  input at the model's rate (16 kHz); every hop (320 samples) the **last frame_size (1024)
  samples** (a causal frame) give the pitch and the plugin's power ``10 log10(mean(frame^2))``
  (floored at -80 dB); the model is called once per frame with the state fed back; the
  plugin-like synth (:mod:`ddsp_train.realtime.synth`) turns each frame's controls into the next
  hop of samples; then the reverb (:mod:`ddsp_train.realtime.reverb`: the learned
  ``NAME.reverb.wav`` beside the model, else a room). The plugin's latency (``frame_size / 2 +
  hop`` = 832 samples: the causal frame's centre lags its end by 512 samples, and a block's
  controls are reached at its end) is reported in ``latency_samples`` for the caller to remove;
- a ``NAME.saved_model`` (:class:`SavedModelPlayer`), the offline model: features on the
  training data's centred frame grid and at its sample rate, the whole sequence in overlapping
  windows, the model's own synths and (optionally) its learned reverb.

Both mute the performance's ``silent`` frames (see :mod:`.performance`).
"""
from __future__ import annotations

import json
import os
import pathlib
import time

import numpy as np

from ddsp_train import console, contract
from ddsp_train import features as feats
from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
from ddsp_train.errors import UserError
from ddsp_train.realtime import reverb as reverb_lib
from ddsp_train.realtime.performance import Performance, causal_features, centred_features


class TFLitePlayer:
    """Plays a plugin ``.tflite`` frame by frame (see the module docstring)."""

    kind = "tflite"

    def __init__(self, path: str | os.PathLike):
        from ddsp_train.exporting.metadata import read_metadata
        from ddsp_train.exporting.plugin_tflite import PluginModel
        from ddsp_train.realtime.synth import PluginSynth

        content = pathlib.Path(path).read_bytes()
        try:
            self.model = PluginModel(content, xnnpack=True)
        except ValueError as e:
            raise UserError(f"{path} is not a DDSP-VST control model: {e}") from None
        self.metadata = read_metadata(content)
        self.sample_rate = int(self.metadata.get("sample_rate", contract.SAMPLE_RATE))
        self.frame_rate = float(self.metadata.get("frame_rate", contract.FRAME_RATE))
        self.frame_size = int(self.metadata.get("frame_size", contract.FRAME_SIZE))
        self.hop = feats.hop_size(sample_rate=self.sample_rate, frame_rate=self.frame_rate)
        self.latency_samples = self.frame_size // 2 + self.hop
        self.synth = PluginSynth(sample_rate=self.sample_rate, hop=self.hop)
        self.reverb_path = reverb_lib.learned_reverb_path(path)
        if self.reverb_path.is_file():
            self.impulse_response = reverb_lib.read_impulse_response(self.reverb_path, sample_rate=self.sample_rate)
            self.wet, self.dry = 1.0, 0.0  # the file holds the direct path too
            self.reverb_name = f"learned ({self.reverb_path.name})"
        else:
            self.impulse_response = reverb_lib.room_impulse_response(sample_rate=self.sample_rate)
            self.wet, self.dry = reverb_lib.ROOM_WET, 1.0
            self.reverb_name = "room"
        self.last_timing = {}

    def features(self, audio: np.ndarray, tracker) -> Performance:
        return causal_features(audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
                               frame_size=self.frame_size, tracker=tracker)

    def render(self, perf: Performance, *, reverb: bool, progress: bool = False) -> np.ndarray:
        """Controls frame by frame from a zero state (state fed back), then the synth: the same
        samples as synthesizing each frame's ``hop`` samples as it comes (see ``PluginSynth.render``).
        A silent frame's amplitude and noise are set to 0; then :func:`reverb.add_reverb`.
        ``progress`` draws a line with an ETA while the model runs."""
        self.model.reset()
        self.synth.reset()
        f0_scaled = scale_f0_hz(perf.f0_hz.astype(np.float64))
        pw_scaled = scale_power_db(perf.power_db.astype(np.float64))
        meter = console.Progress(label="  control model", total=len(f0_scaled), unit="frames", enabled=progress)
        t0 = time.perf_counter()
        frames = []
        for i, (fs, ps) in enumerate(zip(f0_scaled, pw_scaled)):
            frames.append(self.model.step(fs, ps))
            if i % 1000 == 0:
                meter.update(i)
        meter.close(len(frames))
        t1 = time.perf_counter()
        if frames:
            sounding = 1.0 if perf.silent is None else (~np.asarray(perf.silent, bool))[:, None].astype(np.float64)
            audio = self.synth.render(perf.f0_hz, np.stack([c["amplitude"] for c in frames]) * sounding,
                                      np.stack([c["harmonic_distribution"] for c in frames]),
                                      np.stack([c["noise_magnitudes"] for c in frames]) * sounding)
        else:
            audio = np.zeros(0, np.float32)
        t_model, t_synth = t1 - t0, time.perf_counter() - t1
        if reverb:
            t1 = time.perf_counter()
            audio = reverb_lib.add_reverb(audio, self.impulse_response, wet=self.wet, dry=self.dry)
            t_synth += time.perf_counter() - t1
        self.last_timing = {"model": t_model, "synth": t_synth}
        return audio


class SavedModelPlayer:
    """Plays a ``NAME.saved_model`` written by ddsp-export: the model's own synths and reverb,
    features on its centred grid at its rate, rendered in overlapping windows
    (:func:`ddsp_train.exporting.saved_model.render_long`)."""

    kind = "saved_model"
    #: Overlap of consecutive windows (half of it warms the recurrent state up, half cross-fades).
    overlap_secs = 1.0

    def __init__(self, path: str | os.PathLike):
        import tensorflow as tf

        from ddsp_train.exporting.saved_model import INFO_NAME

        path = pathlib.Path(path)
        info_path = path / INFO_NAME
        if not info_path.exists():
            raise UserError(f"{path} is not a SavedModel written by ddsp-export ({INFO_NAME} is missing)")
        self.info = json.loads(info_path.read_text())
        self.metadata = self.info["metadata"]
        self.model = tf.saved_model.load(str(path))
        self.sample_rate = int(self.info["sample_rate"])
        self.frame_rate = float(self.info["frame_rate"])
        self.inputs = list(self.info["inputs"])
        self.hop = feats.hop_size(sample_rate=self.sample_rate, frame_rate=self.frame_rate)
        self.latency_samples = 0
        has_reverb = self.info.get("has_reverb", True)
        self.reverb_name = "learned (in the SavedModel)" if has_reverb else "none (the model has none)"
        self.last_timing = {}
        self._audio = None

    def features(self, audio: np.ndarray, tracker) -> Performance:
        perf = centred_features(audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
                                tracker=tracker, loudness="loudness_db" in self.inputs)
        self._audio = np.asarray(audio, np.float32)
        return perf

    def render(self, perf: Performance, *, reverb: bool, progress: bool = False) -> np.ndarray:
        """The model's audio times a gate: 0 at silent frames, 1 elsewhere, linear between frame
        centres ``k * hop`` (``progress`` is accepted for the same call as the other player; the
        windows are rendered in one call without a meter)."""
        from ddsp_train.exporting.saved_model import render_long

        values = {"f0_hz": perf.f0_hz, "power_db": perf.power_db,
                  "loudness_db": perf.power_db if perf.loudness_db is None else perf.loudness_db}
        features = {}
        for key in self.inputs:
            if key == "audio":
                if self._audio is None:
                    raise UserError("this SavedModel encodes the input audio itself (it has a z encoder), "
                                    "so it cannot play MIDI")
                features[key] = self._audio
            else:
                features[key] = values[key]
        fn = self.model.signatures["serving_default" if reverb else "dry"]
        t0 = time.perf_counter()
        out = render_long(fn, features, n_frames=int(self.info["n_frames"]), hop=self.hop,
                          overlap_frames=int(round(self.overlap_secs * self.frame_rate)))
        if perf.silent is not None and len(out):
            sounding = (~np.asarray(perf.silent, bool)).astype(np.float64)
            gate = np.interp(np.arange(len(out)) / self.hop, np.arange(len(sounding)), sounding)
            out = (out * gate).astype(np.float32)
        self.last_timing = {"model": time.perf_counter() - t0, "synth": 0.0}
        return out


def load_player(path: str | os.PathLike):
    """A :class:`TFLitePlayer` for a ``.tflite`` file, a :class:`SavedModelPlayer` for a SavedModel folder."""
    path = pathlib.Path(path)
    check_model_path(path)
    return SavedModelPlayer(path) if path.is_dir() else TFLitePlayer(path)


def check_model_path(path: str | os.PathLike) -> None:
    """UserError unless ``path`` is a ``.tflite`` file or a SavedModel folder (no TensorFlow needed)."""
    path = pathlib.Path(path)
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise UserError(f"{path} is a folder but not a SavedModel (no saved_model.pb); "
                            "give a NAME.tflite or NAME.saved_model written by ddsp-export")
        return
    if not path.is_file():
        raise UserError(f"model {path} does not exist")
    if path.suffix.lower() != contract.MODEL_SUFFIX:
        raise UserError(f"model {path} is neither a .tflite file nor a SavedModel folder")
