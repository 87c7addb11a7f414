"""Frame grid, the plugin's power and ddsp's loudness against closed forms and librosa."""
import os
import pathlib
import subprocess
import sys

import librosa
import numpy as np
import pytest

from ddsp_train import features
from ddsp_train.errors import UserError

REPO = pathlib.Path(__file__).resolve().parents[1]
SR, FR = 16000, 50


def sine(freq, amp=1.0, secs=1.0, sr=SR):
    t = np.arange(int(secs * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_frame_count_follows_the_grid():
    assert features.n_frames(64000, sample_rate=SR, frame_rate=FR) == 201  # 4 s, as in ddsp
    assert features.n_frames(63999, sample_rate=SR, frame_rate=FR) == 200
    assert features.n_frames(0, sample_rate=SR, frame_rate=FR) == 1
    assert features.n_frames(44100, sample_rate=44100, frame_rate=100) == 101
    with pytest.raises(UserError, match="whole number"):
        features.n_frames(1000, sample_rate=16000, frame_rate=30)
    for n in (1, 319, 320, 321, 16001):
        audio = np.zeros(n, np.float32)
        expected = n // 320 + 1
        assert len(features.compute_power_db(audio, sample_rate=SR, frame_rate=FR)) == expected
        assert len(features.compute_loudness_db(audio, sample_rate=SR, frame_rate=FR)) == expected


def test_power_calibration_matches_the_plugin():
    # 1 kHz at 16 kHz: exactly 64 periods in the 1024-sample frame, so mean(x^2) = A^2 / 2.
    full = features.compute_power_db(sine(1000), sample_rate=SR, frame_rate=FR)
    tenth = features.compute_power_db(sine(1000, 0.1), sample_rate=SR, frame_rate=FR)
    interior = slice(2, -2)
    np.testing.assert_allclose(full[interior], 10 * np.log10(0.5), atol=1e-4)  # -3.0103 dB
    np.testing.assert_allclose(tenth[interior], 10 * np.log10(0.005), atol=1e-4)  # -23.0103 dB
    assert abs(full[5] + 3.01) < 0.05 and abs(tenth[5] + 23.01) < 0.05
    # Frame 0 is centred at sample 0: half of its window is zero padding -> 3.01 dB lower.
    assert abs(full[0] - 10 * np.log10(0.25)) < 0.01
    silence = features.compute_power_db(np.zeros(16000, np.float32), sample_rate=SR, frame_rate=FR)
    assert np.all(silence == -80.0)
    # A level that is not a whole number of periods still follows the formula frame by frame.
    x = sine(441, 0.3)
    frames = np.pad(x, 512)[np.arange(1024)[None, :] + 320 * np.arange(51)[:, None]].astype(np.float64)
    expected = np.maximum(10 * np.log10(np.maximum(np.mean(frames ** 2, axis=1), 1e-30)), -80)
    np.testing.assert_allclose(features.compute_power_db(x, sample_rate=SR, frame_rate=FR), expected, atol=1e-4)
    # frame_power_db alone: the causal last-1024-sample frame of the plugin.
    assert abs(features.frame_power_db(sine(1000)[-1024:]) + 3.0103) < 1e-4


def test_power_frame_size_scales_with_rate():
    assert features.default_power_frame_size(16000) == 1024
    assert features.default_power_frame_size(48000) == 3072
    p = features.compute_power_db(sine(1000, secs=1, sr=48000), sample_rate=48000, frame_rate=50)
    assert len(p) == 51 and abs(p[25] + 3.0103) < 1e-3


def reference_loudness(audio, sr, hop, n_fft=512):
    """ddsp's compute_loudness(use_tf=False) steps, written with librosa independently."""
    padded = np.pad(audio, n_fft // 2)
    s = librosa.stft(padded, n_fft=n_fft, hop_length=hop, center=False, window="hann")
    power = np.abs(s) ** 2
    with np.errstate(divide="ignore"):  # A-weighting of 0 Hz
        weighting = 10 ** (librosa.A_weighting(librosa.fft_frequencies(sr=sr, n_fft=n_fft)) / 10)
    avg = np.mean(power * weighting[:, None], axis=0)
    return np.maximum(10 * np.log10(np.maximum(avg, 1e-8)), -80)


def test_loudness_is_ddsp_a_weighted_loudness():
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal(SR) + sine(220, 0.2)).astype(np.float32)
    ours = features.compute_loudness_db(x, sample_rate=SR, frame_rate=FR)
    np.testing.assert_allclose(ours, reference_loudness(x, SR, 320), atol=1e-3)
    # 20 dB quieter signal -> 20 dB lower loudness (above the floor).
    quieter = features.compute_loudness_db(0.1 * x, sample_rate=SR, frame_rate=FR)
    np.testing.assert_allclose(ours[2:-2] - quieter[2:-2], 20.0, atol=1e-3)
    # A-weighting: the same amplitude at 100 Hz reads about A(100) - A(1000) = -19.1 dB lower.
    lo = features.compute_loudness_db(sine(100), sample_rate=SR, frame_rate=FR)[25]
    hi = features.compute_loudness_db(sine(1000), sample_rate=SR, frame_rate=FR)[25]
    a = librosa.A_weighting(np.array([100.0, 1000.0]))  # no 0 Hz here
    assert abs((lo - hi) - (a[0] - a[1])) < 0.5
    assert np.all(features.compute_loudness_db(np.zeros(SR, np.float32), sample_rate=SR, frame_rate=FR) == -80)


def test_the_a_weighting_is_librosas_and_loudness_imports_no_librosa():
    freqs = np.concatenate([[0.0, 1.0, 20.0], np.fft.rfftfreq(512, 1 / 16000), [20000.0, 96000.0]])
    np.testing.assert_allclose(features.a_weighting_db(freqs), librosa.A_weighting(freqs, min_db=-80), atol=1e-9)
    np.testing.assert_allclose(features.a_weighting_db(freqs, min_db=-200),
                               librosa.A_weighting(freqs, min_db=-200), atol=1e-9)
    # The default tracker's workers compute loudness: librosa (with scipy and numba) is seconds to import.
    code = ("import sys\nimport numpy as np\nfrom ddsp_train import features\n"
            "features.compute_loudness_db(np.ones(16000, np.float32), sample_rate=16000, frame_rate=50)\n"
            "assert 'librosa' not in sys.modules and 'scipy' not in sys.modules, 'librosa imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
