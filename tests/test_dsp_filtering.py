"""dsp/filtering.py (and the numpy FIR design of dsp/fir.py): FFT convolution, the plugin's noise FIR."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import filtering, fir


def hann_periodic(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def test_fft_convolve_equals_np_convolve():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 1000)).astype(np.float32)
    h = rng.normal(size=(2, 77)).astype(np.float32)
    full = filtering.fft_convolve(x, h, padding="full").numpy()
    same = filtering.fft_convolve(x, h, padding="same", delay_compensation=38).numpy()
    shared = filtering.fft_convolve(x, h[:1], padding="full").numpy()
    for b in range(2):
        reference = np.convolve(x[b], h[b])
        np.testing.assert_allclose(full[b], reference, atol=1e-4)
        np.testing.assert_allclose(same[b], reference[38:1038], atol=1e-4)
        np.testing.assert_allclose(shared[b], np.convolve(x[b], h[0]), atol=1e-4)


@pytest.mark.parametrize("hop, extra", [(20, 0), (21, 7)])
def test_time_varying_fft_convolve_matches_blockwise_numpy(hop, extra):
    rng = np.random.default_rng(4)
    n_frames, taps = 6, 9
    n = (n_frames - 1) * hop + extra  # odd hops and lengths that are not a multiple of the hop
    x = rng.normal(size=(1, n)).astype(np.float32)
    irs = rng.normal(size=(1, n_frames, taps)).astype(np.float32)
    out = filtering.fft_convolve(x, irs, padding="full", hop=hop).numpy()[0]
    # Independent reference: sample m is filtered by the response of its nearest frame.
    reference = np.zeros(n + taps - 1)
    for m in range(n):
        k = min((m + hop // 2) // hop, n_frames - 1)
        reference[m:m + taps] += x[0, m] * irs[0, k]
    np.testing.assert_allclose(out, reference, atol=1e-4)


def test_frequency_sampling_fir_is_the_plugin_design_in_numpy_and_tf():
    rng = np.random.default_rng(5)
    mags = rng.uniform(size=(3, 4, 65))
    taps_np = filtering.frequency_sampling_fir(mags)
    taps_tf = filtering.frequency_sampling_fir(tf.constant(mags, tf.float32)).numpy()
    assert isinstance(taps_np, np.ndarray) and taps_np.shape == (3, 4, 128)
    np.testing.assert_array_equal(fir.frequency_sampling_fir(mags), taps_np)
    np.testing.assert_allclose(taps_np, taps_tf, atol=1e-6)
    # ddsp / DDSP-VST steps: irfft, zero-phase (fftshifted) Hann, fftshift to causal.
    h = np.fft.irfft(mags, axis=-1)
    expected = np.fft.fftshift(h * np.fft.fftshift(hann_periodic(128)), axes=-1)
    np.testing.assert_allclose(taps_np, expected, atol=1e-6)
    # Linear phase: symmetric around the centre tap 64.
    np.testing.assert_allclose(taps_np[..., 65:], taps_np[..., 63:0:-1], atol=1e-6)


def test_fir_frequency_response_follows_magnitudes():
    freqs = np.linspace(0, 1, 65)
    mags = 0.55 + 0.45 * np.cos(np.pi * freqs) ** 2 * (freqs < 0.5)  # smooth-ish, with a knee
    mags = np.convolve(np.pad(mags, 4, mode="edge"), np.ones(9) / 9, mode="valid")
    taps = filtering.frequency_sampling_fir(mags)
    response = np.abs(np.fft.rfft(taps, 128))
    # A 128-tap Hann window smears by about two bins: compare on the smooth curve.
    np.testing.assert_allclose(response, mags, atol=0.02)
    # Unit magnitudes give a pure delay of 64 samples.
    unit = filtering.frequency_sampling_fir(np.ones(65))
    np.testing.assert_allclose(unit, np.eye(128)[64], atol=1e-6)


def test_frequency_filter_with_unit_magnitudes_is_identity():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1, 3200)).astype(np.float32)
    ones = np.ones((1, 11, 65), np.float32)
    np.testing.assert_allclose(filtering.frequency_filter(x, ones).numpy(), x, atol=1e-5)
    causal = filtering.frequency_filter(x, ones, delay_compensation=0).numpy()
    np.testing.assert_allclose(causal[0, 64:], x[0, :-64], atol=1e-5)


def test_numpy_fir_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from ddsp_train.dsp import fir; fir.frequency_sampling_fir(np.ones(65)); "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_time_varying_fft_convolve_gradients_match_closed_form():
    rng = np.random.default_rng(7)
    hop, n_frames, taps = 20, 6, 9
    n = (n_frames - 1) * hop
    x = tf.constant(rng.normal(size=(1, n)), tf.float32)
    irs = tf.constant(rng.normal(size=(1, n_frames, taps)), tf.float32)
    w = rng.normal(size=(1, n + taps - 1))
    with tf.GradientTape() as tape:
        tape.watch([x, irs])
        loss = tf.reduce_sum(filtering.fft_convolve(x, irs, padding="full") * tf.constant(w, tf.float32))
    dx, dh = tape.gradient(loss, [x, irs])
    # y[m + i] += x[m] h_k(m)[i]  =>  dL/dx[m] = sum_i w[m + i] h_k[i],  dL/dh_k[i] = sum_{m in k} x[m] w[m + i]
    expected_dx = np.zeros(n)
    expected_dh = np.zeros((n_frames, taps))
    for m in range(n):
        k = min((m + hop // 2) // hop, n_frames - 1)
        expected_dx[m] = w[0, m:m + taps] @ irs.numpy()[0, k]
        expected_dh[k] += x.numpy()[0, m] * w[0, m:m + taps]
    np.testing.assert_allclose(dx.numpy()[0], expected_dx, atol=1e-4)
    np.testing.assert_allclose(dh.numpy()[0], expected_dh, atol=1e-4)


def test_shared_impulse_response_gradient_sums_over_the_batch():
    rng = np.random.default_rng(8)
    x = tf.constant(rng.normal(size=(3, 200)), tf.float32)
    h = tf.constant(rng.normal(size=(1, 15)), tf.float32)
    w = rng.normal(size=(3, 214))
    with tf.GradientTape() as tape:
        tape.watch([x, h])
        loss = tf.reduce_sum(filtering.fft_convolve(x, h, padding="full") * tf.constant(w, tf.float32))
    dx, dh = tape.gradient(loss, [x, h])
    expected_dh = sum(np.correlate(w[b], x.numpy()[b], mode="valid") for b in range(3))
    expected_dx = np.stack([np.correlate(w[b], h.numpy()[0], mode="valid") for b in range(3)])
    np.testing.assert_allclose(dh.numpy()[0], expected_dh, atol=1e-3)
    np.testing.assert_allclose(dx.numpy(), expected_dx, atol=1e-4)
