"""Render a patch: the package's harmonic synth and the plugin's filtered noise (``ddsp_train.dsp``).

:func:`render` plays patch values on a performance (``f0_hz`` and ``power_db`` on the 16 kHz /
50 Hz grid of the plugin, frame ``k`` at sample ``320 k``): the power goes through the patch's
follower, :func:`ddsp_train.match.controls.controls` gives the plugin's controls, and
``dsp.core.harmonic_synthesis`` + ``dsp.filtering.frequency_filter`` (128 causal taps, as the plugin)
make the sound. Differentiable in the values (the follower only depends on attack/release,
which the match never changes, so it can be run once: ``followed_db``).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from ddsp_train import contract
from ddsp_train.dsp import core, filtering
from ddsp_train.match import controls as C


def n_samples_for(n_frames: int) -> int:
    """Samples covered by ``n_frames`` frames on the grid: ``(n_frames - 1) * hop``."""
    return (int(n_frames) - 1) * contract.HOP


def white_noise(batch: int, n_samples: int, *, seed: int = 0) -> tf.Tensor:
    """Uniform noise in [-1, 1) ``[batch, n_samples]``, the same for the same seed (refinement needs a
    fixed noise so the loss is a function of the patch only)."""
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(-1.0, 1.0, (batch, n_samples)).astype(np.float32))


def render(values, f0_hz, power_db, *, n_samples: int | None = None, noise=None, seed: int = 0,
           followed_db=None) -> tf.Tensor:
    """Audio ``[B, n_samples]`` at 16 kHz of patch ``values [B, P]`` on ``f0_hz``/``power_db [B, T]``.

    ``followed_db``: the followed power if already computed (:func:`ddsp_train.match.controls.follow_sequence`).
    ``noise``: the white noise to filter (default :func:`white_noise` of ``seed``).
    """
    values = tf.cast(values, tf.float32)
    f0_hz = tf.cast(f0_hz, tf.float32)
    n_frames = int(f0_hz.shape[-1])
    n_samples = n_samples_for(n_frames) if n_samples is None else int(n_samples)
    if followed_db is None:
        followed_db = C.follow_sequence(values, power_db)
    ctrl = C.controls(values, f0_hz, followed_db)
    harmonic = core.harmonic_synthesis(f0_hz[..., tf.newaxis], ctrl["amplitude"] * ctrl["harmonic_distribution"],
                                       n_samples=n_samples, sample_rate=contract.SAMPLE_RATE, hop=contract.HOP)
    if noise is None:
        noise = white_noise(int(values.shape[0]), n_samples, seed=seed)
    filtered = filtering.frequency_filter(noise, ctrl["noise_magnitudes"], contract.NOISE_TAPS, delay_compensation=0,
                                     hop=contract.HOP)
    return harmonic + filtered


def render_numpy(values: np.ndarray, f0_hz: np.ndarray, power_db: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """:func:`render` for one patch and one performance as numpy: float32 ``[(T - 1) * 320]``."""
    audio = render(np.asarray(values, np.float32)[None], np.asarray(f0_hz, np.float32)[None],
                   np.asarray(power_db, np.float32)[None], seed=seed)
    return audio.numpy()[0]
