"""The job's parameters (checked together) and the work items that cover every example once."""
import numpy as np
import pytest
import soundfile as sf

from ddsp_train import audio
from ddsp_train.data import plan
from ddsp_train.data.split import Region
from ddsp_train.errors import UserError

SR = 16000


def config(**kw):
    args = dict(sample_rate=SR, frame_rate=50, example_secs=2.0, hop_secs=1.0, f0_method="yin")
    return plan.make_config(**{**args, **kw})


def test_config_derives_the_grid():
    c = config()
    assert (c.frame_hop, c.example_samples, c.hop_samples, c.example_frames) == (320, 32000, 16000, 101)


@pytest.mark.parametrize("kw, message", [
    (dict(sample_rate=7999), "--sample-rate must be a whole number of Hz >= 8000"),
    (dict(frame_rate=62.5), "--frame-rate must be a whole number of frames per second"),
    (dict(frame_rate=30), "whole number"),
    (dict(example_secs=0.33), "--example-secs 0.33 must be a whole number of frames at --frame-rate 50"),
    (dict(hop_secs=0), "--hop-secs must be positive"),
    (dict(f0_method="crepe"), "unknown f0 method 'crepe'"),
])
def test_bad_parameters_say_what_was_given(kw, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        config(**kw)


def test_example_starts_end_at_the_end():
    assert plan.example_starts(Region("train", 0, 5 * SR), example_samples=2 * SR, hop_samples=SR) == [
        0, SR, 2 * SR, 3 * SR]
    assert plan.example_starts(Region("eval", SR, int(4.5 * SR)), example_samples=2 * SR, hop_samples=SR) == [
        SR, 2 * SR, int(2.5 * SR)]
    assert plan.example_starts(Region("train", 0, SR), example_samples=2 * SR, hop_samples=SR) == []


def test_work_items_cover_each_start_once_in_order(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.zeros(int(10.5 * 44100), np.float32), 44100)
    info = audio.probe_audio(str(path))
    c = config()
    n = plan.output_samples(info, config=c)
    regions = [Region("train", 0, 8 * SR), Region("eval", 8 * SR, n)]
    items = plan.plan_items(0, info, "a.wav", regions, config=c, segment_secs=3.0)
    starts = [s for item in items for s in item.starts]
    assert starts == [0, SR, 2 * SR, 3 * SR, 4 * SR, 5 * SR, 6 * SR, 8 * SR, int(8.5 * SR)]
    assert [len(item.starts) for item in items] == [3, 3, 1, 2]
    # Each item owns the frames up to the next item's first start (the last, up to its region's end).
    assert [item.own_stop for item in items] == [3 * SR, 6 * SR, 8 * SR, n]
    assert sum(item.own_samples for item in items) == n
