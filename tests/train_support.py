"""Helpers shared by the training tests."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def run_main(*args):
    """ddsp-train's main in a child with ``args``; its stderr ends with TF or NO_TF (whether
    TensorFlow was imported)."""
    child = ("import sys; sys.argv = ['ddsp-train'] + sys.argv[1:]\nfrom ddsp_train import train\n"
             "try:\n    train.main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
             "print('TF' if 'tensorflow' in sys.modules else 'NO_TF', file=sys.stderr)\nsys.exit(code)\n")
    return subprocess.run([sys.executable, "-c", child, *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
