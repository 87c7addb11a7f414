"""The pYIN tracker (pitch/pyin.py, librosa.pyin on the centred grid) on a synthesized phrase."""
import numpy as np
import pytest

from ddsp_train import synthetic
from ddsp_train.pitch import get_tracker


def accuracy(f0, labels):
    voiced = labels > 0
    cents = 1200 * np.abs(np.log2(np.maximum(f0[voiced], 1e-3) / labels[voiced]))
    return float(np.mean(cents < 50))


@pytest.fixture(scope="module")
def phrase():
    return synthetic.demo_phrase(seconds=8.0, seed=5, timbre="reed")


@pytest.fixture(scope="module")
def tracked(phrase):
    return get_tracker("pyin").track(phrase.audio, sample_rate=16000, frame_rate=50)


def test_tracker_accuracy_and_confidence(phrase, tracked):
    f0, conf = tracked
    assert f0.dtype == np.float32 and conf.dtype == np.float32
    assert len(f0) == len(conf) == len(phrase.audio) // 320 + 1 == len(phrase.f0_hz)
    assert accuracy(f0, phrase.f0_hz) >= 0.95
    assert conf.min() >= 0 and conf.max() <= 1
    voiced = phrase.f0_hz > 0
    assert np.median(conf[voiced]) > 0.7
    # Silent frames (the phrase starts with 0.1 s of silence): confidence near 0, f0 > 0.
    assert conf[:3].max() < 0.1 and np.all(f0 > 0)


def test_unvoiced_f0_does_not_jump(tracked):
    f0, conf = tracked
    unvoiced = conf < get_tracker("pyin").voiced_threshold
    midi = 12 * np.log2(f0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], unvoiced.astype(int), [0]])))
    assert len(edges) >= 4  # the phrase has rests
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a > 2 * 100:  # rests longer than twice the fill reach (2 s) keep the tracker's estimate
            continue
        run = midi[max(a - 1, 0):min(b + 1, len(midi))]
        assert run.min() >= min(run[0], run[-1]) - 0.5 and run.max() <= max(run[0], run[-1]) + 0.5
        assert np.sum(np.abs(np.diff(midi[a:b])) > 1.0) <= 1


def test_other_rates_are_resampled_to_16k_onto_the_same_grid():
    t = np.arange(44100) / 44100
    tone = (0.5 * np.sin(2 * np.pi * 330.0 * t)).astype(np.float32)
    f0, conf = get_tracker("pyin").track(tone, sample_rate=44100, frame_rate=50)
    assert len(f0) == len(conf) == 44100 // 882 + 1
    cents = 1200 * np.abs(np.log2(f0[5:-5] / 330.0))
    assert np.median(cents) < 10 and np.median(conf[5:-5]) > 0.5
