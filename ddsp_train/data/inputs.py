"""What the INPUTs name, and whether each file is usable audio (the driver's first step).

:func:`expand_inputs` turns INPUTs (files, folders searched recursively, glob patterns) into
``[(path, source)]``; :func:`input_roots` gives the paths an ``--output`` must stay clear of;
:func:`check_file` gives a file's usable audio or the documented reason to skip it (README,
"Skipped files").
"""
from __future__ import annotations

import glob
import os
from typing import Sequence

from ddsp_train import audio as audio_lib
from ddsp_train.errors import UserError

#: Files whose loudest 64 ms block is below this level are skipped as silent.
SILENCE_DBFS = -70.0
#: Extensions of Standard MIDI Files (a score, not a recording).
MIDI_EXTENSIONS = (".mid", ".midi", ".kar", ".smf", ".rmi")
#: A truncated file: the decoder stopped more than this share of a second before the header's length.
TRUNCATION_TOLERANCE_SECS = 0.05


def is_midi(path: str) -> bool:
    """True for a MIDI file: a MIDI extension, or the ``MThd`` header of a Standard MIDI File."""
    if os.path.splitext(path)[1].lower() in MIDI_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"MThd"
    except OSError:
        return False


def midi_message(path: str) -> str:
    """What to say about a MIDI INPUT."""
    return (f"INPUT {path} is a MIDI file, not a recording: ddsp-prepare needs audio of the instrument. "
            "Render the MIDI to audio first (e.g. fluidsynth -F take.wav SOUNDFONT.sf2 "
            f"{os.path.basename(path)}), then prepare the audio")


def tfrecord_message(path: str) -> str:
    """What to say about a TFRecord INPUT that is not NSynth's (those go to :mod:`~ddsp_train.data.nsynth`)."""
    return (f"INPUT {path} is a TFRecord file, not audio or NSynth notes: a dataset written by "
            f"ddsp_prepare_tfrecord or ddsp-prepare needs no preparing; give it to ddsp-train --data "
            f"{os.path.dirname(path) or '.'} directly")


def _is_tfrecord_name(path: str) -> bool:
    return ".tfrecord" in os.path.basename(path)


def glob_base(pattern: str) -> str:
    """The folder part of a glob pattern: its components before the first one with a wildcard
    (``takes/*/x*.wav`` -> ``takes``; ``*.wav`` -> ``""``, the current folder)."""
    keep = []
    for part in pattern.split(os.sep):
        if glob.has_magic(part):
            break
        keep.append(part)
    return os.sep.join(keep)


def input_roots(inputs: Sequence[str]) -> list[str]:
    """The paths an output must not equal, hold or lie in: each INPUT as given, or the folder
    part of a glob pattern (``.`` when it has none)."""
    return [pattern if os.path.exists(pattern) or not glob.has_magic(pattern) else (glob_base(pattern) or ".")
            for pattern in inputs]


def _folder_files(folder: str) -> list[str]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        files += [os.path.join(root, n) for n in sorted(names) if os.path.isfile(os.path.join(root, n))]
    return files


def _is_midi_name(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in MIDI_EXTENSIONS


def expand_inputs(inputs: Sequence[str]) -> list[tuple[str, str]]:
    """``[(path, source)]`` for every file an INPUT names: files as given, folders searched
    recursively for audio extensions, glob patterns expanded (``**`` recursive). ``source`` is the
    path relative to the INPUT it came from; a file named twice is listed once.

    UserError (exit 2) for an INPUT that does not exist, matches nothing, or is a MIDI file.
    """
    found: dict[str, tuple[str, str]] = {}
    missing, unmatched = [], []
    for pattern in inputs:
        if os.path.exists(pattern):
            matches = [pattern]
            base = pattern if os.path.isdir(pattern) else os.path.dirname(pattern)
        elif not glob.has_magic(pattern):
            missing.append(pattern)
            continue
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            base = glob_base(pattern)
        files, midis, records = [], [], []
        for match in matches:
            if os.path.isdir(match):
                inside = _folder_files(match)
                files += [f for f in inside if audio_lib.is_audio_path(f)]
                midis += [f for f in inside if _is_midi_name(f)]
                records += [f for f in inside if _is_tfrecord_name(f)]
            elif os.path.isfile(match) and match == pattern and is_midi(match):
                raise UserError(midi_message(match), exit_code=2)
            elif os.path.isfile(match) and match == pattern and _is_tfrecord_name(match):
                raise UserError(tfrecord_message(match), exit_code=2)
            elif os.path.isfile(match) and (match == pattern or audio_lib.is_audio_path(match)):
                files.append(match)
            elif os.path.isfile(match) and is_midi(match):
                midis.append(match)
            elif os.path.isfile(match) and _is_tfrecord_name(match):
                records.append(match)
        if not files and midis:
            raise UserError(midi_message(midis[0]) + (f" (and {len(midis) - 1} more MIDI files)" if len(midis) > 1
                                                      else ""), exit_code=2)
        if not files and records:
            raise UserError(tfrecord_message(records[0]), exit_code=2)
        if not files:
            unmatched.append(pattern)
        for path in files:
            found.setdefault(os.path.realpath(path), (path, os.path.relpath(path, base or ".")))
    if missing:
        raise UserError(f"INPUT {', '.join(repr(m) for m in missing)} does not exist; check the path "
                        "(give audio files, folders or glob patterns)", exit_code=2)
    if unmatched:
        what = ", ".join(repr(u) for u in unmatched)
        raise UserError(f"no audio files match INPUT {what} (give audio files, folders holding audio "
                        f"files, or glob patterns; extensions searched: {' '.join(audio_lib.AUDIO_EXTENSIONS)})",
                        exit_code=2)
    return list(found.values())


def check_file(path: str, *, sample_rate: int, example_samples: int, example_secs: float
               ) -> tuple[audio_lib.AudioInfo | None, str | None, str | None]:
    """``(info, sha256, None)`` for a usable file, ``(info or None, None, reason)`` otherwise.

    Skipped: MIDI, undecodable, empty, truncated (decoded length short of the header's by more
    than :data:`TRUNCATION_TOLERANCE_SECS`), NaN/Inf samples, silent (loudest 64 ms block below
    :data:`SILENCE_DBFS`), shorter than one example of ``example_samples`` at ``sample_rate``.
    """
    if os.path.isfile(path) and os.path.getsize(path) and is_midi(path):
        return None, None, "a MIDI file, not a recording (render it to audio first)"
    try:
        info = audio_lib.probe_audio(path)
        scan = audio_lib.scan_audio(info)
    except audio_lib.AudioFileError as e:
        return None, None, e.reason
    if scan.frames_read < info.frames - max(1, int(TRUNCATION_TOLERANCE_SECS * info.sample_rate)):
        return info, None, (f"truncated file (decoded {scan.frames_read / info.sample_rate:.2f} s of "
                            f"{info.seconds:.2f} s)")
    if scan.non_finite:
        return info, None, "contains NaN or infinite samples"
    if scan.max_block_db < SILENCE_DBFS:
        return info, None, f"silent (loudest 64 ms block {max(scan.max_block_db, -999):.1f} dBFS < {SILENCE_DBFS:g})"
    n = audio_lib.output_length(min(info.frames, scan.frames_read), rate_in=info.sample_rate, rate_out=sample_rate)
    if n < example_samples:
        return info, None, f"too short ({n / sample_rate:.2f} s < --example-secs {example_secs:g})"
    return info, audio_lib.file_digest(path), None
