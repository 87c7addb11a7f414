"""The gin-configurable training settings, and the import graph: parsing a recipe or loading a
model (what ddsp-export does) never imports the training loop."""
import os
import pathlib
import subprocess
import sys

import pytest

from ddsp_train.training import optimizer

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_learning_rate_decays_exponentially():
    adam = optimizer.make_optimizer(learning_rate=1e-3, lr_decay_steps=100, lr_decay_rate=0.5, grad_clip_norm=2.0)
    # lr(step) = 1e-3 * 0.5 ** (step / 100)
    assert float(adam.learning_rate) == pytest.approx(1e-3)
    assert float(adam._learning_rate(200)) == pytest.approx(2.5e-4)
    assert adam.global_clipnorm == 2.0
    assert optimizer.schedule(log_every=5)["log_every"] == 5


def test_checkpoints_and_gin_config_do_not_import_the_loop():
    code = ("import sys\nfrom ddsp_train.training import checkpoints, gin_config\n"
            "gin_config._import_configurables()\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('ddsp_train.training.'))\n"
            "print(' '.join(loaded))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert {"ddsp_train.training.checkpoints", "ddsp_train.training.optimizer"} <= loaded
    assert not loaded & {"ddsp_train.training.loop", "ddsp_train.training.trainer", "ddsp_train.training.step",
                         "ddsp_train.training.data_checks", "ddsp_train.training.summaries"}, loaded
