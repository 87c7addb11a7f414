"""The YIN tracker (pitch/yin.py) on sines and on a synthesized phrase with exact f0 labels."""
import numpy as np
import pytest

from ddsp_train import synthetic
from ddsp_train.pitch import get_tracker
from ddsp_train.pitch.yin import YinTracker


def accuracy(f0, labels):
    voiced = labels > 0
    cents = 1200 * np.abs(np.log2(np.maximum(f0[voiced], 1e-3) / labels[voiced]))
    return float(np.mean(cents < 50))


@pytest.fixture(scope="module")
def phrase():
    return synthetic.demo_phrase(seconds=8.0, seed=5, timbre="reed")


@pytest.fixture(scope="module")
def tracked(phrase):
    return get_tracker("yin").track(phrase.audio, sample_rate=16000, frame_rate=50)


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
    unvoiced = conf < get_tracker("yin").voiced_threshold
    midi = 12 * np.log2(f0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], unvoiced.astype(int), [0]])))
    assert len(edges) >= 4  # the phrase has rests
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a > 2 * 100:  # rests longer than twice the fill reach (2 s) keep the tracker's estimate
            continue
        run = midi[max(a - 1, 0):min(b + 1, len(midi))]
        # Inside a rest f0 stays between its neighbours and steps by > 1 semitone at most once
        # (a rest longer than 2 s holds the left note, then the right one).
        assert run.min() >= min(run[0], run[-1]) - 0.5 and run.max() <= max(run[0], run[-1]) + 0.5
        assert np.sum(np.abs(np.diff(midi[a:b])) > 1.0) <= 1


def test_tracks_at_other_rates():
    r = synthetic.demo_phrase(seconds=4.0, seed=2, sample_rate=44100)
    labels = synthetic.demo_phrase(seconds=4.0, seed=2, sample_rate=16000).f0_hz
    f0, conf = get_tracker("yin").track(r.audio, sample_rate=44100, frame_rate=50)
    assert len(f0) == len(r.audio) // 882 + 1
    assert accuracy(f0[:len(labels)], labels[:len(f0)]) > 0.95


@pytest.mark.parametrize("freq", [55.0, 261.63, 1234.5])
def test_raw_estimate_of_a_sine_is_within_a_few_cents(freq):
    t = np.arange(16000) / 16000
    f0, conf = YinTracker().raw((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sample_rate=16000,
                                frame_rate=50)
    interior = slice(5, -5)  # whole 64 ms frames inside the signal
    cents = 1200 * np.abs(np.log2(f0[interior] / freq))
    assert cents.max() < 5, cents.max()
    assert conf[interior].min() > 0.95


def test_silence_has_no_confidence_and_bad_ranges_are_refused():
    f0, conf = YinTracker().raw(np.zeros(8000, np.float32), sample_rate=16000, frame_rate=50)
    assert len(f0) == 26 and np.all(conf == 0) and np.all(np.isfinite(f0))
    quiet = (10 ** (-80 / 20) * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000)).astype(np.float32)
    assert np.all(YinTracker().raw(quiet, sample_rate=16000, frame_rate=50)[1] == 0)  # below silence_db
    with pytest.raises(ValueError, match="fmin < fmax"):
        YinTracker(fmin=500, fmax=100)
