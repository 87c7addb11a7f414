"""Where training runs: the tf.distribute strategy, XLA and mixed precision.

- ``auto``: MultiWorkerMirroredStrategy when ``TF_CONFIG`` describes a cluster, MirroredStrategy
  when several GPUs are visible, otherwise the default single-device strategy.
- ``mirrored``: MirroredStrategy over all visible GPUs (or the CPU).
- ``multiworker``: MultiWorkerMirroredStrategy; needs ``TF_CONFIG``. Every worker runs the same
  command on the same MODEL_DIR (one shared folder, see docs/multiworker.md): the chief writes it,
  the others write scratch copies. :func:`check_same_start` refuses workers that restored
  different steps; :func:`cluster_failures` turns a stopped worker into one UserError.

XLA defaults to on with a GPU and off on CPU (where it was measured slower). Mixed precision
runs the encoder and decoder in float16 (bfloat16 on CPU) and keeps the DSP in float32.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import re
from typing import TYPE_CHECKING, Iterator

from ddsp_train import console
from ddsp_train.errors import UserError

if TYPE_CHECKING:
    import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multiworker")


@dataclasses.dataclass
class Placement:
    """The chosen strategy and how it was chosen."""

    strategy: tf.distribute.Strategy
    description: str
    on_gpu: bool
    xla: bool
    mixed_precision_policy: str | None  # a Keras dtype policy for the networks, or None
    worker: str | None = None  # "worker 1" etc. for a non-chief task of a multi-worker cluster
    workers: int = 1  # the processes of the cluster (1 without TF_CONFIG)

    @property
    def is_chief(self) -> bool:
        """Whether this process writes MODEL_DIR (other workers of a cluster write scratch copies)."""
        return self.worker is None

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync


def _tf_config_cluster() -> dict | None:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        config = json.loads(raw)
    except ValueError as e:
        raise UserError(f"TF_CONFIG is not valid JSON: {e}") from None
    if not isinstance(config, dict) or "cluster" not in config:
        raise UserError("TF_CONFIG has no 'cluster' entry (see the tf.distribute multi-worker guide)")
    return config


def check_environment(strategy: str) -> dict | None:
    """Refuse an unknown ``strategy``, a ``TF_CONFIG`` that is not a cluster description, and
    ``multiworker`` without one (no TensorFlow needed); the cluster description or None."""
    if strategy not in STRATEGIES:
        raise UserError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}", exit_code=2)
    cluster = _tf_config_cluster() if strategy in ("auto", "multiworker") else None
    if strategy == "multiworker" and cluster is None:
        raise UserError("--strategy multiworker needs TF_CONFIG describing the cluster and this worker's task")
    return cluster


def choose(*, strategy: str = "auto", xla: bool | None = None, mixed_precision: bool = False) -> Placement:
    """Build the strategy named ``strategy``; ``xla=None`` means on with a GPU, off on CPU."""
    import tensorflow as tf

    cluster = check_environment(strategy)
    gpus = tf.config.list_physical_devices("GPU")
    worker = None
    if cluster is not None:
        workers = len(cluster["cluster"].get("worker", []))
        chosen = tf.distribute.MultiWorkerMirroredStrategy()
        description = f"MultiWorkerMirroredStrategy over {workers} workers"
        task = cluster.get("task", {})
        has_chief = bool(cluster["cluster"].get("chief"))
        if task.get("type") == "worker" and (has_chief or int(task.get("index", 0)) != 0):
            worker = f"worker {int(task.get('index', 0))}"
    elif strategy == "mirrored" or len(gpus) > 1:
        chosen = tf.distribute.MirroredStrategy()
        description = f"MirroredStrategy over {chosen.num_replicas_in_sync} device(s)"
    else:
        chosen = tf.distribute.get_strategy()
        description = "one GPU" if gpus else "CPU"
    on_gpu = bool(gpus)
    if not on_gpu:
        description += " (no GPU found: running on CPU, which is slow for the large configs)"
    policy = None
    if mixed_precision:
        policy = "mixed_float16" if on_gpu else "mixed_bfloat16"
    return Placement(strategy=chosen, description=description, on_gpu=on_gpu,
                     xla=on_gpu if xla is None else bool(xla), mixed_precision_policy=policy, worker=worker,
                     workers=workers if cluster is not None else 1)


def check_same_start(placement: Placement, *, step: int, model_dir: pathlib.Path) -> None:
    """Refuse a cluster whose workers restored different steps (a worker that cannot read the
    chief's MODEL_DIR starts at 0): sum over the workers of ``step`` = workers x ``step`` on each.

    A no-op without a cluster. Every worker must call it (it is a collective)."""
    if placement.workers <= 1:
        return
    import tensorflow as tf

    strategy = placement.strategy

    @tf.function  # (eagerly, the collective strategy warns of its overhead)
    def sum_over_replicas():
        per_replica = strategy.run(lambda: tf.constant(float(step), tf.float64))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    with cluster_failures(placement, model_dir=model_dir):
        total = float(sum_over_replicas())
    expected = float(step) * placement.replicas
    if total != expected:
        who = placement.worker or "the chief"
        raise UserError(f"the workers of the cluster restored different checkpoints ({who} starts at step {step} "
                        f"from {model_dir}, another worker at a different step): every worker needs the same "
                        "--model-dir, one folder shared by all machines (see docs/multiworker.md)")


_STOPPED_TASK = re.compile(r"/job:(\w+)/replica:\d+/task:(\d+)")


def stopped_task(message: str) -> str | None:
    """``worker 1`` for TensorFlow's ``... unhealthy (stopped sending heartbeats):
    /job:worker/replica:0/task:1 ...``; None when the message names no task."""
    match = _STOPPED_TASK.search(message)
    return f"{match.group(1)} {match.group(2)}" if match else None


@contextlib.contextmanager
def cluster_failures(placement: Placement, *, model_dir: pathlib.Path) -> Iterator[None]:
    """Turn TensorFlow's error when a task of the cluster stops (a killed or crashed worker: its
    heartbeats stop, the collectives are aborted) into one UserError that says how to resume.
    Errors of a single-process run pass through unchanged."""
    import tensorflow as tf

    from ddsp_train.training import model_dir as model_dir_lib

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.CancelledError, tf.errors.AbortedError,
            tf.errors.DeadlineExceededError) as e:
        if placement.workers <= 1:
            raise
        task = stopped_task(str(e))
        step = model_dir_lib.latest_step(model_dir)
        then = (f"resume from the checkpoint of step {step} in {model_dir_lib.checkpoint_dir(model_dir)}"
                if step is not None else "start again (no checkpoint was saved yet)")
        raise UserError(f"{task or 'a worker'} of the cluster stopped ({type(e).__name__}); restart every "
                        f"worker with the same command to {then}") from None


def announce(placement: Placement, *, say: console.Say = console.stderr) -> None:
    """Say once where training runs."""
    extras = [f"XLA {'on' if placement.xla else 'off'}"]
    if placement.mixed_precision_policy:
        extras.append(f"mixed precision {placement.mixed_precision_policy} (DSP in float32)")
    say(f"Training on {placement.description}; {', '.join(extras)}.")
