"""ddsp-export on real trained models: the plugin contract, metadata, refusal, atomicity, re-export.
The parts of one module each have their own file on the same shared export: the self-check
(test_exporting_selfcheck.py), the feature extractor (test_exporting_feature_model.py), the
preview (test_realtime_preview.py)."""
import io
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

from export_support import (assert_meets_plugin_contract, export_main_without_tensorflow, run_in_process,
                            trained_vst_export)


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    return trained_vst_export(tmp_path_factory, request)


def test_vst_export_meets_the_plugin_contract(vst):
    assert_meets_plugin_contract(vst["tflite"])


def test_install_copies_the_same_file_into_the_plugin_folder(vst):
    installed = pathlib.Path(vst["plugin_dir"]) / "tinyvst.tflite"
    assert installed.read_bytes() == pathlib.Path(vst["tflite"]).read_bytes()
    assert str(installed) in vst["stdout"]


def test_metadata_equals_the_dataset_statistics(vst):
    content = pathlib.Path(vst["tflite"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        meta = json.loads(z.read("metadata.json"))
    info = json.loads((pathlib.Path(vst["dataset"]) / "dataset.json").read_text())
    stats = info["statistics"]
    for key in ("mean_min_pitch_note_hz", "mean_max_pitch_note_hz", "mean_min_pitch_note", "mean_max_pitch_note",
                "mean_min_power_note", "mean_max_power_note"):
        assert meta[key] == pytest.approx(float(stats[key]), abs=1e-9), key
    assert meta["sample_rate"] == info["sample_rate"] == 16000
    assert meta["frame_rate"] == info["frame_rate"] == 50
    assert (meta["frame_size"], meta["num_harmonics"], meta["num_noise_amps"]) == (1024, 60, 65)
    assert isinstance(meta["version"], str) and isinstance(meta["export_time"], str)
    # The flatbuffer part is untouched by the zip: the TFLite identifier sits at bytes 4..8.
    assert content[4:8] == b"TFL3"


def test_saved_model_renders_audio_with_and_without_reverb(vst):
    import tensorflow as tf

    info = json.loads((pathlib.Path(vst["saved_model"]) / "ddsp_train.json").read_text())
    assert info["inputs"] == ["f0_hz", "power_db"] and info["sample_rate"] == 16000
    loaded = tf.saved_model.load(vst["saved_model"])
    n = info["n_frames"]
    f0 = tf.constant(np.full([1, n], 220.0, np.float32))
    pw = tf.constant(np.full([1, n], -20.0, np.float32))
    wet = loaded.signatures["serving_default"](f0_hz=f0, power_db=pw)["audio"].numpy()[0]
    dry = loaded.signatures["dry"](f0_hz=f0, power_db=pw)["audio"].numpy()[0]
    assert wet.shape == dry.shape == (info["n_samples"],)
    assert np.isfinite(wet).all() and np.sqrt(np.mean(dry ** 2)) > 1e-5  # not silent (a few-step model is quiet)
    assert not np.allclose(wet, dry)  # the learned reverb is in the default signature only


def test_solo_instrument_refuses_the_tflite_and_writes_the_saved_model(prepared_dataset, tmp_path):
    from ddsp_train.export import command
    from ddsp_train.training.trainer import train

    model_dir, out = tmp_path / "solo", tmp_path / "export"
    # The solo_instrument recipe with narrower layers (faster); what the plugin objects to is unchanged.
    small = ["RnnFcDecoder.ch=16", "RnnFcDecoder.layers_per_stack=1", "MfccRnnEncoder.rnn_channels=16",
             "Reverb.reverb_length=1000"]
    train(data_dir=prepared_dataset, model_dir=model_dir, configs=["solo_instrument"], gin_params=small,
          steps=1, batch_size=1, save_every=1, eval_every=1000)
    code, stdout, stderr = run_in_process(command, str(model_dir), "--output", str(out), "--name", "solo")
    assert code == 2, stdout + stderr
    assert "\nError: solo.tflite not written" in stderr and "Traceback" not in stderr
    for reason in ("MfccRnnEncoder encoder", "loudness input (ld_scaled)", "100 harmonics"):
        assert reason in stderr, (reason, stderr)
    assert not (out / "solo.tflite").exists() and not list(out.glob("*.tflite*"))
    info = json.loads((out / "solo.saved_model" / "ddsp_train.json").read_text())
    assert info["inputs"] == ["f0_hz", "loudness_db", "audio"]
    assert (out / "solo.saved_model" / "saved_model.pb").exists()


def test_quantized_export_has_int8_weights_and_passes_the_checker(vst, tmp_path):
    from ddsp_train.export import command

    code, stdout, stderr = run_in_process(command, vst["model_dir"], "--output", str(tmp_path), "--name", "q",
                                          "--quantize", "--format", "tflite", "--data", vst["dataset"])
    assert code == 0, stdout + stderr
    quantized, full = tmp_path / "q.tflite", pathlib.Path(vst["tflite"])
    assert quantized.stat().st_size < 0.35 * full.stat().st_size  # int8 instead of float32 weights
    report = json.loads((tmp_path / "q.selfcheck.json").read_text())
    assert report["ok"] and report["tolerance_is_share_of_peak"] and "int8 weights" in stderr
    assert 0 < max(report["max_abs_diff"].values())  # close to the float model, not equal
    assert_meets_plugin_contract(quantized)


def test_a_mixed_precision_model_exports_in_float32(prepared_dataset, tmp_path):
    from ddsp_train.exporting.exporter import export_model
    from ddsp_train.training.checkpoints import load_model
    from ddsp_train.training.trainer import train

    model_dir = tmp_path / "mixed"
    train(data_dir=prepared_dataset, model_dir=model_dir, configs=["tiny"], steps=1, batch_size=1, save_every=1,
          eval_every=1000, mixed_precision=True, seed=0)
    assert "mixed_bfloat16" in (model_dir / "operative_config.gin").read_text()  # trained in bfloat16 (CPU)
    model, _ = load_model(model_dir)
    assert model.decoder.compute_dtype == "float32"
    result = export_model(model_dir, output_dir=tmp_path / "export", data_dir=prepared_dataset,
                          formats=["tflite"], say=lambda line: None)
    assert result.selfcheck.ok and max(result.selfcheck.max_abs_diff.values()) <= 1e-4
    assert_meets_plugin_contract(result.tflite)


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path):
    from ddsp_train.atomic import write_bytes_atomic

    target = tmp_path / "model.tflite"
    write_bytes_atomic(target, b"old model")
    with pytest.raises(TypeError):
        write_bytes_atomic(target, 12345)  # not bytes: fails inside the write
    assert target.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_export_errors_are_one_clear_line(tmp_path):
    from ddsp_train.export import command

    code, _, stderr = run_in_process(command, str(tmp_path / "missing"))
    assert code == 1 and stderr.startswith("Error: model folder") and "does not exist" in stderr
    code, _, stderr = run_in_process(command, str(tmp_path), "--format", "onnx")
    assert code == 1 and stderr.startswith("Error: --format got onnx; allowed")
    code, _, stderr = run_in_process(command, str(tmp_path), "--format", "saved_model", "--install")
    assert code == 1 and "--install copies the .tflite" in stderr


def test_atomic_writes_give_the_usual_permissions(tmp_path):
    from ddsp_train.atomic import atomic_directory, write_bytes_atomic

    mask = os.umask(0o022)
    try:
        path = write_bytes_atomic(tmp_path / "a.tflite", b"x")
        with atomic_directory(tmp_path / "m.saved_model") as folder:
            (folder / "f").write_bytes(b"y")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.saved_model").stat().st_mode & 0o777 == 0o755


def test_export_of_a_missing_checkpoint_names_the_available_steps(vst, tmp_path):
    from ddsp_train.export import command

    code, _, stderr = run_in_process(command, vst["model_dir"], "--checkpoint", "7", "--output", str(tmp_path))
    assert code == 1 and stderr.startswith("Error: no checkpoint of step 7") and "3" in stderr
    assert not list(tmp_path.iterdir())


def test_reexport_removes_only_its_own_stale_files(vst, tmp_path):
    import shutil

    from ddsp_train.export import command

    out = tmp_path / "export"
    shutil.copytree(pathlib.Path(vst["tflite"]).parent, out, symlinks=True)
    assert json.loads((out / "export.json").read_text())["files"] == sorted(
        ["features.tflite", "tinyvst.preview.wav", "tinyvst.reverb.wav", "tinyvst.saved_model",
         "tinyvst.selfcheck.json", "tinyvst.tflite"])
    (out / "my_notes.txt").write_text("mine")
    code, stdout, stderr = run_in_process(command, vst["model_dir"], "--output", str(out), "--name", "other",
                                          "--format", "tflite", "--data", vst["dataset"])
    assert code == 0, stdout + stderr
    assert sorted(p.name for p in out.iterdir()) == ["export.json", "my_notes.txt", "other.preview.wav",
                                                     "other.reverb.wav", "other.selfcheck.json", "other.tflite"]
    assert "removed stale files of an earlier export: features.tflite, tinyvst.preview.wav, tinyvst.reverb.wav, " \
           "tinyvst.saved_model, tinyvst.selfcheck.json, tinyvst.tflite" in stdout
    assert "left alone (not written by ddsp-export): my_notes.txt" in stdout
    # Each export refreshes MODEL_DIR/report.html: this one's self-check and its preview melody.
    page = (pathlib.Path(vst["model_dir"]) / "report.html").read_text()
    assert "The exported plugin model: other.tflite" in page and "Every self-check passed" in page
    assert "Ode to Joy" in page and "time per 20 ms frame" in page and "data:audio/wav;base64," in page


def test_help_has_copy_paste_examples_and_the_version():
    from ddsp_train import __version__
    from ddsp_train.export import EXAMPLES, command

    code, stdout, _ = run_in_process(command, "--help")
    assert code == 0 and all(f"\n    {example}\n" in stdout for example in EXAMPLES)
    assert "--overwrite" in stdout and "--check FILE.tflite" in stdout
    assert export_main_without_tensorflow("--version").stdout == f"ddsp-export {__version__}\n"
