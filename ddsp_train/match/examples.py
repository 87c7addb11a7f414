"""Random patches on random notes, rendered by our own synth: the estimator's training data and the
held-out set of the benchmark (DeepDiva's method, on our synth). Seeded: the same seed gives the
same examples.

- Patch: the envelope is a random walk over its 15 points (steps ~ N(0, 7 dB), then shifted to
  peak at 0 dB and clipped to the bounds: formant-like, not white noise); every other matched
  parameter is uniform in its normalised range; attack, release and gain at their defaults.
- Note: :data:`SECONDS` long, pitch uniform in MIDI 36..84 with a vibrato of up to 0.3 semitone
  at 4-6 Hz; power rises from silence to a peak of -40..-10 dB in 20..200 ms, moves linearly in
  dB by -25..+5 dB over the note and falls to silence in the last 100..300 ms.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import contract
from ddsp_train.dsp.scaling import midi_to_hz
from ddsp_train.match import patch as P

SECONDS = 2.0


def random_values(rng: np.random.Generator, count: int) -> np.ndarray:
    """``[count, P]`` random patch values (see the module docstring)."""
    u = np.tile(P.normalise(P.DEFAULTS), (count, 1))
    u[:, P.MATCHED] = rng.uniform(0.0, 1.0, (count, len(P.MATCHED)))
    values = P.denormalise(u)
    walk = np.cumsum(rng.normal(0.0, 7.0, (count, P.N_ENVELOPE)), axis=1)
    values[:, : P.N_ENVELOPE] = walk
    return P.canonical_values(values)


def random_performance(rng: np.random.Generator, *, seconds: float = SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """``(f0_hz, power_db)`` of one random note on the 50 Hz grid (see the module docstring)."""
    frames = int(round(seconds * contract.FRAME_RATE)) + 1
    t = np.arange(frames) / contract.FRAME_RATE
    midi = rng.uniform(36, 84) + rng.uniform(0, 0.3) * np.sin(2 * np.pi * rng.uniform(4, 6) * t)
    peak, attack, release = rng.uniform(-40, -10), rng.uniform(0.02, 0.2), rng.uniform(0.1, 0.3)
    body = peak + rng.uniform(-25, 5) * t / seconds
    floor = -contract.DB_RANGE
    power = np.where(t < attack, floor + (body - floor) * t / attack, body)
    tail = t > seconds - release
    power[tail] = body[tail] + (floor - body[tail]) * (t[tail] - (seconds - release)) / release
    return midi_to_hz(midi).astype(np.float32), np.maximum(power, floor).astype(np.float32)


def render_batch(values: np.ndarray, performances: list, *, seed: int) -> np.ndarray:
    """Audio ``[B, N]`` of each patch on its performance (all of the same length), noise of ``seed``."""
    from ddsp_train.match.render import render, white_noise

    f0 = np.stack([p[0] for p in performances])
    power = np.stack([p[1] for p in performances])
    n = (f0.shape[1] - 1) * contract.HOP
    return render(values, f0, power, noise=white_noise(len(values), n, seed=seed)).numpy()


def voiced_frames(power_db: np.ndarray) -> np.ndarray:
    """The frames an analysed target would call voiced and audible: within 40 dB of the peak, above -60 dB."""
    return power_db >= max(-60.0, float(power_db.max()) - 40.0)
