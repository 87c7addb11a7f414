"""Patch -> synth controls, in TensorFlow: the one formula used by the renderer and the .tflite.

:func:`controls` maps patch values ``[..., P]`` (physical units, :mod:`.patch` order) and a
frame's ``f0_hz`` and (followed) ``power_db`` to the plugin's controls; it is differentiable in
the values. With ``f_k = k f0`` (k = 1..60), ``x = P - P_REF_DB``:

- level of harmonic k (dB): ``L_k = E(f_k) + b x / 10 * log2(f_k / 1 kHz) + even_db [k even]``,
  ``E`` the envelope interpolated linearly in ``log2 f`` between its 15 points (held at the ends);
  ``c_k = 10 ** (L_k / 20) * clip((8 kHz - f_k) / 400 Hz, 0, 1)`` (zero at and above 8 kHz); distribution ``d = c / sum c``.
- power split: ``r = noise_db + noise_slope x`` (dB), ``P_lin = 10 ** ((P + gain_db) / 10)``,
  harmonic power ``P_h = P_lin / (1 + 10 ** (r / 10))``, noise power ``P_n = P_lin - P_h``.
- amplitude ``A = sqrt(2 P_h / sum d_k ** 2)`` (a sine of amplitude a has power a^2 / 2), so the
  harmonic part has power ``P_h``.
- noise band i at ``g_i = 125 i`` Hz (65 bands): level
  ``N_i = noise_envelope E(g_i) + t log2(max(g_i, 62.5) / 1 kHz)`` dB with the noise tilt
  ``t = noise_tilt + noise_brightness_slope x / 10`` dB/octave; ``s = 10 ** (N / 20)``, scaled so the
  plugin's 128-tap FIR on uniform noise (variance 1/3) has power ``P_n``:
  ``m = s sqrt(3 P_n / sum_j h_j(s) ** 2)``, ``h(s)`` the FIR taps (linear in s).

The power follower (:func:`follow`): ``e' = e + a (P - e)`` with ``a = 1 - exp(-20 ms / tau)``,
``tau`` the attack time when ``P > e``, the release time otherwise (0 ms: ``a = 1``, no smoothing).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from ddsp_train import contract
from ddsp_train.dsp import fir
from ddsp_train.match import patch as P

_I = P.INDEX
_FRAME_MS = 1000.0 / contract.FRAME_RATE
_NYQUIST_LIMIT = contract.SAMPLE_RATE / 2.0
#: Harmonics fade out linearly over the last 400 Hz below 8 kHz (continuous in f0, so the streamed
#: file and the whole-sequence model agree, and no harmonic pops in or out at Nyquist).
_TAPER_HZ = 400.0


def _noise_fir_matrix() -> np.ndarray:
    """``W [65, 128]`` with ``taps = m @ W``: the plugin's frequency-sampling design, which is linear in m."""
    return fir.frequency_sampling_fir(np.eye(contract.NOISE_BANDS), contract.NOISE_TAPS).astype(np.float32)


_FIR = tf.constant(_noise_fir_matrix())
_NOISE_HZ = np.arange(contract.NOISE_BANDS) * (contract.SAMPLE_RATE / 2.0) / (contract.NOISE_BANDS - 1)
_HARMONIC_K = np.arange(1, contract.HARMONICS + 1, dtype=np.float32)
_EVEN = tf.constant((_HARMONIC_K % 2 == 0).astype(np.float32))
_ENV_POS = tf.constant(np.arange(P.N_ENVELOPE, dtype=np.float32))


def _param(values: tf.Tensor, name: str) -> tf.Tensor:
    """``values[..., i]`` with a trailing axis of 1, for broadcasting against ``[..., T, n]``."""
    return values[..., _I[name]][..., tf.newaxis, tf.newaxis]


def envelope_db(values: tf.Tensor, frequency_hz: tf.Tensor) -> tf.Tensor:
    """``E(f)``: the envelope points ``values[..., :15]`` ``[B, 15]`` at ``frequency_hz [B, T, n]``,
    linear in ``log2 f`` (hat weights ``max(0, 1 - |x - j|)``, ``x = 2 log2(f / 62.5)`` clipped to 0..14)."""
    x = 2.0 * tf.math.log(tf.maximum(frequency_hz, 1.0) / P.ENVELOPE_HZ[0]) / np.log(2.0)
    x = tf.clip_by_value(x, 0.0, float(P.N_ENVELOPE - 1))
    weights = tf.maximum(0.0, 1.0 - tf.abs(x[..., tf.newaxis] - _ENV_POS))  # [B, T, n, 15]
    env = values[..., : P.N_ENVELOPE][..., tf.newaxis, tf.newaxis, :]
    return tf.reduce_sum(weights * env, axis=-1)


def _octaves_from_pivot(frequency_hz) -> tf.Tensor:
    return tf.math.log(tf.maximum(frequency_hz, P.ENVELOPE_HZ[0]) / P.PIVOT_HZ) / np.log(2.0)


def controls(values, f0_hz, power_db) -> dict:
    """Plugin controls of a patch: ``values [B, P]``, ``f0_hz``/``power_db [B, T]`` ->
    ``amplitude [B, T, 1]``, ``harmonic_distribution [B, T, 60]``, ``noise_magnitudes [B, T, 65]``
    (the formulas are in the module docstring)."""
    values = tf.cast(values, tf.float32)
    f0 = tf.cast(f0_hz, tf.float32)[..., tf.newaxis]  # [B, T, 1]
    power = tf.cast(power_db, tf.float32)[..., tf.newaxis]
    x = power - P.P_REF_DB
    freqs = f0 * _HARMONIC_K  # [B, T, 60]
    level = (envelope_db(values, freqs) + _param(values, "brightness_slope") * x / 10.0 * _octaves_from_pivot(freqs)
             + _param(values, "even_db") * _EVEN)
    audible = tf.clip_by_value((_NYQUIST_LIMIT - freqs) / _TAPER_HZ, 0.0, 1.0)
    # The loudest audible harmonic sets 0 dB, so 10 ** (level / 20) neither overflows nor underflows.
    peak = tf.reduce_max(level - 1e4 * (1.0 - audible), axis=-1, keepdims=True)
    c = tf.pow(10.0, (level - peak) / 20.0) * audible
    dist = c / tf.maximum(tf.reduce_sum(c, axis=-1, keepdims=True), 1e-12)

    ratio = _param(values, "noise_db") + _param(values, "noise_slope") * x
    total = tf.pow(10.0, (power + _param(values, "gain_db")) / 10.0)
    harmonic_power = total / (1.0 + tf.pow(10.0, ratio / 10.0))
    noise_power = total - harmonic_power
    sounding = tf.cast(tf.reduce_sum(audible, axis=-1, keepdims=True) > 0.0, tf.float32)  # 0 if f0 >= 8 kHz
    amplitude = sounding * tf.sqrt(2.0 * harmonic_power
                                   / tf.maximum(tf.reduce_sum(dist * dist, axis=-1, keepdims=True), 1e-12))

    bands = tf.constant(_NOISE_HZ, tf.float32) + 0.0 * f0  # [B, T, 65]
    tilt = _param(values, "noise_tilt") + _param(values, "noise_brightness_slope") * x / 10.0
    noise_level = _param(values, "noise_envelope") * envelope_db(values, bands) + tilt * _octaves_from_pivot(bands)
    shape = tf.pow(10.0, (noise_level - tf.reduce_max(noise_level, axis=-1, keepdims=True)) / 20.0)
    energy = tf.reduce_sum(tf.square(tf.tensordot(shape, _FIR, axes=1)), axis=-1, keepdims=True)
    magnitudes = shape * tf.sqrt(3.0 * noise_power / tf.maximum(energy, 1e-12))
    return {"amplitude": amplitude, "harmonic_distribution": dist, "noise_magnitudes": magnitudes}


def follow(values, previous_db, power_db) -> tf.Tensor:
    """One step of the power follower: ``e + a (P - e)`` (see the module docstring); shapes broadcast,
    ``values [B, P]`` against ``previous_db``/``power_db [B, ...]`` with one trailing axis."""
    values = tf.cast(values, tf.float32)
    attack = values[..., _I["attack_ms"]][..., tf.newaxis]
    release = values[..., _I["release_ms"]][..., tf.newaxis]
    rising = tf.cast(power_db > previous_db, tf.float32)
    tau = rising * attack + (1.0 - rising) * release
    a = 1.0 - tf.exp(-_FRAME_MS / tf.maximum(tau, 1e-3))
    return previous_db + a * (power_db - previous_db)


def follow_sequence(values, power_db) -> tf.Tensor:
    """:func:`follow` along frames ``power_db [B, T]`` from silence (-80 dB), as the plugin model runs it."""
    power_db = tf.convert_to_tensor(power_db, tf.float32)
    start = tf.fill(tf.shape(power_db[:, :1]), -contract.DB_RANGE)
    steps = tf.scan(lambda prev, p: follow(values, prev, p), tf.transpose(power_db)[:, :, tf.newaxis],
                    initializer=start)
    return tf.transpose(steps[:, :, 0])
