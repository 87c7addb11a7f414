"""The plugin model's level (ddsp_train.exporting.calibration): its dry output matches the full model,
reverb included, and the learned reverb is written as NAME.reverb.wav."""
import pathlib
import shutil

import numpy as np
import pytest
import soundfile as sf

from ddsp_train.exporting import calibration
from export_support import trained_vst_export

SR, HOP = 16000, 320


def test_gain_is_the_median_frame_power_difference_over_the_notes():
    t = np.arange(2 * SR) / SR
    dry = 0.1 * np.sin(2 * np.pi * 220 * t)
    dry[: SR // 2] = 0.0  # silence before the note is not measured
    full = 2.0 * dry
    assert calibration.gain_db([full], [dry], sample_rate=SR, hop=HOP) == pytest.approx(20 * np.log10(2), abs=0.01)
    assert calibration.gain_db([dry], [dry], sample_rate=SR, hop=HOP) == pytest.approx(0.0, abs=1e-6)
    assert calibration.gain_db([dry * 1e4], [dry], sample_rate=SR, hop=HOP) == calibration.GAIN_LIMIT_DB


@pytest.fixture(scope="module")
def reverberant(tmp_path_factory, request):
    """The trained vst fixture with a loud learned reverb (energy 3: the full model is ~6 dB above its
    dry synths), saved as checkpoint 4 of a copy of its model folder, and exported with --format tflite."""
    from ddsp_train.exporting.exporter import export_model
    from ddsp_train.training.checkpoints import CheckpointManager, load_model

    vst = trained_vst_export(tmp_path_factory, request)
    root = tmp_path_factory.mktemp("reverberant")
    model_dir = root / "model"
    shutil.copytree(vst["model_dir"], model_dir, ignore=shutil.ignore_patterns("export"))
    model, _ = load_model(model_dir)
    reverb = next(p for p in model.processor_group.processors if type(p).__name__ == "Reverb")
    n = int(reverb.ir.shape[0])
    rng = np.random.default_rng(0)
    ir = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.15 * SR))
    ir[0] = 0.0
    reverb.ir.assign((ir * np.sqrt(3.0 / np.sum(ir ** 2))).astype(np.float32))
    CheckpointManager(model_dir, model=model).save(4)
    result = export_model(model_dir, output_dir=root / "export", name="wet", formats=["tflite"], checkpoint=4,
                          data_dir=vst["dataset"], say=lambda line: None)  # the step with the loud reverb
    # (not eval.json's best-eval step, which ddsp-export would take by default)
    model, _ = load_model(model_dir)
    return {"result": result, "model": model, "dataset": vst["dataset"], "ir": reverb.ir.numpy(), "model_dir": model_dir}


def play_dry(tflite: pathlib.Path, example) -> np.ndarray:
    """The .tflite played as the plugin plays it: frame by frame, then the plugin-like numpy synth."""
    from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
    from ddsp_train.exporting.plugin_tflite import PluginModel
    from ddsp_train.realtime.synth import PluginSynth

    f0 = np.asarray(example["f0_hz"], np.float32)
    controls = PluginModel(tflite).run(scale_f0_hz(f0), scale_power_db(np.asarray(example["power_db"], np.float32)))
    return PluginSynth(sample_rate=SR, hop=HOP).render(f0, controls["amplitude"], controls["harmonic_distribution"],
                                                       controls["noise_magnitudes"])


def test_the_tflite_played_dry_matches_the_full_model_within_1_5_db(reverberant):
    from ddsp_train.exporting.exporter import eval_examples

    result, model = reverberant["result"], reverberant["model"]
    assert result.step == 4 and result.selfcheck.ok
    assert result.gain_db > 3.0  # the reverb carries energy: the uncalibrated dry output would be quiet
    examples, source = eval_examples(pathlib.Path(reverberant["dataset"]))
    assert "eval" in source
    full = [calibration.render(model, ex, output="audio_synth") for ex in examples]
    played = [play_dry(result.tflite, ex) for ex in examples]
    p_full = np.concatenate([calibration.frame_power(a, sample_rate=SR, hop=HOP) for a in full])
    p_played = np.concatenate([calibration.frame_power(a[: len(f)], sample_rate=SR, hop=HOP)
                               for a, f in zip(played, full)])
    level = calibration.median_level_db
    difference = level(p_played, reference_db=p_full) - level(p_full, reference_db=p_full)
    assert abs(difference) <= 1.5, difference
    uncalibrated = difference - result.gain_db  # what the file played without the gain
    assert uncalibrated < -1.5
    report = result.selfcheck_json.read_text()
    assert f'"gain_db": {result.gain_db}' in report


def test_the_learned_reverb_is_written_beside_the_model(reverberant):
    result = reverberant["result"]
    assert result.reverb_wav == result.tflite.with_name("wet.reverb.wav")
    response, rate = sf.read(result.reverb_wav, dtype="float32", always_2d=True)
    info = sf.info(result.reverb_wav)
    assert rate == SR and response.shape[1] == 1 and info.subtype == "FLOAT"
    gain = 10 ** (result.gain_db / 20)
    np.testing.assert_allclose(response[0, 0], 1.0 / gain, rtol=1e-6)  # the direct path
    np.testing.assert_allclose(response[1:, 0], reverberant["ir"][1:] / gain, rtol=1e-5, atol=1e-9)


def test_export_takes_the_best_eval_checkpoint_by_default(reverberant, tmp_path):
    """The folder's newest checkpoint (4, saved by the fixture) is not its best-eval one (eval.json)."""
    from ddsp_train.exporting.exporter import export_model
    from ddsp_train.training.checkpoints import best_step

    model_dir = reverberant["model_dir"]
    best = best_step(model_dir)
    assert best is not None and best != 4
    lines = []
    result = export_model(model_dir, output_dir=tmp_path / "export", name="best", formats=["saved_model"],
                          say=lines.append)
    assert result.step == best
    assert f"Exporting the best-eval checkpoint, step {best} (--checkpoint N for another)." in lines
