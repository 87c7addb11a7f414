"""``ddsp-match`` as a library function: target -> estimate -> refine -> patch, wav, tflite, png.

:func:`match_file` checks every argument and output path first, then reads and checks the target
(no TensorFlow until then, so bad input is refused at once), estimates a patch with the shipped
estimator, refines it through the synth, and writes the four files. With ``patch_path`` it skips
estimation and refinement and re-exports a (hand-edited) patch: the .wav and .png on the target
when one is given (or on a demo note at the patch's own pitch otherwise) and the .tflite.
"""
from __future__ import annotations

import os
import pathlib
import time

import numpy as np

from ddsp_train import console, contract
from ddsp_train.errors import UserError
from ddsp_train.match import writer
from ddsp_train.match.patch import SUFFIX, Patch

DEFAULT_STEPS = 150
#: The ranges written into a re-exported patch's metadata when neither it nor a target has any.
FALLBACK_RANGES = {"pitch_min_hz": 130.81, "pitch_max_hz": 523.25, "pitch_median_hz": 261.63,
                   "power_min_db": -50.0, "power_max_db": -20.0}


def default_f0_method() -> str:
    from ddsp_train.pitch import available_trackers

    return "network" if "network" in available_trackers() else "yin"


def _stem(path: str | os.PathLike) -> str:
    name = pathlib.Path(path).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else pathlib.Path(name).stem


def demo_performance(ranges: dict, *, seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """``(f0_hz, power_db)`` of a demo note: the median pitch, a 50 ms rise to the top of the power
    range, a fall to its bottom over the note, then 0.3 s of release to silence."""
    frames = int(seconds * contract.FRAME_RATE) + 1
    hi, lo = float(ranges["power_max_db"]), float(ranges["power_min_db"])
    t = np.arange(frames) / contract.FRAME_RATE
    power = np.where(t < 0.05, -contract.DB_RANGE + (hi + contract.DB_RANGE) * t / 0.05, hi + (lo - hi) * t / seconds)
    power[t > seconds - 0.3] = -contract.DB_RANGE
    f0 = np.full(frames, float(ranges.get("pitch_median_hz", np.sqrt(ranges["pitch_min_hz"] * ranges["pitch_max_hz"]))))
    return f0.astype(np.float32), power.astype(np.float32)


def match_file(
    target_path: str | os.PathLike | None,
    *,
    output: str | os.PathLike,
    name: str | None = None,
    steps: int = DEFAULT_STEPS,
    refine: bool = True,
    patch_path: str | os.PathLike | None = None,
    f0_method: str | None = None,
    overwrite: bool = False,
    say: console.Say = console.stderr,
    progress: bool = True,
) -> dict:
    """Match ``target_path`` (or re-export ``patch_path``) into ``output``; returns a summary dict
    (paths written, losses, timings)."""
    began = time.perf_counter()
    if target_path is None and patch_path is None:
        raise UserError("give a TARGET audio file to match, or --patch FILE.patch.json to re-export", exit_code=2)
    if steps < 0:
        raise UserError(f"--steps {steps} must be >= 0", exit_code=2)
    name = name or _stem(target_path if patch_path is None else patch_path)
    kinds = ("wav", "tflite", "png") if patch_path is not None else writer.KINDS
    inputs = [p for p in (target_path, patch_path) if p is not None]
    out = writer.check_outputs(output, name, kinds=kinds, overwrite=overwrite, inputs=inputs)
    edited = Patch.read(patch_path) if patch_path is not None else None
    target = None
    if target_path is not None:
        from ddsp_train.match.target import analyse

        target = analyse(target_path, f0_method=f0_method or default_f0_method(), say=say)

    # TensorFlow from here on.
    from ddsp_train.match import plugin, refine as refining
    from ddsp_train.match.render import render_numpy

    summary: dict = {"name": name, "output": str(output), "warnings": list(target.warnings) if target else []}
    if edited is not None:
        patch = edited
        ranges = target.ranges() if target else {**FALLBACK_RANGES, **{k: v for k, v in patch.target.items()
                                                                          if k in FALLBACK_RANGES}}
        if target is not None:
            perf = refining.excerpt(target.audio, target.f0_hz, target.power_db)
            summary["loss"] = refining.patch_loss(patch.array(), perf)
    else:
        from ddsp_train.match.estimator import estimate

        ranges = target.ranges()
        t0 = time.perf_counter()
        start, how = estimate(target)
        summary["estimator"] = how
        summary["seconds_estimate"] = time.perf_counter() - t0
        perf = refining.excerpt(target.audio, target.f0_hz, target.power_db)
        if refine and steps > 0:
            result = refining.refine(start, perf, steps=steps, say=say, progress=progress)
            patch, loss = result.patch, {"estimate": result.loss_before, "refined": result.loss_after}
            summary["seconds_refine"] = result.seconds
        else:
            patch, loss = start, {"estimate": refining.patch_loss(start.array(), perf)}
            loss["refined"] = loss["estimate"]
        loss = {k: round(float(v), 4) for k, v in loss.items()}
        loss.update(steps=int(steps if refine else 0), fft_sizes=list(refining.FFT_SIZES),
                    refined_seconds=round(len(perf.audio) / contract.SAMPLE_RATE, 3))
        summary["loss"] = loss
        patch = Patch(values=patch.values, target={"file": os.path.basename(str(target_path)), **ranges}, loss=loss)

    if target is not None:
        f0_hz, power_db, reference = target.f0_hz, target.power_db, target.audio
    else:
        f0_hz, power_db = demo_performance(ranges)
        reference = None
    match16 = render_numpy(patch.array(), f0_hz, power_db)
    if reference is not None:
        match16 = np.pad(match16, (0, max(0, len(reference) - len(match16))))[: len(reference)]
    rate = target.sample_rate if target is not None else contract.SAMPLE_RATE
    wav = _at_rate(match16, rate, frames=target.frames if target is not None else len(match16))
    metadata = plugin.target_metadata({**ranges, "f0_method": target.f0_method if target else ""})
    content, model = plugin.plugin_bytes(patch, metadata)
    check = plugin.selfcheck(content, model, f0_hz=f0_hz, power_db=power_db, metadata=metadata)
    check.raise_if_failed(f"the patch's {contract.MODEL_SUFFIX}")
    title = f"{name}: target vs match" if reference is not None else f"{name}: the patch on a demo note"
    png = writer.spectrogram_png(reference, match16, title=title)
    summary["written"] = [str(p) for p in writer.write_outputs(
        out, patch=patch if "patch" in out else None, wav=(wav, rate), tflite=content, png=png)]
    summary["seconds_total"] = time.perf_counter() - began
    summary["target_seconds"] = target.seconds if target else 0.0
    return summary


def _at_rate(audio16: np.ndarray, rate: int, *, frames: int) -> np.ndarray:
    """16 kHz audio at ``rate``, exactly ``frames`` samples long (the target file's length)."""
    from ddsp_train.audio import resample

    y = resample(np.asarray(audio16, np.float32), rate_in=contract.SAMPLE_RATE, rate_out=rate)
    return np.pad(y, (0, max(0, frames - len(y))))[:frames].astype(np.float32)
