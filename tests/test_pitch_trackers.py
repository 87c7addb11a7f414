"""The pitch package (pitch/__init__.py): the tracker registry and the unvoiced-frame fill rule.
The trackers themselves: tests/test_pitch_yin.py, tests/test_pitch_pyin.py."""
import numpy as np
import pytest

from ddsp_train import pitch
from ddsp_train.errors import UserError
from ddsp_train.pitch import fill_unvoiced, get_tracker


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
