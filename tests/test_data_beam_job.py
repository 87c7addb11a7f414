"""The Beam job's options, its log on failure (and not on Ctrl-C), the progress marks and line."""
import os

import pytest

from ddsp_train.data import beam_job


def test_runner_mode_follows_the_job():

    def mode(**kw):
        return beam_job.pipeline_options(kw.pop("args", ()), **kw).get_all_options()["direct_running_mode"]

    assert mode(workers=2, total_secs=10) == "in_memory"  # start-up would cost more than it saves
    assert mode(workers=2, total_secs=600) == "multi_processing"
    assert mode(workers=1, total_secs=600) == "in_memory"
    assert mode(workers=2, total_secs=600, parallel="threads") == "multi_threading"
    assert mode(workers=2, total_secs=600, args=["--direct_running_mode=in_memory"]) == "in_memory"
    options = beam_job.pipeline_options(["--direct_num_workers=5"], workers=2, total_secs=600).get_all_options()
    assert options["direct_num_workers"] == 5


@pytest.mark.parametrize("error, shown", [(RuntimeError("boom"), True), (KeyboardInterrupt(), False)])
def test_the_log_is_shown_when_the_job_fails_but_not_on_ctrl_c(tmp_path, error, shown):
    said = []
    path = tmp_path / "_beam.log"
    with pytest.raises(type(error)):
        with beam_job.beam_log(str(path), capture=True, say=said.append):
            os.write(2, b"worker says: something broke\n")
            raise error
    assert (len(said) == 1 and "Beam log (last lines):" in said[0] and "something broke" in said[0]) is shown
    assert said or not shown
    assert not path.exists()


def test_line_stream_hands_whole_lines_to_say():
    said = []
    stream = beam_job.LineStream(said.append)
    stream.write("a  1/3")
    stream.write("\nb  2/3\nc")
    assert said == ["a  1/3", "b  2/3"] and not stream.isatty()


def test_progress_counts_finished_items_and_files(tmp_path):
    import json

    (tmp_path / "0-0-train").write_text(json.dumps({"file": 0, "seconds": 60.0}))
    (tmp_path / "0-960000-train").write_text(json.dumps({"file": 0, "seconds": 30.0}))
    (tmp_path / "1-0-eval").write_text(json.dumps({"file": 1, "seconds": 20.0}))
    (tmp_path / ".1-320000-eval.tmp").write_text("partial")  # being written: ignored
    assert beam_job.progress_done(str(tmp_path), per_file_secs={0: 90.0, 1: 40.0, 2: 5.0}) == (110.0, 1)


def test_shard_count():
    assert beam_job.shard_count(10, shards=None, example_bytes=1000) == 1
    assert beam_job.shard_count(1000, shards=None, example_bytes=beam_job.SHARD_BYTES // 100) == 10
    assert beam_job.shard_count(1000, shards=3, example_bytes=10) == 3
