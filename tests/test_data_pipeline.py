"""The ddsp-prepare job (data/pipeline.py) on the shared prepared dataset (tests/conftest.py: three
12 s synthesized phrases): what it writes, and examples that are the recordings' own audio, power and
pitch. Also the option checks made before any work. (The command: tests/test_prepare*.py.)"""
import json
import os

import numpy as np
import pytest

from ddsp_train import features, synthetic
from ddsp_train.data import examples as ex_lib
from ddsp_train.data import pipeline
from ddsp_train.errors import UserError

from conftest import PREPARED_SECONDS, PREPARED_SEEDS


def test_options_out_of_range_are_refused():
    pipeline.check_options(eval_fraction=0.0, workers=None, shards=None)
    for bad, words in ((dict(eval_fraction=1.0), "--eval-fraction must be in \\[0, 1\\), got 1.0"),
                       (dict(eval_fraction=-0.1), "--eval-fraction"), (dict(workers=0), "--workers must be >= 1"),
                       (dict(shards=0), "--shards must be >= 1, got 0")):
        with pytest.raises(UserError, match=words):
            pipeline.check_options(**{"eval_fraction": 0.1, "workers": 2, "shards": 2, **bad})


def test_an_output_inside_an_input_is_refused_before_any_work(prepared_audio_dir, tmp_path):
    with pytest.raises(UserError):
        pipeline.check_output(str(prepared_audio_dir / "dataset"), overwrite=False, inputs=[str(prepared_audio_dir)])
    pipeline.check_output(str(tmp_path / "dataset"), overwrite=False, inputs=[str(prepared_audio_dir)])
    assert not (tmp_path / "dataset").exists()  # a check only


def test_the_dataset_folder_and_its_summary(prepared_dataset):
    names = sorted(os.listdir(prepared_dataset))
    assert names == ["dataset.json", "eval.tfrecord-00000-of-00001", "report.html", "report.png",
                     "train.tfrecord-00000-of-00001"]
    info = json.loads(open(os.path.join(prepared_dataset, "dataset.json")).read())
    # 12 s recordings, 2 s examples every 1 s: 11 per recording; whole recordings go to one split.
    per_file = int(PREPARED_SECONDS - 2.0) + 1
    assert info["total_seconds"] == pytest.approx(3 * PREPARED_SECONDS)
    for split in ("train", "eval"):
        count = sum(1 for _ in ex_lib.iter_examples(prepared_dataset, split))
        assert count == info["splits"][split]["examples"] == per_file * info["splits"][split]["files"]
    assert info["splits"]["train"]["files"] + info["splits"]["eval"]["files"] == 3
    assert sorted(f["source"] for f in info["files"]) == [f"phrase_{s}.wav" for s in PREPARED_SEEDS]


def test_examples_are_the_recordings_audio_power_and_pitch(prepared_dataset):
    phrases = {f"phrase_{s}.wav": synthetic.demo_phrase(seconds=PREPARED_SECONDS, seed=s) for s in PREPARED_SEEDS}
    near, labelled, starts = 0, 0, set()
    for split in ("train", "eval"):
        for ex in ex_lib.iter_examples(prepared_dataset, split):
            phrase = phrases[ex["source"].decode()]
            start = float(ex["start_secs"][0])
            starts.add((ex["source"], start))
            i0 = int(round(start * 16000))
            np.testing.assert_allclose(ex["audio"], phrase.audio[i0: i0 + 32000], atol=1e-6)
            # The plugin's power of the whole recording on the shared grid, sliced: interior frames equal.
            power = features.compute_power_db(phrase.audio, sample_rate=16000, frame_rate=50)
            k0 = int(round(start * 50))
            np.testing.assert_allclose(ex["power_db"][5:-5], power[k0 + 5: k0 + 96], atol=1e-3)
            labels = phrase.f0_hz[k0: k0 + 101]
            voiced = (labels > 0) & (ex["f0_confidence"] > 0.75)
            cents = 1200 * np.abs(np.log2(ex["f0_hz"][voiced] / labels[voiced]))
            near += int(np.sum(cents < 50))
            labelled += int(voiced.sum())
    assert len(starts) == 33  # no example twice
    assert labelled > 1000 and near / labelled > 0.95  # yin's f0 is the rendered pitch
