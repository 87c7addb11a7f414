"""The patch as a plugin model: the contract, the self-check, the follower in the state, the metadata."""

import numpy as np
import pytest

from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
from ddsp_train.exporting.metadata import read_metadata
from ddsp_train.exporting.plugin_tflite import PluginModel
from ddsp_train.match import controls as C
from ddsp_train.match import patch as P
from ddsp_train.match import plugin
from export_support import assert_meets_plugin_contract

RANGES = {"pitch_min_hz": 180.0, "pitch_max_hz": 250.0, "power_min_db": -45.0, "power_max_db": -15.0}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    rng = np.random.default_rng(3)
    patch = P.Patch.from_array(P.canonical_values(P.denormalise(rng.uniform(0, 1, len(P.PARAMS)))))
    patch = patch.replace(attack_ms=60, release_ms=300)
    meta = plugin.target_metadata(RANGES)
    content, model = plugin.plugin_bytes(patch, meta)
    path = tmp_path_factory.mktemp("plugin") / "p.tflite"
    path.write_bytes(content)
    return patch, content, model, meta, path


def test_passes_the_plugin_contract(exported):
    assert_meets_plugin_contract(exported[4])


def test_passes_the_export_self_check_on_a_phrase(exported):
    patch, content, model, meta, _ = exported
    frames = 200
    f0 = np.where(np.arange(frames) < 100, 196.0, 262.0)
    power = np.where((np.arange(frames) % 100) < 70, -20.0, -80.0)
    result = plugin.selfcheck(content, model, f0_hz=f0, power_db=power, metadata=meta)
    assert result.ok, result.failures
    assert max(result.max_abs_diff.values()) < 1e-4


def test_streamed_controls_equal_the_tensorflow_formula(exported):
    patch, content, _, _, _ = exported
    f0 = np.linspace(150, 400, 40)
    power = np.where(np.arange(40) < 25, -25.0, -70.0)
    streamed = PluginModel(content).run(scale_f0_hz(f0), scale_power_db(power))
    values = patch.array()[None]
    followed = C.follow_sequence(values, power[None].astype(np.float32))
    offline = C.controls(values, f0[None].astype(np.float32), followed)
    for key in ("amplitude", "harmonic_distribution", "noise_magnitudes"):
        np.testing.assert_allclose(streamed[key], offline[key].numpy()[0], atol=2e-4, rtol=2e-3)
    # the 300 ms release keeps the note sounding after the power drops
    assert streamed["amplitude"][27, 0] > 0.1 * streamed["amplitude"][24, 0]


def test_metadata_carries_the_target_ranges(exported):
    meta = read_metadata(exported[1])
    assert meta["mean_min_pitch_note_hz"] == 180.0 and meta["mean_max_power_note"] == -15.0
    assert meta["made_by"] == "ddsp-match" and meta["num_harmonics"] == 60
