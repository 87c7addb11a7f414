"""Prove a freshly written plugin ``.tflite`` right before anyone plays it.

:func:`selfcheck_plugin_model` loads the file with the builtin-ops-only interpreter (as the plugin
does), checks tensor names, shapes and the appended metadata, streams the features of real
examples through it one frame per call with the state fed back, and compares every control with
the Keras model run on the whole sequence (``model.controls``): the maximum absolute difference
must stay <= 1e-4 (for an int8-weight file, ``quantized``: <= 5 % of each control's peak). It
also drives the file the way the shared plugin checker does (finite,
non-negative controls, harmonic distribution summing to at most 1, a state that moves) and times
1000 calls. Nothing is printed or raised here: the result lists every check; the caller prints it
and fails loudly (:meth:`SelfCheckResult.raise_if_failed`).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Iterable, Mapping

import numpy as np

from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
from ddsp_train.errors import UserError
from ddsp_train.exporting.metadata import PLUGIN_KEYS, read_metadata
from ddsp_train.exporting.plugin_tflite import PLUGIN_INPUTS, PLUGIN_OUTPUTS, PluginModel, builtin_interpreter

TOLERANCE = 1e-4
#: For an int8-weight file: the largest difference as a share of the control's peak over the examples.
QUANTIZED_TOLERANCE = 0.05
CONTROLS = ("amplitude", "harmonic_distribution", "noise_magnitudes")
#: The frame period of the plugin model: 20 ms.
FRAME_SECONDS = 0.02


@dataclasses.dataclass
class SelfCheckResult:
    """Every check (``(passed, description)``), the streaming differences and the timing figures."""

    checks: list = dataclasses.field(default_factory=list)
    max_abs_diff: dict = dataclasses.field(default_factory=dict)
    frames_compared: int = 0
    examples_compared: int = 0
    latency_us_median: float = float("nan")
    latency_us_p99: float = float("nan")
    latency_us_median_xnnpack: float = float("nan")
    latency_us_p99_xnnpack: float = float("nan")
    quantized: bool = False

    def check(self, passed: bool, description: str) -> bool:
        self.checks.append((bool(passed), description))
        return bool(passed)

    @property
    def failures(self) -> list[str]:
        return [d for ok, d in self.checks if not ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def realtime_factor(self) -> float:
        """Frame period / median call time (builtin resolver, no delegates): how many times real time."""
        return FRAME_SECONDS * 1e6 / self.latency_us_median

    def lines(self) -> list[str]:
        out = [("ok    " if ok else "FAIL  ") + d for ok, d in self.checks]
        out.append(f"latency per frame: median {self.latency_us_median:.1f} us, p99 {self.latency_us_p99:.1f} us "
                   f"(builtin ops, no delegates, as loaded by the plugin check); with XNNPACK: median "
                   f"{self.latency_us_median_xnnpack:.1f} us, p99 {self.latency_us_p99_xnnpack:.1f} us")
        out.append(f"real-time factor of the control model: {self.realtime_factor:.0f}x "
                   f"(20 ms of audio per call)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failures": self.failures,
            "checks": [{"ok": ok, "check": d} for ok, d in self.checks],
            "max_abs_diff": self.max_abs_diff,
            "tolerance": QUANTIZED_TOLERANCE if self.quantized else TOLERANCE,
            "tolerance_is_share_of_peak": self.quantized,
            "frames_compared": self.frames_compared,
            "examples_compared": self.examples_compared,
            "latency_us_median": self.latency_us_median,
            "latency_us_p99": self.latency_us_p99,
            "latency_us_median_xnnpack": self.latency_us_median_xnnpack,
            "latency_us_p99_xnnpack": self.latency_us_p99_xnnpack,
            "realtime_factor": self.realtime_factor,
        }

    def raise_if_failed(self, what: str = "the exported model") -> None:
        if not self.ok:
            raise UserError(f"self-check of {what} failed: " + "; ".join(self.failures))


def check_interface(content: bytes, result: SelfCheckResult, *, expected_metadata: Mapping[str, Any] | None) -> bool:
    """Loads with builtin ops only; names, float32 shapes; metadata present and equal to ``expected_metadata``.

    Returns whether the file can be streamed (it loads, with the right names and shapes).
    """
    try:
        interpreter = builtin_interpreter(content)
        interpreter.allocate_tensors()
        loaded = True
    except Exception as e:  # noqa: BLE001 - any load failure is the finding
        loaded = False
        result.check(False, f"loads with builtin ops only ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    if not loaded:
        return False
    result.check(True, "loads with builtin ops only")
    ins = {d["name"]: d for d in interpreter.get_input_details()}
    outs = {d["name"]: d for d in interpreter.get_output_details()}
    result.check(set(ins) == set(PLUGIN_INPUTS), f"input names {sorted(ins)}")
    result.check(set(outs) == set(PLUGIN_OUTPUTS), f"output names {sorted(outs)}")
    sizes = dict(PLUGIN_INPUTS, **{n: s for n, (_, s) in PLUGIN_OUTPUTS.items()})
    for name, size in sizes.items():
        d = ins.get(name) or outs.get(name)
        if d is not None:
            result.check(int(np.prod(d["shape"])) == size and d["dtype"] == np.float32,
                         f"{name} is float32 of {size} values (got {d['shape'].tolist()} {np.dtype(d['dtype']).name})")
    playable = result.ok  # names and shapes right: the file can be streamed
    try:
        meta = read_metadata(content)
    except UserError as e:
        result.check(False, f"metadata.json appended as a zip ({e.message})")
        return playable
    missing = [k for k in PLUGIN_KEYS if k not in meta]
    result.check(not missing, f"metadata has the plugin's keys (missing: {missing or 'none'})")
    if expected_metadata is not None:
        differ = sorted(k for k in expected_metadata if meta.get(k) != expected_metadata[k])
        result.check(not differ, f"metadata equals what was written (differs: {differ or 'none'})")
    if not missing:
        lo, hi = float(meta["mean_min_pitch_note_hz"]), float(meta["mean_max_pitch_note_hz"])
        plo, phi = float(meta["mean_min_power_note"]), float(meta["mean_max_power_note"])
        result.check(8.0 < lo < hi < 12600.0, f"pitch range {lo:.1f}..{hi:.1f} Hz is ordered and audible")
        result.check(-120.0 <= plo < phi <= 0.0, f"power range {plo:.1f}..{phi:.1f} dB is ordered, in [-120, 0]")
    return playable


def stream_vs_keras(content: bytes, model: Any, examples: Iterable[Mapping[str, np.ndarray]],
                    result: SelfCheckResult) -> None:
    """Every example's ``f0_hz``/``power_db`` frame by frame through the file vs ``model.controls`` at once."""
    plugin = PluginModel(content)
    worst = {k: 0.0 for k in CONTROLS}
    peak = {k: 0.0 for k in CONTROLS}
    streamed_all = []
    for ex in examples:
        f0_hz = np.asarray(ex["f0_hz"], np.float32).ravel()
        power_db = np.asarray(ex["power_db"], np.float32).ravel()
        keras_out = model.controls({"f0_hz": f0_hz[None], "power_db": power_db[None]})
        streamed = plugin.run(scale_f0_hz(f0_hz), scale_power_db(power_db))
        streamed_all.append(streamed)
        for k in CONTROLS:
            ref = np.asarray(keras_out[k]).reshape(len(f0_hz), -1)
            worst[k] = max(worst[k], float(np.max(np.abs(streamed[k] - ref))))
            peak[k] = max(peak[k], float(np.max(np.abs(ref))))
        result.frames_compared += len(f0_hz)
        result.examples_compared += 1
    result.max_abs_diff = worst
    if not result.check(result.examples_compared > 0, f"streamed {result.examples_compared} examples"):
        return
    for k in CONTROLS:
        if result.quantized:  # int8 weights: close to the float model, not equal
            bound = QUANTIZED_TOLERANCE * peak[k]
            result.check(worst[k] <= bound, f"streaming ~= offline for {k} (int8 weights): max |diff| {worst[k]:.2e} "
                                            f"<= {QUANTIZED_TOLERANCE:g} x peak {peak[k]:.3g} over "
                                            f"{result.frames_compared} frames")
        else:
            result.check(worst[k] <= TOLERANCE, f"streaming == offline for {k}: max |diff| {worst[k]:.2e} <= "
                                                f"{TOLERANCE:g} over {result.frames_compared} frames")
    amps = np.concatenate([s["amplitude"].ravel() for s in streamed_all])
    harms = np.concatenate([s["harmonic_distribution"] for s in streamed_all])
    noise = np.concatenate([s["noise_magnitudes"].ravel() for s in streamed_all])
    finite = all(np.isfinite(x).all() for x in (amps, harms, noise))
    result.check(finite, "streamed controls are finite")
    result.check(finite and (amps >= 0).all() and (harms >= 0).all() and (noise >= 0).all(),
                 "amplitude, harmonic distribution and noise magnitudes are >= 0")
    sums = harms.sum(axis=1)
    result.check(bool(np.all(sums <= 1.0 + 1e-3)), f"harmonic distribution sums to at most 1 (max {sums.max():.4f})")


def drive_like_plugin(content: bytes, result: SelfCheckResult, *, frames: int = 250) -> None:
    """Sweeping pitch and power as the plugin check does: finite outputs and a moving state."""
    plugin = PluginModel(content)
    midi = 60 + 12 * np.sin(np.linspace(0, 6 * np.pi, frames))
    db = -30 + 20 * np.sin(np.linspace(0, 4 * np.pi, frames))
    states = []
    for m, p in zip(midi, db):
        out = plugin.step(m / 127, p / 80 + 1)
        if not all(np.isfinite(v).all() for v in out.values()):
            result.check(False, "finite outputs on a pitch/power sweep")
            return
        states.append(plugin.state.ravel().copy())
    moved = float(np.abs(np.diff(np.array(states), axis=0)).mean())
    result.check(np.isfinite(moved) and moved > 0, "state output changes from frame to frame")


def time_calls(content: bytes, *, calls: int = 1000, xnnpack: bool = False) -> tuple[float, float]:
    """Median and 99th percentile of ``calls`` invocations in microseconds (one thread).

    ``xnnpack`` uses the builtin resolver with its default XNNPACK delegate (still builtin ops
    only); otherwise no delegates at all.
    """
    it = builtin_interpreter(content, xnnpack=xnnpack)
    ins = {d["name"]: d for d in it.get_input_details()}
    state_out = next(d["index"] for d in it.get_output_details() if d["name"] == "StatefulPartitionedCall:3")
    state = np.zeros(ins["call_state:0"]["shape"], np.float32)
    rng = np.random.default_rng(0)
    times = np.empty(calls)
    for i in range(calls + 20):
        it.set_tensor(ins["call_f0_scaled:0"]["index"], np.full(ins["call_f0_scaled:0"]["shape"], 0.4 + 0.2 * rng.random(), np.float32))
        it.set_tensor(ins["call_pw_scaled:0"]["index"], np.full(ins["call_pw_scaled:0"]["shape"], 0.5 + 0.3 * rng.random(), np.float32))
        it.set_tensor(ins["call_state:0"]["index"], state)
        t0 = time.perf_counter()
        it.invoke()
        dt = time.perf_counter() - t0
        state = it.get_tensor(state_out)
        if i >= 20:  # warm-up calls are not counted
            times[i - 20] = dt
    return float(np.median(times) * 1e6), float(np.percentile(times, 99) * 1e6)


def selfcheck_plugin_model(
    content: bytes,
    *,
    model: Any,
    examples: Iterable[Mapping[str, np.ndarray]],
    expected_metadata: Mapping[str, Any] | None = None,
    calls: int = 1000,
    quantized: bool = False,
) -> SelfCheckResult:
    """All checks of the module docstring on the bytes of a written ``.tflite`` (``quantized``:
    it has int8 weights, see :data:`QUANTIZED_TOLERANCE`)."""
    result = SelfCheckResult(quantized=quantized)
    if not check_interface(content, result, expected_metadata=expected_metadata):
        return result
    stream_vs_keras(content, model, examples, result)
    drive_like_plugin(content, result)
    result.latency_us_median, result.latency_us_p99 = time_calls(content, calls=calls)
    result.latency_us_median_xnnpack, result.latency_us_p99_xnnpack = time_calls(content, calls=calls, xnnpack=True)
    return result
