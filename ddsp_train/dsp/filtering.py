"""Convolution and filters of the DSP building blocks (TensorFlow, batch-first, float32).

:func:`fft_convolve` (time-invariant or frame-wise time-varying convolution by FFT),
:func:`frequency_sampling_fir` (the noise filter's FIR design, the plugin's: inverse real FFT of
the magnitudes, zero-phase Hann window, made causal; numpy in, numpy out as well as on tensors,
so the real-time player builds the very filter the model was trained with) and
:func:`frequency_filter` (both together). Conventions: :mod:`ddsp_train.dsp.core`.
"""
from __future__ import annotations

import gin
import numpy as np
import tensorflow as tf

from ddsp_train.dsp import fir
from ddsp_train.dsp.core import _f32, _static_dim, frame_hop


def next_fast_len(n: int) -> int:
    """Smallest ``2**a * 3**b * 5**c >= n`` (FFT sizes that are fast in pocketfft/ducc)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def fft_convolve(audio, impulse_response, *, padding: str = "same", delay_compensation: int = 0,
                 hop: int | None = None) -> tf.Tensor:
    """Convolution by FFT, time-invariant or frame-wise time-varying.

    Time-invariant (``impulse_response`` ``[B or 1, L]``): ``full[n] = sum_m x[m] h[n - m]`` for
    ``n < N + L - 1``, computed as ``irfft(rfft(x, F) * rfft(h, F))`` with ``F = next_fast_len(N +
    L - 1)``; a batch-1 response is shared by all items.
    Time-varying (``[B, T, L]``, T frames on the frame grid): the audio is cut into hop-long blocks
    centred on the frames (block ``k`` = samples ``[k hop - hop//2, k hop - hop//2 + hop)``), each
    block is convolved with its frame's response and the results are overlap-added
    (``full = sum_k conv(block_k, h_k)`` shifted to the block's start); after the last frame the
    last response is held.
    ``padding="full"`` returns all ``N + L - 1`` samples; ``"same"`` returns
    ``y[n] = full[n + delay_compensation]`` for ``n < N`` (e.g. ``L // 2`` undoes the delay of a
    :func:`frequency_sampling_fir` filter).
    """
    audio, ir = _f32(audio), _f32(impulse_response)
    if padding not in ("same", "full"):
        raise ValueError(f"padding must be 'same' or 'full', got {padding!r}")
    n = _static_dim(audio, 1, "audio")
    ir_size = _static_dim(ir, -1, "impulse_response")
    if ir.shape.rank == 2:
        full = _block_convolve(audio, ir)
    elif ir.shape.rank == 3:
        n_frames = _static_dim(ir, 1, "impulse_response frames")
        hop = frame_hop(n, n_frames) if hop is None else int(hop)
        lead = hop // 2
        n_blocks = -(-(n + lead) // hop)
        if n_frames < n_blocks:
            ir = tf.concat([ir] + [ir[:, -1:]] * (n_blocks - n_frames), axis=1)
        ir = ir[:, :n_blocks]
        padded = tf.pad(audio, [[0, 0], [lead, n_blocks * hop - n - lead]])
        blocks = tf.reshape(padded, [-1, n_blocks, hop])
        out = _block_convolve(blocks, ir)  # [B, blocks, hop + L - 1]
        full = tf.signal.overlap_and_add(out, hop)[:, lead: lead + n + ir_size - 1]
    else:
        raise ValueError(f"impulse_response must be [batch, taps] or [batch, frames, taps], got {ir.shape}")
    if padding == "full":
        return full
    start = int(delay_compensation)
    if not 0 <= start <= ir_size - 1:
        raise ValueError(f"delay_compensation must be in 0..{ir_size - 1}, got {start}")
    return full[:, start: start + n]


def _block_convolve(blocks: tf.Tensor, ir: tf.Tensor) -> tf.Tensor:
    """Full linear convolution of each block ``[..., P]`` with its response ``[..., L]`` -> ``[..., P + L - 1]``.

    A response with batch size 1 is shared by every item of the batch.
    ``y = irfft(rfft(x, F) rfft(h, F))[:P + L - 1]`` with ``F = next_fast_len(P + L - 1)``. The
    gradient is written out as FFT cross-correlations (fewer ops than TensorFlow's complex chain):
    ``dx = irfft(G conj(H))[:P]``, ``dh = irfft(G conj(X))[:L]`` with ``G = rfft(dy, F)``; both
    are exact because ``F >= P + L - 1`` leaves no circular wrap-around.
    """
    size, taps = int(blocks.shape[-1]), int(ir.shape[-1])
    conv_size = size + taps - 1
    fft_size = next_fast_len(conv_size)

    @tf.custom_gradient
    def convolve(x, h):
        x_spec, h_spec = tf.signal.rfft(x, [fft_size]), tf.signal.rfft(h, [fft_size])
        y = tf.signal.irfft(x_spec * h_spec, [fft_size])[..., :conv_size]

        def grad(dy):
            g_spec = tf.signal.rfft(dy, [fft_size])
            dx = tf.signal.irfft(g_spec * tf.math.conj(h_spec), [fft_size])[..., :size]
            dh_spec = g_spec * tf.math.conj(x_spec)
            if h.shape[0] == 1:  # one response shared by the batch: sum its gradient over the batch
                dh_spec = tf.reduce_sum(dh_spec, axis=0, keepdims=True)
            dh = tf.signal.irfft(dh_spec, [fft_size])[..., :taps]
            return dx, dh

        return y, grad

    return convolve(blocks, ir)


# Filter design --------------------------------------------------------------------------------
def frequency_sampling_fir(magnitudes, n_taps: int = fir.PLUGIN_TAPS):
    """Linear-phase FIR with the given magnitude response, by frequency sampling (the plugin's design).

    ``magnitudes [..., M]`` sample the response at ``f_i = i / (M - 1) * sr / 2`` (DC..Nyquist).
    ``h = irfft(magnitudes)`` is the zero-phase response of ``2 (M - 1)`` samples (``h[-n] = h[n]``);
    with ``L = min(n_taps, 2 (M - 1))`` taps and ``c = L // 2``:
    ``taps[i] = h[(i - c) mod 2(M-1)] * w[i]``, ``w[i] = 0.5 - 0.5 cos(2 pi i / L)`` (periodic Hann),
    i.e. the Hann-windowed zero-phase response made causal (delay ``c`` samples). For M = 65,
    L = 128 this is ddsp's ``frequency_impulse_response`` (``fftshift(hann) * h``, ``fftshift``).
    numpy in -> numpy out (:func:`ddsp_train.dsp.fir.frequency_sampling_fir`, float64 math,
    float32 result, importable without TensorFlow); tensor in -> float32 tensor, same constants.
    """
    if isinstance(magnitudes, (tf.Tensor, tf.Variable)):
        mags = _f32(magnitudes)
        ir_size, _, index, window = fir.fir_constants(_static_dim(mags, -1, "magnitudes"), n_taps)
        h = tf.signal.irfft(tf.complex(mags, tf.zeros_like(mags)), [ir_size])
        return tf.gather(h, index, axis=-1) * tf.constant(window, tf.float32)
    return fir.frequency_sampling_fir(magnitudes, n_taps)


@gin.register
def frequency_filter(audio, magnitudes, n_taps: int = fir.PLUGIN_TAPS, *, delay_compensation: int | None = None,
                     hop: int | None = None) -> tf.Tensor:
    """Filter audio with frame-wise frequency-sampled FIRs: ``fft_convolve(x, frequency_sampling_fir(m))``.

    ``magnitudes`` ``[B, T, M]`` (time-varying on the frame grid) or ``[B, M]`` (fixed).
    ``delay_compensation`` defaults to the filters' delay ``L // 2`` (output aligned with the
    input); 0 keeps the causal output, as the plugin produces it.
    """
    taps = frequency_sampling_fir(_f32(magnitudes), n_taps)
    n_used = _static_dim(taps, -1, "taps")
    delay = n_used // 2 if delay_compensation is None else delay_compensation
    return fft_convolve(audio, taps, padding="same", delay_compensation=delay, hop=hop)
