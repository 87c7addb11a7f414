"""--init, --minutes, --until-converged, the best checkpoint, samples and the run estimate, on real
short runs of the tiny recipe (one source model shared by the module)."""
import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf
from train_support import run_main

from ddsp_train import snapshots
from ddsp_train import base_models
from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints, trainer, warm_start

QUIET = dict(batch_size=2, seed=1)


def run(data, model_dir, messages=None, **kwargs):
    say = messages.append if messages is not None else (lambda m: None)
    return trainer.train(data_dir=data, model_dir=model_dir, say=say, **{**QUIET, **kwargs})


@pytest.fixture(scope="module")
def source(prepared_dataset, tmp_path_factory):
    """A tiny model trained 14 steps (evaluations every 7), and what it said."""
    model_dir = tmp_path_factory.mktemp("source") / "model"
    messages = []
    run(prepared_dataset, model_dir, messages, configs=["tiny"], steps=14, save_every=7, eval_every=7)
    return model_dir, messages


@pytest.fixture(scope="module")
def fresh_step0_loss(prepared_dataset, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("fresh") / "model"
    figures = run(prepared_dataset, model_dir, configs=["tiny"], steps=1, save_every=1, eval_every=1)
    return figures["history"][0]["loss"]


def optimizer_iterations(model_dir, step):
    reader = tf.train.load_checkpoint(str(checkpoints.checkpoint_dir(model_dir) / f"ckpt-{step:08d}" / "ckpt"))
    (name,) = [n for n in reader.get_variable_to_shape_map() if "optimizer" in n and "iteration" in n]
    return int(reader.get_tensor(name))


def test_init_from_a_model_dir_starts_from_its_weights_with_a_fresh_optimizer(source, fresh_step0_loss,
                                                                                prepared_dataset, tmp_path):
    source_dir, _ = source
    messages = []
    figures = run(prepared_dataset, tmp_path / "tuned", messages, init=str(source_dir), steps=2, save_every=2,
                  eval_every=2)  # no --config: the source's recipe
    step0 = figures["history"][0]
    assert step0["step"] == 0
    source_best = json.loads((source_dir / "eval.json").read_text())["best"]["loss"]
    assert step0["loss"] < 0.8 * fresh_step0_loss, (step0["loss"], fresh_step0_loss)
    assert abs(step0["loss"] - source_best) < 0.15 * source_best
    assert any("optimizer state starts fresh" in m for m in messages), messages
    assert optimizer_iterations(tmp_path / "tuned", 2) == 2  # not 14 + 2
    assert json.loads((tmp_path / "tuned" / "recipe.json").read_text())["configs"] == ["tiny"]


def test_init_refusals_are_one_line_before_tensorflow(source, prepared_dataset, tmp_path):
    source_dir, _ = source
    cases = {
        ("--init", source_dir, "--config", "vst"): "was trained with --config tiny, this run uses --config vst",
        ("--init", "base", "--config", "vst"): "no base model ships for --config vst",
        ("--init", tmp_path / "nothing"): "no such model folder",
        ("--init", source_dir, "--minutes", "0"): "--minutes must be a number of minutes > 0",
    }
    for extra, expected in cases.items():
        result = run_main("--data", prepared_dataset, "--model-dir", tmp_path / "new", *extra)
        lines = result.stderr.splitlines()
        assert result.returncode == 2 and lines[-1] == "NO_TF", result.stderr
        assert lines[0].startswith("Error: ") and expected in lines[0] and len(lines) == 2, result.stderr
    assert not (tmp_path / "new").exists()


def test_init_with_other_weight_shapes_is_one_error(source, prepared_dataset, tmp_path):
    source_dir, _ = source
    with pytest.raises(UserError, match=r"does not fit this recipe: weight .* is \(.*\) there, \(.*\) here"):
        run(prepared_dataset, tmp_path / "other", init=str(source_dir), configs=["tiny"],
            gin_params=["RnnFcDecoder.ch = 32"], steps=1)
    assert not (tmp_path / "other").exists()


def test_init_base_loads_a_packaged_base(source, fresh_step0_loss, prepared_dataset, tmp_path, monkeypatch):
    """A base written by base_models.write (float16) from the source model, found by recipe name."""
    source_dir, _ = source
    model, info = checkpoints.load_model(source_dir)
    where = tmp_path / "bases"
    base_models.write(where, name="tiny", weights=[w.numpy() for w in model.weights],
                      meta={"recipe": {"configs": ["tiny"], "gin_params": []}, "sample_rate": info.sample_rate,
                            "frame_rate": info.frame_rate})
    monkeypatch.setattr(base_models, "folder", lambda: where)
    assert base_models.available() == ["tiny"]
    figures = run(prepared_dataset, tmp_path / "tuned", init="base", configs=["tiny"], steps=1, save_every=1,
                  eval_every=1)
    assert figures["history"][0]["loss"] < 0.8 * fresh_step0_loss


def test_eval_json_has_the_paper_metrics_the_best_step_and_samples(source):
    source_dir, messages = source
    figures = json.loads((source_dir / "eval.json").read_text())
    for key in ("f0_l1_midi", "f0_outlier_ratio", "loudness_l1_db"):
        assert isinstance(figures[key], float) and figures[key] >= 0, key
    best = min((h for h in figures["history"] if h["step"] > 0), key=lambda h: h["loss"])
    assert figures["best"] == {"step": best["step"], "loss": best["loss"]}
    assert checkpoints.best_step(source_dir) == best["step"]
    assert figures["stopped"]["reason"] == "steps"
    tags = set()
    for path in (source_dir / "logs" / "eval").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(v.tag for v in event.summary.value)
    assert {"f0_l1_midi", "f0_outlier_ratio", "loudness_l1_db"} <= tags
    for step in (0, 7, 14):
        audio, sr = sf.read(source_dir / "samples" / f"step-{step}.wav")
        n = 2 * sr  # 2 s examples
        assert len(audio) == 2 * n + snapshots.gap_samples(sr)
        assert np.max(np.abs(audio[n:n + int(0.5 * sr)])) == 0  # the gap between reference and resynthesis
    assert any("14 steps ≈ " in m and "s/step on this machine" in m for m in messages), messages
    # Each evaluation refreshed MODEL_DIR/report.html: a recording/resynthesis pair of players per
    # snapshot (the page shows the latest six), and the latest evaluation's step.
    page = (source_dir / "report.html").read_text()
    assert page.count("<audio") >= 2 * 3 and "step 14" in page


def test_minutes_stops_within_the_budget_then_saves_and_evaluates(prepared_dataset, tmp_path):
    budget_minutes = 0.25
    figures = run(prepared_dataset, tmp_path / "m", configs=["tiny"], steps=100000, minutes=budget_minutes,
                  save_every=100000, eval_every=100000)
    assert figures["stopped"]["reason"] == "budget"
    assert 1 <= figures["step"] < 100000
    # The loop starts no step it expects to end past the budget; a step slower than the slowest
    # recent one (a shared machine) may overrun by its excess: a few seconds of slack.
    assert figures["stopped"]["loop_seconds"] <= 60 * budget_minutes + 5
    assert checkpoints.list_checkpoints(tmp_path / "m")[-1][0] == figures["step"]
    assert figures["history"][-1]["step"] == figures["step"]


def test_until_converged_stops_on_a_plateau(prepared_dataset, tmp_path):
    # threshold 0.99: anything short of a 99 % improvement over 2 steps is a plateau
    messages = []
    figures = run(prepared_dataset, tmp_path / "c", messages, configs=["tiny"], steps=1000, eval_every=2,
                  save_every=1000, until_converged=True, converge_window=2, converge_threshold=0.99)
    assert figures["stopped"]["reason"] == "converged" and figures["step"] == 2
    assert any(m.startswith("Converged at step 2") for m in messages), messages
    assert checkpoints.best_step(tmp_path / "c") == 2


def test_resolve_picks_the_best_checkpoint_of_a_model_dir(source, prepared_dataset, tmp_path):
    from ddsp_train.dataset_info import DatasetInfo

    source_dir, _ = source
    recipe = warm_start.source_recipe(str(source_dir))
    chosen = warm_start.resolve(str(source_dir), recipe=recipe, info=DatasetInfo.read(prepared_dataset),
                                model_dir=tmp_path / "x")
    assert chosen.checkpoint.name == f"ckpt-{checkpoints.best_step(source_dir):08d}"


def test_the_packaged_tiny_base_starts_well_below_a_fresh_model(fresh_step0_loss, prepared_dataset, tmp_path):
    base = base_models.find("tiny")
    assert base.weights_path.stat().st_size <= 8 * 2 ** 20
    assert base.meta["recipe"]["configs"] == ["tiny"] and base.meta["material"]["gm"]
    messages = []
    figures = run(prepared_dataset, tmp_path / "tuned", messages, init="base", configs=["tiny"], steps=1,
                  save_every=1, eval_every=1)
    # Measured: 4.63 against 8.38 (0.55x) for the first, short-trained tiny base (step 517).
    assert figures["history"][0]["loss"] < 0.7 * fresh_step0_loss, (figures["history"][0], fresh_step0_loss)
    assert any("the packaged tiny base" in m and "optimizer state starts fresh" in m for m in messages)
