"""The set's verdicts: length over the files, the worst file named, the plugin's range sentence."""
import dataclasses

import numpy as np
import pytest

from ddsp_train.reports import verdicts as verdicts_lib
from ddsp_train.reports.checks import FIX, GOOD, USABLE, check_audio

import reports_support as takes


@pytest.fixture(scope="module")
def forty_seconds():
    """A 40 s set: two clean 20 s phrases."""
    return [check_audio(takes.clean(seed), sample_rate=takes.SAMPLE_RATE, path=f"/in/take{seed}.wav")
            for seed in (1, 2)]


def test_a_forty_second_set_is_too_short(forty_seconds):
    summary = verdicts_lib.summarize_checks(forty_seconds)
    length = summary["length"]
    assert length.level == FIX and "at least 3 minutes" in length.advice
    assert summary.seconds == pytest.approx(40.0)
    assert 25 < summary.usable_seconds < 40
    # everything else about these takes is fine
    assert {v.item: v.level for v in summary.verdicts if v.item != "length"} == dict.fromkeys(
        ("monophony", "reverb", "clipping", "noise", "dc", "pitch", "dynamics"), GOOD)
    assert summary.overall == FIX


def _scaled(check, factor):
    return dataclasses.replace(check, seconds=check.seconds * factor, usable_seconds=check.usable_seconds * factor)


def test_length_thresholds_are_three_and_ten_minutes(forty_seconds):
    one = forty_seconds[0]
    for usable, level in ((179.0, FIX), (180.0, USABLE), (599.0, USABLE), (600.0, GOOD)):
        check = _scaled(one, usable / one.usable_seconds)
        assert verdicts_lib.summarize_checks([check])["length"].level == level, usable


def test_one_bad_file_is_named_with_what_to_do(forty_seconds):
    wet = check_audio(takes.reverb(takes.clean(3)), sample_rate=takes.SAMPLE_RATE, path="/in/hall.wav")
    summary = verdicts_lib.summarize_checks([*forty_seconds, wet])
    reverb = summary["reverb"]
    assert reverb.level == FIX and reverb.files == ("/in/hall.wav",)
    assert reverb.sentence.startswith("hall.wav: notes die away in") and "drier" in reverb.advice
    assert summary["monophony"].level in (GOOD, USABLE)


def test_the_set_range_spans_the_files(forty_seconds):
    summary = verdicts_lib.summarize_checks(forty_seconds)
    # the pooled 5th..95th percentile lies within the files' own extremes
    assert min(c.low_midi for c in forty_seconds) - 1 <= summary.low_midi <= max(c.low_midi for c in forty_seconds) + 1
    assert min(c.high_midi for c in forty_seconds) - 1 <= summary.high_midi <= max(c.high_midi for c in forty_seconds) + 1
    assert summary["pitch"].sentence.startswith("You play ")
    data = summary.to_dict()
    assert data["verdicts"]["length"]["level"] == FIX and data["pitch_range"].count("\u2013") == 1


def test_the_plugin_range_sentence_uses_note_names_and_dbfs():
    text = verdicts_lib.plugin_range({"mean_min_pitch_note": 57.2, "mean_max_pitch_note": 88.0,
                                      "mean_min_power_note": -41.4, "mean_max_power_note": -12.0})
    assert "A3\u2013E6" in text and "\u221241 dBFS to \u221212 dBFS" in text
    assert verdicts_lib.plugin_range({}) is None


def test_one_files_stray_notes_do_not_stretch_the_set_range(forty_seconds):
    one = forty_seconds[0]
    stray = [0] * 128
    stray[30] = 10  # ten frames of an octave error two octaves down
    odd = dataclasses.replace(one, low_midi=30.0, pitch_histogram=tuple(stray), path="/in/odd.wav")
    summary = verdicts_lib.summarize_checks([*forty_seconds, odd])
    assert summary.low_midi > 50


def test_histogram_percentile():
    counts = np.array([0, 5, 0, 5])
    assert verdicts_lib.histogram_percentile(counts, 50) == 1 and verdicts_lib.histogram_percentile(counts, 51) == 3


def test_the_check_goes_into_the_dataset_description(forty_seconds, tmp_path):
    from ddsp_train.dataset_info import DatasetInfo
    from ddsp_train.reports.checks import RecordingCheck

    files = tuple({"path": c.path, "status": "used", "seconds": c.seconds, "split": "train"} for c in forty_seconds)
    files += ({"path": "/in/broken.wav", "status": "skipped", "reason": "not audio", "seconds": 0.0},)
    info = DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=4.0, files=files)
    verdicts_lib.attach_checks(info, forty_seconds).write(tmp_path)
    again = DatasetInfo.read(tmp_path)
    assert again.extra["check"]["overall"] == FIX and again.extra["check"]["verdicts"]["length"]["level"] == FIX
    assert [RecordingCheck.from_dict(f["check"]) for f in again.files[:2]] == forty_seconds
    assert "check" not in again.files[2]
