"""ddsp_train.dsp.core against closed forms and independent numpy computations."""
import numpy as np
import pytest
import tensorflow as tf

from ddsp_train.dsp import core, fir
from ddsp_train.dsp import filtering


def hann_periodic(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def test_exp_sigmoid_formula():
    x = np.array([-50.0, -3.0, 0.0, 1.5, 20.0])
    expected = 2.0 / (1.0 + np.exp(-x)) ** np.log(10.0) + 1e-7
    np.testing.assert_allclose(core.exp_sigmoid(x).numpy(), expected, rtol=1e-5, atol=1e-12)
    custom = core.exp_sigmoid(x, exponent=3.0, max_value=5.0, threshold=0.1).numpy()
    np.testing.assert_allclose(custom, 5.0 / (1.0 + np.exp(-x)) ** np.log(3.0) + 0.1, rtol=1e-5)


def test_upsample_linear_on_frame_grid():
    hop, n_frames = 4, 5
    n = (n_frames - 1) * hop + 2  # 2 samples after the last frame: held
    frames = np.random.default_rng(0).normal(size=(2, n_frames, 3)).astype(np.float32)
    out = core.upsample_linear(frames, n, hop=hop).numpy()
    assert out.shape == (2, n, 3)
    positions = np.arange(n) / hop
    for b in range(2):
        for c in range(3):
            expected = np.interp(positions, np.arange(n_frames), frames[b, :, c])
            np.testing.assert_allclose(out[b, :, c], expected, rtol=1e-5, atol=1e-6)
    # The hop is inferred from the grid n // (T - 1).
    np.testing.assert_allclose(core.upsample_linear(frames, 16).numpy(), out[:, :16], atol=1e-6)


def test_upsample_with_windows_is_overlap_added_hann():
    hop, n_frames = 8, 6
    n = (n_frames - 1) * hop
    frames = np.random.default_rng(1).uniform(size=(1, n_frames, 2)).astype(np.float32)
    out = core.upsample_with_windows(frames, n).numpy()[0]
    # ddsp's definition: each frame spread by a periodic Hann window of 2*hop centred on k*hop.
    window = hann_periodic(2 * hop)
    acc = np.zeros((n + 4 * hop, 2))
    for k in range(n_frames):
        start = k * hop - hop + 2 * hop  # offset 2*hop so negative starts fit
        acc[start:start + 2 * hop] += window[:, None] * frames[0, k]
    np.testing.assert_allclose(out, acc[2 * hop: 2 * hop + n], rtol=1e-5, atol=1e-6)


def test_angular_cumsum_stays_accurate_for_long_signals():
    rng = np.random.default_rng(2)
    omega = (0.3 + 0.1 * rng.normal(size=(2, 64000))).astype(np.float32)
    exact = np.mod(np.cumsum(omega.astype(np.float64), axis=1), 2 * np.pi)
    phase = core.angular_cumsum(omega).numpy()
    assert phase.min() >= 0 and phase.max() < 2 * np.pi + 1e-6
    error = np.abs(np.angle(np.exp(1j * (phase - exact))))
    assert error.max() < 1e-5
    exclusive = core.angular_cumsum(omega[:, :100], exclusive=True).numpy()
    np.testing.assert_allclose(exclusive[:, 0], 0.0)
    np.testing.assert_allclose(exclusive[:, 1:], phase[:, :99], atol=1e-5)


def test_remove_above_nyquist_and_normalize():
    freqs = np.array([[[1000.0, 7999.0, 8000.0, 12000.0]]], np.float32)
    amps = np.ones_like(freqs)
    kept = core.remove_above_nyquist(freqs, amps, 16000).numpy()
    np.testing.assert_array_equal(kept, [[[1, 1, 0, 0]]])
    dist = core.normalize_distribution(np.array([[1.0, 3.0], [0.0, 0.0]])).numpy()
    np.testing.assert_allclose(dist, [[0.25, 0.75], [0.0, 0.0]])


def test_upsampling_rejects_more_frames_than_samples():
    with pytest.raises(ValueError, match="frames"):
        core.upsample_linear(np.zeros((1, 10, 1), np.float32), 5)
