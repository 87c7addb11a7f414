"""MODEL_DIR without TensorFlow: checkpoint listing, eval.json, the recipe record, the grid check,
what a run creates and removes again on failure."""
import json

import pytest

from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import model_dir as model_dir_lib

INFO = DatasetInfo(sample_rate=16000, frame_rate=50, example_secs=2.0)


def fake_checkpoint(folder, step, complete=True):
    path = folder / "checkpoints" / f"ckpt-{step:08d}"
    path.mkdir(parents=True)
    if complete:
        (path / "ckpt.index").write_bytes(b"")


def test_checkpoints_listed_oldest_first_complete_only(tmp_path):
    assert model_dir_lib.list_checkpoints(tmp_path) == [] and model_dir_lib.latest_step(tmp_path) is None
    for step in (20, 3):
        fake_checkpoint(tmp_path, step)
    fake_checkpoint(tmp_path, 40, complete=False)
    (tmp_path / "checkpoints" / ".ckpt-00000050.tmp").mkdir()
    assert [s for s, _ in model_dir_lib.list_checkpoints(tmp_path)] == [3, 20]
    assert model_dir_lib.latest_step(tmp_path) == 20


def test_prepare_writes_the_description_and_the_recipe(tmp_path):
    target = tmp_path / "a" / "model"
    recipe = model_dir_lib.Recipe(configs=("tiny",), gin_params=("RnnFcDecoder.ch = 32",))
    model_dir_lib.prepare(target, info=INFO, data_dir=tmp_path / "data", recipe=recipe)
    assert DatasetInfo.read(target) == INFO.replace(data_dir=str((tmp_path / "data").resolve()))
    assert model_dir_lib.read_recipe(target) == recipe
    assert recipe.flags() == "--config tiny --gin-param 'RnnFcDecoder.ch = 32'"


def test_resuming_on_another_grid_is_refused(tmp_path):
    INFO.write(tmp_path)
    model_dir_lib.check_same_grid(tmp_path, INFO.replace(example_secs=4.0), data_dir="d")  # no checkpoint yet
    fake_checkpoint(tmp_path, 1)
    model_dir_lib.check_same_grid(tmp_path, INFO.replace(f0_method="pyin"), data_dir="d")
    with pytest.raises(UserError, match="trained on example_secs = 2.0, but d has example_secs = 4.0"):
        model_dir_lib.check_same_grid(tmp_path, INFO.replace(example_secs=4.0), data_dir="d")


def test_eval_json_read_back_or_none(tmp_path):
    assert model_dir_lib.read_eval(tmp_path) is None
    (tmp_path / "eval.json").write_text("{broken")
    assert model_dir_lib.read_eval(tmp_path) is None
    (tmp_path / "eval.json").write_text(json.dumps({"step": 3, "loss": 1.5}))
    assert model_dir_lib.read_eval(tmp_path) == {"step": 3, "loss": 1.5}


def test_cleanup_removes_only_what_the_run_created_and_only_without_checkpoints(tmp_path):
    target = tmp_path / "new" / "model"
    created = model_dir_lib.first_missing(target)
    assert created == tmp_path / "new" and model_dir_lib.first_missing(tmp_path) is None
    with pytest.raises(KeyboardInterrupt), model_dir_lib.cleanup_on_failure(created, target):
        target.mkdir(parents=True)
        raise KeyboardInterrupt
    assert not created.exists()
    with pytest.raises(RuntimeError), model_dir_lib.cleanup_on_failure(created, target):
        target.mkdir(parents=True)
        fake_checkpoint(target, 5)
        raise RuntimeError("after a checkpoint")
    assert model_dir_lib.list_checkpoints(target)  # kept: it holds a resumable checkpoint
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(ValueError), model_dir_lib.cleanup_on_failure(None, existing):
        (existing / "eval.json").write_text("{}")
        raise ValueError
    assert (existing / "eval.json").exists()
