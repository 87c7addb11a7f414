"""The Beam job's options, its log on failure (and not on Ctrl-C), the progress marks and line."""
import os
import pathlib
import subprocess
import sys

import pytest

from ddsp_train.data import beam_job

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_running_mode_is_a_function_of_the_audio_the_workers_and_the_tracker():
    mode = beam_job.running_mode
    assert mode(total_secs=10, workers=2, parallel="threads") == "in_process"  # workers would cost more
    assert mode(total_secs=600 * 60, workers=1) == "in_process"
    # The network's small jobs skip Beam (its import and runner start-up are most of their wall time).
    assert mode(total_secs=160, workers=2, parallel="threads") == "threads"
    assert mode(total_secs=beam_job.LOCAL_JOB_SECS, workers=2, parallel="threads") == "multi_threading"
    # pyin and yin: Beam's processes (measured no slower than a pool of our own on 32 s and 160 s).
    assert mode(total_secs=160, workers=2, parallel="processes") == "multi_processing"
    # Beam options: Beam, sized as before unless they set the mode or the runner; a lone local mode is kept.
    assert mode(total_secs=10, workers=2, beam_args=["--direct_num_workers=3"]) == "in_memory"
    assert mode(total_secs=160, workers=2, parallel="threads", beam_args=["--direct_num_workers=3"]) == "multi_threading"
    assert mode(total_secs=10, workers=2, beam_args=["--direct_running_mode=in_memory"]) is None
    assert mode(total_secs=10, workers=2, beam_args=["--runner=FlinkRunner"]) is None
    assert mode(total_secs=3600, workers=2, beam_args=["--direct_running_mode=threads"]) == "threads"


def test_pipeline_options_follow_the_running_mode():

    def mode(**kw):
        return beam_job.pipeline_options(kw.pop("args", ()), **kw).get_all_options()["direct_running_mode"]

    local = beam_job.pipeline_options((), workers=2, total_secs=160, parallel="threads")
    assert isinstance(local, beam_job.LocalOptions) and beam_job.is_local(local)
    code = ("import sys\nfrom ddsp_train.data import beam_job\n"
            "beam_job.pipeline_options((), workers=2, total_secs=160, parallel='threads')\n"
            "assert 'apache_beam' not in sys.modules, 'Beam imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert mode(workers=2, total_secs=10) == "in_process"
    assert mode(workers=2, total_secs=3600) == "multi_processing"
    assert mode(workers=2, total_secs=3600, parallel="threads") == "multi_threading"
    assert mode(workers=2, total_secs=600, args=["--direct_running_mode=in_memory"]) == "in_memory"
    assert mode(workers=2, total_secs=10, args=["--direct_num_workers=3"]) == "in_memory"
    assert mode(workers=2, total_secs=160, args=["--runner=DirectRunner"]) == "multi_processing"
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
