"""Takes with one problem each, generated for the report tests (not a test module).

Each is a 20 s bowed phrase of :func:`ddsp_train.synthetic.demo_phrase` (16 kHz), then:
``chord`` adds the same phrase a major third up (a two-note chord throughout), ``reverb``
convolves it with 2 s of exponentially decaying noise (-60 dB at 2 s, tail kept), ``clipped``
turns it up 4x and clips at full scale, ``noisy`` adds white noise at -35 dBFS RMS, ``dc`` adds
an offset of 0.05.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import synthetic

SAMPLE_RATE = 16000
SECONDS = 20.0


def clean(seed: int = 1, *, seconds: float = SECONDS, timbre: str = "bowed") -> np.ndarray:
    return synthetic.demo_phrase(seconds=seconds, seed=seed, timbre=timbre, sample_rate=SAMPLE_RATE).audio


def chord(seed: int = 1, *, interval: int = 4) -> np.ndarray:
    notes = synthetic.random_melody(seconds=SECONDS, rng=np.random.default_rng(seed))
    upper = [synthetic.Note(n.start, n.duration, n.midi + interval, n.velocity) for n in notes]
    low = synthetic.render_melody(notes, seconds=SECONDS, sample_rate=SAMPLE_RATE, seed=seed).audio
    high = synthetic.render_melody(upper, seconds=SECONDS, sample_rate=SAMPLE_RATE, seed=seed + 1).audio
    return (low + high).astype(np.float32)


def reverb(audio: np.ndarray, *, seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """``audio`` convolved with ``seconds`` of noise decaying 60 dB over ``seconds``, its direct sound 0.3."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    ir = rng.standard_normal(len(t)) * 10.0 ** (-3.0 * t / seconds)
    ir /= np.sqrt(np.sum(ir ** 2))
    ir[0] = 0.3
    return np.convolve(audio, ir).astype(np.float32)


def clipped(audio: np.ndarray, *, overdrive: float = 3.0) -> np.ndarray:
    """``audio`` turned up until its peak is ``overdrive`` times full scale, clipped at full scale."""
    return np.clip(audio * overdrive / np.max(np.abs(audio)), -1.0, 1.0).astype(np.float32)


def noisy(audio: np.ndarray, *, noise_dbfs: float = -35.0, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(len(audio)) * 10 ** (noise_dbfs / 20)
    return (audio + noise).astype(np.float32)


def with_dc(audio: np.ndarray, *, offset: float = 0.05) -> np.ndarray:
    return (audio + offset).astype(np.float32)
