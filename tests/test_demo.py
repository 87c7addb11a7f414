"""`make demo` at a tiny budget: the real CLIs one after the other, every output checked, then a
re-run that resumes the training instead of starting over."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import soundfile as sf

from export_support import assert_meets_plugin_contract

DEMO_ARGS = ("--minutes", "0.5", "--batch-size", "2", "--f0-method", "yin")


def run_demo(output: pathlib.Path, steps: int) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ddsp_train.demo", "--output", str(output), "--steps", str(steps),
                           *DEMO_ARGS], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def decode_png(path: pathlib.Path) -> np.ndarray:
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 100, (path, image.shape)
    assert float(image.std()) > 0.01, f"{path} is blank"
    return image


def test_demo_writes_every_output_and_resumes(tmp_path):
    output = tmp_path / "demo"
    first = run_demo(output, steps=2)
    for step in ("1/5", "2/5", "3/5", "4/5", "5/5"):
        assert step in first.stdout
    assert "$ ddsp-prepare" in first.stdout and "$ ddsp-transfer" in first.stdout  # the commands to type
    # ddsp-export got no --data: it found the dataset through the model folder and streamed its examples.
    assert f"eval examples of {(output / 'dataset').resolve()}" in first.stdout

    summary = json.loads((output / "summary.json").read_text())
    for key in ("dataset report", "loss curves", "resynthesis spectrogram"):
        decode_png(pathlib.Path(summary[key]))
    assert summary["training steps"] == 2
    for key in ("eval spectral loss (first)", "eval spectral loss (latest)", "resynthesis f0 error (c)",
                "export latency median (us)"):
        assert isinstance(summary[key], float) and np.isfinite(summary[key]) and summary[key] > 0, key

    assert_meets_plugin_contract(summary["plugin model"])

    melody, rate = sf.read(output / "melody.wav", dtype="float32")
    transferred, out_rate = sf.read(summary["transferred melody"], dtype="float32")
    assert out_rate == rate and len(transferred) == len(melody)
    rms_db = 10 * np.log10(np.mean(transferred ** 2))
    assert rms_db > -100 and summary["transfer rms (dBFS)"] == round(float(rms_db), 1)

    # The same command again with more steps: the dataset is reused and training resumes.
    second = run_demo(output, steps=3)
    assert "exists: reusing it" in second.stdout and "$ ddsp-prepare" not in second.stdout
    assert "Resuming from the checkpoint of step 2" in second.stderr
    evaluation = json.loads((output / "model" / "eval.json").read_text())
    assert evaluation["step"] == 3 and [h["step"] for h in evaluation["history"]] == [0, 2, 3]
