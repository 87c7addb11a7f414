"""The classic trackers on synthesized phrases with exact f0 labels, and the registry."""
import numpy as np
import pytest

from ddsp_train import pitch, synthetic
from ddsp_train.errors import UserError
from ddsp_train.pitch import fill_unvoiced, get_tracker


def accuracy(f0, labels):
    voiced = labels > 0
    cents = 1200 * np.abs(np.log2(np.maximum(f0[voiced], 1e-3) / labels[voiced]))
    return float(np.mean(cents < 50))


@pytest.fixture(scope="module")
def phrase():
    return synthetic.demo_phrase(seconds=8.0, seed=5, timbre="reed")


_TRACKED = {}


def tracked(phrase, method):
    """Each tracker's output on ``phrase``, computed once per test session."""
    if method not in _TRACKED:
        _TRACKED[method] = get_tracker(method).track(phrase.audio, sample_rate=16000, frame_rate=50)
    return _TRACKED[method]


@pytest.mark.parametrize("method, bar", [("yin", 0.95), ("pyin", 0.95)])
def test_tracker_accuracy_and_confidence(phrase, method, bar):
    f0, conf = tracked(phrase, method)
    assert f0.dtype == np.float32 and conf.dtype == np.float32
    assert len(f0) == len(conf) == len(phrase.audio) // 320 + 1 == len(phrase.f0_hz)
    assert accuracy(f0, phrase.f0_hz) >= bar
    assert conf.min() >= 0 and conf.max() <= 1
    voiced = phrase.f0_hz > 0
    assert np.median(conf[voiced]) > 0.7
    # Silent frames (the phrase starts with 0.1 s of silence): confidence near 0, f0 > 0.
    assert conf[:3].max() < 0.1 and np.all(f0 > 0)


@pytest.mark.parametrize("method", ["yin", "pyin"])
def test_unvoiced_f0_does_not_jump(phrase, method):
    tracker = get_tracker(method)
    f0, conf = tracked(phrase, method)
    unvoiced = conf < tracker.voiced_threshold
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


def test_fill_unvoiced_rule():
    f0 = np.array([100, 0, 0, 400, 0, 0, 0, 0, 0, 0, 200], np.float32)
    voiced = f0 > 0
    out = fill_unvoiced(f0, voiced, reach=3)
    # Gap of 2 between 100 and 400: log-linear -> 100 * 4^(1/3), 100 * 4^(2/3).
    np.testing.assert_allclose(out[1:3], [100 * 4 ** (1 / 3), 100 * 4 ** (2 / 3)], rtol=1e-5)
    # Gap of 6 with reach 3: hold 400 for 3 frames, hold 200 for the 3 frames before it.
    np.testing.assert_allclose(out[4:7], 400)
    np.testing.assert_allclose(out[7:10], 200)
    np.testing.assert_array_equal(out[voiced], f0[voiced])
    # Beyond reach the tracker's own estimate stays.
    far = fill_unvoiced(np.array([100, 150, 150, 150, 150], np.float32), np.array([1, 0, 0, 0, 0], bool), reach=2)
    np.testing.assert_allclose(far, [100, 100, 100, 150, 150])


def test_registry():
    assert {"pyin", "yin"} <= set(pitch.available_trackers())
    assert pitch.DEFAULT_F0_METHOD in pitch.available_trackers()
    with pytest.raises(UserError, match="available: .*pyin.*yin"):
        get_tracker("crepe")

    class Constant:
        name = "constant"

        def track(self, audio, *, sample_rate, frame_rate):
            n = len(audio) // int(sample_rate / frame_rate) + 1
            return np.full(n, 440, np.float32), np.ones(n, np.float32)

    pitch.register_tracker("test-constant", Constant, parallel="threads", voiced_threshold=0.9)
    try:
        pitch.check_tracker("test-constant")
        assert pitch.tracker_parallel("test-constant") == "threads" and pitch.tracker_parallel("yin") == "processes"
        assert pitch.tracker_voiced_threshold("test-constant") == 0.9
        assert pitch.tracker_voiced_threshold("yin") == get_tracker("yin").voiced_threshold
        tracker = get_tracker("test-constant")
        assert isinstance(tracker, pitch.PitchTracker)
        assert len(tracker.track(np.zeros(640), sample_rate=16000, frame_rate=50)[0]) == 3
    finally:
        for table in (pitch._FACTORIES, pitch._PARALLEL, pitch._VOICED_THRESHOLD):
            table.pop("test-constant")
