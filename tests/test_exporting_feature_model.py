"""The plugin-side feature extractor (exporting/feature_model.py): the export's features.tflite,
checked against the pitch network, and its values on frames with a known pitch and power."""
import json
import pathlib

import numpy as np
import pytest

from ddsp_train.exporting.feature_model import FeatureCheck, FeatureModel
from export_support import trained_vst_export


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    """The shared trained and exported tiny vst model (made once per run: tests/export_support.py)."""
    return trained_vst_export(tmp_path_factory, request)


def test_export_writes_the_feature_extractor_checked_against_the_pitch_network(vst):
    from ddsp_train.exporting.feature_model import OUTPUT_NAMES, OUTPUT_ORDER, FeatureModel

    path = pathlib.Path(vst["tflite"]).with_name("features.tflite")
    model = FeatureModel(path)  # builtin ops only, the plugin's feature-extractor interface
    assert [d["name"] for d in model.interpreter.get_output_details()] == [OUTPUT_NAMES[n] for n in OUTPUT_ORDER]
    assert model(np.zeros(1024))["pw_db"] == pytest.approx(-80.0)
    assert "PASS features:" in vst["log"] and str(path) in vst["stdout"]
    check = json.loads(pathlib.Path(vst["selfcheck_json"]).read_text())["features"]
    assert check["ok"] and check["frames"] >= 100 and check["max_cents"] <= 1.0 and check["max_power_db"] <= 1e-3
    assert check["latency_us_median"] > 0
    # Only the control model goes into the plugin's folder (it would list any .tflite as a model).
    assert sorted(p.name for p in pathlib.Path(vst["plugin_dir"]).iterdir()) == ["tinyvst.tflite"]


def test_the_features_of_a_sine_frame(vst):
    model = FeatureModel(pathlib.Path(vst["tflite"]).with_name("features.tflite"))
    t = np.arange(1024) / 16000
    for freq, amp in ((220.0, 0.5), (440.0, 0.1), (1000.0, 0.9)):
        out = model(amp * np.sin(2 * np.pi * freq * t))
        # The plugin's power of the causal frame: 10 log10(mean(x^2)) = 20 log10(A) - 3.01 dB.
        assert out["pw_db"] == pytest.approx(20 * np.log10(amp) - 3.0103, abs=0.05)
        assert out["pw_scaled"] == pytest.approx(out["pw_db"] / 80 + 1, abs=1e-5)
        assert abs(1200 * np.log2(out["f0_hz"] / freq)) < 50, (freq, out["f0_hz"])
        assert out["f0_scaled"] == pytest.approx((12 * np.log2(out["f0_hz"] / 440) + 69) / 127, abs=1e-4)
    with pytest.raises(ValueError, match="not a feature model"):
        FeatureModel(vst["tflite"])  # the control model's inputs


def test_the_check_passes_within_its_tolerances_only():
    line = FeatureCheck(frames=200, max_cents=0.5, max_power_db=1e-4, latency_us_median=90, latency_us_p99=120)
    assert line.ok and line.line().startswith("PASS features: 200 causal frames")
    assert not FeatureCheck(frames=200, max_cents=1.5, max_power_db=0, latency_us_median=1, latency_us_p99=1).ok
    assert not FeatureCheck(frames=200, max_cents=0, max_power_db=0.01, latency_us_median=1, latency_us_p99=1).ok
