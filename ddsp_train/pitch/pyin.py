"""librosa's probabilistic YIN (Mauch & Dixon 2014) with Viterbi decoding: the accurate default.

Runs at 16 kHz (resampling internally with soxr when the input has another rate and the frame
rate divides 16000) on 1024-sample centred frames, fmin 40 Hz, fmax 2000 Hz, pitch resolution
0.1 semitone. ``confidence`` is pyin's voiced probability; frames the Viterbi path marks
unvoiced are filled by :func:`ddsp_train.pitch.fill_unvoiced` from pyin's best guess.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import features
from ddsp_train.pitch import FILL_REACH_SECS, fill_unvoiced, fit_length

PYIN_SAMPLE_RATE = 16000


class PyinTracker:
    """``librosa.pyin`` on the centred frame grid."""

    name = "pyin"
    voiced_threshold = 0.5  # voiced probability at which a frame counts as voiced

    def __init__(self, *, fmin: float = 40.0, fmax: float = 2000.0, frame_secs: float = 0.064):
        self.fmin, self.fmax, self.frame_secs = fmin, fmax, frame_secs

    def track(self, audio: np.ndarray, *, sample_rate: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """``(f0_hz, voiced probability)``, float32 ``[n_frames(len(audio))]``."""
        import librosa

        count = features.n_frames(len(audio), sample_rate=sample_rate, frame_rate=frame_rate)
        audio = np.asarray(audio, np.float32)
        rate = sample_rate
        if sample_rate != PYIN_SAMPLE_RATE and (PYIN_SAMPLE_RATE / frame_rate).is_integer():
            import soxr

            audio = soxr.resample(audio, sample_rate, PYIN_SAMPLE_RATE, quality="HQ")
            rate = PYIN_SAMPLE_RATE
        hop = features.hop_size(sample_rate=rate, frame_rate=frame_rate)
        f0, voiced, prob = librosa.pyin(
            audio, fmin=self.fmin, fmax=min(self.fmax, rate / 2 - 1), sr=rate,
            frame_length=int(round(self.frame_secs * rate)), hop_length=hop,
            fill_na=None, center=True, pad_mode="constant")
        f0 = fit_length(np.nan_to_num(f0, nan=0.0), count)
        voiced = fit_length(voiced, count)
        prob = fit_length(np.nan_to_num(prob, nan=0.0), count)
        reach = int(round(FILL_REACH_SECS * frame_rate))
        return fill_unvoiced(f0, voiced, reach=reach), np.clip(prob, 0, 1).astype(np.float32)
