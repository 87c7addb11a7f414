"""Shared helpers of the ddsp-prepare tests (not a test module: no ``test_`` prefix)."""
from __future__ import annotations

from ddsp_train.prepare import main

#: The smallest Standard MIDI File: a header and one empty track.
MIDI_BYTES = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"


def run_cli(args) -> int:
    """Run ddsp-prepare in-process (``str`` of each argument); the exit code (0 on success)."""
    try:
        main([str(a) for a in args])
    except SystemExit as e:
        return e.code
    return 0
