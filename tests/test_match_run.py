"""``ddsp-match`` as a library function (match/run.py): the demo note of a re-exported patch, and
the refusals that come before any audio is read or TensorFlow imported. (Whole matches:
tests/test_match_cli.py.)"""
import os
import subprocess
import sys

import numpy as np
import pytest

from ddsp_train.errors import UserError
from ddsp_train.match import run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_demo_note_spans_the_power_range_at_the_median_pitch():
    ranges = {"pitch_min_hz": 200.0, "pitch_max_hz": 800.0, "power_min_db": -50.0, "power_max_db": -20.0}
    f0, power = run.demo_performance(ranges, seconds=2.0)
    assert f0.shape == power.shape == (101,) and f0.dtype == power.dtype == np.float32
    np.testing.assert_allclose(f0, 400.0)  # no median given: the geometric mean of the range
    f0, _ = run.demo_performance({**ranges, "pitch_median_hz": 330.0})
    np.testing.assert_allclose(f0, 330.0)
    t = np.arange(101) / 50
    assert power[0] == -80.0 and power[2] == pytest.approx(-80 + 60 * 0.04 / 0.05, abs=1e-4)  # the 50 ms rise
    assert power[3] == pytest.approx(-20.0 + (-30.0) * t[3] / 2.0, abs=1e-4)  # then down across the range
    assert np.all(power[t > 1.7] == -80.0) and power[85] == pytest.approx(-20 - 30 * 1.7 / 2, abs=1e-4)


def test_a_run_without_target_or_patch_and_negative_steps_are_refused(tmp_path):
    with pytest.raises(UserError, match="give a TARGET") as caught:
        run.match_file(None, output=tmp_path)
    assert caught.value.exit_code == 2
    with pytest.raises(UserError, match="--steps -1 must be >= 0"):
        run.match_file(str(tmp_path / "x.wav"), output=tmp_path, steps=-1)
    assert list(tmp_path.iterdir()) == []


def test_existing_outputs_and_a_missing_target_are_refused_without_tensorflow(tmp_path):
    (tmp_path / "note.wav").write_bytes(b"")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "note.tflite").write_bytes(b"mine")
    code = (
        "import sys\n"
        "from ddsp_train.errors import UserError\n"
        "from ddsp_train.match import run\n"
        f"args = dict(output={str(tmp_path / 'out')!r}, say=lambda line: None, progress=False)\n"
        "for target in (sys.argv[1], sys.argv[2]):\n"
        "    try:\n"
        "        run.match_file(target, **args)\n"
        "    except UserError as e:\n"
        "        print(e.message)\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "note.wav"), str(tmp_path / "gone.wav")],
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=REPO), timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert "note.tflite" in first and "--overwrite" in first  # the name is taken from the target's stem
    assert "gone.wav" in second
    assert (tmp_path / "out" / "note.tflite").read_bytes() == b"mine"
