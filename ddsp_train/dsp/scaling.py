"""Unit conversions and the input scalings of the DDSP-VST model contract.

Every function takes a numpy array (or float) and returns numpy, or takes a TensorFlow tensor and
returns a tensor, so the same definition serves the data pipeline, the model and the real-time
player. Formulas:

- ``hz_to_midi(f) = 12 * log2(f / 440) + 69``; ``midi_to_hz(m) = 440 * 2 ** ((m - 69) / 12)``.
- ``scale_f0_hz(f) = hz_to_midi(clip(f, 8.18, 12543.85)) / 127`` (the plugin's ``f0_scaled``:
  MIDI 0..127 mapped to 0..1).
- ``scale_power_db(p) = p / 80 + 1`` (the plugin's ``pw_scaled``: -80..0 dB mapped to 0..1).
- ``db_to_power(db) = 10 ** (db / 10)``, ``power_to_db(p) = max(10 log10(max(p, amin)), -range)``.
"""
from typing import Any

import numpy as np

F0_RANGE = 127.0  # MIDI notes covered by f0_scaled.
DB_RANGE = 80.0  # dB covered by pw_scaled and by ddsp's loudness.
MIN_F0_HZ = 8.175798915643707  # MIDI 0
MAX_F0_HZ = 12543.853951415975  # MIDI 127


def _xp(x: Any):
    """numpy for arrays and numbers, TensorFlow's numpy API for tensors."""
    if type(x).__module__.startswith("tensorflow"):
        import tensorflow.experimental.numpy as tnp

        return tnp
    return np


def hz_to_midi(f0_hz):
    """MIDI note number of a frequency: ``12 * log2(f / 440) + 69``; 0 Hz maps to -inf clipped to 0."""
    xp = _xp(f0_hz)
    f0_hz = xp.maximum(f0_hz, 1e-6)
    return xp.maximum(12.0 * (xp.log2(f0_hz) - np.log2(440.0)) + 69.0, 0.0)


def midi_to_hz(midi):
    """Frequency of a MIDI note number: ``440 * 2 ** ((m - 69) / 12)``."""
    xp = _xp(midi)
    return 440.0 * xp.power(2.0, (midi - 69.0) / 12.0)


def scale_f0_hz(f0_hz):
    """The model input ``f0_scaled``: MIDI of f0 clipped to 0..127, divided by 127."""
    xp = _xp(f0_hz)
    return hz_to_midi(xp.clip(f0_hz, MIN_F0_HZ, MAX_F0_HZ)) / F0_RANGE


def unscale_f0_hz(f0_scaled):
    """Inverse of :func:`scale_f0_hz` (within 0..1)."""
    return midi_to_hz(f0_scaled * F0_RANGE)


def scale_power_db(power_db):
    """The model input ``pw_scaled``: ``power_db / 80 + 1`` (-80 dB -> 0, 0 dB -> 1)."""
    return power_db / DB_RANGE + 1.0


def unscale_power_db(pw_scaled):
    """Inverse of :func:`scale_power_db`."""
    return (pw_scaled - 1.0) * DB_RANGE


def db_to_power(db):
    """Power ratio of a level in dB: ``10 ** (db / 10)``."""
    xp = _xp(db)
    return xp.power(10.0, db / 10.0)


def power_to_db(power, *, amin: float = 1e-20, range_db: float = DB_RANGE):
    """``10 * log10(max(power, amin))`` floored at ``-range_db``."""
    xp = _xp(power)
    db = 10.0 * xp.log10(xp.maximum(power, amin))
    return xp.maximum(db, -range_db)
