"""Refine a patch by gradient descent through the synth against the target.

The matched parameters (``patch.MATCHED``) are optimised as ``v = low + (high - low) sigmoid(z)``
(always in bounds) with Adam on the multi-scale spectral loss (``dsp.losses.spectral_loss``: L1
of magnitudes and log magnitudes at FFT sizes :data:`FFT_SIZES`) between the target and the patch
rendered on the target's own f0 and power (``render.render``, one fixed noise so the loss is a
function of the patch). The best patch seen is returned with the loss before and after.
Long targets are refined on their loudest :data:`MAX_SECONDS` (the patch holds for the rest).
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import tensorflow as tf

from ddsp_train import console, contract
from ddsp_train.dsp.losses import spectral_loss
from ddsp_train.match import controls as C
from ddsp_train.match import patch as P
from ddsp_train.match.render import n_samples_for, render, white_noise

FFT_SIZES = (2048, 1024, 512, 256, 128)
MAX_SECONDS = 3.0
DEFAULT_STEPS = 150
LEARNING_RATE = 0.05


@dataclasses.dataclass
class Performance:
    """What the patch is rendered on and compared with: 16 kHz target audio and its frames."""

    audio: np.ndarray
    f0_hz: np.ndarray
    power_db: np.ndarray


def excerpt(audio: np.ndarray, f0_hz: np.ndarray, power_db: np.ndarray, *, seconds: float = MAX_SECONDS) -> Performance:
    """The loudest ``seconds`` of a performance (frame-aligned: frames ``[s, s + F)``, samples
    ``[320 s, 320 (s + F - 1))``), or all of it when shorter."""
    frames = int(round(seconds * contract.FRAME_RATE)) + 1
    n = len(power_db)
    start = 0
    if n > frames:
        energy = np.convolve(10 ** (np.asarray(power_db, np.float64) / 10), np.ones(frames), "valid")
        start = int(np.argmax(energy))
    stop = min(n, start + frames)
    samples = n_samples_for(stop - start)
    chunk = np.asarray(audio, np.float32)[start * contract.HOP: start * contract.HOP + samples]
    chunk = np.pad(chunk, (0, samples - len(chunk)))
    return Performance(chunk, np.asarray(f0_hz[start:stop], np.float32), np.asarray(power_db[start:stop], np.float32))


def patch_loss(values: np.ndarray, perf: Performance) -> float:
    """The spectral loss of patch ``values`` on ``perf``."""
    audio = render(np.asarray(values, np.float32)[None], perf.f0_hz[None], perf.power_db[None])
    return float(spectral_loss(perf.audio[None], audio, fft_sizes=FFT_SIZES))


@dataclasses.dataclass
class Refined:
    patch: P.Patch
    loss_before: float
    loss_after: float
    steps: int
    seconds: float


def _logit(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.02, 0.98)
    return np.log(u / (1 - u))


def refine(start: P.Patch, perf: Performance, *, steps: int = DEFAULT_STEPS, learning_rate: float = LEARNING_RATE,
           say: console.Say = console.stderr, progress: bool = True) -> Refined:
    """Gradient descent from ``start`` (see the module docstring); progress with an ETA on stderr."""
    began = time.perf_counter()
    values0 = start.array()
    matched = P.MATCHED
    low = tf.constant(P.LOW[matched])
    span = tf.constant(P.HIGH[matched] - P.LOW[matched])
    z = tf.Variable(_logit(P.normalise(values0)[matched]))
    fixed = tf.constant(values0)
    mask = np.zeros(len(P.PARAMS), np.float32)
    mask[matched] = 1.0
    mask = tf.constant(mask)
    scatter = tf.constant(np.eye(len(P.PARAMS), dtype=np.float32)[matched])  # [M, P]
    target = tf.constant(perf.audio[None])
    f0 = tf.constant(perf.f0_hz[None])
    n_samples = n_samples_for(len(perf.f0_hz))
    noise = white_noise(1, n_samples, seed=0)
    followed = C.follow_sequence(values0[None], perf.power_db[None])  # attack/release are never refined

    def values_of(z_):
        return fixed * (1.0 - mask) + tf.linalg.matvec(scatter, low + span * tf.sigmoid(z_), transpose_a=True)

    @tf.function(reduce_retracing=True)
    def loss_of(z_):
        audio = render(values_of(z_)[None], f0, None, n_samples=n_samples, noise=noise, followed_db=followed)
        return spectral_loss(target, audio, fft_sizes=FFT_SIZES)

    optimizer = tf.keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def step():
        with tf.GradientTape() as tape:
            loss = loss_of(z)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return loss

    before = float(loss_of(z))
    best, best_z = before, z.numpy()
    bar = console.Progress(label="refining", total=steps, unit="steps", enabled=progress and steps > 0)
    for i in range(steps):
        z_before = z.numpy()
        loss = float(step())  # the loss of z_before (the update comes after it)
        if loss < best:
            best, best_z = loss, z_before
        bar.update(i + 1)
    if steps:
        final = float(loss_of(z))
        if final < best:
            best, best_z = final, z.numpy()
    bar.close(steps if steps else None)
    values = values_of(tf.constant(best_z)).numpy()
    return Refined(patch=P.Patch.from_array(values), loss_before=before, loss_after=best, steps=steps,
                   seconds=time.perf_counter() - began)
