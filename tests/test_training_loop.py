"""The training loop: the progress line's figures, and Ctrl-C on a real run (a child process
interrupted by SIGINT): exactly ``Interrupted.``, exit 130, a checkpoint named for the step whose
state it holds, and a resume that continues from that step."""
import io
import os
import pathlib
import signal
import subprocess
import sys
import time

import tensorflow as tf

from ddsp_train.training import checkpoints, loop

REPO = pathlib.Path(__file__).resolve().parents[1]
DDSP_TRAIN = str(pathlib.Path(sys.executable).parent / "ddsp-train")


def test_progress_line_has_steps_seconds_per_step_and_eta():
    # 100 steps done in this run (20 -> 120) in 100 s: 1 s/step, 880 steps left -> 880 s.
    line = loop.progress_line(step=120, total=1000, start_step=20, elapsed=100.0, loss=4.12345)
    assert line == "step 120/1000   12%  1.00 s/step  loss 4.1235  ETA 14 min 40 s"
    assert loop.progress_line(step=5, total=5, start_step=0, elapsed=7.2, loss=1.0).endswith("in 7 s")
    assert "-- s/step" in loop.progress_line(step=3, total=9, start_step=3, elapsed=0.0, loss=1.0)


def test_step_progress_prints_at_most_every_few_seconds_off_a_terminal():
    now = [0.0]
    stream = io.StringIO()
    progress = loop.StepProgress(start_step=0, total_steps=100, stream=stream, every=10.0, clock=lambda: now[0])
    for step in range(1, 31):
        now[0] = step * 1.0  # one step per second
        progress.update(step, 2.0)
    progress.update(30, 2.0, final=True)
    lines = stream.getvalue().splitlines()
    assert lines == ["step 1/100    1%  1.00 s/step  loss 2.0000  ETA 1 min 39 s",
                     "step 11/100   11%  1.00 s/step  loss 2.0000  ETA 1 min 29 s",
                     "step 21/100   21%  1.00 s/step  loss 2.0000  ETA 1 min 19 s",
                     "step 30/100   30%  1.00 s/step  loss 2.0000  ETA 1 min 10 s"]


def saved_state(model_dir, step):
    path = str(checkpoints.checkpoint_dir(model_dir) / f"ckpt-{step:08d}" / "ckpt")
    values = {name: tf.train.load_checkpoint(path).get_tensor(name) for name, _ in tf.train.list_variables(path)}
    (held,) = [v for k, v in values.items() if k.startswith("step/")]
    (iterations,) = [v for k, v in values.items() if "optimizer" in k and "iteration" in k]
    return int(held), int(iterations)


def test_ctrl_c_saves_the_step_it_holds_and_resumes_from_it(prepared_dataset, tmp_path):
    model_dir = tmp_path / "model"
    args = [DDSP_TRAIN, "--data", prepared_dataset, "--model-dir", str(model_dir), "--batch-size", "2",
            "--save-every", "1000", "--eval-every", "1000"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    history = model_dir / "logs" / "train_history.jsonl"
    with open(tmp_path / "first.log", "w") as log:
        first = ["--steps", "1000", "--config", "tiny", "--gin-param", "schedule.log_every = 1"]
        child = subprocess.Popen(args + first, stderr=log, stdout=log, env=env,  # SIGINT as in a terminal
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.time() + 300
        while time.time() < deadline and child.poll() is None:
            if history.exists() and len(history.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        child.wait(timeout=120)
    err = (tmp_path / "first.log").read_text()
    assert child.returncode == 130, err
    assert err.splitlines()[-1] == "Interrupted." and err.count("Interrupted.") == 1, err
    assert "Traceback" not in err and "Exception" not in err and "Error" not in err, err
    (saved,) = [s for s, _ in checkpoints.list_checkpoints(model_dir)]
    assert saved >= 3
    assert saved_state(model_dir, saved) == (saved, saved)  # named for the step whose state it holds

    second = subprocess.run(args + ["--steps", str(saved + 1)], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert f"Resuming from the checkpoint of step {saved} " in second.stderr
    assert [s for s, _ in checkpoints.list_checkpoints(model_dir)][-1] == saved + 1
    assert saved_state(model_dir, saved + 1) == (saved + 1, saved + 1)


def test_the_estimate_and_the_budget_rule():
    assert loop.estimate_line(steps=30000, seconds_per_step=1.4) == \
        "30000 steps ≈ 11 h 40 min at 1.40 s/step on this machine"
    assert loop.estimate_line(steps=1000, seconds_per_step=0.5, budget_s=60.0).endswith(
        "; the --minutes budget stops it after about 120 steps")
    assert loop.next_step_seconds([]) == 0.0
    assert loop.next_step_seconds([9.0]) == 9.0
    assert loop.mean_step_seconds([9.0, 1.0, 2.0]) == 1.5  # the tracing first step left out
    assert loop.next_step_seconds([9.0, 1.0, 3.0, 2.0]) == 3.0  # the slowest recent one
    assert loop.next_step_seconds([9.0] + [5.0] + [1.0] * 5) == 1.0  # of the last 5 only
    assert not loop.over_budget(elapsed=58.0, next_step=1.5, budget_s=60.0)
    assert loop.over_budget(elapsed=58.6, next_step=1.5, budget_s=60.0)
    assert not loop.over_budget(elapsed=1e9, next_step=1.0, budget_s=None)
