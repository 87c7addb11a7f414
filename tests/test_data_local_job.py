"""A job without Beam (data/local_job.py): the same records in every mode, the first error
raised as it is, Ctrl-C says Interrupted. and leaves nothing behind."""
import dataclasses
import os
import pathlib
import time

import pytest
import soundfile as sf

from ddsp_train import audio, synthetic
from ddsp_train.data import beam_job, local_job, plan
from ddsp_train.data.split import Region
from prepare_support import interrupt_in_job

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_job(tmp_path_factory):
    """Work items of two short synthesized files (yin: fast) and a config writing into a folder."""
    root = tmp_path_factory.mktemp("small_job")
    config = plan.make_config(sample_rate=16000, frame_rate=50, example_secs=1.0, hop_secs=1.0, f0_method="yin")
    items = []
    for index, seed in enumerate((1, 2)):
        path = root / f"clip{index}.wav"
        sf.write(path, synthetic.demo_phrase(seconds=5.0, seed=seed, sample_rate=22050).audio, 22050)
        info = audio.probe_audio(str(path))
        n = audio.output_length(info.frames, rate_in=22050, rate_out=16000)
        items += plan.plan_items(index, info, path.name, [Region("train", 0, n)], config=config, segment_secs=2.0)
    return root, config, items


def run_records(root, config, items, *, mode, workers=2):
    records = root / f"records-{config.f0_method}-{mode}"
    progress = root / f"progress-{config.f0_method}-{mode}"
    records.mkdir()
    progress.mkdir()
    cfg = dataclasses.replace(config, records_dir=str(records), progress_dir=str(progress))
    beam_job.run_beam(items, config=cfg, options=beam_job.LocalOptions(mode=mode, workers=workers))
    done = beam_job.progress_done(str(progress), per_file_secs={0: 5.0, 1: 5.0})
    return {p.name: p.read_bytes() for p in sorted(records.iterdir())}, done


@pytest.mark.parametrize("method", ["yin", "network"])
def test_a_job_without_beam_writes_the_same_records_in_every_mode(small_job, method):
    """The network too: one interpreter per thread (one kernel thread each) gives the same
    features as the main thread's (all cores)."""
    root, config, items = small_job
    config = dataclasses.replace(config, f0_method=method)
    assert len(items) >= 4
    reference, done = run_records(root, config, items, mode="in_process")
    assert len(reference) == len(items) and done == (pytest.approx(10.0, abs=0.05), 2)
    for mode in ("threads", "processes"):
        records, done = run_records(root, config, items, mode=mode)
        assert records == reference, mode
        assert done == (pytest.approx(10.0, abs=0.05), 2)


def test_an_error_in_a_pooled_item_stops_the_job_as_it_is(small_job, tmp_path):
    root, config, items = small_job
    (tmp_path / "file").write_text("a regular file")
    cfg = dataclasses.replace(config, records_dir=str(tmp_path / "file" / "records"), progress_dir=None)
    with pytest.raises(NotADirectoryError):
        local_job.run_local(items, config=cfg, mode="threads", workers=2)


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_ctrl_c_says_interrupted_and_leaves_no_staging_folder(prepared_audio_dir, tmp_path, mode):
    """pyin (slow) in a pool; SIGINT to the command alone: its items must not write afterwards
    (which would bring the removed staging folder back)."""
    code, stdout, stderr = interrupt_in_job(
        [prepared_audio_dir, "-o", tmp_path / "ds", "--f0-method", "pyin", "--example-secs", "2", "--",
         f"--direct_running_mode={mode}"], folder=tmp_path, wait=1.0, group=False)
    assert code == 130, stderr
    assert stdout == "" and stderr.endswith("Interrupted.\n"), stderr
    for bad in ("Traceback", "KeyboardInterrupt", "Exception"):
        assert bad not in stderr, stderr
    time.sleep(3.0)  # a straggling item would write now
    assert os.listdir(tmp_path) == []  # no staging folder, no output
