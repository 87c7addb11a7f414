"""MIDI in, model features out: what the plugin's synth mode feeds the control model.

Monophonic, last note wins: a new note takes over at once (legato: the envelope continues from
its current level into a new attack); releasing it falls back to the most recent note still held,
and releasing the last held note starts the release. Per frame (time ``t_k = k / frame_rate``):

- ``f0_hz = 440 * 2 ** ((note + bend - 69) / 12)`` with ``bend = pitchwheel / 8192 * bend_range``
  semitones (``bend_range`` 2 by default, the General MIDI default); between notes and after the
  last one f0 holds the last note's pitch, before the first note it takes the first note's.
- ``power_db = max(peak_db + 20 * log10(velocity / 127 * env), -80)``, where ``env`` is a linear
  ADSR envelope (0 -> 1 in ``attack`` s, 1 -> ``sustain`` in ``decay`` s, hold, then -> 0 in
  ``release`` s from wherever it was) and ``peak_db`` the power of a full-velocity note at the
  envelope's peak (the top of the model's trained power range when known).
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from ddsp_train.dsp.scaling import DB_RANGE, midi_to_hz
from ddsp_train.errors import UserError


@dataclasses.dataclass(frozen=True)
class ADSR:
    """Linear ADSR envelope: times in seconds, ``sustain`` as a level in 0..1."""

    attack: float = 0.02
    decay: float = 0.15
    sustain: float = 0.8
    release: float = 0.25

    def __post_init__(self):
        if min(self.attack, self.decay, self.release) < 0 or not 0 <= self.sustain <= 1:
            raise UserError(f"ADSR times must be >= 0 and sustain in 0..1, got {self}")


@dataclasses.dataclass(frozen=True)
class MidiEvent:
    """A note on/off or pitch bend at ``time`` seconds (bend in semitones for ``pitchwheel``)."""

    time: float
    kind: str  # "on", "off" or "bend"
    note: int = 0
    velocity: int = 0
    bend: float = 0.0


def read_midi_events(path: str | os.PathLike, *, bend_range: float = 2.0) -> list[MidiEvent]:
    """Note and pitch-bend events of every track and channel of a MIDI file, in time order.

    A note-on with velocity 0 counts as a note-off (the MIDI running-status convention).
    """
    import mido

    try:
        song = mido.MidiFile(os.fspath(path))
    except (OSError, EOFError, ValueError, KeyError) as e:
        raise UserError(f"cannot read MIDI file {path}: {e}") from e
    events, now = [], 0.0
    for msg in song:  # Merged tracks, delta times in seconds (tempo map applied).
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            events.append(MidiEvent(now, "on", msg.note, msg.velocity))
        elif msg.type in ("note_off", "note_on"):
            events.append(MidiEvent(now, "off", msg.note))
        elif msg.type == "pitchwheel":
            events.append(MidiEvent(now, "bend", bend=msg.pitch / 8192.0 * bend_range))
    if not any(e.kind == "on" for e in events):
        raise UserError(f"MIDI file {path} has no notes")
    return events


def midi_features(
    events: list[MidiEvent],
    *,
    frame_rate: float = 50.0,
    envelope: ADSR = ADSR(),
    peak_db: float = -20.0,
    tail_secs: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(f0_hz, power_db)`` per frame from note and bend events (see the module docstring).

    The frames run from 0 to the last event plus ``tail_secs`` (the envelope's release by default).
    """
    end = max(e.time for e in events) + (envelope.release if tail_secs is None else tail_secs)
    count = int(np.floor(end * frame_rate + 1e-6)) + 1
    first = next(e for e in events if e.kind == "on")
    held: list[tuple[int, int]] = []  # (note, velocity), most recent last
    note, velocity, bend = first.note, first.velocity, 0.0
    level, gate, stage_time, start_level = 0.0, False, 0.0, 0.0
    dt = 1.0 / frame_rate
    f0 = np.empty(count)
    power = np.empty(count)
    i = 0
    for k in range(count):
        t = k * dt
        while i < len(events) and events[i].time <= t + 1e-9:
            e = events[i]
            i += 1
            if e.kind == "bend":
                bend = e.bend
            elif e.kind == "on":
                held = [h for h in held if h[0] != e.note] + [(e.note, e.velocity)]
                note, velocity = e.note, e.velocity
                gate, stage_time, start_level = True, 0.0, level
            else:
                was_current = held and held[-1][0] == e.note
                held = [h for h in held if h[0] != e.note]
                if was_current and held:
                    note, velocity = held[-1]
                elif was_current and gate:
                    gate, stage_time, start_level = False, 0.0, level
        level = _envelope_level(envelope, gate=gate, t=stage_time, start=start_level)
        stage_time += dt
        f0[k] = midi_to_hz(note + bend)
        amp = velocity / 127.0 * level
        power[k] = max(peak_db + 20 * np.log10(max(amp, 1e-12)), -DB_RANGE)
    return f0.astype(np.float32), power.astype(np.float32)


def _envelope_level(env: ADSR, *, gate: bool, t: float, start: float) -> float:
    """ADSR level ``t`` seconds into the current gate (attack from ``start``) or release (from ``start``)."""
    if not gate:
        return start * max(0.0, 1.0 - t / env.release) if env.release > 0 else 0.0
    if t < env.attack:
        return start + (1.0 - start) * t / env.attack
    t -= env.attack
    if t < env.decay:
        return 1.0 + (env.sustain - 1.0) * t / env.decay
    return env.sustain
