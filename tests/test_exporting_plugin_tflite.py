"""The plugin control model as the plugin drives it (exporting/plugin_tflite.py): one frame per
call with the state fed back, on the export's .tflite."""
import numpy as np
import pytest

from ddsp_train import contract
from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
from ddsp_train.exporting.plugin_tflite import PluginModel
from export_support import trained_vst_export


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    """The shared trained and exported tiny vst model (made once per run: tests/export_support.py)."""
    return trained_vst_export(tmp_path_factory, request)


def test_stepping_keeps_the_state_and_run_starts_from_zero(vst):
    model = PluginModel(vst["tflite"])
    assert model.state.shape[-1] == contract.STATE_SIZE and not model.state.any()
    f0 = scale_f0_hz(np.where(np.arange(40) < 20, 220.0, 1500.0)).astype(np.float32)
    pw = scale_power_db(np.linspace(-60, -10, 40)).astype(np.float32)
    stepped = [model.step(f, p) for f, p in zip(f0, pw)]
    assert model.state.any()  # the recurrent state moved on
    whole = model.run(f0, pw)
    assert set(whole) == {"amplitude", "harmonic_distribution", "noise_magnitudes"}
    for name, size in (("amplitude", 1), ("harmonic_distribution", contract.HARMONICS),
                       ("noise_magnitudes", contract.NOISE_BANDS)):
        assert whole[name].shape == (40, size)
        np.testing.assert_array_equal(np.stack([s[name] for s in stepped]), whole[name])
    # The same input after a reset gives the first frame again; without one it does not.
    model.reset()
    first = model.step(f0[0], pw[0])["amplitude"]
    np.testing.assert_array_equal(first, whole["amplitude"][0])
    assert not np.array_equal(model.step(f0[0], pw[0])["harmonic_distribution"], whole["harmonic_distribution"][0])


def test_the_controls_keep_the_contract(vst):
    controls = PluginModel(vst["tflite"]).run(scale_f0_hz(np.full(30, 1500.0)), scale_power_db(np.full(30, -20.0)))
    dist = controls["harmonic_distribution"]
    assert (controls["amplitude"] >= 0).all() and (controls["noise_magnitudes"] >= 0).all() and (dist >= 0).all()
    np.testing.assert_allclose(dist.sum(-1), 1.0, atol=1e-4)
    # 1500 Hz: harmonics 6 (9000 Hz) and up are at or above Nyquist (8 kHz): silent; harmonic 5 is not.
    assert dist[:, 5:].max() == 0.0 and dist[:, 4].min() > 0


def test_a_file_without_the_plugin_tensors_is_refused(vst):
    import pathlib

    with pytest.raises(ValueError, match="not a plugin control model: tensors"):
        PluginModel(pathlib.Path(vst["tflite"]).with_name("features.tflite"))
