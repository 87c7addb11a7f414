"""The export's self-check (exporting/selfcheck.py): the file streamed against the Keras model on
real eval examples, a failure when they disagree, and the result's bookkeeping."""
import json
import math
import pathlib

import pytest

from ddsp_train.errors import UserError
from ddsp_train.exporting.selfcheck import SelfCheckResult
from export_support import trained_vst_export


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    """The shared trained and exported tiny vst model (made once per run: tests/export_support.py)."""
    return trained_vst_export(tmp_path_factory, request)


def test_vst_export_streams_real_eval_examples_like_the_keras_model(vst):
    report = json.loads(pathlib.Path(vst["selfcheck_json"]).read_text())
    assert report["ok"], report["failures"]
    assert "eval examples" in report["examples"] and vst["dataset"] in report["examples"]
    assert report["frames_compared"] >= 101  # at least one 2 s example of the prepared dataset
    assert set(report["max_abs_diff"]) == {"amplitude", "harmonic_distribution", "noise_magnitudes"}
    assert max(report["max_abs_diff"].values()) <= 1e-4
    assert report["latency_us_median"] > 0 and report["latency_us_p99"] >= report["latency_us_median"]
    # What the command said: the check lines and the latency figures as notes, one result line.
    assert "streaming == offline for harmonic_distribution" in vst["log"]
    assert "latency per frame: median" in vst["log"] and "real-time factor" in vst["log"]
    assert len(vst["stdout"].splitlines()) == 1 and vst["stdout"].startswith("Exported step 3: ")


def test_selfcheck_fails_loudly_when_file_and_model_disagree(vst):
    from ddsp_train.errors import UserError
    from ddsp_train.exporting.exporter import eval_examples
    from ddsp_train.exporting.metadata import read_metadata
    from ddsp_train.exporting.selfcheck import selfcheck_plugin_model
    from ddsp_train.training.checkpoints import load_model

    content = pathlib.Path(vst["tflite"]).read_bytes()
    model, _ = load_model(vst["model_dir"], step=3)
    examples, source = eval_examples(pathlib.Path(vst["dataset"]), count=1)
    assert examples and "eval" in source
    meta = dict(read_metadata(content), mean_max_power_note=-1.0)
    dense = model.decoder.dense_out
    dense.kernel.assign(dense.kernel * 1.05)  # the Keras model no longer matches the file
    result = selfcheck_plugin_model(content, model=model, examples=examples, expected_metadata=meta, calls=10)
    failures = " | ".join(result.failures)
    assert "metadata equals what was written (differs: ['mean_max_power_note'])" in failures
    assert "streaming == offline for amplitude" in failures
    assert result.max_abs_diff["amplitude"] > 1e-4
    with pytest.raises(UserError, match="self-check of the exported model failed"):
        result.raise_if_failed()


def test_the_result_collects_checks_and_reports_them():
    result = SelfCheckResult(latency_us_median=200.0, latency_us_p99=400.0)
    assert result.check(True, "loads") and not result.check(False, "runs: NaN output") and result.check(1, "named")
    assert result.failures == ["runs: NaN output"] and not result.ok
    assert result.realtime_factor == pytest.approx(100.0)  # 20 ms of audio per 200 us call
    lines = result.lines()
    assert lines[:3] == ["ok    loads", "FAIL  runs: NaN output", "ok    named"]
    assert "median 200.0 us, p99 400.0 us" in lines[3] and lines[4].startswith("real-time factor of the control model: 100x")
    report = result.as_dict()
    assert report["ok"] is False and report["failures"] == ["runs: NaN output"]
    assert report["checks"][1] == {"ok": False, "check": "runs: NaN output"} and report["realtime_factor"] == 100.0
    assert json.loads(json.dumps(report, allow_nan=True))["latency_us_p99"] == 400.0
    with pytest.raises(UserError, match="self-check of the file failed: runs: NaN output"):
        result.raise_if_failed("the file")
    SelfCheckResult(checks=[(True, "fine")]).raise_if_failed()
    assert math.isnan(SelfCheckResult().latency_us_median)
