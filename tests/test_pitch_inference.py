"""pitch/inference.py: the packaged .tflite is the packaged weights' network, and tracking with it
needs no TensorFlow."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ddsp_train.pitch import get_tracker, network
from ddsp_train.synthetic import demo_phrase


def cents(a, b):
    return 1200 * np.log2(np.asarray(a, np.float64) / np.asarray(b, np.float64))


@pytest.fixture(scope="module")
def tracker():
    return get_tracker("network")


def test_tflite_inference_equals_the_keras_model(tracker):
    """The packaged pitch_network.tflite is the packaged weights' model (rebuild it with
    scripts/build_pitch_tflite.py when this fails after retraining)."""
    r = demo_phrase(seconds=4.0, seed=9, timbre="reed")
    frames = network.frame_audio(r.audio, np.arange(0, len(r.audio), 320))
    assert len(frames) > network.TFLITE_BATCH  # a full batch and a padded one
    keras_tracker = network.NetworkTracker(use_tflite=False)
    fast, reference = tracker.activations(frames), keras_tracker.activations(frames)
    assert fast.shape == reference.shape == (len(frames), network.N_BINS)
    assert float(np.abs(fast - reference).max()) < 1e-4
    f0, conf = tracker.decode(fast)
    f0_ref, conf_ref = keras_tracker.decode(reference)
    voiced = conf_ref > 0.5
    assert voiced.sum() > 100 and float(np.abs(cents(f0[voiced], f0_ref[voiced])).max()) < 0.1


def test_tracking_with_the_packaged_model_needs_no_tensorflow():
    code = ("import sys, numpy as np\n"
            "from ddsp_train.pitch import network\n"
            "a = (0.3 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000)).astype(np.float32)\n"
            "f0, c = network.NetworkTracker().track(a, sample_rate=16000, frame_rate=50)\n"
            "assert abs(12 * np.log2(np.median(f0) / 220)) < 0.3 and np.median(c) > 0.5, (np.median(f0), np.median(c))\n"
            "assert 'tensorflow' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_packaged_files_are_real_paths_beside_the_module():
    """Read without importlib.resources (start-up); the paths are Paths, as as_file gives them."""
    with network.packaged_weights_path() as weights, network.packaged_tflite_path() as flatbuffer:
        assert isinstance(weights, pathlib.Path) and weights.is_file() and weights.name == network.WEIGHTS_FILE
        assert isinstance(flatbuffer, pathlib.Path) and flatbuffer.is_file() and flatbuffer.name == network.TFLITE_FILE
        assert weights.parent == pathlib.Path(network.__file__).resolve().parent / "weights"
