"""MODEL_DIR/report.html of a real tiny run (trained and exported by tests/export_support.py)."""
import json

import pytest

from ddsp_train.reports import model_page

import reports_support


@pytest.fixture(scope="module")
def model_report(tmp_path_factory, request):
    return reports_support.model_page_of_run(tmp_path_factory, request)


def test_the_page_of_a_trained_and_exported_model(model_report):
    text = model_report.read_text()
    model_dir = model_report.parent / "model"
    history = json.loads((model_dir / "eval.json").read_text())["history"]
    steps = [h["step"] for h in history]
    assert steps[0] == 0
    snapshots = model_page.read_snapshots(model_dir)
    assert [s[0] for s in snapshots] == steps  # one listening snapshot per evaluation
    for step in steps:
        assert f"<h3>Step {step}</h3>" in text and f"model at step {step}" in text
    # two players per evaluation, and the preview of the exported model
    assert text.count("<audio controls") == 2 * len(steps) + 1
    assert "Ode to Joy" in text and "tinyvst.tflite" in text
    latest = history[-1]
    assert f"{100 * latest['f0_within_50_cents']:.0f} %" in text and f"{latest['power_error_db']:.1f} dB off" in text
    selfcheck = json.loads((model_dir / "export" / "tinyvst.selfcheck.json").read_text())
    assert selfcheck["ok"] and f"{len(selfcheck['checks'])} of {len(selfcheck['checks'])} checks passed" in text
    assert f"{selfcheck['latency_us_median']:.0f} \u00b5s typical" in text
    assert "tone-shaping box will show this model&#x27;s range as" in text
    for word in ("power_db", "f0_within", "MIDI"):
        assert word not in text


def test_the_headline_thresholds():
    assert model_page.judge({"step": 9, "f0_within_50_cents": 0.97, "power_error_db": 2.0})[0] == "good"
    assert model_page.judge({"f0_within_50_cents": 0.85, "power_error_db": 5.0})[0] == "usable"
    assert model_page.judge({"f0_within_50_cents": 0.97, "power_error_db": 7.0})[0] == "fix"
    assert model_page.judge({})[0] == "usable"


def test_an_empty_model_folder_renders(tmp_path):
    text = model_page.render_model_report(tmp_path)
    assert "No listening snapshots yet" in text and "No figures yet" in text
