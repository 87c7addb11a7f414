"""The pages' pictures (reports/figures.py): the STFT against a closed form, and PNGs whose pixels
show the data (bar heights in proportion to the counts, the pitch line only where voiced)."""
import io

import numpy as np
import pytest

from ddsp_train.reports import figures


def pixels(png):
    import matplotlib.image

    return (matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3] * 255).round()


def mask_of(image, hex_colour, tol=12):
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.all(np.abs(image - rgb) <= tol, axis=-1)


def bars(mask):
    """``[(first column, height in pixels)]`` of the runs of columns that hold the colour."""
    heights = mask.sum(axis=0)
    columns = np.flatnonzero(heights > 0)
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1) if len(columns) else []
    return [(int(run[0]), int(np.median(heights[run]))) for run in runs]


def test_stft_db_of_a_sine():
    sr = 16000
    t = np.arange(sr) / sr
    spec, bin_hz, hop_secs = figures.stft_db(0.5 * np.sin(2 * np.pi * 1000 * t), sample_rate=sr)
    assert bin_hz == 15.625 and hop_secs == 0.016
    assert spec.shape == (513, (sr + 512) // 256 + 1)
    middle = spec[:, spec.shape[1] // 2]
    assert int(np.argmax(middle)) == 64  # 1000 Hz / 15.625 Hz
    # Scaled by n / 4: a sine of amplitude A reads 20 log10(A) (the Hann window's sum is (n - 1) / 2).
    assert middle[64] == pytest.approx(20 * np.log10(0.5 * 1023 / 1024), abs=1e-3)
    assert spec.min() == pytest.approx(-120.0)  # the 1e-6 floor, in the padding


def test_histogram_bars_are_in_proportion_to_the_counts():
    counts = np.zeros(128, int)
    counts[60], counts[64] = 10, 30
    png = figures.pitch_histogram_png(counts, box=(55.0, 70.0))
    image = pixels(png)
    assert image.shape[:2] == (288, 675)  # 7.5 x 3.2 inches at 90 dpi
    (x60, h60), (x64, h64) = bars(mask_of(image, figures.BLUE))
    assert x60 < x64 and h64 / h60 == pytest.approx(3.0, rel=0.05)
    levels = np.zeros(81, int)
    levels[80 - 40], levels[80 - 20], levels[80 - 10] = 5, 5, 10  # -40, -20 and -10 dBFS
    found = bars(mask_of(pixels(figures.level_histogram_png(levels)), figures.ORANGE))
    assert [round(h / found[0][1], 2) for _, h in found] == pytest.approx([1.0, 1.0, 2.0], abs=0.05)
    assert found[0][0] < found[1][0] < found[2][0]
    # Nothing played: an empty figure of the same size, no bars.
    empty = pixels(figures.pitch_histogram_png(np.zeros(128, int)))
    assert empty.shape[:2] == (288, 675) and not mask_of(empty, figures.BLUE).any()


def test_the_pitch_line_is_drawn_on_voiced_frames_only():
    sr, fr = 16000, 50
    t = np.arange(2 * sr) / sr
    audio = 0.3 * np.sin(2 * np.pi * 220 * t)
    f0 = np.full(101, 220.0)
    line = "#35d0ff"
    with_pitch = pixels(figures.spectrogram_png(audio, sample_rate=sr, f0_hz=f0, voiced=np.ones(101, bool),
                                                frame_rate=fr, title="take"))
    assert with_pitch.shape[:2] == (306, 810)
    assert mask_of(with_pitch, line, tol=30).sum() > 200
    unvoiced = pixels(figures.spectrogram_png(audio, sample_rate=sr, f0_hz=f0, voiced=np.zeros(101, bool),
                                              frame_rate=fr))
    half = pixels(figures.spectrogram_png(audio, sample_rate=sr, f0_hz=f0, voiced=np.arange(101) < 50,
                                          frame_rate=fr))
    drawn = mask_of(half, line, tol=30)
    # (The legend's sample line is drawn in every case: compare with the all-unvoiced figure.)
    extra = drawn & ~mask_of(unvoiced, line, tol=30)
    columns = np.flatnonzero(extra.any(axis=0))
    assert len(columns) > 100 and columns.max() < 0.6 * 810  # the first second only: the left half


def test_pair_and_curves():
    sr = 16000
    noise = np.random.default_rng(0).standard_normal(sr) * 0.1
    assert pixels(figures.pair_png(noise, 0.5 * noise, sample_rate=sr, title="x")).shape[:2] == (504, 810)
    curves = pixels(figures.curves_png({"train": ([1, 2, 3], [3.0, 2.0, 1.0]), "eval": ([2, 3], [2.5, 1.5])},
                                       ylabel="loss", title="losses", logy=True))
    assert curves.shape[:2] == (306, 675)
    assert mask_of(curves, figures.BLUE).sum() > 100 and mask_of(curves, figures.ORANGE).sum() > 50
    assert not mask_of(pixels(figures.curves_png({}, ylabel="loss", title="none")), figures.BLUE).any()
