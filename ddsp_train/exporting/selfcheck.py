"""Prove a freshly written plugin ``.tflite`` right before anyone plays it.

:func:`selfcheck_plugin_model` checks every rule of the plugin contract
(:mod:`ddsp_train.exporting.plugin_check`: builtin ops, names, shapes, values driven frame by
frame, the metadata, which must equal what was written), streams the features of real examples
through the file one frame per call with the state fed back, and compares every control with
the Keras model run on the whole sequence (:func:`ddsp_train.exporting.plugin_model.controls`,
with the same level gain): the maximum absolute difference must stay <= 1e-4 (for an int8-weight
file, ``quantized``: <= 5 % of each control's peak). It times 1000 calls. Nothing is printed or raised here: the result lists every check; the caller prints it
and fails loudly (:meth:`SelfCheckResult.raise_if_failed`).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Iterable, Mapping

import numpy as np

from ddsp_train import contract
from ddsp_train.dsp.scaling import scale_f0_hz, scale_power_db
from ddsp_train.errors import UserError
from ddsp_train.exporting import plugin_check, plugin_model
from ddsp_train.exporting.plugin_tflite import PluginModel, builtin_interpreter

TOLERANCE = 1e-4
#: For an int8-weight file: the largest difference as a share of the control's peak over the examples.
QUANTIZED_TOLERANCE = 0.05
CONTROLS = contract.CONTROL_NAMES[:3]
#: The frame period of the plugin model: 20 ms.
FRAME_SECONDS = 1.0 / contract.FRAME_RATE


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


def check_contract(content: bytes, result: SelfCheckResult, *, expected_metadata: Mapping[str, Any] | None) -> bool:
    """Every rule of the plugin contract (:func:`ddsp_train.exporting.plugin_check.check_plugin_file`)
    and the metadata equal to ``expected_metadata``. Returns whether the file can be streamed."""
    findings = plugin_check.check_plugin_file(content)
    for finding in findings:
        result.check(finding.ok, finding.name + (f": {finding.detail}" if finding.detail else ""))
    playable = any(f.name == plugin_check.RUNS and f.ok for f in findings)
    meta, _ = plugin_check.read_metadata_entry(content)
    if expected_metadata is not None and meta is not None:
        differ = sorted(k for k in expected_metadata if meta.get(k) != expected_metadata[k])
        result.check(not differ, f"metadata equals what was written (differs: {differ or 'none'})")
    return playable


def stream_vs_keras(content: bytes, model: Any, examples: Iterable[Mapping[str, np.ndarray]],
                    result: SelfCheckResult, *, gain: float = 1.0) -> None:
    """Every example's ``f0_hz``/``power_db`` frame by frame through the file vs the Keras model's
    controls of the whole sequence (:func:`ddsp_train.exporting.plugin_model.controls`, times ``gain``)."""
    plugin = PluginModel(content)
    worst = {k: 0.0 for k in CONTROLS}
    peak = {k: 0.0 for k in CONTROLS}
    streamed_all = []
    for ex in examples:
        f0_hz = np.asarray(ex["f0_hz"], np.float32).ravel()
        power_db = np.asarray(ex["power_db"], np.float32).ravel()
        keras_out = plugin_model.controls(model, {"f0_hz": f0_hz[None], "power_db": power_db[None]}, gain=gain)
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


def time_calls(content: bytes, *, calls: int = 1000, xnnpack: bool = False) -> tuple[float, float]:
    """Median and 99th percentile of ``calls`` invocations in microseconds (one thread).

    ``xnnpack`` uses the builtin resolver with its default XNNPACK delegate (still builtin ops
    only); otherwise no delegates at all.
    """
    it = builtin_interpreter(content, xnnpack=xnnpack)
    ins = {d["name"]: d for d in it.get_input_details()}
    f0_name, pw_name, state_name = contract.INPUTS
    state_out = next(d["index"] for d in it.get_output_details() if d["name"] == list(contract.OUTPUTS)[-1])
    state = np.zeros(ins[state_name]["shape"], np.float32)
    rng = np.random.default_rng(0)
    times = np.empty(calls)
    for i in range(calls + 20):
        it.set_tensor(ins[f0_name]["index"], np.full(ins[f0_name]["shape"], 0.4 + 0.2 * rng.random(), np.float32))
        it.set_tensor(ins[pw_name]["index"], np.full(ins[pw_name]["shape"], 0.5 + 0.3 * rng.random(), np.float32))
        it.set_tensor(ins[state_name]["index"], state)
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
    gain: float = 1.0,
) -> SelfCheckResult:
    """All checks of the module docstring on the bytes of a written ``.tflite`` (``quantized``:
    it has int8 weights, see :data:`QUANTIZED_TOLERANCE`; ``gain``: the level calibration folded
    into the file)."""
    result = SelfCheckResult(quantized=quantized)
    if not check_contract(content, result, expected_metadata=expected_metadata):
        return result
    stream_vs_keras(content, model, examples, result, gain=gain)
    result.latency_us_median, result.latency_us_p99 = time_calls(content, calls=calls)
    result.latency_us_median_xnnpack, result.latency_us_p99_xnnpack = time_calls(content, calls=calls, xnnpack=True)
    return result
