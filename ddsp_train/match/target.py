"""The target sound: read any audio file, check it, and measure its f0 and power on the plugin's grid.

:func:`analyse` reads TARGET (any format and rate that ddsp-prepare reads), downmixes and resamples
it to 16 kHz, tracks f0 with the package's tracker and measures the plugin's power
(``10 log10(mean(frame^2))`` over centred 1024-sample frames, 50 frames/s). It refuses, with one
line, what cannot be matched: not audio, shorter than :data:`MIN_SECONDS`, silent (no frame
above :data:`SILENT_DB`), longer than :data:`MAX_SECONDS`, nothing pitched (no voiced frame). It warns (and goes on) when the
harmonic part is weak (under :data:`WEAK_VOICED_SHARE` of the audible frames are voiced) and when
it looks polyphonic (:func:`off_harmonic_peaks`: strong spectral peaks that are not harmonics of
the tracked f0, a chord's other notes).
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ddsp_train import audio as audio_lib
from ddsp_train import console, contract, features
from ddsp_train.dsp.scaling import hz_to_midi, midi_to_hz
from ddsp_train.errors import UserError

MIN_SECONDS = 0.25
#: Longer targets are refused: a patch is matched to one note or a short phrase (and the render is in memory).
MAX_SECONDS = 60.0
#: Frames quieter than this (dB) are not part of the note.
AUDIBLE_DB = -60.0
#: Silence: the loudest frame is below this (dB).
SILENT_DB = -70.0
WEAK_VOICED_SHARE = 0.3
#: Median number of strong off-harmonic peaks per voiced frame from which a target counts as a chord.
CHORD_PEAKS = 1.0
DEFAULT_F0_METHOD = "network"


@dataclasses.dataclass
class Target:
    """A target at 16 kHz with its performance on the 50 Hz grid (frame k at sample 320 k)."""

    audio: np.ndarray  # 16 kHz mono float32
    sample_rate: int  # the file's own rate
    frames: int  # the file's own length in samples
    f0_hz: np.ndarray
    confidence: np.ndarray
    power_db: np.ndarray
    voiced: np.ndarray  # bool, voiced and audible
    f0_method: str
    warnings: list

    @property
    def seconds(self) -> float:
        return len(self.audio) / contract.SAMPLE_RATE

    def ranges(self) -> dict:
        """Pitch (Hz) and power (dB) range of the voiced frames: 5th..95th percentile, at least a
        semitone and 6 dB wide (the plugin's auto-adjust reads them)."""
        sel = self.voiced if self.voiced.any() else self.power_db >= AUDIBLE_DB
        midi = hz_to_midi(self.f0_hz[sel].astype(np.float64))
        lo, hi = np.percentile(midi, [5, 95])
        mid, half = 0.5 * (lo + hi), max(0.5 * (hi - lo), 0.5)
        plo, phi = np.percentile(self.power_db[sel].astype(np.float64), [5, 95])
        pmid, phalf = 0.5 * (plo + phi), max(0.5 * (phi - plo), 3.0)
        return {"pitch_min_hz": round(float(midi_to_hz(mid - half)), 2),
                "pitch_max_hz": round(float(midi_to_hz(mid + half)), 2),
                "pitch_median_hz": round(float(midi_to_hz(np.median(midi))), 2),
                "power_min_db": round(float(max(pmid - phalf, -contract.DB_RANGE)), 2),
                "power_max_db": round(float(min(pmid + phalf, 0.0)), 2),
                "seconds": round(self.seconds, 3), "sample_rate": int(self.sample_rate),
                "f0_method": self.f0_method}


def off_harmonic_peaks(audio: np.ndarray, f0_hz: np.ndarray, voiced: np.ndarray, *, n_fft: int = 4096) -> float:
    """Median over voiced frames of the number of spectral peaks within 20 dB of the frame's
    strongest that lie more than 0.2 f0 from every harmonic ``k f0`` (and above f0 / 2): 0 for
    one harmonic note, >= 1 for a chord."""
    hop = contract.HOP
    frames = features.frame_signal(np.asarray(audio, np.float32), frame_size=n_fft, hop=hop)
    idx = np.flatnonzero(voiced[: len(frames)])[::4][:100]
    if idx.size == 0:
        return 0.0
    window = np.hanning(n_fft)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / contract.SAMPLE_RATE)
    counts = []
    for i in idx:
        mag = 20 * np.log10(np.abs(np.fft.rfft(frames[i] * window)) + 1e-9)
        peak = (mag[1:-1] > mag[:-2]) & (mag[1:-1] >= mag[2:]) & (mag[1:-1] > mag.max() - 20.0)
        where = freqs[1:-1][peak]
        f0 = float(f0_hz[i])
        where = where[(where > 0.5 * f0) & (where < 5000.0)]
        distance = np.abs(where / f0 - np.round(where / f0)) * f0
        counts.append(int(np.sum(distance > 0.2 * f0)))
    return float(np.median(counts))


def analyse(path: str | os.PathLike, *, f0_method: str = DEFAULT_F0_METHOD, say: console.Say = console.stderr) -> Target:
    """Read and check ``path`` (see the module docstring); warnings go to ``say`` and ``Target.warnings``."""
    from ddsp_train.pitch import get_tracker, tracker_voiced_threshold

    path = str(path)
    if not os.path.exists(path):
        raise UserError(f"TARGET {path} does not exist; give an audio file (wav, flac, ogg, mp3, aiff, ...)")
    if os.path.isdir(path):
        raise UserError(f"TARGET {path} is a folder; give one audio file (wav, flac, ogg, mp3, aiff, ...)")
    try:
        info = audio_lib.probe_audio(path)
    except audio_lib.AudioFileError as e:
        raise UserError(f"TARGET {path} is not audio ({e.reason}); give an audio file "
                        "(wav, flac, ogg, mp3, aiff, ...)") from None
    if info.seconds < MIN_SECONDS:
        raise UserError(f"TARGET {path} is {info.seconds:.3f} s long; give at least {MIN_SECONDS} s of one note "
                        "or a short phrase")
    if info.seconds > MAX_SECONDS:
        raise UserError(f"TARGET {path} is {info.seconds:.1f} s long; ddsp-match takes one note or a short phrase "
                        f"(at most {MAX_SECONDS:g} s): trim it to the part to match")
    audio = audio_lib.load_audio(path, sample_rate=contract.SAMPLE_RATE)
    power = features.compute_power_db(audio, sample_rate=contract.SAMPLE_RATE, frame_rate=contract.FRAME_RATE)
    if not np.isfinite(audio).all():
        raise UserError(f"TARGET {path} holds NaN or infinite samples")
    if float(power.max()) < SILENT_DB:
        raise UserError(f"TARGET {path} is silent (loudest frame {power.max():.1f} dB, below {SILENT_DB:g} dB); "
                        "give a recording of a note")
    f0, confidence = get_tracker(f0_method).track(audio, sample_rate=contract.SAMPLE_RATE,
                                                  frame_rate=contract.FRAME_RATE)
    n = len(power)
    f0, confidence = _fit(f0, n), _fit(confidence, n)
    audible = power >= max(AUDIBLE_DB, float(power.max()) - 40.0)
    voiced = audible & (confidence >= tracker_voiced_threshold(f0_method)) & (f0 > 0)
    if not voiced.any():
        raise UserError(f"TARGET {path} has no pitched frame (the {f0_method} tracker finds no f0 in it): "
                        "it sounds like noise or percussion; give a pitched note")
    warnings = []
    share = voiced.sum() / max(audible.sum(), 1)
    if share < WEAK_VOICED_SHARE:
        warnings.append(f"only {100 * share:.0f}% of the target's audible frames are pitched: the harmonic part "
                        "is weak, the match will be mostly noise")
    if off_harmonic_peaks(audio, f0, voiced) >= CHORD_PEAKS:
        warnings.append("the target looks polyphonic (strong peaks that are not harmonics of one f0): "
                        "a patch plays one note at a time, so it matches the tracked voice only")
    for w in warnings:
        say(f"Warning: {w}.")
    # Unvoiced frames keep the nearest voiced pitch (the synth plays their power as the note's tail).
    f0 = np.interp(np.arange(n), np.flatnonzero(voiced), f0[voiced]).astype(np.float32)
    return Target(audio=audio, sample_rate=info.sample_rate, frames=info.frames, f0_hz=f0, confidence=confidence, power_db=power,
                  voiced=voiced, f0_method=f0_method, warnings=warnings)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    from ddsp_train.pitch import fit_length

    return np.asarray(fit_length(np.asarray(x, np.float32), n), np.float32)
