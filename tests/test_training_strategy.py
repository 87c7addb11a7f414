"""Where training runs (training/strategy.py): the checks of --strategy and TF_CONFIG, the placement
chosen on this (CPU) machine, and a stopped worker turned into one error. (Real clusters:
tests/test_training_multiworker.py.)"""
import json

import pytest
import tensorflow as tf

from ddsp_train.errors import UserError
from ddsp_train.training import strategy


def test_the_environment_checks(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserError, match="--strategy must be one of auto, mirrored, multiworker, got 'tpu'") as e:
        strategy.check_environment("tpu")
    assert e.value.exit_code == 2
    assert strategy.check_environment("auto") is None and strategy.check_environment("mirrored") is None
    with pytest.raises(UserError, match="multiworker needs TF_CONFIG"):
        strategy.check_environment("multiworker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UserError, match="TF_CONFIG is not valid JSON"):
        strategy.check_environment("auto")
    assert strategy.check_environment("mirrored") is None  # mirrored does not read TF_CONFIG
    monkeypatch.setenv("TF_CONFIG", json.dumps({"task": {"type": "worker", "index": 0}}))
    with pytest.raises(UserError, match="no 'cluster' entry"):
        strategy.check_environment("multiworker")
    cluster = {"cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    assert strategy.check_environment("multiworker") == cluster


def test_the_placement_on_this_machine(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("the expectations below are the CPU's")
    placement = strategy.choose(strategy="auto")
    assert placement.strategy is tf.distribute.get_strategy() and placement.replicas == 1
    assert placement.description.startswith("CPU (no GPU found") and not placement.on_gpu
    assert placement.xla is False and placement.mixed_precision_policy is None  # XLA defaults to off on CPU
    assert placement.is_chief and placement.workers == 1
    forced = strategy.choose(strategy="auto", xla=True, mixed_precision=True)
    assert forced.xla is True and forced.mixed_precision_policy == "mixed_bfloat16"
    said = []
    strategy.announce(forced, say=said.append)
    assert said == [f"Training on {forced.description}; XLA on, mixed precision mixed_bfloat16 (DSP in float32)."]
    said.clear()
    strategy.announce(placement, say=said.append)
    assert said == [f"Training on {placement.description}; XLA off."]
    mirrored = strategy.choose(strategy="mirrored")
    assert isinstance(mirrored.strategy, tf.distribute.MirroredStrategy)
    assert mirrored.description.startswith("MirroredStrategy over 1 device(s)")
    assert not strategy.Placement(strategy=placement.strategy, description="", on_gpu=False, xla=False,
                                  mixed_precision_policy=None, worker="worker 1").is_chief


def test_stopped_task_names_the_worker_in_tensorflows_message():
    message = ("Collective ops is aborted by: Error reported from /job:worker/task:1: The following tasks are "
               "unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\nThe tasks have crashed.")
    assert strategy.stopped_task(message) == "worker 1"
    assert strategy.stopped_task("Socket closed") is None


def test_a_stopped_task_of_a_cluster_becomes_one_error_that_says_how_to_go_on(tmp_path):
    placement = strategy.Placement(strategy=tf.distribute.get_strategy(), description="two workers", on_gpu=False,
                                   xla=False, mixed_precision_policy=None, workers=2)
    stopped = "unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\nThe tasks have crashed."
    with pytest.raises(UserError) as error:
        with strategy.cluster_failures(placement, model_dir=tmp_path):
            raise tf.errors.UnavailableError(None, None, stopped)
    assert error.value.message == ("worker 1 of the cluster stopped (UnavailableError); restart every worker with "
                                   "the same command to start again (no checkpoint was saved yet)")
    with pytest.raises(tf.errors.InvalidArgumentError):  # not a stopped worker: passed on as it is
        with strategy.cluster_failures(placement, model_dir=tmp_path):
            raise tf.errors.InvalidArgumentError(None, None, "a bug")


def test_a_single_process_needs_no_agreement_and_keeps_its_errors(tmp_path):
    placement = strategy.choose(strategy="mirrored")
    assert placement.workers == 1
    strategy.check_same_start(placement, step=7, model_dir=tmp_path)  # no cluster: nothing to compare
    with pytest.raises(tf.errors.UnavailableError):
        with strategy.cluster_failures(placement, model_dir=tmp_path):
            raise tf.errors.UnavailableError(None, None, "not a cluster's")
