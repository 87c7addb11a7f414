"""Build the pitch network's packaged inference model from its packaged weights.

    python scripts/build_pitch_tflite.py

Writes ``ddsp_train/pitch/weights/pitch_network.tflite``: ``frames [128, 1024] -> activations``
as builtin-ops TFLite, so that tracking (ddsp-prepare's workers, ddsp-transfer) needs no
TensorFlow and no conversion at run time. Run it after ``scripts/train_pitch_model.py`` changes the
weights; ``tests/test_pitch_network.py`` fails while the two disagree.
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ddsp_train.atomic import write_bytes_atomic  # noqa: E402
from ddsp_train.pitch import network  # noqa: E402


def main() -> None:
    target = ROOT / "ddsp_train" / "pitch" / "weights" / network.TFLITE_FILE
    with network.packaged_weights_path() as weights:
        content = network.build_tflite(weights)
    write_bytes_atomic(target, content)
    print(f"wrote {target} ({len(content) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
