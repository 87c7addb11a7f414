"""Differentiable DSP building blocks (TensorFlow, batch-first, float32).

Conventions shared by every function here:

- Audio is ``[batch, n_samples]``; frame-rate controls are ``[batch, n_frames, channels]``.
- **Frame grid** (docs/architecture.md): frame ``k`` is centred at sample ``k * hop``; an
  example of ``n`` samples has ``n // hop + 1`` frames. When ``hop`` is not given it is inferred
  as ``hop = n_samples // (n_frames - 1)`` (exact whenever ``n_samples`` is a multiple of the
  hop, as in every dataset the project writes); pass ``hop`` explicitly otherwise.
- Frame-rate controls become audio-rate controls by interpolating between neighbouring frames:
  sample ``n = j * hop + h`` (``0 <= h < hop``) lies between frames ``j`` and ``j + 1`` at
  ``t = h / hop``; after the last frame the last value is held.
- Phase is accumulated by :func:`angular_cumsum`, which sums in float64 and wraps to
  ``[0, 2 pi)`` before rounding to float32, so it stays accurate for signals of any length.

Convolution and the FIR noise filter are in :mod:`ddsp_train.dsp.filtering`.
"""
from __future__ import annotations

import math
from typing import Any

import gin
import numpy as np
import tensorflow as tf


TWO_PI = 2.0 * math.pi


def _f32(x: Any) -> tf.Tensor:
    """``x`` as a float32 tensor (a no-op for float32 tensors)."""
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return tf.cast(x, tf.float32) if x.dtype != tf.float32 else x
    return tf.convert_to_tensor(x, tf.float32)


def _in_xla_context() -> bool:
    """True while tracing inside ``tf.function(jit_compile=True)`` (shapes must then be static)."""
    if tf.executing_eagerly():
        return False
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - internal module moved: stay on the static path
        return True
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def _static_dim(x: tf.Tensor, axis: int, what: str) -> int:
    dim = x.shape[axis]
    if dim is None:
        raise ValueError(f"{what} needs a static size on axis {axis}; got shape {x.shape}")
    return int(dim)


# Scalings -----------------------------------------------------------------------------------
@gin.register
def exp_sigmoid(x, exponent: float = 10.0, max_value: float = 2.0, threshold: float = 1e-7):
    """Exponentiated sigmoid, ddsp's control scaling for amplitudes and magnitudes.

    ``y = max_value * sigmoid(x) ** ln(exponent) + threshold``; computed as
    ``max_value * exp(ln(exponent) * log_sigmoid(x)) + threshold`` (the same value, stable for
    very negative x). Bounded to ``(threshold, max_value + threshold)``; far below 0 it changes by
    a factor ``exponent`` per unit of x.
    """
    x = _f32(x)
    return max_value * tf.exp(math.log(exponent) * tf.math.log_sigmoid(x)) + threshold


@gin.register
def log_frequencies(x, hz_min: float = 20.0, hz_max: float = 8000.0):
    """Network outputs to frequencies on a log scale: ``hz_min * (hz_max / hz_min) ** sigmoid(x)``."""
    x = _f32(x)
    return hz_min * tf.exp(math.log(hz_max / hz_min) * tf.sigmoid(x))


def normalize_distribution(x, axis: int = -1):
    """Scale ``x`` to sum to 1 along ``axis``: ``y = x / sum(x)``; all-zero slices stay 0 (no NaN)."""
    x = _f32(x)
    return tf.math.divide_no_nan(x, tf.reduce_sum(x, axis=axis, keepdims=True))


def harmonic_frequencies(f0_hz, n_harmonics: int):
    """Frequencies of harmonics ``1..K``: ``f_k = k * f0`` (``[..., 1] -> [..., K]``)."""
    return _f32(f0_hz) * tf.range(1, n_harmonics + 1, dtype=tf.float32)


def remove_above_nyquist(frequencies, amplitudes, sample_rate: float):
    """Silence oscillators at or above Nyquist: ``a = 0 where f >= sample_rate / 2`` else ``a``."""
    frequencies, amplitudes = _f32(frequencies), _f32(amplitudes)
    return tf.where(frequencies >= sample_rate / 2.0, tf.zeros_like(amplitudes), amplitudes)


# Frame grid and upsampling -----------------------------------------------------------------
def frame_hop(n_samples: int, n_frames: int) -> int:
    """The hop of the frame grid: ``n_samples // (n_frames - 1)`` (``n_samples`` for one frame).

    Raises ValueError when there are more frames than samples.
    """
    if n_frames < 1 or n_samples < 1:
        raise ValueError(f"need at least one frame and one sample, got {n_frames} frames, {n_samples} samples")
    if n_frames == 1:
        return n_samples
    if n_frames - 1 > n_samples:
        raise ValueError(f"cannot upsample {n_frames} frames to only {n_samples} samples")
    return n_samples // (n_frames - 1)


def _block_ends(frames: tf.Tensor, n_samples: int, hop: int | None):
    """Frame values at both ends of each hop-long block: ``left[j] = F[j]``, ``right[j] = F[j+1]``.

    Returns ``(left, right, hop, n_blocks)`` with left/right ``[B, n_blocks, C]`` and
    ``n_blocks = ceil(n_samples / hop)``; frames beyond the last one repeat it (hold).
    """
    n_frames = _static_dim(frames, 1, "the frame axis")
    hop = frame_hop(n_samples, n_frames) if hop is None else int(hop)
    n_blocks = -(-n_samples // hop)
    need = n_blocks + 1
    if n_frames < need:
        frames = tf.concat([frames] + [frames[:, -1:]] * (need - n_frames), axis=1)
    left, right = frames[:, :n_blocks], frames[:, 1:need]
    return left, right, hop, n_blocks


def _interpolate(frames, n_samples: int, hop: int | None, window: bool) -> tf.Tensor:
    frames = _f32(frames)
    left, right, hop, n_blocks = _block_ends(frames, n_samples, hop)
    t = np.arange(hop, dtype=np.float64) / hop
    if window:
        t = 0.5 - 0.5 * np.cos(np.pi * t)
    t = tf.constant(t[:, None], tf.float32)  # [hop, 1]
    out = left[:, :, None, :] + (right - left)[:, :, None, :] * t  # [B, blocks, hop, C]
    channels = _static_dim(frames, 2, "the channel axis")
    out = tf.reshape(out, [-1, n_blocks * hop, channels])
    return out[:, :n_samples]


def upsample_linear(frames, n_samples: int, hop: int | None = None) -> tf.Tensor:
    """Linear interpolation of frames ``[B, T, C]`` on the frame grid to ``[B, n_samples, C]``.

    ``y[j*hop + h] = (1 - t) F[j] + t F[j+1]`` with ``t = h / hop`` (the last frame is held).
    """
    return _interpolate(frames, n_samples, hop, window=False)


def upsample_with_windows(frames, n_samples: int, hop: int | None = None) -> tf.Tensor:
    """Overlapping Hann windows (ddsp's ``upsample_with_windows``) on the frame grid.

    Every frame is spread by a periodic Hann window of ``2 * hop`` samples centred on its sample
    ``k * hop``; the windows overlap by half and sum to 1, so between frames ``j`` and ``j + 1``
    ``y[j*hop + h] = (1 - w) F[j] + w F[j+1]`` with ``w = (1 - cos(pi h / hop)) / 2``.
    Smoother than linear for amplitude envelopes (zero slope at each frame).
    """
    return _interpolate(frames, n_samples, hop, window=True)


@gin.register
def upsample(frames, n_samples: int, method: str = "linear", hop: int | None = None) -> tf.Tensor:
    """Dispatch to :func:`upsample_linear` (``method="linear"``) or :func:`upsample_with_windows`."""
    if method not in ("linear", "window"):
        raise ValueError(f"upsampling method must be 'linear' or 'window', got {method!r}")
    return _interpolate(frames, n_samples, hop, window=method == "window")


# Phase --------------------------------------------------------------------------------------
@gin.register
def angular_cumsum(angular_frequency, exclusive: bool = False) -> tf.Tensor:
    """Phase from angular frequency (rad/sample) along axis 1, wrapped to ``[0, 2 pi)``; float32 out.

    ``phi[n] = (sum_{m <= n} omega[m]) mod 2 pi`` (``m < n`` when ``exclusive``).
    The running sum is kept in float64 and wrapped before it is rounded to float32: a float32
    cumsum over 64k samples of a 1 kHz tone reaches 25k rad where one float32 step is 2e-3 rad,
    and even chunked float32 sums drift by ~1e-2 rad over 4 s for steady tones because the
    rounding errors are correlated; in float64 the error stays below float32's resolution of
    the wrapped phase (2.4e-7 rad). Costs one float64 ``[B, n_samples(, K)]`` tensor.
    """
    x = tf.cast(_f32(angular_frequency), tf.float64)
    phase = tf.math.floormod(tf.cumsum(x, axis=1, exclusive=exclusive), 2.0 * np.pi)
    return tf.cast(phase, tf.float32)


def phase_from_frequency(frequencies_hz, sample_rate: float) -> tf.Tensor:
    """Oscillator phase of audio-rate frequencies, starting at 0: ``phi[n] = (2 pi / sr) sum_{m<n} f[m] mod 2 pi``.

    Like ``angular_cumsum(2 pi f / sr, exclusive=True)`` but the scaling to rad/sample is also
    done in float64, so a float32 frequency (exact for e.g. 4000.0 Hz) gives the exact phase.
    """
    x = tf.cast(_f32(frequencies_hz), tf.float64) * (2.0 * np.pi / float(sample_rate))
    phase = tf.math.floormod(tf.cumsum(x, axis=1, exclusive=True), 2.0 * np.pi)
    return tf.cast(phase, tf.float32)


# Oscillators --------------------------------------------------------------------------------
def harmonic_synthesis(f0_hz, harmonic_amplitudes, *, n_samples: int, sample_rate: float,
                       amp_resample_method: str = "linear", hop: int | None = None) -> tf.Tensor:
    """Sum of harmonics of a frame-rate f0 with frame-rate amplitudes -> audio ``[B, n_samples]``.

    ``y[n] = sum_{k=1..K} A_k[n] sin(k phi[n])`` where ``phi = phase_from_frequency(f0[n])``
    (``phi[n] = 2 pi / sr sum_{m<n} f0[m]``, ``phi[0] = 0``), ``f0[n]`` is f0 ``[B, T, 1]``
    upsampled linearly and ``A_k[n]`` the amplitudes ``[B, T, K]`` upsampled linearly or with
    windows (see :func:`upsample`).
    Anti-aliasing: within a hop-long block f0 moves linearly, so harmonic ``k`` is zeroed for the
    whole block from frame ``j`` to ``j + 1`` when ``k * max(f0[j], f0[j+1]) >= sr / 2``: no sample
    ever carries a partial at or above Nyquist. Computed blockwise as one batched matmul
    ``sin(k phi) [hop x K] @ [A[j], A[j+1]] [K x 2]`` followed by ``y = (1 - t) Y_0 + t Y_1``, so
    no ``[B, n_samples, K]`` amplitude envelope is ever built; outside XLA, harmonics that are
    above Nyquist in the whole batch are not evaluated at all.
    """
    f0_hz, amps = _f32(f0_hz), _f32(harmonic_amplitudes)
    if amp_resample_method not in ("linear", "window"):
        raise ValueError(f"amp_resample_method must be 'linear' or 'window', got {amp_resample_method!r}")
    n_harmonics = _static_dim(amps, 2, "harmonic amplitudes")
    f0_audio = upsample_linear(f0_hz, n_samples, hop)[:, :, 0]
    phase = phase_from_frequency(f0_audio, sample_rate)  # [B, N]

    a_left, a_right, hop, n_blocks = _block_ends(amps, n_samples, hop)
    f_left, f_right, _, _ = _block_ends(f0_hz, n_samples, hop)
    k = tf.range(1, n_harmonics + 1, dtype=tf.float32)
    keep = tf.cast(tf.maximum(f_left, f_right) * k < sample_rate / 2.0, tf.float32)  # [B, J, K]
    weights = tf.stack([a_left * keep, a_right * keep], axis=-1)  # [B, J, K, 2]
    if not _in_xla_context():
        # Harmonics that are above Nyquist in every block of the batch are skipped (``keep`` is
        # monotone in k); XLA needs static shapes, so it always evaluates all K.
        n_audible = tf.reduce_sum(tf.cast(tf.reduce_any(keep > 0.0, axis=[0, 1]), tf.int32))
        k, weights = k[:n_audible], weights[:, :, :n_audible]

    pad = n_blocks * hop - n_samples
    if pad:
        phase = tf.pad(phase, [[0, 0], [0, pad]])
    phase = tf.reshape(phase, [-1, n_blocks, hop, 1])
    sines = tf.sin(phase * k)  # [B, J, hop, K]
    ends = tf.matmul(sines, weights)  # [B, J, hop, 2]
    t = np.arange(hop, dtype=np.float64) / hop
    if amp_resample_method == "window":
        t = 0.5 - 0.5 * np.cos(np.pi * t)
    t = tf.constant(t, tf.float32)
    audio = ends[..., 0] + (ends[..., 1] - ends[..., 0]) * t  # [B, J, hop]
    audio = tf.reshape(audio, [-1, n_blocks * hop])
    return audio[:, :n_samples]


def sinusoidal_synthesis(frequencies, amplitudes, *, n_samples: int, sample_rate: float,
                         amp_resample_method: str = "linear", hop: int | None = None) -> tf.Tensor:
    """Free sinusoids from frame-rate frequencies and amplitudes ``[B, T, K]`` -> audio ``[B, n_samples]``.

    The same signal as ``oscillator_bank(upsample_linear(f), upsample(a))`` but blockwise: with
    ``f`` linear inside block ``j`` (``f[j hop + h] = f_j + d_j h / hop``, ``d_j = f_{j+1} - f_j``)
    the phase has the closed form
    ``phi[j hop + h] = Phi_j + (2 pi / sr) (h f_j + d_j h (h - 1) / (2 hop))``,
    ``Phi_j = (2 pi / sr) sum_{i<j} (hop f_i + d_i (hop - 1) / 2) mod 2 pi`` (a frame-rate float64
    cumsum), so no audio-rate cumsum is needed; ``y = (1 - t) sin(phi) @ a_j + t sin(phi) @ a_{j+1}``.
    A sinusoid is silenced for a whole block when it reaches Nyquist at either end.
    """
    frequencies, amplitudes = _f32(frequencies), _f32(amplitudes)
    if amp_resample_method not in ("linear", "window"):
        raise ValueError(f"amp_resample_method must be 'linear' or 'window', got {amp_resample_method!r}")
    f_left, f_right, hop, n_blocks = _block_ends(frequencies, n_samples, hop)
    a_left, a_right, _, _ = _block_ends(amplitudes, n_samples, hop)
    delta = f_right - f_left  # [B, J, K]
    scale = 2.0 * np.pi / float(sample_rate)
    advance = tf.cast(hop * f_left + delta * ((hop - 1) / 2.0), tf.float64) * scale
    starts = tf.cast(tf.math.floormod(tf.cumsum(advance, axis=1, exclusive=True), 2.0 * np.pi), tf.float32)
    h = np.arange(hop, dtype=np.float64)
    c1 = tf.constant(scale * h, tf.float32)[:, None]  # [hop, 1]
    c2 = tf.constant(scale * h * (h - 1) / (2.0 * hop), tf.float32)[:, None]
    phase = starts[:, :, None, :] + c1 * f_left[:, :, None, :] + c2 * delta[:, :, None, :]  # [B, J, hop, K]
    keep = tf.cast(tf.maximum(f_left, f_right) < sample_rate / 2.0, tf.float32)
    weights = tf.stack([a_left * keep, a_right * keep], axis=-1)  # [B, J, K, 2]
    ends = tf.matmul(tf.sin(phase), weights)  # [B, J, hop, 2]
    t = h / hop
    if amp_resample_method == "window":
        t = 0.5 - 0.5 * np.cos(np.pi * t)
    t = tf.constant(t, tf.float32)
    audio = ends[..., 0] + (ends[..., 1] - ends[..., 0]) * t
    return tf.reshape(audio, [-1, n_blocks * hop])[:, :n_samples]


def oscillator_bank(frequencies, amplitudes, *, sample_rate: float) -> tf.Tensor:
    """Audio-rate oscillators ``[B, N, K]`` -> ``y[n] = sum_k a_k[n] sin(phi_k[n])``.

    ``phi_k = phase_from_frequency(f_k)``; oscillators at or above Nyquist are
    silenced sample by sample (:func:`remove_above_nyquist`).
    """
    frequencies, amplitudes = _f32(frequencies), _f32(amplitudes)
    amplitudes = remove_above_nyquist(frequencies, amplitudes, sample_rate)
    phase = phase_from_frequency(frequencies, sample_rate)
    return tf.reduce_sum(amplitudes * tf.sin(phase), axis=-1)


def wavetable_lookup(phase_cycles, wavetables) -> tf.Tensor:
    """Read wavetables ``[W, S]`` at phases in cycles ``[B, N]`` with linear interpolation.

    ``x = frac(p) * S``, ``i = floor(x)``, ``y_w = (1 - (x - i)) table_w[i] + (x - i) table_w[(i + 1) mod S]``
    -> ``[B, N, W]``. Differentiable in the tables (and in the phase).
    """
    wavetables = _f32(wavetables)
    size = _static_dim(wavetables, 1, "wavetables")
    x = tf.math.floormod(_f32(phase_cycles), 1.0) * size
    i0f = tf.floor(x)
    frac = (x - i0f)[..., None]
    i0 = tf.math.floormod(tf.cast(i0f, tf.int32), size)
    i1 = tf.math.floormod(i0 + 1, size)
    table_t = tf.transpose(wavetables)  # [S, W]
    return tf.gather(table_t, i0) * (1.0 - frac) + tf.gather(table_t, i1) * frac
