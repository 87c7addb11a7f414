"""Filtered noise: controls, level and spectrum against the FIR's own response (numpy)."""
import numpy as np

from ddsp_train.dsp import core, noise
from ddsp_train.dsp import filtering


def test_controls_scale_with_bias():
    proc = noise.FilteredNoise(n_samples=1600)
    raw = np.zeros((1, 6, 65), np.float32)
    mags = proc.get_controls(raw)["magnitudes"].numpy()
    np.testing.assert_allclose(mags, core.exp_sigmoid(np.full_like(raw, -5.0)).numpy())


def test_noise_spectrum_follows_the_magnitudes():
    n_samples, n_frames = 32000, 101
    bands = np.linspace(0.0, 1.0, 65)
    shape = np.where(bands < 0.25, 1.0, 0.1) + 0.5 * np.exp(-((bands - 0.6) / 0.05) ** 2)
    mags = np.tile(shape.astype(np.float32), (4, n_frames, 1))
    proc = noise.FilteredNoise(n_samples=n_samples, scale_fn=None)
    audio = proc(mags).numpy()
    assert audio.shape == (4, n_samples)
    # Welch periodogram: Hann-windowed 512-point frames, half overlap, normalised by sum(w^2).
    window = np.hanning(514)[1:-1]
    body = audio[:, 256:-256]
    starts = range(0, body.shape[1] - 512, 256)
    frames = np.stack([body[:, s:s + 512] for s in starts], axis=1) * window
    measured = np.mean(np.abs(np.fft.rfft(frames, axis=-1)) ** 2, axis=(0, 1)) / np.sum(window ** 2)
    expected = np.abs(np.fft.rfft(filtering.frequency_sampling_fir(shape), 512)) ** 2 / 3.0  # var U(-1,1) = 1/3
    db = 10 * np.log10(measured[2:-2] / expected[2:-2])
    # ~480 averaged frames: each bin within 1.5 dB, no overall bias.
    assert np.abs(db).max() < 1.5
    assert abs(db.mean()) < 0.3
    # ...and that response follows the requested magnitudes: levels in flat regions of the shape.
    passband, stopband = measured[10:50].mean(), measured[200:250].mean()
    np.testing.assert_allclose(10 * np.log10([passband * 3, stopband * 3]), [0.0, -20.0], atol=1.0)


def test_time_varying_magnitudes_switch_per_frame():
    n_samples, hop = 16000, 320
    n_frames = n_samples // hop + 1
    mags = np.full((2, n_frames, 65), 1.0, np.float32)
    mags[:, n_frames // 2:] = 0.0  # silent from the middle frame on
    audio = noise.FilteredNoise(n_samples=n_samples, scale_fn=None)(mags).numpy()
    middle = (n_frames // 2) * hop - hop // 2
    assert np.std(audio[:, : middle - 200]) > 0.5
    # After the block boundary only the causal 128-tap tail of the last loud block remains.
    np.testing.assert_array_equal(audio[:, middle + 128:], 0.0)
