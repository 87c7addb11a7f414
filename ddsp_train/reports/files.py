"""Check audio files from disk: the data check of ddsp-prepare (and ``--check-only``).

:func:`check_file` decodes one file (:mod:`ddsp_train.audio`: any format, downmixed to mono),
tracks its pitch at the dataset's rate (:func:`ddsp_train.pitch.get_tracker`), computes the
plugin's power (:mod:`ddsp_train.features`) and returns its
:class:`~ddsp_train.reports.checks.RecordingCheck` and an excerpt for the page. Clipping and DC
are measured on the decoded samples at the file's own rate, before resampling.
"""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np

from ddsp_train import console
from ddsp_train.reports.checks import RecordingCheck, check_recording
from ddsp_train.reports.dataset_page import Excerpt, pick_excerpt


def check_file(path: str, *, sample_rate: int = 16000, frame_rate: int = 50, f0_method: str = "yin",
               excerpt_secs: float | None = None) -> tuple[RecordingCheck, Excerpt]:
    """``(check, excerpt)`` of the audio file ``path`` (module docstring)."""
    from ddsp_train import audio as audio_lib
    from ddsp_train import features, pitch

    info = audio_lib.probe_audio(path)
    native = np.concatenate(list(audio_lib.iter_chunks(info)) or [np.zeros(0, np.float32)])
    audio = audio_lib.resample(native, rate_in=info.sample_rate, rate_out=sample_rate) \
        if info.sample_rate != sample_rate else native
    tracker = pitch.get_tracker(f0_method)
    f0_hz, confidence = tracker.track(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    power = features.compute_power_db(audio, sample_rate=sample_rate, frame_rate=frame_rate)
    return check_tracked(audio, sample_rate=sample_rate, frame_rate=frame_rate, f0_hz=f0_hz, f0_confidence=confidence,
                         power_db=power, voiced_threshold=pitch.tracker_voiced_threshold(f0_method), path=path,
                         native_audio=native, excerpt_secs=excerpt_secs)


def check_tracked(audio: np.ndarray, *, sample_rate: int, frame_rate: float, f0_hz: np.ndarray,
                  f0_confidence: np.ndarray, power_db: np.ndarray, voiced_threshold: float, path: str,
                  native_audio: np.ndarray | None = None,
                  excerpt_secs: float | None = None) -> tuple[RecordingCheck, Excerpt]:
    """``(check, excerpt)`` of a recording whose frame features are known (ddsp-prepare's job
    computed them: no second tracking)."""
    check = check_recording(audio, sample_rate=sample_rate, f0_hz=f0_hz, f0_confidence=f0_confidence,
                            power_db=power_db, frame_rate=frame_rate, voiced_threshold=voiced_threshold, path=path,
                            native_audio=native_audio)
    options = {} if excerpt_secs is None else {"seconds": excerpt_secs}
    excerpt = pick_excerpt(audio, sample_rate=sample_rate, power_db=power_db, frame_rate=frame_rate, f0_hz=f0_hz,
                           f0_confidence=f0_confidence, voiced_threshold=voiced_threshold, path=path, **options)
    return check, excerpt


def check_files(paths: Iterable[str], *, sample_rate: int = 16000, frame_rate: int = 50, f0_method: str = "yin",
                say: console.Say = console.stderr) -> tuple[list[RecordingCheck], list[Excerpt]]:
    """:func:`check_file` of each path. With the default ``say`` a progress line on stderr (count,
    %, ETA); any other ``say`` hears one line per file checked (:func:`console.silent`: nothing)."""
    paths = list(paths)
    checks, excerpts = [], []
    progress = console.Progress(label="Checking recordings", total=len(paths), unit="files",
                                enabled=say is console.stderr)
    for i, path in enumerate(paths):
        check, excerpt = check_file(path, sample_rate=sample_rate, frame_rate=frame_rate, f0_method=f0_method)
        checks.append(check)
        excerpts.append(excerpt)
        progress.update(i + 1)
        if say is not console.stderr:
            say(f"checked {i + 1}/{len(paths)}: {os.path.basename(path)}")
    progress.close(len(paths))
    return checks, excerpts


def check_dataset(info, *, f0_method: str | None = None, say: console.Say = console.stderr):
    """``(checks, excerpts)`` of the files a prepared dataset uses (``info``: its
    :class:`~ddsp_train.dataset_info.DatasetInfo`), on its grid and with its tracker."""
    paths = [str(f["path"]) for f in info.files if f.get("status") == "used" and os.path.exists(str(f["path"]))]
    return check_files(paths, sample_rate=info.sample_rate, frame_rate=info.frame_rate,
                       f0_method=f0_method or info.f0_method or "yin", say=say)
