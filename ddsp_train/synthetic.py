"""Synthesized instrument audio with exact f0 labels.

The package makes its own audio for the demo, the tests and the pitch tracker's training data,
so nothing has to be downloaded. :func:`render_harmonic` is an additive synth driven by
sample-rate f0 and amplitude curves; :func:`random_melody` and :func:`render_melody` build
monophonic phrases (notes, rests, velocity changes, vibrato) on top of it and return the f0
labels on the frame grid the rest of the package uses (frame k centred at ``k / frame_rate``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ddsp_train.dsp.scaling import midi_to_hz

# Relative harmonic levels in dB as a function of harmonic number k (1-based), per timbre.
# Each is a crude, recognisable family: the point is distinct, stable spectra, not realism.
TIMBRES = {
    # Bowed string: sawtooth-like 1/k rolloff with a body resonance around 3rd-5th harmonic.
    "bowed": lambda k: -20 * np.log10(k) + 6 * np.exp(-((k - 4) ** 2) / 4),
    # Reed (clarinet-like): odd harmonics strong, even ones 15 dB down.
    "reed": lambda k: -14 * np.log10(k) - 15 * (k % 2 == 0),
    # Flute-like: few harmonics, steep rolloff (plus breath noise, see NOISE_DB).
    "flute": lambda k: -30 * np.log10(k) - 3 * (k - 1),
    # Brass-like: rising then falling spectrum.
    "brass": lambda k: -6 * np.abs(np.log2(k / 3.0)) * 4,
}
NOISE_DB = {"bowed": -38.0, "reed": -45.0, "flute": -26.0, "brass": -42.0}


@dataclasses.dataclass(frozen=True)
class Note:
    """One note of a monophonic phrase: onset and length in seconds, MIDI pitch, velocity 0..1."""

    start: float
    duration: float
    midi: float
    velocity: float


@dataclasses.dataclass
class Rendered:
    """Audio and its exact labels; ``f0_hz`` is 0 on frames without a label."""

    audio: np.ndarray
    sample_rate: int
    f0_hz: np.ndarray
    frame_rate: float
    notes: list


def render_harmonic(
    f0_hz: np.ndarray,
    amplitude: np.ndarray,
    *,
    sample_rate: int,
    harmonic_db=TIMBRES["bowed"],
    n_harmonics: int = 60,
    phase: float = 0.0,
) -> np.ndarray:
    """Additive synthesis: ``sum_k a_k(t) sin(k * phi(t))`` with ``phi = 2 pi cumsum(f0) / sr``.

    ``f0_hz`` and ``amplitude`` are per-sample curves of equal length. ``harmonic_db(k)`` gives
    harmonic levels; harmonics at or above Nyquist are silenced sample by sample. The harmonic
    levels are normalised to sum 1, so ``amplitude`` is the peak amplitude bound.
    """
    f0_hz = np.asarray(f0_hz, np.float64)
    amplitude = np.asarray(amplitude, np.float64)
    if f0_hz.shape != amplitude.shape or f0_hz.ndim != 1:
        raise ValueError(f"f0_hz {f0_hz.shape} and amplitude {amplitude.shape} must be equal 1-D curves")
    k = np.arange(1, n_harmonics + 1)
    levels = 10.0 ** (np.asarray(harmonic_db(k), np.float64) / 20.0)
    levels /= levels.sum()
    phi = phase + 2 * np.pi * np.cumsum(f0_hz) / sample_rate
    out = np.zeros_like(f0_hz)
    for i, level in zip(k, levels):
        audible = i * f0_hz < sample_rate / 2
        if not audible.any():
            break
        out += level * audible * np.sin(i * phi)
    return (out * amplitude).astype(np.float32)


def random_melody(
    *,
    seconds: float,
    rng: np.random.Generator,
    low_midi: int = 55,
    high_midi: int = 79,
    rest_probability: float = 0.15,
    min_note: float = 0.25,
    max_note: float = 1.2,
) -> list[Note]:
    """A random monophonic phrase: mostly stepwise notes in a range, with rests and dynamics."""
    notes, t, midi = [], 0.1, rng.integers(low_midi, high_midi + 1)
    while t < seconds - min_note:
        duration = min(rng.uniform(min_note, max_note), seconds - t - 0.05)
        if rng.random() < rest_probability:
            t += duration
            continue
        step = rng.choice([-4, -3, -2, -1, 1, 2, 3, 5, 7, -5, -7, 12, -12], p=None)
        midi = int(np.clip(midi + step, low_midi, high_midi))
        notes.append(Note(start=t, duration=duration, midi=float(midi), velocity=float(rng.uniform(0.3, 1.0))))
        t += duration + rng.uniform(0.02, 0.12)  # small gap: the release sits in it
    return notes


def render_melody(
    notes: list[Note],
    *,
    seconds: float,
    sample_rate: int = 16000,
    frame_rate: float = 50,
    timbre: str = "bowed",
    vibrato_cents: float = 25.0,
    vibrato_hz: float = 5.5,
    noise_db: float | None = None,
    seed: int = 0,
) -> Rendered:
    """Render ``notes`` with ``timbre`` and return audio plus exact per-frame f0 labels.

    Each note has a 30 ms attack and a 60 ms release after its end; vibrato fades in over
    0.3 s. Labels are the exact instantaneous f0 at frame centres, 0 on rests and on the
    60 ms after each onset and the 40 ms before each release (as in the shared dev renders).
    """
    if timbre not in TIMBRES:
        raise ValueError(f"timbre must be one of {sorted(TIMBRES)}, got {timbre!r}")
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    f0 = np.zeros(n)
    amp = np.zeros(n)
    label_mask = np.zeros(n, bool)
    last_f0 = midi_to_hz(float(notes[0].midi)) if notes else 220.0
    release = 0.06
    for note in notes:
        i0 = int(note.start * sample_rate)
        i1 = min(n, int((note.start + note.duration + release) * sample_rate))
        if i1 <= i0:
            continue
        tn = t[i0:i1] - note.start
        depth = vibrato_cents * np.clip(tn / 0.3, 0, 1) * rng.uniform(0.5, 1.0)
        rate = vibrato_hz * rng.uniform(0.85, 1.15)
        f0[i0:i1] = midi_to_hz(note.midi + depth / 100.0 * np.sin(2 * np.pi * rate * tn))
        gain = 10 ** ((-32 + 28 * note.velocity) / 20)
        attack = np.clip(tn / 0.03, 0, 1)
        decay = np.clip((note.duration + release - tn) / release, 0, 1)
        amp[i0:i1] = gain * attack * np.minimum(decay, 1.0) * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * tn))
        label_mask[i0:i1] = (tn >= 0.06) & (tn <= note.duration - 0.04)
    # Hold the last pitch through rests so the phase never jumps (the amplitude is 0 there).
    held = np.maximum.accumulate(np.where(f0 > 0, np.arange(n), 0))
    f0 = np.where(f0[held] > 0, f0[held], last_f0)
    audio = render_harmonic(f0, amp, sample_rate=sample_rate, harmonic_db=TIMBRES[timbre])
    noise_level = 10 ** ((NOISE_DB[timbre] if noise_db is None else noise_db) / 20)
    breath = np.convolve(rng.standard_normal(n), np.hanning(9) / np.hanning(9).sum(), mode="same")
    audio = audio + (noise_level * amp * breath).astype(np.float32)
    centres = np.round(np.arange(int(seconds * frame_rate) + 1) * sample_rate / frame_rate).astype(int)
    centres = np.minimum(centres, n - 1)
    labels = np.where(label_mask[centres], f0[centres], 0.0).astype(np.float32)
    return Rendered(audio=audio.astype(np.float32), sample_rate=sample_rate, f0_hz=labels,
                    frame_rate=frame_rate, notes=list(notes))


def demo_phrase(*, seconds: float, seed: int, timbre: str = "bowed", sample_rate: int = 16000,
                low_midi: int = 55, high_midi: int = 79) -> Rendered:
    """A random melody of ``seconds`` rendered with ``timbre``: the demo's and tests' material."""
    rng = np.random.default_rng(seed)
    notes = random_melody(seconds=seconds, rng=rng, low_midi=low_midi, high_midi=high_midi)
    return render_melody(notes, seconds=seconds, sample_rate=sample_rate, timbre=timbre, seed=seed)
