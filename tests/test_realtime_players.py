"""The players of ddsp-transfer (realtime/players.py) on the shared tiny vst export: which player a
path gets, the plugin player's latency and reverb, muted silent frames, and the path checks."""
import pathlib
import shutil

import numpy as np
import pytest
import soundfile as sf

from ddsp_train import contract
from ddsp_train.errors import UserError
from ddsp_train.realtime import players
from ddsp_train.realtime.performance import Performance
from export_support import trained_vst_export


@pytest.fixture(scope="module")
def vst(tmp_path_factory, request):
    """The shared trained and exported tiny vst model (made once per run: tests/export_support.py)."""
    return trained_vst_export(tmp_path_factory, request)


def test_model_paths_are_checked_without_loading_anything(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        players.check_model_path(tmp_path / "gone.tflite")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(UserError, match="neither a .tflite file nor a SavedModel"):
        players.check_model_path(tmp_path / "model.onnx")
    (tmp_path / "folder").mkdir()
    with pytest.raises(UserError, match="not a SavedModel \\(no saved_model.pb\\)"):
        players.check_model_path(tmp_path / "folder")
    (tmp_path / "folder" / "saved_model.pb").write_bytes(b"")
    players.check_model_path(tmp_path / "folder")
    with pytest.raises(UserError, match="not a SavedModel written by ddsp-export"):
        players.load_player(tmp_path / "folder")


def performance(frames=100, silent_from=60):
    f0 = np.full(frames, 330.0, np.float32)
    power = np.where(np.arange(frames) < silent_from, -25.0, -80.0).astype(np.float32)
    return Performance(f0_hz=f0, power_db=power, confidence=np.ones(frames, np.float32), silent=power <= -80)


def test_the_plugin_player(vst, tmp_path):
    player = players.load_player(vst["tflite"])
    assert isinstance(player, players.TFLitePlayer) and player.kind == "tflite"
    assert (player.sample_rate, player.hop, player.frame_size) == (16000, 320, 1024)
    assert player.latency_samples == 1024 // 2 + 320  # the causal frame's centre, plus one block
    assert player.reverb_name == f"learned (tinyvst{contract.REVERB_SUFFIX})"
    ir, _ = sf.read(pathlib.Path(vst["tflite"]).with_name("tinyvst" + contract.REVERB_SUFFIX), dtype="float64")
    perf = performance()
    dry = player.render(perf, reverb=False)
    assert len(dry) == 100 * 320 and set(player.last_timing) == {"model", "synth"}
    assert np.abs(dry[: 50 * 320]).max() > 1e-3
    assert np.all(dry[61 * 320:] == 0)  # muted from the first silent frame's block on
    # The learned reverb (direct path included): 100 % wet, the dry output convolved with the file.
    wet = player.render(perf, reverb=True)
    np.testing.assert_allclose(wet, np.convolve(dry, ir)[: len(dry)], atol=1e-5)
    # Rendering again starts from a zero state: the same samples.
    np.testing.assert_array_equal(player.render(perf, reverb=False), dry)
    # Without its reverb file beside it, the player uses a room reverb.
    alone = tmp_path / "alone.tflite"
    shutil.copy(vst["tflite"], alone)
    assert players.load_player(alone).reverb_name == "room"
    # A .tflite that is not a control model is one clear error.
    with pytest.raises(UserError, match="is not a DDSP-VST control model"):
        players.load_player(pathlib.Path(vst["tflite"]).with_name("features.tflite"))


def test_the_saved_model_player(vst):
    player = players.load_player(vst["saved_model"])
    assert isinstance(player, players.SavedModelPlayer) and player.kind == "saved_model"
    assert player.latency_samples == 0 and player.sample_rate == 16000 and player.hop == 320
    perf = performance(frames=101, silent_from=61)
    dry = player.render(perf, reverb=False)
    assert len(dry) >= 100 * 320 and np.abs(dry[: 50 * 320]).max() > 1e-3
    assert np.all(dry[61 * 320:] == 0)  # the gate falls from 1 at frame 60 to 0 at frame 61 (centres k * hop)
    wet = player.render(perf, reverb=True)
    assert not np.allclose(wet[: 60 * 320], dry[: 60 * 320])  # the model's learned reverb
