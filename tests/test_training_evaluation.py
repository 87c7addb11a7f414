"""Evaluation figures and plots against closed forms."""
import numpy as np

from ddsp_train.training import evaluation, plots


def test_f0_cents_error():
    f0_in = np.array([440.0, 440.0, 440.0, 220.0])
    f0_out = np.array([440.0 * 2 ** (50 / 1200), 440.0 / 2 ** (7 / 1200), 0.0, 440.0])
    np.testing.assert_allclose(evaluation.f0_cents_error(f0_out, f0_in), [50.0, 7.0, 1200.0, 1200.0], atol=1e-9)


def test_spectrogram_db_of_a_sine():
    sr, n_fft = 16000, plots.N_FFT
    k = 64  # a sine exactly on bin 64 (1000 Hz): peak |X| = A * sum(hann) / 2
    t = np.arange(sr) / sr
    spec = plots.spectrogram_db(0.5 * np.sin(2 * np.pi * k * sr / n_fft * t))
    assert spec.shape == (n_fft // 2 + 1, 1 + (sr - n_fft + plots.HOP - 1) // plots.HOP)
    expected = 20 * np.log10(0.5 * np.hanning(n_fft).sum() / 2)
    middle = spec[:, spec.shape[1] // 2]
    assert int(np.argmax(middle)) == k
    np.testing.assert_allclose(middle[k], expected, atol=0.01)
    assert plots.spectrogram_png(np.zeros(4000), np.zeros(4000), sample_rate=sr)[:4] == b"\x89PNG"
