"""ddsp-train end to end: a real CLI run that is killed with SIGKILL and resumed, the NaN guard,
loading the trained model, and the error paths (one message, non-zero exit, no traceback)."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from ddsp_train import cli
from ddsp_train.errors import UserError
from ddsp_train.train import command
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.training import checkpoints, loop, trainer

DDSP_TRAIN = str(pathlib.Path(sys.executable).parent / "ddsp-train")


def checkpoint_values(model_dir, step):
    """``{variable name: value}`` of the checkpoint of ``step``, read straight from its files."""
    path = str(checkpoints.checkpoint_dir(model_dir) / f"ckpt-{step:08d}" / "ckpt")
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name, _ in tf.train.list_variables(path)}


def named(values, *parts):
    matches = [v for k, v in values.items() if all(p in k for p in parts)]
    assert len(matches) == 1, (parts, sorted(values))
    return matches[0]


def event_tags(folder):
    tags = {}
    for path in pathlib.Path(folder).glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                tags.setdefault(value.tag, set()).add(value.metadata.plugin_data.plugin_name)
    return tags


def test_cli_run_killed_and_resumed(prepared_dataset, tmp_path):
    model_dir = tmp_path / "model"
    args = [DDSP_TRAIN, "--data", prepared_dataset, "--model-dir", str(model_dir), "--config", "tiny",
            "--batch-size", "2", "--save-every", "2", "--eval-every", "1000"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(args + ["--steps", "1000"], stderr=log, stdout=log, env=env)
        deadline = time.time() + 240
        while time.time() < deadline and first.poll() is None:
            if len(checkpoints.list_checkpoints(model_dir)) >= 2:
                break
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    killed_at = checkpoints.list_checkpoints(model_dir)[-1][0]
    assert killed_at >= 4 and killed_at % 2 == 0
    killed_values = checkpoint_values(model_dir, killed_at)
    assert int(named(killed_values, "step")) == killed_at

    second = subprocess.run(args + ["--steps", str(killed_at + 2)], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert f"Resuming from the checkpoint of step {killed_at}" in second.stderr
    assert second.stderr.count("Training on CPU") == 1
    assert "s/step" in second.stderr and "ETA" in second.stderr

    final = killed_at + 2
    steps = [s for s, _ in checkpoints.list_checkpoints(model_dir)]
    assert steps[-1] == final and len(steps) <= 3  # the last few are kept
    values = checkpoint_values(model_dir, final)
    assert int(named(values, "step")) == final
    # The optimizer state came back: its iteration count continues, it did not restart at 0.
    assert int(named(values, "optimizer", "iteration")) == final
    assert int(named(killed_values, "optimizer", "iteration")) == killed_at

    evaluation = json.loads((model_dir / "eval.json").read_text())
    assert evaluation["step"] == final
    assert [h["step"] for h in evaluation["history"]] == [0, final]
    for key in ("spectral_loss", "f0_cents_median", "f0_within_50_cents", "power_error_db"):
        assert np.isfinite(evaluation[key]), key
    assert 0.0 <= evaluation["f0_within_50_cents"] <= 1.0
    for png in ("losses.png", "spectrogram.png"):
        assert (model_dir / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert DatasetInfo.read(model_dir) == DatasetInfo.read(prepared_dataset).replace(
        data_dir=str(pathlib.Path(prepared_dataset).resolve()))
    assert json.loads((model_dir / "recipe.json").read_text()) == {"configs": ["tiny"], "gin_params": []}
    eval_tags = event_tags(model_dir / "logs" / "eval")
    assert eval_tags["reference_vs_resynthesis"] == {"audio"}
    assert eval_tags["spectrograms"] == {"images"}
    train_tags = event_tags(model_dir / "logs" / "train")
    assert {"loss", "learning_rate", "grad_norm", "steps_per_sec"} <= set(train_tags)

    # What ddsp-export builds on: the model rebuilt from operative_config.gin with these weights.
    model, info = checkpoints.load_model(model_dir)
    assert model.restored_step == final and info.sample_rate == 16000
    assert len(model.weights) > 10
    for i, weight in enumerate(model.weights):  # every weight, those of layers held in lists too
        np.testing.assert_array_equal(weight.numpy(), values[f"model_weights/{i}/.ATTRIBUTES/VARIABLE_VALUE"])
    assert model.is_plugin_compatible() == []
    older, _ = checkpoints.load_model(model_dir, step=steps[-2])
    assert older.restored_step == steps[-2]


def test_nan_loss_skips_updates_then_stops_keeping_the_good_checkpoint(prepared_dataset, tmp_path, capsys):
    model_dir = tmp_path / "model"
    common = dict(data_dir=prepared_dataset, model_dir=model_dir, configs=["tiny"], batch_size=1, save_every=1)
    trainer.train(steps=1, eval_every=1, **common)
    good = checkpoint_values(model_dir, 1)
    # An infinite loss weight makes every loss Inf: each update is skipped, then training stops.
    with pytest.raises(UserError) as error:
        trainer.train(steps=50, eval_every=50, gin_params=["SpectralLoss.mag_weight = 1e400"], **common)
    message = error.value.message
    assert f"NaN/Inf {loop.MAX_BAD_STEPS_IN_A_ROW} steps in a row" in message and "learning rate" in message
    assert capsys.readouterr().err.count("skipped the update") == loop.MAX_BAD_STEPS_IN_A_ROW
    assert [s for s, _ in checkpoints.list_checkpoints(model_dir)] == [1]
    after = checkpoint_values(model_dir, 1)
    assert all(np.array_equal(good[k], after[k]) for k in good)


def test_seed_repeats_a_run_exactly(prepared_dataset, tmp_path):
    def run(name, seed):
        trainer.train(data_dir=prepared_dataset, model_dir=tmp_path / name, configs=["tiny"], batch_size=2,
                      steps=2, save_every=2, eval_every=1000, seed=seed)
        return checkpoint_values(tmp_path / name, 2)

    first, again, other = run("a", 7), run("b", 7), run("c", 8)
    weights = [k for k in first if k.startswith("model_weights/")]
    assert len(weights) > 10
    # Same seed: the same initial weights, batches and noise, so the same weights after two updates.
    assert all(np.allclose(first[k], again[k], rtol=0, atol=1e-6) for k in weights)
    differs = [k for k in weights if first[k].size > 1 and not np.allclose(first[k], other[k], rtol=0, atol=1e-3)]
    assert len(differs) >= 0.5 * len([k for k in weights if first[k].size > 1])


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.run(command, args)
    err = capsys.readouterr().err
    assert exit_info.value.code != 0
    assert "Traceback" not in err and err.startswith("Error: ") and err.count("\n") <= 6, err
    return err


def test_bad_data_dirs_give_one_clear_message(tmp_path, capsys):
    model = ["--model-dir", str(tmp_path / "model"), "--config", "tiny"]
    assert "does not exist" in run_cli(["--data", str(tmp_path / "nope"), *model], capsys)
    (tmp_path / "empty").mkdir()
    assert "is empty" in run_cli(["--data", str(tmp_path / "empty"), *model], capsys)
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "take.wav").write_bytes(b"RIFF")
    assert "not a prepared dataset" in run_cli(["--data", str(tmp_path / "audio"), *model], capsys)
    assert not (tmp_path / "model").exists()


def test_records_without_needed_keys(prepared_dataset, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(pathlib.Path(prepared_dataset) / "dataset.json", data / "dataset.json")
    with tf.io.TFRecordWriter(str(data / "train.tfrecord-00000-of-00001")) as writer:
        example = tf.train.Example(features=tf.train.Features(feature={
            "audio": tf.train.Feature(float_list=tf.train.FloatList(value=np.zeros(32000)))}))
        writer.write(example.SerializeToString())
    err = run_cli(["--data", str(data), "--model-dir", str(tmp_path / "model"), "--config", "tiny"], capsys)
    assert "lack" in err and "f0_hz" in err


def test_config_errors_through_the_cli(prepared_dataset, tmp_path, capsys):
    base = ["--data", prepared_dataset, "--model-dir", str(tmp_path / "model")]
    err = run_cli([*base, "--config", "violin_xl"], capsys)
    assert "unknown config 'violin_xl'" in err and "vst" in err
    bad = tmp_path / "bad.gin"
    bad.write_text("include 'tiny.gin'\nRnnFcDecoder.ch = (64,\n")
    err = run_cli([*base, "--config", str(bad)], capsys)
    assert "gin syntax error" in err and "bad.gin" in err
    err = run_cli([*base, "--config", "tiny", "--gin-param", "RnnFcDecoderr.ch = 3"], capsys)
    assert "--gin-param" in err and "RnnFcDecoderr" in err
    err = run_cli([*base, "--config", "tiny", "--batch-size", "0"], capsys)
    assert "--batch-size must be a whole number >= 1, got 0" in err


def test_multiworker_needs_a_cluster(prepared_dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    base = ["--data", prepared_dataset, "--model-dir", str(tmp_path / "model"), "--config", "tiny"]
    assert "needs TF_CONFIG" in run_cli([*base, "--strategy", "multiworker"], capsys)
    monkeypatch.setenv("TF_CONFIG", "{not json")
    assert "TF_CONFIG is not valid JSON" in run_cli([*base, "--strategy", "auto"], capsys)


def test_help_shows_copy_paste_examples_and_the_version():
    from click.testing import CliRunner

    from ddsp_train import __version__
    from ddsp_train.train import EXAMPLES

    result = CliRunner().invoke(command, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    assert "Examples:" in result.output and "A dataset folder written by ddsp-prepare" in result.output
    lines = result.output.splitlines()
    for example in EXAMPLES:  # each on one line, unwrapped, as a shell takes it
        assert f"    {example}" in lines
    assert "--steps 30000" in EXAMPLES[0]  # the library's default, not a copy
    version = CliRunner().invoke(command, ["--version"])
    assert version.exit_code == 0 and __version__ in version.output
