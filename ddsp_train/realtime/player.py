"""The frame loop of ``ddsp-transfer``: audio (or MIDI) -> features -> control model -> synth -> audio.

Two kinds of model play:

- a plugin ``.tflite`` (:class:`TFLitePlayer`), driven as the DDSP-VST plugin drives it: the
  input is resampled to 16 kHz; every 320 samples the **last 1024 samples** (a causal frame) give
  the pitch (the package's tracker) and the plugin's power ``10 log10(mean(frame^2))`` (floored
  at -80 dB); the model is called once per frame with the state fed back; the plugin-like synth
  (:mod:`ddsp_train.realtime.synth`) turns each frame's controls into the next 320 samples. The
  plugin's latency (``frame_size / 2 + hop`` = 832 samples at 16 kHz: the causal frame's centre
  lags its end by 512 samples, and a block's controls are reached at its end) is removed, so the
  output lines up with the input;
- a ``NAME.saved_model`` (:class:`SavedModelPlayer`), the offline model: features on the
  training data's centred frame grid and at its sample rate, the whole sequence in one call,
  the model's own synths and (optionally) its learned reverb.

Before the model, ``--pitch-shift`` multiplies f0 by ``2 ** (semitones / 12)`` and auto-adjust
(:func:`auto_adjust_shifts`) moves pitch by whole octaves and power by decibels so the input sits
in the model's trained ranges. The output is scaled by ``--gain-db``, resampled back to the
input's rate and has exactly the input's length.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import time
from typing import Any

import numpy as np

from ddsp_train.features import causal_frames  # noqa: F401  (re-exported until the split)
from ddsp_train import features as feats
from ddsp_train.dsp.scaling import MAX_F0_HZ, MIN_F0_HZ, hz_to_midi, scale_f0_hz, scale_power_db
from ddsp_train.errors import UserError

#: Confidence below which a frame counts as unvoiced for auto-adjust.
VOICED_CONFIDENCE = 0.5
#: Power below which a frame is too quiet to say anything about the input's range (dB).
AUDIBLE_DB = -60.0


@dataclasses.dataclass
class Performance:
    """What is fed to a control model, one value per frame."""

    f0_hz: np.ndarray
    power_db: np.ndarray
    confidence: np.ndarray
    loudness_db: np.ndarray | None = None


@dataclasses.dataclass
class TransferReport:
    """What a transfer did: applied shifts, sizes and timings (seconds)."""

    pitch_shift_semitones: float
    power_shift_db: float
    frames: int
    input_seconds: float
    seconds_features: float = 0.0
    seconds_model: float = 0.0
    seconds_synth: float = 0.0
    seconds_total: float = 0.0

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio per second of processing (``>= 1`` is faster than real time)."""
        return self.input_seconds / max(self.seconds_total, 1e-9)


def resample(audio: np.ndarray, *, from_rate: int, to_rate: int) -> np.ndarray:
    """:func:`ddsp_train.audio.resample` of a 1-D signal; a no-op when the rates agree."""
    from ddsp_train import audio as audio_lib

    audio = np.asarray(audio, np.float32)
    if int(from_rate) == int(to_rate):
        return audio
    return np.asarray(audio_lib.resample(audio, rate_in=int(from_rate), rate_out=int(to_rate)), np.float32)


def fit_samples(audio: np.ndarray, length: int) -> np.ndarray:
    """``audio`` trimmed or zero-padded at the end to exactly ``length`` samples."""
    audio = np.asarray(audio, np.float32)
    if len(audio) >= length:
        return audio[:length]
    return np.concatenate([audio, np.zeros(length - len(audio), np.float32)])


def causal_features(audio: np.ndarray, *, sample_rate: int, frame_rate: float, frame_size: int,
                    tracker) -> Performance:
    """The plugin's features of each causal frame (see :func:`causal_frames`).

    ``power_db`` is :func:`ddsp_train.features.frame_power_db` of the causal frame. The pitch
    comes from ``tracker`` on the signal delayed by ``frame_size // 2`` samples, so that its
    centred frame ``k`` is the causal frame ``k`` of the input.
    """
    hop = feats.hop_size(sample_rate=sample_rate, frame_rate=frame_rate)
    frames = causal_frames(audio, frame_size=frame_size, hop=hop)
    power_db = feats.frame_power_db(frames)
    delayed = np.concatenate([np.zeros(frame_size // 2, np.float32), np.asarray(audio, np.float32)])
    f0_hz, confidence = tracker.track(delayed, sample_rate=sample_rate, frame_rate=frame_rate)
    n = len(frames)
    return Performance(f0_hz=_fit(f0_hz, n), power_db=power_db, confidence=_fit(confidence, n))


def centred_features(audio: np.ndarray, *, sample_rate: int, frame_rate: float, tracker,
                     loudness: bool) -> Performance:
    """Features on the training data's centred grid: f0, power (and A-weighted loudness)."""
    f0_hz, confidence = tracker.track(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    power_db = feats.compute_power_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    n = len(power_db)
    loudness_db = (feats.compute_loudness_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
                   if loudness else None)
    return Performance(f0_hz=_fit(f0_hz, n), power_db=power_db, confidence=_fit(confidence, n),
                       loudness_db=loudness_db)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    from ddsp_train.pitch import fit_length

    return np.asarray(fit_length(np.asarray(x, np.float32), n), np.float32)


def auto_adjust_shifts(perf: Performance, metadata: dict, *, pitch_shift: float = 0.0) -> tuple[float, float]:
    """``(octave_semitones, power_db_shift)`` that move the input into the model's trained ranges.

    Over the input's voiced, audible frames (confidence >= 0.5, power >= -60 dB; all frames if
    none are): with ``m`` the median MIDI pitch after ``pitch_shift`` and ``c`` the centre of the
    model's pitch range (``mean_min/max_pitch_note_hz`` in MIDI), the pitch moves by
    ``12 * round((c - m) / 12)`` semitones (whole octaves keep the key); the power moves by the
    distance between the centres of the model's power range (``mean_min/max_power_note``) and of
    the input's (5th..95th percentile of power).
    """
    voiced = (perf.confidence >= VOICED_CONFIDENCE) & (perf.power_db >= AUDIBLE_DB) & (perf.f0_hz > 0)
    if not voiced.any():
        voiced = perf.f0_hz > 0
    if not voiced.any():
        return 0.0, 0.0
    midi = hz_to_midi(perf.f0_hz[voiced].astype(np.float64)) + pitch_shift
    centre = 0.5 * (hz_to_midi(float(metadata["mean_min_pitch_note_hz"]))
                    + hz_to_midi(float(metadata["mean_max_pitch_note_hz"])))
    octaves = 12.0 * float(np.round((centre - float(np.median(midi))) / 12.0))
    lo, hi = np.percentile(perf.power_db[voiced], [5, 95])
    model_centre = 0.5 * (float(metadata["mean_min_power_note"]) + float(metadata["mean_max_power_note"]))
    return octaves, float(model_centre - 0.5 * (lo + hi))


def shifted(perf: Performance, *, semitones: float, power_db: float) -> Performance:
    """f0 times ``2 ** (semitones / 12)`` (kept within MIDI 0..127), power plus ``power_db`` (>= -80 dB)."""
    f0 = np.clip(perf.f0_hz * 2.0 ** (semitones / 12.0), MIN_F0_HZ, MAX_F0_HZ).astype(np.float32)
    pw = np.maximum(perf.power_db + power_db, -80.0).astype(np.float32)
    ld = None if perf.loudness_db is None else np.maximum(perf.loudness_db + power_db, -80.0).astype(np.float32)
    return Performance(f0_hz=f0, power_db=pw, confidence=perf.confidence, loudness_db=ld)


def room_reverb(audio: np.ndarray, *, sample_rate: int, seconds: float = 1.0, wet: float = 0.25,
                seed: int = 0) -> np.ndarray:
    """A simple room for the plugin model (whose learned reverb is not exported):
    ``y = (1 - wet) x + wet * (x * h)``, ``h[n] = g * e[n] * 10 ** (-3 n / (seconds * sr))``
    (white noise ``e`` decaying by 60 dB over ``seconds``, ``g`` normalising ``sum h^2`` to 1).
    The output keeps the input's length."""
    n = max(1, int(seconds * sample_rate))
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(n) * 10.0 ** (-3.0 * np.arange(n) / n)
    h /= np.sqrt(np.sum(h * h))
    audio = np.asarray(audio, np.float64)
    if len(audio) == 0:
        return audio.astype(np.float32)
    size = 1 << int(np.ceil(np.log2(len(audio) + n - 1)))
    reverberated = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(h, size), size)[: len(audio)]
    return ((1 - wet) * audio + wet * reverberated).astype(np.float32)


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
        self.sample_rate = int(self.metadata.get("sample_rate", 16000))
        self.frame_rate = float(self.metadata.get("frame_rate", 50))
        self.frame_size = int(self.metadata.get("frame_size", 1024))
        self.hop = feats.hop_size(sample_rate=self.sample_rate, frame_rate=self.frame_rate)
        self.latency_samples = self.frame_size // 2 + self.hop
        self.synth = PluginSynth(sample_rate=self.sample_rate, hop=self.hop)
        self.last_timing = {}

    def features(self, audio: np.ndarray, tracker) -> Performance:
        return causal_features(audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
                               frame_size=self.frame_size, tracker=tracker)

    def render(self, perf: Performance, *, reverb: bool) -> np.ndarray:
        """Controls frame by frame from a zero state (state fed back), then the synth: the same
        samples as synthesizing each frame's ``hop`` samples as it comes (see ``PluginSynth.render``)."""
        self.model.reset()
        self.synth.reset()
        f0_scaled = scale_f0_hz(perf.f0_hz.astype(np.float64))
        pw_scaled = scale_power_db(perf.power_db.astype(np.float64))
        t0 = time.perf_counter()
        frames = [self.model.step(fs, ps) for fs, ps in zip(f0_scaled, pw_scaled)]
        t1 = time.perf_counter()
        if frames:
            audio = self.synth.render(perf.f0_hz, np.stack([c["amplitude"] for c in frames]),
                                      np.stack([c["harmonic_distribution"] for c in frames]),
                                      np.stack([c["noise_magnitudes"] for c in frames]))
        else:
            audio = np.zeros(0, np.float32)
        t_model, t_synth = t1 - t0, time.perf_counter() - t1
        if reverb:
            t1 = time.perf_counter()
            audio = room_reverb(audio, sample_rate=self.sample_rate)
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
        self.last_timing = {}
        self._audio = None

    def features(self, audio: np.ndarray, tracker) -> Performance:
        perf = centred_features(audio, sample_rate=self.sample_rate, frame_rate=self.frame_rate,
                                tracker=tracker, loudness="loudness_db" in self.inputs)
        self._audio = np.asarray(audio, np.float32)
        return perf

    def render(self, perf: Performance, *, reverb: bool) -> np.ndarray:
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
        self.last_timing = {"model": time.perf_counter() - t0, "synth": 0.0}
        return out


def load_player(path: str | os.PathLike):
    """A :class:`TFLitePlayer` for a ``.tflite`` file, a :class:`SavedModelPlayer` for a SavedModel folder."""
    path = pathlib.Path(path)
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise UserError(f"{path} is a folder but not a SavedModel (no saved_model.pb); "
                            "give a NAME.tflite or NAME.saved_model written by ddsp-export")
        return SavedModelPlayer(path)
    if not path.is_file():
        raise UserError(f"model {path} does not exist")
    if path.suffix.lower() != ".tflite":
        raise UserError(f"model {path} is neither a .tflite file nor a SavedModel folder")
    return TFLitePlayer(path)


def transfer_audio(
    player,
    audio: np.ndarray,
    *,
    sample_rate: int,
    tracker,
    pitch_shift: float = 0.0,
    gain_db: float = 0.0,
    auto_adjust: bool = True,
    reverb: bool = True,
) -> tuple[np.ndarray, TransferReport]:
    """Play mono ``audio`` (at ``sample_rate``) through ``player``; output of the same length and rate."""
    started = time.perf_counter()
    audio = np.asarray(audio, np.float32)
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono (1-D), got shape {audio.shape}")
    x = resample(audio, from_rate=sample_rate, to_rate=player.sample_rate)
    n = len(x)
    lat = player.latency_samples
    padded = np.concatenate([x, np.zeros(lat, np.float32)])
    t0 = time.perf_counter()
    perf = player.features(padded, tracker)
    t_features = time.perf_counter() - t0
    octaves, power_shift = auto_adjust_shifts(perf, player.metadata, pitch_shift=pitch_shift) if auto_adjust else (0.0, 0.0)
    perf = shifted(perf, semitones=pitch_shift + octaves, power_db=power_shift)
    y = player.render(perf, reverb=reverb)
    y = fit_samples(y[lat:], n) * np.float32(10.0 ** (gain_db / 20.0))
    out = fit_samples(resample(y, from_rate=player.sample_rate, to_rate=sample_rate), len(audio))
    report = TransferReport(
        pitch_shift_semitones=pitch_shift + octaves, power_shift_db=power_shift, frames=len(perf.f0_hz),
        input_seconds=len(audio) / sample_rate, seconds_features=t_features,
        seconds_model=player.last_timing.get("model", 0.0), seconds_synth=player.last_timing.get("synth", 0.0),
        seconds_total=time.perf_counter() - started)
    return out, report


def render_midi(
    player,
    midi_path: str | os.PathLike,
    *,
    sample_rate: int,
    pitch_shift: float = 0.0,
    gain_db: float = 0.0,
    reverb: bool = True,
    bend_range: float = 2.0,
) -> tuple[np.ndarray, TransferReport]:
    """Play a MIDI file through ``player`` as the plugin's synth mode does (see :mod:`.midi`)."""
    from ddsp_train.realtime.midi import midi_features, read_midi_events

    started = time.perf_counter()
    events = read_midi_events(midi_path, bend_range=bend_range)
    peak_db = float(player.metadata.get("mean_max_power_note", -20.0))
    f0_hz, power_db = midi_features(events, frame_rate=player.frame_rate, peak_db=peak_db)
    perf = shifted(Performance(f0_hz=f0_hz, power_db=power_db, confidence=np.ones_like(f0_hz)),
                   semitones=pitch_shift, power_db=0.0)
    seconds = (len(f0_hz) - 1) / player.frame_rate
    n = int(round(seconds * player.sample_rate))
    y = fit_samples(player.render(perf, reverb=reverb), n) * np.float32(10.0 ** (gain_db / 20.0))
    out = resample(y, from_rate=player.sample_rate, to_rate=sample_rate)
    report = TransferReport(pitch_shift_semitones=pitch_shift, power_shift_db=0.0, frames=len(f0_hz),
                            input_seconds=seconds, seconds_model=player.last_timing.get("model", 0.0),
                            seconds_synth=player.last_timing.get("synth", 0.0),
                            seconds_total=time.perf_counter() - started)
    return out, report


def describe(report: TransferReport) -> dict[str, Any]:
    """The report as a flat dict for printing."""
    d = dataclasses.asdict(report)
    d["realtime_factor"] = report.realtime_factor
    return d


#: Trackers for playing audio in order of preference: the network (the most accurate; the whole
#: chain runs ~35x real time on one core, scripts/bench_export.py), then yin (faster, more octave
#: errors). pyin runs at about 4x real time.
TRANSFER_F0_METHODS = ("network", "yin")


def default_f0_method() -> str:
    """The first of :data:`TRANSFER_F0_METHODS` that is available."""
    from ddsp_train.pitch import available_trackers

    available = available_trackers()
    return next((m for m in TRANSFER_F0_METHODS if m in available), available[0])


def transfer_file(
    model_path: str | os.PathLike,
    *,
    output_path: str | os.PathLike,
    input_path: str | os.PathLike | None = None,
    midi_path: str | os.PathLike | None = None,
    pitch_shift: float = 0.0,
    gain_db: float = 0.0,
    auto_adjust: bool = True,
    reverb: bool = True,
    f0_method: str | None = None,
    sample_rate: int | None = None,
    echo=print,
) -> TransferReport:
    """``ddsp-transfer``: play ``input_path`` (audio) or ``midi_path`` through ``model_path`` into
    ``output_path`` (a wav, written atomically); returns the report (also printed via ``echo``)."""
    import io

    import soundfile as sf

    from ddsp_train import audio as audio_lib
    from ddsp_train.atomic import write_bytes_atomic
    from ddsp_train.pitch import get_tracker

    if (input_path is None) == (midi_path is None):
        raise UserError("give either an input audio file or a MIDI file (exactly one)")
    output_path = pathlib.Path(output_path)
    if output_path.suffix.lower() not in (".wav", ".flac"):
        raise UserError(f"--output {output_path} must end in .wav or .flac")
    if not -48 <= pitch_shift <= 48:
        raise UserError(f"--pitch-shift {pitch_shift:g} is outside -48..48 semitones")
    player = load_player(model_path)
    if midi_path is not None:
        if not pathlib.Path(midi_path).is_file():
            raise UserError(f"MIDI file {midi_path} does not exist")
        rate = int(sample_rate or player.sample_rate)
        out, report = render_midi(player, midi_path, sample_rate=rate, pitch_shift=pitch_shift,
                                  gain_db=gain_db, reverb=reverb)
        source = f"MIDI {midi_path}"
    else:
        if not pathlib.Path(input_path).is_file():
            raise UserError(f"input {input_path} does not exist")
        info = audio_lib.probe_audio(str(input_path))
        rate = int(info.sample_rate)
        audio = audio_lib.load_audio(str(input_path), sample_rate=rate)
        method = f0_method or default_f0_method()
        out, report = transfer_audio(player, audio, sample_rate=rate, tracker=get_tracker(method),
                                     pitch_shift=pitch_shift, gain_db=gain_db, auto_adjust=auto_adjust, reverb=reverb)
        source = f"{input_path} (pitch: {method})"
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    buf = io.BytesIO()
    sf.write(buf, out, rate, format="WAV" if output_path.suffix.lower() == ".wav" else "FLAC",
             subtype="FLOAT" if output_path.suffix.lower() == ".wav" else "PCM_24")
    write_bytes_atomic(output_path, buf.getvalue())
    echo(f"Wrote {output_path}: {len(out) / rate:.2f} s at {rate} Hz from {source} through {player.kind} "
         f"{model_path}.")
    echo(f"  pitch shift {report.pitch_shift_semitones:+g} semitones, power shift {report.power_shift_db:+.1f} dB"
         + (" (auto-adjust)" if auto_adjust and midi_path is None else "")
         + f"; peak {20 * np.log10(max(peak, 1e-12)):.1f} dBFS")
    echo(f"  {report.frames} frames in {report.seconds_total:.2f} s: {report.realtime_factor:.0f}x real time "
         f"(features {report.seconds_features:.2f} s, model {report.seconds_model:.2f} s, "
         f"synth {report.seconds_synth:.2f} s)")
    if peak > 1.0:
        kept = ("it is written as float, lower --gain-db to avoid clipping elsewhere"
                if output_path.suffix.lower() == ".wav" else "the 24-bit FLAC clips it: lower --gain-db")
        echo(f"  Warning: the output peaks above full scale ({peak:.2f}); {kept}.")
    return report
