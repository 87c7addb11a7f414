"""The estimator: a patch in one forward pass from the target's spectral statistics (numpy only).

DeepDiva's method on our synth: an MLP trained on random patches rendered at random pitches and
loudness contours (``scripts/train_match_estimator.py``, seeded) predicts the normalised matched
parameters from :func:`features`. The weights ship as ``weights/estimator.npz`` (nothing is
downloaded); without them :func:`estimate` starts from the default patch and says so.

:func:`features` (``FEATURE_SIZE`` values), over the voiced, audible frames split at their median
power into a quiet and a loud half, from a 2048-point Hann STFT on the 50 Hz grid:

- the harmonic envelope: harmonic ``k`` (``k f0 < 7.6 kHz``) read as the peak magnitude within a
  bin of ``k f0``, in dB relative to the frame's strongest harmonic, averaged over the half, then
  interpolated in log-frequency at the 15 envelope points (held beyond the first/last harmonic);
- the noise floor: the magnitude halfway between harmonics (``(k + 1/2) f0``, the lowest within a
  bin), relative the same way, at the 15 points;
- the even/odd balance: mean of ``L_2k - (L_{2k-1} + L_{2k+1}) / 2`` over the first 10 harmonics;
- the mean log-mel spectrum (40 mels, 0..8 kHz) of each half relative to its maximum;
- the median pitch (MIDI / 127), the median power / 80 and the power spread (95th - 5th percentile) / 40.
"""
from __future__ import annotations

import functools
import pathlib

import numpy as np

from ddsp_train import contract, features as feats
from ddsp_train.dsp.scaling import hz_to_midi
from ddsp_train.match import patch as P

WEIGHTS = pathlib.Path(__file__).parent / "weights" / "estimator.npz"
N_FFT = 2048
N_MELS = 40
MAX_FRAMES = 60
_BIN_HZ = contract.SAMPLE_RATE / N_FFT
_LOG_ENV = np.log2(np.array(P.ENVELOPE_HZ))
FEATURE_SIZE = 2 * (2 * P.N_ENVELOPE + 1 + N_MELS) + 3


def _hz_to_mel(hz):
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, np.float64)
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, hz / (200.0 / 3.0))


def _mel_to_hz(mel):
    mel = np.asarray(mel, np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3.0))


@functools.lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    """``[N_MELS, N_FFT / 2 + 1]`` triangular filters on Slaney's mel scale, 0..8 kHz, area-normalised
    (``2 / (f_{i+2} - f_i)``): librosa's ``filters.mel`` with its defaults, without importing librosa."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / contract.SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(8000.0), N_MELS + 2))
    lower = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return (weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def _half_features(spectra: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Envelope (15), noise floor (15), even/odd (1), log-mel (40) of frames ``[F, bins]`` (magnitudes)."""
    db = 20 * np.log10(spectra + 1e-9)
    env_rows, floor_rows, even_odd = [], [], []
    bins = db.shape[1]
    for row, f in zip(db, f0):
        k = np.arange(1, int(7600.0 // f) + 1)
        if k.size < 1:
            continue
        centre = np.rint(k * f / _BIN_HZ).astype(int)
        around = np.clip(centre[:, None] + np.arange(-1, 2), 0, bins - 1)
        levels = row[around].max(axis=1)
        mid = np.clip(np.rint((k + 0.5) * f / _BIN_HZ).astype(int)[:, None] + np.arange(-1, 2), 0, bins - 1)
        floor = row[mid].min(axis=1)
        top = levels.max()
        logf = np.log2(k * f)
        env_rows.append(np.interp(_LOG_ENV, logf, levels - top))
        floor_rows.append(np.interp(_LOG_ENV, np.log2((k + 0.5) * f), floor - top))
        n = min(len(levels), 11)
        if n >= 3:
            evens = np.arange(1, n - 1, 2)  # index of k = 2, 4, ... with both odd neighbours
            even_odd.append(float(np.mean(levels[evens] - 0.5 * (levels[evens - 1] + levels[evens + 1]))))
    if not env_rows:
        return np.zeros(2 * P.N_ENVELOPE + 1 + N_MELS, np.float32)
    mel = np.log(_mel_basis() @ np.mean(spectra ** 2, axis=0) + 1e-10)
    mel = (mel - mel.max()) / np.log(10.0) * 10.0  # dB relative to the maximum
    return np.concatenate([np.mean(env_rows, axis=0), np.mean(floor_rows, axis=0),
                           [np.mean(even_odd) if even_odd else 0.0], mel]).astype(np.float32)


def features(audio: np.ndarray, f0_hz: np.ndarray, power_db: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """The estimator's input (see the module docstring) of 16 kHz ``audio`` and its frames."""
    frames = feats.frame_signal(np.asarray(audio, np.float32), frame_size=N_FFT, hop=contract.HOP)
    n = min(len(frames), len(f0_hz))
    sel = np.flatnonzero(np.asarray(voiced[:n], bool))
    if sel.size == 0:
        sel = np.arange(n)
    if sel.size > 2 * MAX_FRAMES:
        sel = sel[np.linspace(0, sel.size - 1, 2 * MAX_FRAMES).astype(int)]
    power = np.asarray(power_db, np.float64)[sel]
    f0 = np.asarray(f0_hz, np.float64)[sel]
    spectra = np.abs(np.fft.rfft(frames[sel] * np.hanning(N_FFT), axis=-1))
    quiet = power <= np.median(power)
    loud = ~quiet if (~quiet).any() else quiet
    halves = [_half_features(spectra[m], f0[m]) for m in (quiet, loud)]
    lo, hi = np.percentile(power, [5, 95])
    globals_ = [float(np.median(hz_to_midi(f0))) / 127.0, float(np.median(power)) / contract.DB_RANGE,
                (hi - lo) / 40.0]
    return np.concatenate(halves + [np.array(globals_, np.float32)]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def load_weights(path: str = str(WEIGHTS)) -> dict | None:
    if not pathlib.Path(path).is_file():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def forward(weights: dict, x: np.ndarray) -> np.ndarray:
    """The MLP: ``h = relu(W_i h + b_i)`` for the hidden layers, ``sigmoid`` at the output;
    inputs standardised with the training set's mean and std. ``x [B, FEATURE_SIZE]`` -> ``[B, M]``."""
    h = (np.asarray(x, np.float32) - weights["mean"]) / weights["std"]
    layers = int(weights["layers"])
    for i in range(layers):
        h = h @ weights[f"w{i}"] + weights[f"b{i}"]
        h = np.maximum(h, 0.0) if i < layers - 1 else 1.0 / (1.0 + np.exp(-h))
    return h


def predict_values(weights: dict, x: np.ndarray) -> np.ndarray:
    """Full patch values ``[B, P]``: the predicted matched parameters, the others at their defaults."""
    u = np.tile(P.normalise(P.DEFAULTS), (len(x), 1))
    u[:, P.MATCHED] = forward(weights, x)
    return P.canonical_values(P.denormalise(u))


def estimate(target) -> tuple[P.Patch, str]:
    """The estimated patch of a :class:`ddsp_train.match.target.Target` and how it was obtained."""
    weights = load_weights()
    if weights is None:
        return P.Patch.default(), "default patch (no estimator weights installed)"
    x = features(target.audio, target.f0_hz, target.power_db, target.voiced)[None]
    return P.Patch.from_array(predict_values(weights, x)[0]), "estimator"
