"""Multi-worker training for real: two local ddsp-train processes (TF_CONFIG on localhost ports)
train a ``tiny`` model together; one of them is killed; the cluster is restarted and resumes.

The workers are niced CPU processes with one thread each; the timeouts are generous (a few
minutes) so that a loaded machine does not fail the test. Every child is killed in ``finally``.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from ddsp_train import cli
from ddsp_train.training import checkpoints

DDSP_TRAIN = str(pathlib.Path(sys.executable).parent / "ddsp-train")
TIMEOUT = 420  # seconds for a cluster to start, train a few steps and stop


def free_ports(count):
    """``count`` localhost ports that were free a moment ago (bound to port 0, then closed)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_cluster(tmp_path, name, *, model_dirs, data_dir, steps):
    """Start one ddsp-train per entry of ``model_dirs`` (task index = position) as a cluster;
    ``[(process, log path)]``. Each runs in its own process group, niced."""
    hosts = [f"localhost:{port}" for port in free_ports(len(model_dirs))]
    started = []
    for index, model_dir in enumerate(model_dirs):
        config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CONFIG=json.dumps(config), OMP_NUM_THREADS="1", TF_NUM_INTEROP_THREADS="1",
                   TF_NUM_INTRAOP_THREADS="1")
        log = tmp_path / f"{name}-{index}.log"
        args = ["nice", "-n", "19", DDSP_TRAIN, "--data", data_dir, "--model-dir", str(model_dir),
                "--config", "tiny", "--batch-size", "2", "--steps", str(steps), "--save-every", "2",
                "--eval-every", "1000", "--strategy", "multiworker", "--seed", "3"]
        with open(log, "w") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        started.append((process, log))
    return started


def stop(cluster):
    for process, _ in cluster:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_all(cluster, timeout=TIMEOUT):
    """Wait for every process; the logs' texts (killing the rest when ``timeout`` runs out)."""
    deadline = time.monotonic() + timeout
    for process, log in cluster:
        try:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stop(cluster)
            pytest.fail(f"the cluster did not finish in {timeout} s:\n" + "\n".join(l.read_text() for _, l in cluster))
    return [log.read_text() for _, log in cluster]


def run_cluster(tmp_path, name, **kwargs):
    """Start a cluster (:func:`start_cluster`), wait for it; ``[(return code, log text)]``."""
    cluster = start_cluster(tmp_path, name, **kwargs)
    try:
        logs = wait_all(cluster)
    finally:
        stop(cluster)
    return [(process.returncode, log) for (process, _), log in zip(cluster, logs)]


def checkpoint_values(model_dir, step):
    path = str(checkpoints.checkpoint_dir(model_dir) / f"ckpt-{step:08d}" / "ckpt")
    return {name: tf.train.load_checkpoint(path).get_tensor(name) for name, _ in tf.train.list_variables(path)}


def model_weights(values):
    return {k: v for k, v in values.items() if k.startswith("model_weights/")}


def assert_workers_agree(model_dir, step):
    """The chief's checkpoint of ``step`` and worker 1's scratch copy hold that step and the same
    weights (the gradients were all-reduced: the same update on both); the chief's values."""
    chief = checkpoint_values(model_dir, step)
    other = checkpoint_values(model_dir / ".worker-1", step)
    assert int(chief["step/.ATTRIBUTES/VARIABLE_VALUE"]) == step
    assert int(other["step/.ATTRIBUTES/VARIABLE_VALUE"]) == step
    weights = model_weights(chief)
    assert len(weights) > 10 and set(weights) == set(model_weights(other))
    for name, value in weights.items():
        np.testing.assert_array_equal(value, other[name], err_msg=name)
    return weights


def test_two_workers_finish_with_the_same_weights(prepared_dataset, tmp_path):
    model_dir = tmp_path / "model"
    results = run_cluster(tmp_path, "run", model_dirs=[model_dir, model_dir], data_dir=prepared_dataset, steps=4)
    for code, log in results:
        assert code == 0, log
        assert "MultiWorkerMirroredStrategy over 2 workers" in log and "Traceback" not in log
        assert "WARNING:tensorflow" not in log  # (TensorFlow's native log at exit is not checked: see the doc)
        assert "Done: step 4" in log
    # Only the chief (task 0) writes MODEL_DIR; the other worker's copy is its own scratch folder.
    assert [s for s, _ in checkpoints.list_checkpoints(model_dir)] == [2, 4]
    weights = assert_workers_agree(model_dir, 4)
    earlier = model_weights(checkpoint_values(model_dir, 2))
    assert any(not np.array_equal(earlier[k], weights[k]) for k in weights)  # steps 3-4 did train


def wait_for_checkpoint(model_dir, cluster, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p, _ in cluster):
        if checkpoints.list_checkpoints(model_dir):
            return checkpoints.list_checkpoints(model_dir)[-1][0]
        time.sleep(0.5)
    stop(cluster)
    pytest.fail("no checkpoint was written:\n" + "\n".join(log.read_text() for _, log in cluster))


def last_line(text):
    return [line for line in text.splitlines() if line.strip()][-1]


def test_a_killed_worker_stops_the_cluster_with_one_error_and_a_restart_resumes(prepared_dataset, tmp_path):
    model_dir = tmp_path / "model"
    cluster = start_cluster(tmp_path, "first", model_dirs=[model_dir, model_dir], data_dir=prepared_dataset,
                            steps=1000)
    try:
        wait_for_checkpoint(model_dir, cluster)
        os.killpg(cluster[1][0].pid, signal.SIGKILL)
        killed = time.monotonic()
        chief_log = wait_all(cluster[:1])[0]
        print(f"the chief stopped {time.monotonic() - killed:.1f} s after worker 1 was killed")
    finally:
        stop(cluster)
    assert cluster[0][0].returncode == 1, chief_log
    assert "Traceback" not in chief_log and "crashed" not in chief_log  # one line, not TensorFlow's log
    saved = checkpoints.list_checkpoints(model_dir)[-1][0]
    error = last_line(chief_log)
    assert error.startswith("Error: worker 1 of the cluster stopped (UnavailableError); restart every worker with "
                            f"the same command to resume from the checkpoint of step {saved}"), chief_log

    # A worker that cannot see the chief's folder would start at step 0: both are refused.
    elsewhere = tmp_path / "elsewhere"
    results = run_cluster(tmp_path, "apart", model_dirs=[model_dir, elsewhere], data_dir=prepared_dataset,
                          steps=saved + 2)
    for code, log in results:
        assert code == 1, log
        assert "restored different checkpoints" in last_line(log) and "same --model-dir" in last_line(log), log
    assert (f"worker 1 starts at step 0 from {elsewhere}, another worker at a different step"
            in last_line(results[1][1]))
    assert f"the chief starts at step {saved} from {model_dir}," in last_line(results[0][1])
    assert checkpoints.list_checkpoints(model_dir)[-1][0] == saved

    results = run_cluster(tmp_path, "again", model_dirs=[model_dir, model_dir], data_dir=prepared_dataset,
                          steps=saved + 2)
    for code, log in results:
        assert code == 0, log
        assert f"Resuming from the checkpoint of step {saved}" in log
        assert f"Done: step {saved + 2}" in log
    assert_workers_agree(model_dir, saved + 2)


def test_the_coordination_services_log_of_a_stopped_worker_is_filtered():
    for line in (b"/job:worker/replica:0/task:1",
                 b"The tasks have crashed. Check the task logs for an earlier error, or scheduler events (e.g. "
                 b"preemption, eviction) to debug further. [type.googleapis.com/tensorflow.CoordinationServiceError='']",
                 b"The error could be from a previous operation. Restart your program to reset. "
                 b"[type.googleapis.com/tensorflow.DerivedStatus='']"):
        assert cli.NATIVE_NOISE.match(line), line
    assert not cli.NATIVE_NOISE.match(b"Error: worker 1 of the cluster stopped (UnavailableError); restart every "
                                      b"worker with the same command to resume from the checkpoint of step 2 in m")
