"""The training plots (training/plots.py): the spectrogram against a closed form, the PNGs' sizes."""
import struct

import numpy as np

from ddsp_train.training import plots


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


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
    # Shorter than one FFT: padded to one frame; silence sits on the floor.
    silence = plots.spectrogram_db(np.zeros(100))
    assert silence.shape == (n_fft // 2 + 1, 1) and np.all(silence == plots.FLOOR_DB)


def test_losses_png_and_write_plots(tmp_path):
    train = [{"step": s, "loss": 5.0 / (1 + s)} for s in range(0, 200, 10)]
    evals = [{"step": 100, "loss": 0.2}, {"step": 190, "loss": 0.1}]
    assert png_size(plots.losses_png(train, evals)) == (900, 450)  # figsize 9 x 4.5 at 100 dpi
    assert png_size(plots.losses_png([], [])) == (900, 450)  # an empty run still draws its axes
    plots.write_plots(tmp_path / "plots", train=train, evals=evals)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["losses.png"]
    spectrogram = plots.spectrogram_png(np.zeros(4000), np.zeros(4000), sample_rate=16000)
    assert png_size(spectrogram) == (900, 600)
    plots.write_plots(tmp_path / "plots", train=train, evals=[], spectrogram=spectrogram)
    assert (tmp_path / "plots" / "spectrogram.png").read_bytes() == spectrogram
