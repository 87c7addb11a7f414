"""Shared helpers of the ddsp-prepare tests (not a test module: no ``test_`` prefix)."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

from ddsp_train.data.staging import STAGING_PREFIX
from ddsp_train.prepare import main

SCRIPT = os.path.join(os.path.dirname(sys.executable), "ddsp-prepare")
ROOT = str(pathlib.Path(__file__).resolve().parents[1])

#: The smallest Standard MIDI File: a header and one empty track.
MIDI_BYTES = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"


def run_cli(args) -> int:
    """Run ddsp-prepare in-process (``str`` of each argument); the exit code (0 on success)."""
    try:
        main([str(a) for a in args])
    except SystemExit as e:
        return e.code
    return 0


def interrupt_in_job(args, *, folder: pathlib.Path, wait: float, group: bool = True) -> tuple[int, str, str]:
    """Run ``ddsp-prepare ARGS`` (our PYTHONPATH), send SIGINT ``wait`` s after its staging folder
    in ``folder`` holds ``_records`` (to the process group, as Ctrl-C in a terminal does, or to
    the command alone); ``(exit code, stdout, stderr)``."""
    proc = subprocess.Popen([SCRIPT, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONPATH": ROOT},
                            # a job started in the background inherits SIGINT ignored: undo that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.time() + 120
        while not list(folder.glob(f"{STAGING_PREFIX}*/_records")):
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.05)
        time.sleep(wait)  # inside the job
        (os.killpg if group else os.kill)(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stdout, stderr
