"""Does a ``.tflite`` file meet the DDSP-VST plugin's model contract? (no TensorFlow import)

:func:`check_plugin_file` loads the bytes with the builtin-ops-only LiteRT interpreter
(:func:`ddsp_train.tflite.builtin_interpreter`, as the plugin does), checks each line of the
contract (:mod:`ddsp_train.contract`, described in docs/plugin-contract.md) and returns one
:class:`Finding` per rule, passed or not:

- the file loads; no Flex/custom ops and no resource-variable ops (``VAR_HANDLE``,
  ``READ_VARIABLE``, ``ASSIGN_VARIABLE``: they load, then fail at the first invoke);
- input and output tensor names; each is float32 with the contract's number of values;
- driven like the plugin, one frame per call with the state fed back, on a pitch sweep over
  MIDI 30..110 and a power sweep over -70..-5 dB (``frames`` calls): every call succeeds, every
  output is finite, ``amplitude >= 0``, ``noise >= 0``, ``harmonic >= 0``; harmonic ``k``
  (1-based) is zero where ``k f0 >= SAMPLE_RATE / 2`` with ``f0 = 440 * 2 ** ((127 s - 69) / 12)``
  from the frame's ``f0_scaled = s``; the distribution sums to 1 (within :data:`SUM_TOLERANCE`);
  the state changes from frame to frame;
- a zip appended to the flatbuffer with :data:`~ddsp_train.contract.METADATA_NAME`, holding the
  keys the plugin reads; the pitch range (Hz) and power range (dB) are finite with min < max,
  the pitch range within 8..12600 Hz and the power range within -120..0 dB.

Used by ``ddsp-export --check FILE`` and by the export's own self-check.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import pathlib
import zipfile
from typing import Any, Callable

import numpy as np

from ddsp_train import contract

#: Largest allowed ``|sum(harmonic distribution) - 1|``.
SUM_TOLERANCE = 1e-3
#: Largest value a harmonic at or above Nyquist may have.
NYQUIST_TOLERANCE = 1e-6
#: Ops the plugin's builtin resolver cannot run (they load, then fail at the first invoke).
RESOURCE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")
#: The finding of the frame-by-frame run (present only when the interface is right).
RUNS = "runs one frame per call with the state fed back"
#: The first bytes of a TFLite flatbuffer carry this identifier at offset 4.
TFLITE_IDENTIFIER = b"TFL3"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One rule of the contract: its ``name``, whether the file meets it, and what was seen."""

    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}" + (f": {self.detail}" if self.detail else "")


def is_tflite(content: bytes) -> bool:
    """True if ``content`` starts like a TFLite flatbuffer (identifier ``TFL3`` at bytes 4..8)."""
    return len(content) >= 8 and content[4:8] == TFLITE_IDENTIFIER


def midi_to_hz(midi: np.ndarray) -> np.ndarray:
    """``440 * 2 ** ((midi - 69) / 12)``."""
    return 440.0 * 2.0 ** ((np.asarray(midi, np.float64) - 69.0) / 12.0)


def sweep(frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The (f0_scaled, pw_scaled) curves the file is driven with: MIDI ``70 + 40 sin`` (30..110)
    and power ``-37.5 + 32.5 sin`` dB (-70..-5), three and two periods over ``frames``."""
    t = np.linspace(0.0, 1.0, frames)
    midi = 70.0 + 40.0 * np.sin(2 * np.pi * 3 * t)
    power_db = -37.5 + 32.5 * np.sin(2 * np.pi * 2 * t)
    return (midi / contract.MIDI_MAX).astype(np.float32), (power_db / contract.DB_RANGE + 1).astype(np.float32)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def check_interface(interpreter: Any) -> list[Finding]:
    """Ops, tensor names, dtypes and sizes of a loaded interpreter."""
    findings = []
    try:
        ops = sorted({d["op_name"] for d in interpreter._get_ops_details()})
    except Exception as e:  # noqa: BLE001 - an interpreter without the op listing
        ops, detail = [], f"op list unavailable ({_first_line(e)})"
    else:
        detail = f"{len(ops)} kinds of op"
    bad = [op for op in ops if op in RESOURCE_OPS or op.startswith("Flex") or op == "CUSTOM"]
    findings.append(Finding("builtin ops only, no resource variables", not bad,
                            f"found {', '.join(bad)}" if bad else detail))
    ins = {d["name"]: d for d in interpreter.get_input_details()}
    outs = {d["name"]: d for d in interpreter.get_output_details()}
    for label, got, wanted in (("input names", ins, contract.INPUTS), ("output names", outs, contract.OUTPUTS)):
        ok = set(got) == set(wanted)
        findings.append(Finding(label, ok, ", ".join(sorted(got)) + ("" if ok else f" (wanted {', '.join(wanted)})")))
    sizes = dict(contract.INPUTS, **{n: size for n, (_, size) in contract.OUTPUTS.items()})
    for name, size in sizes.items():
        d = ins.get(name) or outs.get(name)
        if d is not None:
            got = f"{d['shape'].tolist()} {np.dtype(d['dtype']).name}"
            findings.append(Finding(f"{name} is float32 of {size} values",
                                    int(np.prod(d["shape"])) == size and d["dtype"] == np.float32, got))
    return findings


def drive(interpreter: Any, *, frames: int) -> tuple[dict[str, np.ndarray] | None, Finding]:
    """Stream :func:`sweep` one frame per call with the state fed back; the stacked outputs by
    control name (``[frames, n]``) and the finding of the run itself."""
    ins = {d["name"]: d for d in interpreter.get_input_details()}
    outs = {d["name"]: d for d in interpreter.get_output_details()}
    f0_in, pw_in, state_in = (ins[n] for n in contract.INPUTS)
    f0_scaled, pw_scaled = sweep(frames)
    state = np.zeros(state_in["shape"], np.float32)
    recorded: dict[str, list] = {name: [] for name, _ in contract.OUTPUTS.values()}
    try:
        for f, p in zip(f0_scaled, pw_scaled):
            interpreter.set_tensor(f0_in["index"], np.full(f0_in["shape"], f, np.float32))
            interpreter.set_tensor(pw_in["index"], np.full(pw_in["shape"], p, np.float32))
            interpreter.set_tensor(state_in["index"], state)
            interpreter.invoke()
            for tensor, (name, _) in contract.OUTPUTS.items():
                recorded[name].append(interpreter.get_tensor(outs[tensor]["index"]).reshape(-1))
            state = recorded["state"][-1].reshape(state_in["shape"]).astype(np.float32)
    except Exception as e:  # noqa: BLE001 - e.g. unfrozen variables fail here, not at load
        return None, Finding(RUNS, False, _first_line(e))
    stacked = {name: np.stack(values) for name, values in recorded.items()}
    stacked["f0_hz"] = midi_to_hz(f0_scaled * contract.MIDI_MAX)
    return stacked, Finding(RUNS, True, f"{frames} calls")


def check_outputs(out: dict[str, np.ndarray]) -> list[Finding]:
    """The value rules of the contract on streamed outputs (see the module docstring)."""
    amp, harm, noise, state = (out[k] for k in contract.CONTROL_NAMES)
    finite = {k: bool(np.isfinite(out[k]).all()) for k in contract.CONTROL_NAMES}
    findings = [Finding("outputs are finite", all(finite.values()),
                        "not finite: " + ", ".join(k for k, v in finite.items() if not v) if not all(finite.values())
                        else f"{len(amp)} frames")]
    for name, values in (("amplitude", amp), ("harmonic distribution", harm), ("noise magnitudes", noise)):
        low = float(np.min(values)) if values.size else 0.0
        findings.append(Finding(f"{name} >= 0", bool(low >= 0), f"min {low:.3g}"))
    k = np.arange(1, harm.shape[1] + 1)
    above = k[None, :] * out["f0_hz"][:, None] >= contract.SAMPLE_RATE / 2
    worst = float(np.max(np.abs(harm[above]), initial=0.0))
    findings.append(Finding("harmonic distribution is zero at or above Nyquist", worst <= NYQUIST_TOLERANCE,
                            f"largest there {worst:.3g} over {int(above.sum())} harmonic-frames"))
    error = float(np.nanmax(np.abs(harm.sum(axis=1) - 1.0))) if len(harm) else math.inf
    findings.append(Finding("harmonic distribution sums to 1", error <= SUM_TOLERANCE,
                            f"largest |sum - 1| {error:.2e} (<= {SUM_TOLERANCE:g})"))
    moved = float(np.abs(np.diff(state, axis=0)).mean()) if len(state) > 1 else 0.0
    findings.append(Finding("state changes from frame to frame", bool(np.isfinite(moved) and moved > 0),
                            f"mean |change| {moved:.3g}"))
    return findings


def read_metadata_entry(content: bytes) -> tuple[dict | None, str]:
    """The parsed ``metadata.json`` of the appended zip, or None and the reason."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            meta = json.loads(z.read(contract.METADATA_NAME))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        return None, _first_line(e)
    if not isinstance(meta, dict):
        return None, f"{contract.METADATA_NAME} holds a {type(meta).__name__}, not an object"
    return meta, f"{len(meta)} keys"


def _number(meta: dict, key: str) -> float:
    try:
        return float(meta[key])
    except (TypeError, ValueError):
        return math.nan


def check_metadata(content: bytes) -> list[Finding]:
    """The appended metadata zip, its plugin keys and ranges."""
    meta, detail = read_metadata_entry(content)
    findings = [Finding(f"{contract.METADATA_NAME} appended as a zip", meta is not None, detail)]
    if meta is None:
        return findings
    missing = [k for k in contract.METADATA_PLUGIN_KEYS if k not in meta]
    findings.append(Finding("metadata has the keys the plugin reads", not missing,
                            f"missing {', '.join(missing)}" if missing else ", ".join(contract.METADATA_PLUGIN_KEYS)))
    for label, lo_key, hi_key, low, high, unit in (
            ("pitch range", "mean_min_pitch_note_hz", "mean_max_pitch_note_hz", 8.0, 12600.0, "Hz"),
            ("power range", "mean_min_power_note", "mean_max_power_note", -120.0, 0.0, "dB")):
        if lo_key in meta and hi_key in meta:
            lo, hi = _number(meta, lo_key), _number(meta, hi_key)
            ok = math.isfinite(lo) and math.isfinite(hi) and low <= lo < hi <= high
            findings.append(Finding(f"{label} is finite with min < max", ok,
                                    f"{lo:g}..{hi:g} {unit} (allowed within {low:g}..{high:g})"))
    return findings


def check_plugin_file(content: bytes, *, frames: int = 250) -> list[Finding]:
    """Every finding of the module docstring for the bytes of a ``.tflite`` file."""
    from ddsp_train.tflite import builtin_interpreter

    content = bytes(content)
    findings = [Finding("is a TFLite flatbuffer", is_tflite(content),
                        f"{len(content)} bytes" if is_tflite(content) else "no TFL3 identifier at bytes 4..8")]
    if not findings[0].ok:
        return findings
    try:
        interpreter = builtin_interpreter(content)
    except Exception as e:  # noqa: BLE001 - any load failure is the finding
        return findings + [Finding("loads with builtin ops only", False, _first_line(e))] + check_metadata(content)
    findings.append(Finding("loads with builtin ops only", True))
    interface = check_interface(interpreter)
    findings += interface
    names_ok = all(f.ok for f in interface if f.name != "builtin ops only, no resource variables")
    if names_ok:
        out, ran = drive(interpreter, frames=frames)
        findings.append(ran)
        if out is not None:
            findings += check_outputs(out)
    return findings + check_metadata(content)


def failures(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


def check_file(path: str | os.PathLike, *, say: Callable[[str], None], frames: int = 250) -> list[Finding]:
    """``ddsp-export --check``: :func:`check_plugin_file` of the file at ``path``, one line per
    finding through ``say``; UserError (exit 1) naming the failed rules, or for a path that is
    missing, a folder or not a TFLite file."""
    from ddsp_train.errors import UserError

    if "\0" in os.fspath(path):
        raise UserError(f"--check {os.fspath(path)!r} holds a NUL character; give a .tflite file")
    path = pathlib.Path(path)
    if not path.exists():
        raise UserError(f"--check {path} does not exist; give a .tflite file")
    if path.is_dir():
        raise UserError(f"--check {path} is a folder; give a .tflite file (the plugin ignores folders)")
    try:
        content = path.read_bytes()
    except OSError as e:
        raise UserError(f"--check {path} cannot be read ({e.strerror})") from None
    if not is_tflite(content):
        raise UserError(f"--check {path} is not a TFLite model (no TFL3 identifier at bytes 4..8); "
                        "give a .tflite file")
    findings = check_plugin_file(content, frames=frames)
    for finding in findings:
        say(finding.line())
    failed = failures(findings)
    if path.suffix != contract.MODEL_SUFFIX:
        say(f"note  the plugin lists only files named *{contract.MODEL_SUFFIX}; rename {path.name} to use it")
    if failed:
        raise UserError(f"{path}: {len(failed)} of {len(findings)} checks failed ({'; '.join(f.name for f in failed)}); "
                        "the DDSP-VST plugin cannot use it as it is")
    say(f"{path}: all {len(findings)} checks passed.")
    return findings
