"""Labelled audio for training and evaluating the pitch network.

A helper of the scripts (train_pitch_model.py, bench_pitch.py, bench_prepare.py, quality_run.py
import it from this folder), not part of the installed package.

Every source yields :class:`LabelledClip`: 16 kHz mono audio plus, on a 5 ms grid
(``GRID_HOP = 80`` samples, grid point ``i`` at sample ``80 i``), the exact f0 (0 = unvoiced) and
a weight (0 = ambiguous: attacks, releases, reverb tails; never trained on or scored).

- :func:`synth_clip`: additive harmonic sounds with random spectra (tilt, odd/even balance,
  formant bumps, jitter, missing fundamentals, pure sines), inharmonicity
  ``f_k = k f0 sqrt(1 + B k^2)``, vibrato, glides, jumps, level changes, breath noise, rests and
  an optional exponential-noise reverb; half of the pitch jumps keep the previous note ringing
  (exponential release, 30-400 ms) under a slower attack of the new one, labelled as the new note
  from 60 ms after its onset (as the MIDI renders are).
- :func:`render_midi_clips`: monophonic MIDI phrases (notes, velocities, expression, vibrato and
  glides by pitch bend) rendered with fluidsynth through a GM soundfont, labels from the notes
  and bends (``f0 = 440 * 2 ** ((note + 2 * bend / 8192 - 69) / 12)``).
- :func:`unvoiced_clip`: coloured noise, (near) silence, consonant-like bursts; whispered speech
  (espeak-ng) and unpitched drums via :func:`render_whisper` / :func:`render_midi_clips`.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

from ddsp_train.dsp.scaling import midi_to_hz

SAMPLE_RATE = 16000
GRID_HOP = 80  # 5 ms label grid
MIN_MIDI, MAX_MIDI = 23.6, 95.4  # ~31 Hz .. ~1.98 kHz: inside the network's bins

# General MIDI programs and their playable ranges (MIDI notes) used for renders.
PROGRAM_RANGES = {
    0: (36, 84), 4: (36, 84), 6: (41, 84), 11: (53, 89), 16: (36, 84), 19: (36, 84), 21: (48, 84),
    22: (60, 88), 24: (40, 81), 25: (40, 81), 26: (40, 81), 27: (40, 81), 32: (28, 60), 33: (28, 60),
    34: (28, 60), 35: (28, 60), 40: (55, 96), 41: (48, 84), 42: (36, 72), 43: (28, 55), 44: (40, 84),
    45: (40, 84), 46: (36, 91), 48: (36, 91), 52: (48, 79), 53: (48, 79), 54: (48, 79), 56: (54, 84),
    57: (40, 72), 58: (28, 58), 59: (54, 82), 60: (41, 77), 61: (40, 77), 64: (56, 88), 65: (49, 81),
    66: (44, 76), 67: (36, 69), 68: (58, 91), 69: (52, 81), 70: (34, 72), 71: (50, 91), 72: (74, 95),
    73: (60, 95), 74: (60, 93), 75: (60, 93), 78: (60, 95), 79: (60, 91), 80: (36, 91), 81: (36, 91),
    85: (48, 84), 105: (48, 84), 110: (55, 91), 111: (60, 88),
}
# Whole instruments never used in training (scored in scripts/bench_pitch.py).
HELD_OUT_PROGRAMS = (41, 44, 52, 57, 61, 66, 68)
TRAIN_PROGRAMS = tuple(p for p in PROGRAM_RANGES if p not in HELD_OUT_PROGRAMS)
# Unpitched GM drums (channel 10): snares, clap, hats, cymbals, tambourine, shakers.
UNPITCHED_DRUMS = (38, 39, 40, 42, 44, 46, 49, 51, 54, 57, 59, 69, 70, 82)

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/share/soundfonts")
# The soundfont kept for evaluation only (also the one the shared dev renders use).
HELD_OUT_SOUNDFONT = "TimGM6mb.sf2"
TRAIN_SOUNDFONTS = ("FluidR3_GM.sf2", "MuseScore_General.sf3")


@dataclasses.dataclass
class LabelledClip:
    """16 kHz audio; ``f0_hz`` and ``weight`` on the 5 ms grid (``len(audio) // 80 + 1`` points)."""

    audio: np.ndarray
    f0_hz: np.ndarray
    weight: np.ndarray
    source: str


def n_grid(n_samples: int) -> int:
    """Grid points of a clip of ``n_samples``: ``n_samples // GRID_HOP + 1``."""
    return n_samples // GRID_HOP + 1


def _grid_of(curve: np.ndarray) -> np.ndarray:
    return curve[np.minimum(np.arange(n_grid(len(curve))) * GRID_HOP, len(curve) - 1)]


def random_spectrum_db(rng: np.random.Generator, n_harmonics: int) -> np.ndarray:
    """Random harmonic levels in dB for harmonics ``k = 1..n``.

    ``L_k = tilt log2 k - odd_even (k even) + sum bumps + N(0, jitter)``, with the fundamental
    sometimes weakened by 10-40 dB (missing fundamental) and sometimes a pure sine (k = 1 only).
    """
    k = np.arange(1, n_harmonics + 1)
    if rng.random() < 0.06:
        return np.where(k == 1, 0.0, -200.0)
    tilt = rng.uniform(-18, -1)
    levels = tilt * np.log2(k)
    if rng.random() < 0.35:
        levels -= rng.uniform(3, 25) * (k % 2 == 0)
    for _ in range(rng.integers(0, 3)):
        centre, width, gain = rng.uniform(1, 12), rng.uniform(0.5, 3), rng.uniform(-10, 15)
        levels += gain * np.exp(-0.5 * ((k - centre) / width) ** 2)
    levels += rng.normal(0, rng.uniform(0, 6), n_harmonics)
    if rng.random() < 0.15:
        levels[0] -= rng.uniform(10, 40)
    return levels - levels.max()


def exp_reverb(rng: np.random.Generator, audio: np.ndarray, *, rt60: float, wet: float) -> np.ndarray:
    """``dry + wet * (audio * h)`` with ``h`` white noise under a ``-60 dB / rt60`` exponential decay."""
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    h = rng.standard_normal(n) * 10 ** (-3 * t / rt60)
    h /= np.sqrt((h ** 2).sum())
    m = len(audio) + n - 1
    size = 1 << int(np.ceil(np.log2(m)))
    tail = np.fft.irfft(np.fft.rfft(audio, size) * np.fft.rfft(h, size), size)[:len(audio)]
    return (audio + wet * tail).astype(np.float32)


def coloured_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian noise with spectrum ``|f| ** (-beta / 2)`` (beta 0..2) and a random band-pass."""
    beta = rng.uniform(0, 2)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    shape = np.maximum(f, 20.0) ** (-beta / 2)
    if rng.random() < 0.5:
        lo, hi = np.exp(rng.uniform(np.log(50), np.log(3000))), np.exp(rng.uniform(np.log(1000), np.log(8000)))
        shape = shape / (1 + (lo / np.maximum(f, 1)) ** 2) / (1 + (f / hi) ** 2)
    out = np.fft.irfft(spec * shape, n)
    return (out / (np.abs(out).max() + 1e-12)).astype(np.float32)


def synth_clip(rng: np.random.Generator, *, seconds: float = 4.0) -> LabelledClip:
    """One synthesized harmonic phrase with exact labels (see module doc)."""
    n = int(seconds * SAMPLE_RATE)
    f0 = np.zeros(n)
    amp = np.zeros(n)
    voiced = np.zeros(n, bool)
    ambiguous = np.zeros(n, bool)
    centre = rng.uniform(MIN_MIDI + 4, MAX_MIDI - 4)
    spread = rng.uniform(1, 9)
    midi = float(np.clip(centre + rng.normal(0, spread), MIN_MIDI, MAX_MIDI))
    i = 0
    level_db = rng.uniform(-20, 0)
    tails = []  # (onset, f0, amplitude, decay time constant) of released notes under the next one
    while i < n:
        slow_attack = False
        kind = rng.choice(["note", "glide", "rest"], p=[0.6, 0.25, 0.15])
        length = int(rng.uniform(0.08, 0.9) * SAMPLE_RATE)
        j = min(n, i + length)
        t = np.arange(j - i) / SAMPLE_RATE
        if kind == "rest":
            ambiguous[i:min(n, i + int(0.08 * SAMPLE_RATE))] = True
            i = j
            continue
        target = float(np.clip(centre + rng.normal(0, spread), MIN_MIDI, MAX_MIDI))
        if kind == "glide":
            curve = midi + (target - midi) * np.clip(t / max(t[-1], 1e-3), 0, 1)
        else:
            curve = np.full_like(t, target)
            if i and amp[i - 1] > 0:  # a jump: frames straddle it
                ambiguous[i:min(n, i + int(0.03 * SAMPLE_RATE))] = True
                if rng.random() < 0.5:  # the previous note rings on under the new one's attack
                    tails.append((i, f0[i - 1], amp[i - 1], rng.uniform(0.03, 0.4)))
                    ambiguous[i:min(n, i + int(0.06 * SAMPLE_RATE))] = True
                    slow_attack = True
        depth = rng.uniform(0, 60) * (rng.random() < 0.6)
        rate = rng.uniform(3.5, 7.5)
        curve = curve + depth / 100 * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
        curve = np.clip(curve, MIN_MIDI, MAX_MIDI)
        f0[i:j] = midi_to_hz(curve)
        level_db = float(np.clip(level_db + rng.normal(0, 6), -40, 0))
        if slow_attack:
            attack = np.clip(t / rng.uniform(0.01, 0.15), 0, 1)
        else:
            attack = np.clip(t / rng.uniform(0.003, 0.08), 0, 1) if amp[i - 1] == 0 or i == 0 else 1.0
        tremolo = 1 + rng.uniform(0, 0.2) * np.sin(2 * np.pi * rng.uniform(2, 8) * t)
        amp[i:j] = 10 ** (level_db / 20) * attack * tremolo
        voiced[i:j] = True
        midi = float(curve[-1])
        i = j
    # Hold pitch through rests so phases stay continuous (amplitude is 0 there).
    held = np.maximum.accumulate(np.where(f0 > 0, np.arange(n), 0))
    f0_full = np.where(f0[held] > 0, f0[held], midi_to_hz(midi))
    # Smooth the amplitude (5 ms) so rests and jumps have short fades.
    k5 = np.hanning(int(0.005 * SAMPLE_RATE) + 2)[1:-1]
    amp = np.convolve(amp, k5 / k5.sum(), mode="same")
    n_h = 60
    levels = 10 ** (random_spectrum_db(rng, n_h) / 20)
    b = 10 ** rng.uniform(-5, -3) if rng.random() < 0.3 else 0.0
    k = np.arange(1, n_h + 1)
    stretch = k * np.sqrt(1 + b * k ** 2)
    phase = 2 * np.pi * np.cumsum(f0_full) / SAMPLE_RATE
    out = np.zeros(n)
    for h in range(n_h):
        if levels[h] < 1e-5:
            continue
        fh = f0_full * stretch[h]
        audible = np.clip((0.48 * SAMPLE_RATE - fh) / 200.0, 0, 1)
        if not audible.any():
            break
        out += levels[h] * audible * np.sin(stretch[h] * phase + rng.uniform(0, 2 * np.pi))
    norm = np.sqrt((levels ** 2).sum() / 2) + 1e-9
    out *= amp / norm
    for start, f_tail, a_tail, tau in tails:  # released notes: exp(-t / tau) decays at fixed pitch
        length = min(n - start, int(5 * tau * SAMPLE_RATE))
        tt = np.arange(length) / SAMPLE_RATE
        live = np.nonzero((levels >= 1e-5) & (f_tail * stretch < 0.48 * SAMPLE_RATE))[0]
        partials = np.sin(2 * np.pi * f_tail * stretch[live, None] * tt[None, :]
                          + rng.uniform(0, 2 * np.pi, (len(live), 1)))
        out[start:start + length] += (levels[live] @ partials) * a_tail * np.exp(-tt / tau) / norm
    if rng.random() < 0.6:
        breath = coloured_noise(rng, n) * amp * 10 ** (rng.uniform(-50, -15) / 20)
        out += breath
    rt60 = 0.0
    if rng.random() < 0.4:
        rt60 = rng.uniform(0.2, 1.5)
        out = exp_reverb(rng, out, rt60=rt60, wet=rng.uniform(0.05, 0.5))
    # Labels: voiced where sounding; rests are unvoiced once the reverb / release has died away.
    silent = ~voiced
    tail = int((0.1 + rt60) * SAMPLE_RATE)
    last_voiced = np.maximum.accumulate(np.where(voiced, np.arange(n), -10 ** 9))
    in_tail = silent & (np.arange(n) - last_voiced < tail)
    weight = np.where(ambiguous | in_tail, 0.0, 1.0)
    label = np.where(voiced, f0, 0.0)
    # Very quiet frames (under -70 dB peak) carry no usable pitch: leave them out.
    weight = np.where(voiced & (amp < 10 ** (-70 / 20)), 0.0, weight)
    return LabelledClip(audio=out.astype(np.float32), f0_hz=_grid_of(label).astype(np.float32),
                        weight=_grid_of(weight).astype(np.float32), source="synth")


def unvoiced_clip(rng: np.random.Generator, *, seconds: float = 4.0) -> LabelledClip:
    """Noise, (near) silence and consonant-like bursts: every grid point unvoiced."""
    n = int(seconds * SAMPLE_RATE)
    kind = rng.choice(["noise", "silence", "bursts"], p=[0.4, 0.2, 0.4])
    if kind == "silence":
        audio = np.zeros(n, np.float32) if rng.random() < 0.5 else \
            coloured_noise(rng, n) * 10 ** (rng.uniform(-100, -60) / 20)
    elif kind == "noise":
        env = np.exp(np.cumsum(rng.normal(0, 0.002, n)))
        audio = coloured_noise(rng, n) * env / env.max() * 10 ** (rng.uniform(-40, 0) / 20)
    else:
        audio = np.zeros(n)
        t = 0
        while t < n:
            length = int(rng.uniform(0.02, 0.3) * SAMPLE_RATE)
            j = min(n, t + length)
            env = np.hanning(2 * (j - t))[:j - t][::-1] if rng.random() < 0.5 else np.hanning(j - t)
            audio[t:j] += coloured_noise(rng, j - t) * env * 10 ** (rng.uniform(-30, 0) / 20)
            t = j + int(rng.uniform(0.0, 0.3) * SAMPLE_RATE)
    m = n_grid(n)
    return LabelledClip(audio=np.asarray(audio, np.float32), f0_hz=np.zeros(m, np.float32),
                        weight=np.ones(m, np.float32), source=f"unvoiced-{kind}")


def find_soundfont(name: str) -> pathlib.Path | None:
    """The path of an installed soundfont file called ``name``, or None."""
    for folder in SOUNDFONT_DIRS:
        path = pathlib.Path(folder) / name
        if path.exists():
            return path.resolve()
    return None


def have_fluidsynth() -> bool:
    """Whether the ``fluidsynth`` program is on PATH."""
    return shutil.which("fluidsynth") is not None


def _phrase_events(rng, program: int, start: float, seconds: float):
    """Notes ``(on, off, note, velocity)`` and bends ``(time, value)`` of one random phrase."""
    lo, hi = PROGRAM_RANGES[program]
    lo, hi = max(lo, int(np.ceil(MIN_MIDI + 1))), min(hi, int(MAX_MIDI - 1))
    notes, bends = [], []
    t = start + 0.05
    note = int(rng.integers(lo, hi + 1))
    end = start + seconds
    while t < end - 0.3:
        dur = rng.uniform(0.15, 1.4)
        if rng.random() < 0.12:
            t += rng.uniform(0.2, 1.2)
            continue
        note = int(np.clip(note + rng.choice([-7, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 7, 12, -12]), lo, hi))
        off = min(t + dur, end - 0.05)
        notes.append((t, off, note, int(rng.integers(35, 128))))
        # Bends: vibrato and/or a glide into the note, every 5 ms while the note sounds.
        depth = rng.uniform(0, 50) * (rng.random() < 0.6)  # cents
        rate = rng.uniform(4, 7)
        glide = rng.uniform(-150, 150) * (rng.random() < 0.25)  # cents, decays over the glide time
        glide_time = rng.uniform(0.05, 0.3)
        for bt in np.arange(t, off, 0.005):
            tn = bt - t
            cents = depth * min(tn / 0.25, 1) * np.sin(2 * np.pi * rate * tn) + glide * max(0.0, 1 - tn / glide_time)
            bends.append((bt, int(np.clip(round(cents / 200 * 8192), -8192, 8191))))
        bends.append((off, 0))
        legato = rng.random() < 0.3
        t = off + (0.0 if legato else rng.uniform(0.03, 0.4))
    return notes, bends


def render_midi_clips(rng: np.random.Generator, *, soundfont: pathlib.Path, programs, seconds_each: float,
                      drums: bool = False) -> list[LabelledClip]:
    """Render one phrase per program (or unpitched drum patterns) with fluidsynth; exact labels.

    All phrases go into one MIDI file (one soundfont load), separated by 2 s of silence, and the
    render is cut back into clips. Labels: notes and bends, unlabelled (weight 0) for 60 ms after
    onsets, 40 ms before note-offs and up to 1 s after each release; unvoiced elsewhere.
    """
    import mido
    import soundfile as sf

    tpb, tempo = 480, 500000
    ticks_per_s = tpb * 1e6 / tempo
    events = []  # (time, order, message)
    segments = []
    t0 = 0.5
    for program in programs:
        if drums:
            notes, bends = [], []
            t = t0 + 0.05
            while t < t0 + seconds_each - 0.3:
                notes.append((t, t + 0.1, int(rng.choice(UNPITCHED_DRUMS)), int(rng.integers(30, 128))))
                t += rng.uniform(0.08, 0.5)
            channel = 9
        else:
            notes, bends = _phrase_events(rng, program, t0, seconds_each)
            channel = 0
            events.append((t0 - 0.4, 0, mido.Message("program_change", channel=0, program=program)))
            for cc, val in ((101, 0), (100, 0), (6, 2), (38, 0)):  # bend range +-2 semitones
                events.append((t0 - 0.39, 1, mido.Message("control_change", channel=0, control=cc, value=val)))
            events.append((t0 - 0.38, 1, mido.Message("control_change", channel=0, control=11,
                                                       value=int(rng.integers(70, 128)))))
        for on, off, note, vel in notes:
            events.append((on, 3, mido.Message("note_on", channel=channel, note=note, velocity=vel)))
            events.append((off, 2, mido.Message("note_off", channel=channel, note=note, velocity=0)))
        for bt, val in bends:
            events.append((bt, 1, mido.Message("pitchwheel", channel=0, pitch=val)))
        segments.append((program, t0, t0 + seconds_each, notes, bends))
        t0 += seconds_each + 2.0
    # Quantise to ticks first, so the labels use exactly the times fluidsynth plays.
    events = sorted(((round(t * ticks_per_s), order, i, msg) for i, (t, order, msg) in enumerate(events)),
                    key=lambda e: (e[0], e[1], e[2]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    last = 0
    for tick, _, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    midi = mido.MidiFile(ticks_per_beat=tpb)
    midi.tracks.append(track)
    with tempfile.TemporaryDirectory() as tmp:
        mid_path, wav_path = os.path.join(tmp, "p.mid"), os.path.join(tmp, "p.wav")
        midi.save(mid_path)
        subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(SAMPLE_RATE),
                        "-T", "wav", "-F", wav_path, str(soundfont), mid_path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        audio, sr = sf.read(wav_path, dtype="float32", always_2d=True)
    assert sr == SAMPLE_RATE, sr
    audio = audio.mean(axis=1)
    q = lambda t: round(t * ticks_per_s) / ticks_per_s  # noqa: E731  the tick-quantised time
    clips = []
    for program, start, stop, notes, bends in segments:
        i0, i1 = int(start * SAMPLE_RATE), int(stop * SAMPLE_RATE)
        seg = audio[i0:i1]
        times = start + np.arange(n_grid(len(seg))) * GRID_HOP / SAMPLE_RATE
        f0 = np.zeros(len(times))
        weight = np.ones(len(times))
        if notes:
            bend_t = np.array([q(b[0]) for b in bends]) if bends else np.zeros(0)
            bend_v = np.array([b[1] for b in bends], float) if bends else np.zeros(0)
            for on, off, note, _ in notes:
                on, off = q(on), q(off)
                sounding = (times >= on) & (times < off + 1.0)
                weight[sounding] = 0.0
                if drums:
                    continue
                lab = (times >= on + 0.06) & (times <= off - 0.04)
                idx = np.searchsorted(bend_t, times[lab], side="right") - 1
                bend = np.where(idx >= 0, bend_v[np.maximum(idx, 0)], 0.0)
                f0[lab] = midi_to_hz(note + 2.0 * bend / 8192.0)
                weight[lab] = 1.0
            if drums:
                weight[:] = 1.0  # drums are unvoiced throughout
        clips.append(LabelledClip(audio=seg.astype(np.float32), f0_hz=f0.astype(np.float32),
                                  weight=weight.astype(np.float32),
                                  source=f"{soundfont.name}:{'drums' if drums else program}"))
    return clips


def render_whisper(texts, *, seed: int = 0) -> list[LabelledClip]:
    """Whispered speech from espeak-ng (``-v en+whisper``): unvoiced material, all grid points 0."""
    import soundfile as sf
    import soxr

    clips = []
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(texts):
            path = os.path.join(tmp, f"w{i}.wav")
            voice = "en+whisper" if rng.random() < 0.5 else "en+female_whisper"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(rng.integers(120, 200))), "-w", path, text],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            audio, sr = sf.read(path, dtype="float32")
            if audio.ndim > 1:
                audio = audio.mean(1)
            audio = soxr.resample(audio, sr, SAMPLE_RATE).astype(np.float32)
            m = n_grid(len(audio))
            clips.append(LabelledClip(audio=audio, f0_hz=np.zeros(m, np.float32), weight=np.ones(m, np.float32),
                                      source="whisper"))
    return clips


def heldout_renders(*, seed: int = 1234, seconds_each: float = 16.0) -> list[LabelledClip]:
    """The evaluation renders: held-out programs through the held-out soundfont (needs fluidsynth)."""
    soundfont = find_soundfont(HELD_OUT_SOUNDFONT)
    if soundfont is None or not have_fluidsynth():
        return []
    return render_midi_clips(np.random.default_rng(seed), soundfont=soundfont, programs=HELD_OUT_PROGRAMS,
                             seconds_each=seconds_each)
