"""train() as a whole: a resume reuses the recorded recipe and refuses another; a run with
nothing to do writes nothing and imports no TensorFlow; a failed run leaves an existing model
folder exactly as it was and removes one it created."""
import hashlib
import json
import os
import pathlib
import shutil

import pytest
from train_support import run_main

from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints, trainer

BAD_BUILD = "RnnFcDecoder.rnn_channels = 'abc'"  # parses, but no decoder can be built with it


def folder_state(folder):
    """Every path below ``folder`` with its bytes' hash and its mtime."""
    state = {}
    for path in sorted(pathlib.Path(folder).rglob("*")):
        stat = path.stat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        state[str(path.relative_to(folder))] = (content, stat.st_mtime_ns)
    return state


@pytest.fixture(scope="module")
def trained(prepared_dataset, tmp_path_factory):
    """A tiny model trained for one step (checkpoint 1, eval.json at step 1)."""
    model_dir = tmp_path_factory.mktemp("trained") / "model"
    trainer.train(data_dir=prepared_dataset, model_dir=model_dir, configs=["tiny"], batch_size=1, steps=1,
                  save_every=1, eval_every=1, seed=1, say=lambda m: None)
    return model_dir


def copy_of(trained, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(trained, target)
    return target


def test_a_run_with_nothing_to_do_writes_nothing(trained, prepared_dataset, tmp_path):
    model_dir = copy_of(trained, tmp_path)
    before = folder_state(model_dir)
    result = run_main("--data", prepared_dataset, "--model-dir", model_dir, "--steps", "1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Already trained to step 1 (--steps 1); nothing to do.", "NO_TF"]
    evaluation = json.loads((model_dir / "eval.json").read_text())
    loss = evaluation["spectral_loss"]
    assert result.stdout == f"Done: step 1, eval spectral loss {loss:.4f}; model in {model_dir}\n"
    assert folder_state(model_dir) == before  # eval.json not rewritten, nothing else either


def test_a_resume_with_another_config_is_refused_before_tensorflow(trained, prepared_dataset, tmp_path):
    model_dir = copy_of(trained, tmp_path)
    before = folder_state(model_dir)
    result = run_main("--data", prepared_dataset, "--model-dir", model_dir, "--config", "vst", "--steps", "2")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Error: --model-dir {model_dir} was trained with --config tiny; resume with --config tiny (or no "
        "--config) or use a new --model-dir", "NO_TF"]
    assert folder_state(model_dir) == before


def test_a_resume_without_config_reuses_the_recorded_recipe(trained, prepared_dataset, tmp_path):
    model_dir = copy_of(trained, tmp_path)
    said = []
    figures = trainer.train(data_dir=prepared_dataset, model_dir=model_dir, batch_size=1, steps=2, save_every=1,
                            eval_every=1, say=said.append)
    assert figures["step"] == 2 and [s for s, _ in checkpoints.list_checkpoints(model_dir)] == [1, 2]
    assert f"Resuming from the checkpoint of step 1 in {model_dir / 'checkpoints'}." in said
    assert not [m for m in said if "Warning" in m or "unreadable" in m], said
    assert json.loads((model_dir / "recipe.json").read_text()) == {"configs": ["tiny"], "gin_params": []}


def test_a_failed_start_leaves_an_existing_folder_exactly_as_it_was(trained, prepared_dataset, tmp_path):
    model_dir = copy_of(trained, tmp_path)
    before = folder_state(model_dir)
    with pytest.raises(UserError, match="does not build a model"):
        trainer.train(data_dir=prepared_dataset, model_dir=model_dir, batch_size=1, steps=3,
                      gin_params=[BAD_BUILD], say=lambda m: None)
    assert folder_state(model_dir) == before


def test_a_failed_run_removes_the_folders_it_created(prepared_dataset, tmp_path):
    new = tmp_path / "new" / "models" / "violin"
    with pytest.raises(UserError, match="does not build a model"):
        trainer.train(data_dir=prepared_dataset, model_dir=new, configs=["tiny"], batch_size=1, steps=3,
                      gin_params=[BAD_BUILD], say=lambda m: None)
    assert os.listdir(tmp_path) == []
    # A failure after the folder was written (every loss Inf: the loop gives up before a checkpoint).
    with pytest.raises(UserError, match="NaN/Inf"):
        trainer.train(data_dir=prepared_dataset, model_dir=new, configs=["tiny"], batch_size=1, steps=50,
                      save_every=100, eval_every=100, gin_params=["SpectralLoss.mag_weight = 1e400"],
                      say=lambda m: None)
    assert os.listdir(tmp_path) == []
    # An empty folder the user made is left (empty) as it was.
    (tmp_path / "mine").mkdir()
    with pytest.raises(UserError, match="does not build a model"):
        trainer.train(data_dir=prepared_dataset, model_dir=tmp_path / "mine", configs=["tiny"], batch_size=1,
                      steps=3, gin_params=[BAD_BUILD], say=lambda m: None)
    assert os.listdir(tmp_path) == ["mine"] and os.listdir(tmp_path / "mine") == []
