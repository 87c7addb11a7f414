"""Compatibility only: the names ``ddsp_train.exporting`` still imports from here.

The frame loop was split by job into :mod:`.performance` (features, auto-adjust),
:mod:`.reverb`, :mod:`.players` and :mod:`.transfer`. Nothing in ``realtime/`` uses this module;
delete it once ``exporting/`` imports ``ddsp_train.features.causal_frames`` and
``ddsp_train.audio.resample`` itself.
"""
from __future__ import annotations

import numpy as np

from ddsp_train.features import causal_frames  # noqa: F401  (exporting/feature_model.py)


def resample(audio: np.ndarray, *, from_rate: int, to_rate: int) -> np.ndarray:
    """:func:`ddsp_train.audio.resample` under its old keywords (exporting/exporter.py)."""
    from ddsp_train import audio as audio_lib

    return audio_lib.resample(audio, rate_in=int(from_rate), rate_out=int(to_rate))
