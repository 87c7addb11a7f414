"""The dataset description: completeness check, per-split counts, joined frames, the summary table."""
import numpy as np
import pytest

from ddsp_train.data import examples as ex_lib
from ddsp_train.data import summary
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError


def info(**kw):
    base = dict(sample_rate=16000, frame_rate=50, example_secs=2.0, f0_method="yin", total_seconds=36.0,
                wall_seconds=3.0, splits={"train": {"examples": 22, "files": 2}, "eval": {"examples": 11, "files": 1}},
                files=({"path": "/a.wav", "status": "used"}, {"path": "/b.wav", "status": "skipped",
                                                              "reason": "empty file (0 bytes)"}))
    return DatasetInfo(**{**base, **kw})


def test_summary_table_says_the_speed_and_the_skipped_files():
    lines = summary.summary_lines(info(), output="ds")
    assert lines[:2] == ["", "ddsp-prepare summary"]
    assert "  files used      1" in lines and "  train examples  22 from 2 file(s)" in lines
    assert "  speed           12.0x real time" in lines
    assert lines[-1] == "  skipped: /b.wav: empty file (0 bytes)"


@pytest.mark.parametrize("total, wall, shown", [(1.0, 100.0, "0.010x real time"), (36.0, 0.0, "too short to time")])
def test_slow_or_instant_runs_never_say_0x(total, wall, shown):
    line = [x for x in summary.summary_lines(info(total_seconds=total, wall_seconds=wall), output="ds")
            if "speed" in x][0]
    assert line.endswith(shown) and "0.0x" not in line


def test_an_incomplete_job_is_an_error():
    summary.check_complete({"train": 3, "eval": 1}, expected={"train": 3, "eval": 1}, frame_parts=2, n_items=2)
    with pytest.raises(UserError, match="ended without writing everything: 2/3 train"):
        summary.check_complete({"train": 2, "eval": 1}, expected={"train": 3, "eval": 1}, frame_parts=2, n_items=2)
    with pytest.raises(UserError, match="1/2 work items"):
        summary.check_complete({"train": 3, "eval": 1}, expected={"train": 3, "eval": 1}, frame_parts=1, n_items=2)


def test_frames_are_joined_per_recording_and_split_in_time_order():
    def record(index, split, start, values):
        frames = {k: np.full(len(values), v, np.float32) for k, v in zip(("f0_hz", "f0_confidence", "loudness_db"),
                                                                        (1.0, 0.5, -20.0))}
        return ex_lib.encode_example({"file_index": index, "split": split, "start_frame": start,
                                      **frames, "power_db": np.asarray(values, np.float32)})

    joined = summary.recordings_frames([record(1, "train", 3, [3, 4]), record(0, "eval", 0, [9]),
                                        record(1, "train", 0, [0, 1, 2])])
    assert [list(r["power_db"]) for r in joined] == [[9], [0, 1, 2, 3, 4]]


def test_split_seconds_of_a_time_split():
    record = {"split": "train+eval", "seconds": 12.0,
              "regions": [{"split": "train", "start_secs": 0.0, "stop_secs": 9.0},
                          {"split": "eval", "start_secs": 9.0, "stop_secs": 12.0}]}
    assert summary.split_seconds(record, "eval") == 3.0 and summary.split_seconds(record, "train") == 9.0
    assert summary.split_seconds({"split": "eval", "seconds": 5.0}, "eval") == 5.0
