"""Is this audio good for training? One recording's measurements and their verdicts.

:func:`check_recording` measures one recording from its audio and the dataset's frame features
(f0, confidence, the plugin's power); :func:`check_audio` computes those features first (for a
file that is not in a dataset yet). Each item gets a verdict, ``good`` / ``usable`` /
``fix`` ("fix this first"), by the thresholds below (justified in docs/reports.md):

========== ============================================ ============ ============
item       measure                                      good         usable
========== ============================================ ============ ============
monophony  share of sounding frames with a 2nd voice    < 5 %        < 20 %
reverb     decay time of the fastest free decays (T60)  < 0.5 s      < 1.0 s
clipping   clipped runs per minute                      0            <= 1 / min
noise      median playing level - noise floor           >= 40 dB     >= 25 dB
dc         ``|mean(x)|``                                < 0.001      < 0.01
pitch      5th..95th percentile range of voiced f0      >= 12 semis  >= 5 semis
dynamics   10th..90th percentile of voiced power        >= 12 dB     >= 6 dB 
========== ============================================ ============ ============

Reverb without a free decay to measure (legato playing throughout) is not flagged: the
sentence says it could not be heard. Length is judged over the whole set (:mod:`ddsp_train.reports.verdicts`).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import numpy as np

from ddsp_train.reports import decay as decay_lib
from ddsp_train.reports import measures
from ddsp_train.reports import polyphony as polyphony_lib
from ddsp_train.reports import units

GOOD, USABLE, FIX = "good", "usable", "fix"
LEVELS = (GOOD, USABLE, FIX)
LABELS = {GOOD: "good", USABLE: "usable", FIX: "fix this first"}
ITEMS = ("length", "monophony", "reverb", "clipping", "noise", "dc", "pitch", "dynamics")
TITLES = {"length": "Length", "monophony": "One note at a time", "reverb": "Reverb", "clipping": "Clipping",
          "noise": "Background noise", "dc": "DC offset", "pitch": "Pitch range", "dynamics": "Loud and soft"}
#: (good below, usable below) for measures where smaller is better; (good from, usable from) otherwise.
SECOND_VOICE = (0.05, 0.20)
DECAY_SECS = (0.5, 1.0)
CLIP_RUNS_PER_MIN = (0.0, 1.0)
SNR_DB = (40.0, 25.0)
DC = (0.001, 0.01)
PITCH_SEMITONES = (12.0, 5.0)
DYNAMICS_DB = (12.0, 6.0)
#: A file whose playing (note frames) fills less than this share of it is mostly silence.
MOSTLY_SILENT = 0.25


def smaller_is_better(value: float, limits: tuple[float, float]) -> str:
    """``good`` if ``value < limits[0]`` (or ``== 0`` for a 0 limit), ``usable`` if ``< limits[1]``
    (``<=`` when the good limit is 0), else ``fix``."""
    good, usable = limits
    if value < good or (good == 0 and value == 0):
        return GOOD
    return USABLE if value < usable or (good == 0 and value <= usable) else FIX


def larger_is_better(value: float, limits: tuple[float, float]) -> str:
    """``good`` if ``value >= limits[0]``, ``usable`` if ``>= limits[1]``, else ``fix``."""
    return GOOD if value >= limits[0] else USABLE if value >= limits[1] else FIX


@dataclasses.dataclass(frozen=True)
class RecordingCheck:
    """The measurements of one recording (levels in dBFS, the plugin's power; pitches in MIDI)."""

    path: str
    seconds: float
    usable_seconds: float
    second_voice_share: float
    polyphony_frames: int
    decay_seconds: float | None
    decays: int
    clipped_runs: int
    clipped_samples: int
    peak: float
    noise_floor_db: float
    noise_in_rests: bool
    level_db: tuple[float | None, float | None, float | None]
    dc: float
    low_midi: float | None
    high_midi: float | None
    confidence: float | None
    voiced_share: float
    pitch_histogram: tuple[int, ...] = ()
    level_histogram: tuple[int, ...] = ()

    # -- the verdicts --------------------------------------------------------------------

    @property
    def clipped_runs_per_minute(self) -> float:
        return self.clipped_runs / max(self.seconds / 60.0, 1e-9)

    @property
    def snr_db(self) -> float | None:
        """Median playing level minus the noise floor (None without voiced frames)."""
        median = self.level_db[1]
        return None if median is None or not math.isfinite(self.noise_floor_db) else median - self.noise_floor_db

    @property
    def dynamics_db(self) -> float:
        low, _, high = self.level_db
        return 0.0 if low is None else high - low

    @property
    def semitones(self) -> float:
        return 0.0 if self.low_midi is None else self.high_midi - self.low_midi

    def levels(self) -> dict[str, str]:
        """The verdict of each item (``length`` is judged for the set: here ``fix`` only for a
        file that is mostly silence)."""
        silent = self.seconds > 0 and self.usable_seconds / self.seconds < MOSTLY_SILENT
        return {
            "length": FIX if silent else GOOD,
            "monophony": smaller_is_better(self.second_voice_share, SECOND_VOICE),
            "reverb": GOOD if self.decay_seconds is None else smaller_is_better(self.decay_seconds, DECAY_SECS),
            "clipping": smaller_is_better(self.clipped_runs_per_minute, CLIP_RUNS_PER_MIN),
            "noise": FIX if self.snr_db is None else larger_is_better(self.snr_db, SNR_DB),
            "dc": smaller_is_better(abs(self.dc), DC),
            "pitch": larger_is_better(self.semitones, PITCH_SEMITONES),
            "dynamics": larger_is_better(self.dynamics_db, DYNAMICS_DB),
        }

    def flags(self) -> list[str]:
        """Short words for the items that are not good (the file table's "flags" column)."""
        words = {"length": "mostly silence", "monophony": "chords / several notes", "reverb": "reverb",
                 "clipping": "clipped", "noise": "noisy", "dc": "DC offset", "pitch": "narrow pitch range",
                 "dynamics": "one loudness"}
        return [words[item] for item, level in self.levels().items() if level != GOOD]

    def describe(self, item: str) -> str:
        """One plain sentence with the figure of ``item``."""
        if item == "length":
            return (f"{units.minutes(self.seconds)} long, {units.minutes(self.usable_seconds)} of it playing")
        if item == "monophony":
            return f"a second note sounds in {units.percent(self.second_voice_share)} of the sounding moments"
        if item == "reverb":
            if self.decay_seconds is None:
                return "no stop in the playing to hear the room's decay"
            return f"notes die away in {self.decay_seconds:.1f} s (60 dB decay)"
        if item == "clipping":
            if not self.clipped_runs:
                return "no clipped peaks"
            rate = self.clipped_runs_per_minute
            peak = units.dbfs(20 * math.log10(self.peak), digits=1)
            return f"{self.clipped_runs} clipped peaks ({rate:.{0 if rate >= 10 else 1}f} per minute, stuck at {peak} peak)"
        if item == "noise":
            where = "in the pauses" if self.noise_in_rests else "(no pauses: measured in the quietest playing)"
            return (f"background at {units.dbfs(self.noise_floor_db)} {where}, "
                    f"{units.db(self.snr_db)} below the playing")
        if item == "dc":
            level = 20 * math.log10(abs(self.dc)) if self.dc else -math.inf
            return "no offset" if level < -90 else f"the waveform sits off centre by {units.dbfs(level)}"
        if item == "pitch":
            if self.low_midi is None:
                return "no pitch heard"
            return (f"{units.note_range(self.low_midi, self.high_midi)} ({self.semitones:.0f} semitones), "
                    f"pitch heard in {units.percent(self.voiced_share)} of the file")
        if item == "dynamics":
            low, _, high = self.level_db
            if low is None:
                return "no playing heard"
            return f"{units.dbfs(low)} to {units.dbfs(high)} ({units.db(self.dynamics_db)} of range)"
        raise ValueError(f"unknown item {item!r}")

    def to_dict(self) -> dict[str, Any]:
        """The numbers and the verdicts, for the dataset description's ``files[i].check``
        (:data:`ddsp_train.dataset_info.FILENAME`)."""
        data = dataclasses.asdict(self)
        data["level_db"] = dict(zip(("q10", "q50", "q90"), self.level_db))
        data["verdicts"] = self.levels()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RecordingCheck":
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        level = values.get("level_db") or {}
        values["level_db"] = tuple(level.get(k) for k in ("q10", "q50", "q90")) if isinstance(level, Mapping) \
            else tuple(level)
        for key in ("pitch_histogram", "level_histogram"):
            values[key] = tuple(values.get(key) or ())
        values["noise_floor_db"] = float("nan") if values.get("noise_floor_db") is None else values["noise_floor_db"]
        return cls(**values)


def check_recording(audio: np.ndarray, *, sample_rate: int, f0_hz: np.ndarray, f0_confidence: np.ndarray,
                    power_db: np.ndarray, frame_rate: float, voiced_threshold: float = 0.5,
                    path: str = "", native_audio: np.ndarray | None = None) -> RecordingCheck:
    """Measure one mono recording (``audio`` at ``sample_rate``; the frame features on the centred
    grid of ``frame_rate``, as the dataset stores them). Clipping and DC are measured on
    ``native_audio`` when given: the file's samples as decoded, before resampling (which rounds
    flat tops off); by default on ``audio``."""
    audio = np.asarray(audio, np.float32)
    native = audio if native_audio is None else np.asarray(native_audio, np.float32)
    voiced = np.asarray(f0_confidence) >= voiced_threshold
    poly = polyphony_lib.estimate_polyphony(audio, sample_rate=sample_rate)
    decay = decay_lib.estimate_decay(audio, sample_rate=sample_rate)
    clip = measures.clipping(native)
    floor, in_rests = measures.noise_floor_db(power_db, voiced=voiced, frame_rate=frame_rate)
    pitch = measures.pitch_range(f0_hz, f0_confidence, threshold=voiced_threshold)
    return RecordingCheck(
        path=str(path), seconds=len(audio) / sample_rate,
        usable_seconds=measures.usable_seconds(power_db, voiced=voiced, frame_rate=frame_rate),
        second_voice_share=poly.second_voice_share, polyphony_frames=poly.frames,
        decay_seconds=decay.seconds, decays=len(decay.t60s),
        clipped_runs=clip.runs, clipped_samples=clip.samples, peak=clip.peak,
        noise_floor_db=floor, noise_in_rests=in_rests,
        level_db=measures.level_range(power_db, voiced=voiced), dc=measures.dc_offset(native),
        low_midi=pitch.low_midi, high_midi=pitch.high_midi, confidence=pitch.confidence,
        voiced_share=pitch.voiced_share, pitch_histogram=measures.pitch_histogram(f0_hz, voiced=voiced),
        level_histogram=measures.level_histogram(power_db, voiced=voiced))


def check_audio(audio: np.ndarray, *, sample_rate: int, frame_rate: int = 50, f0_method: str = "yin",
                path: str = "") -> RecordingCheck:
    """:func:`check_recording` of audio not yet in a dataset: f0 by ``f0_method``
    (:func:`ddsp_train.pitch.get_tracker`), the plugin's power (:func:`ddsp_train.features.compute_power_db`)."""
    from ddsp_train import features, pitch

    tracker = pitch.get_tracker(f0_method)
    f0_hz, confidence = tracker.track(np.asarray(audio, np.float32), sample_rate=sample_rate, frame_rate=frame_rate)
    power = features.compute_power_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    return check_recording(audio, sample_rate=sample_rate, f0_hz=f0_hz, f0_confidence=confidence, power_db=power,
                           frame_rate=frame_rate, voiced_threshold=pitch.tracker_voiced_threshold(f0_method),
                           path=path)
