"""The patch: a small, named, bounded set of parameters of our harmonic + filtered-noise synth.

A patch describes a timbre as a function of pitch and loudness (docs/match.md explains it for a
sound designer). Every parameter has a name, a unit, bounds and a default; its normalised form
``(value - low) / (high - low)`` in 0..1 is what the estimator predicts and what the refinement
optimises (through a sigmoid). No TensorFlow here: this module reads and writes ``.patch.json``.

Parameters (``P`` is the frame's power in dB, ``P_REF_DB`` = -30 dB the reference level):

- ``envelope_<f>hz`` (dB, -60..0), 15 points at ``62.5 * 2 ** (i / 2)`` Hz (62.5 Hz .. 8 kHz,
  half an octave apart): the harmonic spectral envelope over frequency in Hz (formant-like), read
  by linear interpolation in log-frequency and held flat beyond the ends. Only its shape matters
  (the level follows the input power), so :meth:`Patch.canonical` shifts it to peak at 0 dB.
- ``brightness_slope`` (dB/octave per 10 dB): how the spectrum tilts around 1 kHz as the note
  gets louder: tilt ``= brightness_slope * (P - P_REF_DB) / 10`` dB/octave.
- ``even_db`` (dB): gain of the even harmonics (2, 4, ...): -40 is a clarinet-like odd series.
- ``noise_db`` (dB): noise power relative to the harmonic power at ``P_REF_DB``;
  ``noise_slope`` (dB/dB) how that ratio changes per dB of power (negative: breathier when soft).
- ``noise_tilt`` (dB/octave around 1 kHz) the noise colour at ``P_REF_DB``;
  ``noise_brightness_slope`` (dB/octave per 10 dB) how it changes with loudness;
  ``noise_envelope`` (0..1) how much of the harmonic envelope the noise shares (breath through formants).
- ``attack_ms``, ``release_ms`` (ms): a one-pole follower on the incoming power (in dB), rising
  with the attack and falling with the release time constant; 0 passes the power through. They
  shape MIDI playback (the plugin's envelope) and are not changed by the match.
- ``gain_db`` (dB): output power relative to the input power (0: the synth plays as loud as it is fed).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
from typing import Any, Mapping

import numpy as np

from ddsp_train.errors import UserError

FORMAT = "ddsp-match patch"
VERSION = 1
SUFFIX = ".patch.json"
#: The reference power (dB) at which noise_db and noise_tilt hold, and brightness is neutral.
P_REF_DB = -30.0
#: The frequencies of the envelope points: 62.5 Hz .. 8 kHz, half an octave apart.
ENVELOPE_HZ = tuple(62.5 * 2.0 ** (i / 2.0) for i in range(15))
#: The frequency around which the tilts pivot.
PIVOT_HZ = 1000.0


@dataclasses.dataclass(frozen=True)
class Param:
    """One patch parameter: name, unit, bounds, default and what it does."""

    name: str
    unit: str
    low: float
    high: float
    default: float
    description: str
    #: Whether the estimator predicts it and the refinement changes it.
    matched: bool = True


def _envelope_default(hz: float) -> float:
    """The default envelope: flat to 500 Hz, then -6 dB per octave."""
    return max(-6.0 * math.log2(max(hz, 500.0) / 500.0), -60.0)


PARAMS: tuple[Param, ...] = tuple(
    [Param(f"envelope_{int(round(hz))}hz", "dB", -60.0, 0.0, _envelope_default(hz),
           f"harmonic spectral envelope at {hz:.0f} Hz") for hz in ENVELOPE_HZ]
    + [
        Param("brightness_slope", "dB/octave per 10 dB", -3.0, 6.0, 1.0,
              "spectral tilt around 1 kHz gained per 10 dB of power above -30 dB"),
        Param("even_db", "dB", -40.0, 6.0, 0.0, "gain of the even harmonics"),
        Param("noise_db", "dB", -60.0, 20.0, -30.0, "noise power relative to the harmonic power at -30 dB"),
        Param("noise_slope", "dB/dB", -1.0, 1.0, 0.0, "change of noise_db per dB of power"),
        Param("noise_tilt", "dB/octave", -12.0, 12.0, -3.0, "noise colour: tilt around 1 kHz at -30 dB"),
        Param("noise_brightness_slope", "dB/octave per 10 dB", -3.0, 6.0, 0.0,
              "noise tilt gained per 10 dB of power above -30 dB"),
        Param("noise_envelope", "fraction", 0.0, 1.0, 0.0, "share of the harmonic envelope applied to the noise"),
        Param("attack_ms", "ms", 0.0, 1000.0, 0.0, "rise time constant of the power follower (MIDI playback)",
              matched=False),
        Param("release_ms", "ms", 0.0, 2000.0, 0.0, "fall time constant of the power follower (MIDI playback)",
              matched=False),
        Param("gain_db", "dB", -24.0, 12.0, 0.0, "output power relative to the input power", matched=False),
    ])
NAMES = tuple(p.name for p in PARAMS)
INDEX = {p.name: i for i, p in enumerate(PARAMS)}
N_ENVELOPE = len(ENVELOPE_HZ)
LOW = np.array([p.low for p in PARAMS], np.float32)
HIGH = np.array([p.high for p in PARAMS], np.float32)
DEFAULTS = np.array([p.default for p in PARAMS], np.float32)
#: Indices of the parameters the estimator predicts and the refinement optimises.
MATCHED = np.array([i for i, p in enumerate(PARAMS) if p.matched])


def normalise(values: np.ndarray) -> np.ndarray:
    """``(v - low) / (high - low)`` per parameter (last axis)."""
    return (np.asarray(values, np.float32) - LOW) / (HIGH - LOW)


def denormalise(normalised: np.ndarray) -> np.ndarray:
    """``low + u (high - low)`` with ``u`` clipped to 0..1."""
    return LOW + np.clip(np.asarray(normalised, np.float32), 0.0, 1.0) * (HIGH - LOW)


def canonical_values(values: np.ndarray) -> np.ndarray:
    """The same sound with the envelope shifted to peak at 0 dB (its level never matters), in bounds."""
    v = np.clip(np.asarray(values, np.float32), LOW, HIGH).copy()
    env = v[..., :N_ENVELOPE]
    v[..., :N_ENVELOPE] = np.maximum(env - env.max(axis=-1, keepdims=True), LOW[:N_ENVELOPE])
    return v


@dataclasses.dataclass(frozen=True)
class Patch:
    """A patch: ``values`` in :data:`PARAMS` order (physical units), plus what it was matched to.

    ``target`` holds the target's name and pitch/power ranges (or is empty), ``loss`` the spectral
    loss before and after refinement (or is empty).
    """

    values: tuple
    target: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    loss: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def default(cls) -> "Patch":
        return cls.from_array(DEFAULTS)

    @classmethod
    def from_array(cls, values, **kwargs) -> "Patch":
        arr = np.asarray(values, np.float64).ravel()
        if arr.size != len(PARAMS):
            raise ValueError(f"a patch has {len(PARAMS)} values, got {arr.size}")
        return cls(values=tuple(float(x) for x in arr), **kwargs)

    def array(self) -> np.ndarray:
        return np.asarray(self.values, np.float32)

    def __getitem__(self, name: str) -> float:
        return self.values[INDEX[name]]

    def replace(self, **changes: float) -> "Patch":
        """A copy with the named parameters set (clipped to their bounds)."""
        values = list(self.values)
        for name, value in changes.items():
            if name not in INDEX:
                raise UserError(f"unknown patch parameter {name!r}; the parameters are {', '.join(NAMES)}")
            p = PARAMS[INDEX[name]]
            values[INDEX[name]] = float(min(max(value, p.low), p.high))
        return dataclasses.replace(self, values=tuple(values))

    def to_dict(self) -> dict:
        params = [{"name": p.name, "value": round(float(v), 4), "unit": p.unit, "min": p.low, "max": p.high,
                   "description": p.description} for p, v in zip(PARAMS, self.values)]
        out = {"format": FORMAT, "version": VERSION, "parameters": params}
        if self.target:
            out["target"] = dict(self.target)
        if self.loss:
            out["loss"] = dict(self.loss)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the patch") -> "Patch":
        """Parse :meth:`to_dict`'s form. Missing parameters take their default (older or hand-trimmed
        files); unknown names, values that are not numbers and values out of bounds are UserErrors."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise UserError(f"{source} is not a {SUFFIX} file written by ddsp-match (no \"format\": \"{FORMAT}\")")
        entries = data.get("parameters")
        if isinstance(entries, Mapping):  # a hand-written {"name": value} table is accepted too
            entries = [{"name": k, "value": v} for k, v in entries.items()]
        if not isinstance(entries, list):
            raise UserError(f"{source}: \"parameters\" must be a list of {{\"name\", \"value\"}} entries")
        values = dict(zip(NAMES, (float(x) for x in DEFAULTS)))
        for entry in entries:
            name = entry.get("name") if isinstance(entry, Mapping) else None
            if name not in INDEX:
                raise UserError(f"{source}: unknown parameter {name!r}; the parameters are {', '.join(NAMES)}")
            value = entry.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise UserError(f"{source}: {name} = {value!r} is not a finite number")
            p = PARAMS[INDEX[name]]
            if not p.low <= value <= p.high:
                raise UserError(f"{source}: {name} = {value:g} {p.unit} is outside {p.low:g}..{p.high:g}; "
                                "set it within the bounds")
            values[name] = float(value)
        return cls(values=tuple(values[n] for n in NAMES), target=dict(data.get("target") or {}),
                   loss=dict(data.get("loss") or {}))

    @classmethod
    def read(cls, path: str | os.PathLike) -> "Patch":
        path = pathlib.Path(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise UserError(f"patch file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read patch file {path}: {e}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"patch file {path} is not valid JSON ({e.msg} at line {e.lineno})") from None
        return cls.from_dict(data, source=str(path))
