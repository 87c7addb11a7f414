"""ddsp_train.dataset_info: the one reader and writer of dataset.json."""
import json
import math

import pytest

from ddsp_train import dataset_info
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError


def _info(**changes):
    base = dict(sample_rate=16000, frame_rate=50, example_secs=4.0, hop_secs=1.0, f0_method="yin",
                splits={"train": {"examples": 9}, "eval": {"examples": 2}},
                files=({"path": "/a.wav", "status": "used"}, {"path": "/b.wav", "status": "skipped"}),
                statistics={"mean_min_pitch_note_hz": 220.0, "power_db": {"min": -math.inf}})
    return DatasetInfo(**{**base, **changes})


def test_the_grid_is_derived_as_ddsp_frames_it():
    info = _info()
    assert (info.hop, info.example_samples, info.example_frames) == (320, 64000, 201)  # ddsp: 4 s, 201 frames
    assert _info(frame_rate=250).example_frames == 1001
    assert info.examples("train") == 9 and info.examples("eval") == 2 and info.examples("test") == 0
    assert (info.files_used, info.files_skipped) == (1, 1)


def test_write_then_read_round_trips_and_keeps_unknown_keys(tmp_path):
    info = _info(extra={"note_from_user": "hello"})
    info.write(tmp_path)
    text = (tmp_path / dataset_info.FILENAME).read_text()
    assert "Infinity" not in text and "NaN" not in text  # strict JSON
    back = DatasetInfo.read(tmp_path)
    assert back.statistics["power_db"]["min"] is None
    assert back.replace(statistics=info.statistics) == info
    assert json.loads(text)["note_from_user"] == "hello"
    assert dataset_info.exists(tmp_path)


def test_older_files_read_and_dropped_fields_are_not_kept(tmp_path):
    old = {"sample_rate": 16000, "frame_rate": 50.0, "example_secs": 4, "frame_size": 1024,
           "example_samples": 64000, "example_frames": 201, "files_used": 3}
    info = DatasetInfo.from_dict(old)
    assert info.version == 1 and info.frame_rate == 50 and isinstance(info.frame_rate, int)
    assert not info.extra  # derived fields are recomputed, never carried over
    assert "frame_size" not in info.to_dict()


@pytest.mark.parametrize("data, words", [
    ({"sample_rate": 16000, "frame_rate": 50}, "lacks example_secs"),
    ({"sample_rate": 16000, "frame_rate": 62.5, "example_secs": 4}, "not a whole number of frames"),
    ({"sample_rate": 16000, "frame_rate": 48, "example_secs": 4}, "not a multiple of frame_rate 48"),
    ({"sample_rate": 16000, "frame_rate": 50, "example_secs": 0}, "must be positive"),
    ({"sample_rate": "fast", "frame_rate": 50, "example_secs": 4}, "must be numbers"),
    ([1, 2], "not a JSON object"),
])
def test_bad_files_are_refused_in_one_line(data, words):
    with pytest.raises(UserError, match=words) as e:
        DatasetInfo.from_dict(data, source="x/dataset.json")
    assert "\n" not in e.value.message and "x/dataset.json" in e.value.message


def test_read_says_what_is_missing(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        DatasetInfo.read(tmp_path / "nope")
    with pytest.raises(UserError, match="has no dataset.json"):
        DatasetInfo.read(tmp_path)
    (tmp_path / "dataset.json").write_text("{not json")
    with pytest.raises(UserError, match="not readable JSON"):
        DatasetInfo.read(tmp_path)
