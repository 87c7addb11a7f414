"""``ddsp-export``'s library function: a trained MODEL_DIR -> plugin ``.tflite`` + SavedModel, proven.

:func:`export_model` checks every argument before TensorFlow is imported
(:mod:`ddsp_train.exporting.plan`), restores the model (latest or chosen checkpoint), writes
``NAME.saved_model/`` (every config), ``features.tflite`` (the pitch and power extractor with the
interface of the plugin's own, :mod:`ddsp_train.exporting.feature_model`: with the control model it
is the whole real-time chain for hosts other than the plugin, which embeds its own) and, when the
model fits the plugin, ``NAME.tflite`` with its metadata and its level calibrated against the
full model (:mod:`ddsp_train.exporting.calibration`; the learned reverb goes to
``NAME.reverb.wav``): written as ``NAME.tflite.unchecked``, self-checked as read back from disk
(:mod:`ddsp_train.exporting.selfcheck`, the result in ``NAME.selfcheck.json``), then renamed
``NAME.tflite``, or ``NAME.tflite.rejected`` (so nothing installs it) when the check fails, and
the export fails. A model the plugin cannot run gets no ``.tflite``: :class:`ExportRefused` names
each mismatch, after the SavedModel has been written. ``export.json`` lists what was written
(:mod:`ddsp_train.exporting.manifest`); stale files of an earlier export are removed. A passed
``NAME.tflite`` gets ``NAME.preview.wav`` beside it (the packaged melody of
:mod:`ddsp_train.reports.melody` played through it as ``ddsp-transfer`` plays a file), and the
export ends by refreshing ``MODEL_DIR/report.html`` (:mod:`ddsp_train.reports.model_page`; a
failure there is one warning line, never a failed export).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any, Callable, Sequence

import numpy as np

from ddsp_train import console, contract
from ddsp_train.atomic import write_bytes_atomic, write_json_atomic
from ddsp_train.errors import UserError
from ddsp_train.exporting import manifest, metadata as metadata_lib
from ddsp_train.exporting.plan import FORMATS, ExportPlan, parse_formats, plan_export  # noqa: F401  (re-exported)

DEFAULT_PLUGIN_DIR = contract.MODEL_FOLDER
EVAL_EXAMPLES = 4


#: Writes ``NAME.preview.wav`` beside a checked ``NAME.tflite`` (``tflite, *, meta, say -> path``);
#: ddsp-export passes :func:`ddsp_train.realtime.preview.write_preview` (playback is the next stage's).
Preview = Callable[..., pathlib.Path]


class ExportRefused(UserError):
    """The plugin cannot run this model; ``reasons`` names every mismatch."""

    def __init__(self, message: str, *, reasons: Sequence[str]):
        super().__init__(message, exit_code=2)
        self.reasons = list(reasons)


@dataclasses.dataclass
class ExportResult:
    """What was written where, and the self-check of the ``.tflite`` (None when not written)."""

    step: int | None
    tflite: pathlib.Path | None = None
    saved_model: pathlib.Path | None = None
    features: pathlib.Path | None = None
    features_check: Any = None
    installed: pathlib.Path | None = None
    selfcheck: Any = None
    selfcheck_json: pathlib.Path | None = None
    reverb_wav: pathlib.Path | None = None
    preview_wav: pathlib.Path | None = None
    model_report: pathlib.Path | None = None
    gain_db: float = 0.0
    examples_source: str = ""
    refused: list = dataclasses.field(default_factory=list)
    written: list = dataclasses.field(default_factory=list)
    removed: list = dataclasses.field(default_factory=list)
    foreign: list = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """The one result line: what was written, the gain, what was tidied or left alone."""
        parts = [f"Exported step {self.step}: " + ", ".join(str(p) for p in (self.tflite, self.saved_model,
                                                                               self.features) if p)]
        if self.tflite is not None:
            parts.append(f"self-check passed on {self.examples_source}; level gain {self.gain_db:+.1f} dB")
        if self.installed is not None:
            parts.append(f"installed {self.installed}")
        if self.removed:
            parts.append(f"removed stale files of an earlier export: {', '.join(self.removed)}")
        if self.foreign:
            parts.append(f"left alone (not written by ddsp-export): {', '.join(self.foreign)}")
        return "; ".join(parts) + "."


def eval_examples(data_dir: pathlib.Path | None, *, count: int = EVAL_EXAMPLES) -> tuple[list[dict], str]:
    """Up to ``count`` eval examples (``f0_hz``, ``power_db``, ``audio``) of a prepared dataset, and where
    they came from."""
    if data_dir is None:
        return [], ""
    from ddsp_train.data.reader import read_dataset

    examples = []
    for split in ("eval", "train"):
        try:
            for ex in read_dataset(data_dir, split=split).take(count - len(examples)):
                examples.append({"f0_hz": np.asarray(ex["f0_hz"]), "power_db": np.asarray(ex["power_db"]),
                                 "audio": np.asarray(ex["audio"])})
        except Exception as e:  # noqa: BLE001 - a missing split is not fatal here
            if split == "eval":
                continue
            raise UserError(f"cannot read examples from {data_dir}: {e}") from e
        if examples:
            return examples, f"{len(examples)} {split} examples of {data_dir}"
    return [], ""


def synthesized_examples(metadata: dict, *, frames: int = 201, count: int = 2) -> list[dict]:
    """Stand-in features when no dataset is at hand: glides with vibrato across the model's
    trained pitch range and power swells across its power range (deterministic)."""
    from ddsp_train.dsp.scaling import hz_to_midi, midi_to_hz

    lo = hz_to_midi(float(metadata["mean_min_pitch_note_hz"]))
    hi = hz_to_midi(float(metadata["mean_max_pitch_note_hz"]))
    plo, phi = float(metadata["mean_min_power_note"]), float(metadata["mean_max_power_note"])
    t = np.linspace(0.0, 1.0, frames)
    out = []
    for i in range(count):
        midi = lo + (hi - lo) * (t if i % 2 == 0 else 1 - t) + 0.3 * np.sin(2 * np.pi * 11 * t)
        power = plo + (phi - plo) * 0.5 * (1 - np.cos(2 * np.pi * (i + 2) * t))
        power[: frames // 10] = -80.0  # silence, then the onset
        out.append({"f0_hz": midi_to_hz(midi).astype(np.float32), "power_db": power.astype(np.float32)})
    return out


def export_model(
    model_dir: str | os.PathLike,
    *,
    output_dir: str | os.PathLike | None = None,
    name: str | None = None,
    checkpoint: int | None = None,
    formats: str | Sequence[str] = FORMATS,
    install: bool = False,
    plugin_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    quantize: bool = False,
    overwrite: bool = False,
    preview: Preview | None = None,
    say: console.Say = console.stderr,
) -> ExportResult:
    """Export the model of ``model_dir`` (see the module docstring); returns what was written.

    ``output_dir`` defaults to ``MODEL_DIR/export``; ``name`` to MODEL_DIR's name. ``data_dir``
    is the prepared dataset whose eval examples the self-check and the level calibration use
    (default: the ``data_dir`` recorded in MODEL_DIR's dataset description, when still there);
    without one, synthesized features over the model's trained ranges are used (and the output
    says so). ``quantize`` writes the ``.tflite`` with int8 weights (dynamic-range quantization: a
    quarter of the bytes, about 3x faster per frame with XNNPACK on a CPU whose caches cannot hold
    the float weights; controls within 5 % of the float model's, checked). ``install`` copies
    ``NAME.tflite`` into ``plugin_dir`` (default :data:`ddsp_train.contract.MODEL_FOLDER`),
    replacing a file there only if ddsp-export wrote it or ``overwrite``. Raises
    :class:`ExportRefused` (after writing the SavedModel) when the plugin cannot run the model and
    ``tflite`` was asked for; UserError when the self-check fails.
    """
    plan = plan_export(model_dir, output_dir=output_dir, name=name, checkpoint=checkpoint, formats=formats,
                       install=install, plugin_dir=plugin_dir, data_dir=data_dir, overwrite=overwrite)
    say(f"Loading {plan.model_dir} (TensorFlow starts) ...")
    from ddsp_train.training.checkpoints import best_step, load_model

    # Default: the best-eval checkpoint ddsp-train kept (else the newest).
    step = plan.checkpoint if plan.checkpoint is not None else best_step(plan.model_dir)
    if plan.checkpoint is None and step is not None:
        say(f"Exporting the best-eval checkpoint, step {step} (--checkpoint N for another).")
    model, info = load_model(plan.model_dir, step=step)
    result = ExportResult(step=getattr(model, "restored_step", None))
    say(f"Loaded {plan.model_dir} at step {result.step}.")
    try:
        _export(model, info, plan, result, quantize=quantize, preview=preview, say=say)
    except BaseException:
        if result.written:  # keep listing the earlier export's files: a failed export removes nothing
            files = result.written + [f for f in manifest.listed_files(plan.previous)
                                      if os.path.lexists(plan.output_dir / f)]
            manifest.write_manifest(plan.output_dir, files=files, name=plan.name, step=result.step)
        raise
    manifest.write_manifest(plan.output_dir, files=result.written, name=plan.name, step=result.step)
    result.removed, result.foreign = manifest.tidy(plan.output_dir, previous=plan.previous, written=result.written)
    result.model_report = refresh_model_report(plan.model_dir, selfcheck_json=result.selfcheck_json, say=say)
    return result


def refresh_model_report(model_dir: pathlib.Path, *, selfcheck_json: pathlib.Path | None,
                         say: console.Say) -> pathlib.Path | None:
    """Rewrite ``MODEL_DIR/report.html`` with this export's self-check and preview; a failure is
    one warning line (None), never a failed export."""
    from ddsp_train.reports import model_page

    try:
        return model_page.write_model_report(model_dir, selfchecks=[selfcheck_json] if selfcheck_json else None)
    except Exception as e:  # noqa: BLE001 - the page is a convenience; the export stands
        say(f"Warning: {pathlib.Path(model_dir) / model_page.FILENAME} not refreshed ({type(e).__name__}: {e}).")
        return None


def _export(model: Any, info: Any, plan: ExportPlan, result: ExportResult, *, quantize: bool,
            preview: "Preview | None", say: console.Say) -> None:
    from ddsp_train.exporting import plugin_model

    output_dir, name, formats = plan.output_dir, plan.name, plan.formats
    harmonics, noise = plugin_model.sizes(model)
    meta = metadata_lib.build_metadata(dataset_info=info, num_harmonics=harmonics or 0, num_noise_amps=noise or 0)

    if "saved_model" in formats:
        from ddsp_train.exporting.saved_model import write_saved_model

        result.saved_model = write_saved_model(model, output_dir / f"{name}.saved_model", metadata=meta)
        result.written.append(result.saved_model.name)
        say(f"Wrote {result.saved_model} (offline model: features in, audio out, reverb included; "
            f"{_size(result.saved_model)}).")

    examples, source = eval_examples(plan.data_dir) if {"tflite", "features"} & set(formats) else ([], "")
    problems = plugin_model.problems(model) if "tflite" in formats else []
    if "features" in formats and not problems:
        # The feature extractor belongs beside a real-time control model (or was asked for alone).
        result.features, result.features_check = _write_features(output_dir, examples, sample_rate=model.sample_rate,
                                                                 say=say)
        result.written.append(result.features.name)
    if "tflite" not in formats:
        return
    if problems:
        result.refused = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        written = f" {result.saved_model} was written for offline use." if result.saved_model else ""
        raise ExportRefused(f"{name}.tflite not written: the DDSP-VST plugin cannot run this model:\n{lines}\n"
                            f"Train with --config vst (or tiny) on 16 kHz / 50 Hz data for a plugin model."
                            f"{written}", reasons=problems)
    _export_tflite(model, plan, result, meta=meta, examples=examples, source=source, quantize=quantize,
                   preview=preview, say=say)


def _export_tflite(model: Any, plan: ExportPlan, result: ExportResult, *, meta: dict, examples: list, source: str,
                   quantize: bool, preview: "Preview | None", say: console.Say) -> None:
    from ddsp_train.exporting import calibration
    from ddsp_train.exporting.plugin_tflite import convert_step_model
    from ddsp_train.exporting.saved_model import dry_key_of
    from ddsp_train.exporting.selfcheck import selfcheck_plugin_model

    output_dir, name = plan.output_dir, plan.name
    if not examples:
        examples = synthesized_examples(meta, frames=int(model.n_frames))
        source = (f"{len(examples)} synthesized feature curves over the trained ranges "
                  "(no --data given: pass the dataset folder to use its real eval examples)")
    result.examples_source = source
    say(f"Calibrating the level of the dry plugin output against the full model on {source} ...")
    result.gain_db = calibration.measure_gain_db(model, examples, dry_key=dry_key_of(model))
    gain = 10 ** (result.gain_db / 20)
    say(f"  level gain {result.gain_db:+.2f} dB folded into the amplitude and noise magnitudes.")
    response = calibration.reverb_response(model, gain_db=result.gain_db)
    if response is not None:
        result.reverb_wav = calibration.write_reverb_wav(output_dir / f"{name}{calibration.REVERB_SUFFIX}", response,
                                                         sample_rate=model.sample_rate)
        result.written.append(result.reverb_wav.name)
        say(f"Wrote {result.reverb_wav} (the learned reverb's impulse response for a convolution reverb, "
            f"{len(response) / model.sample_rate:.2f} s).")

    content = metadata_lib.append_metadata(convert_step_model(model, gain=gain, quantize=quantize), meta)
    path = output_dir / f"{name}{contract.MODEL_SUFFIX}"
    # Checked under a name the plugin ignores; NAME.tflite appears only once it passed.
    unchecked = write_bytes_atomic(path.with_name(path.name + ".unchecked"), content)
    say(f"Converted {path.name} ({_size(unchecked)}); it gets its name once the self-check passes.")
    say(f"Self-check: streaming {source} frame by frame against the Keras model.")
    check = selfcheck_plugin_model(unchecked.read_bytes(), model=model, examples=examples,
                                   expected_metadata=meta, quantized=quantize, gain=gain)
    result.selfcheck = check
    for line in check.lines():
        say("  " + line)
    report = dict(check.as_dict(), file=str(path), examples=source, step=result.step,
                  size_bytes=unchecked.stat().st_size, gain_db=result.gain_db,
                  gain_rule="median frame power of the full model (reverb included) minus that of its dry synths",
                  reverb_wav=str(result.reverb_wav) if result.reverb_wav else None)
    if result.features_check is not None:
        report["features"] = dict(dataclasses.asdict(result.features_check), ok=result.features_check.ok,
                                  file=str(result.features))
    result.selfcheck_json = write_json_atomic(output_dir / f"{name}.selfcheck.json", report)
    result.written.append(result.selfcheck_json.name)
    if not check.ok:
        rejected = path.with_name(path.name + ".rejected")
        os.replace(unchecked, rejected)
        result.written.append(rejected.name)
        check.raise_if_failed(f"{path} (written as {rejected})")
    os.replace(unchecked, path)
    result.written.append(path.name)
    result.tflite = path
    say(f"Wrote {path}.")
    if preview is not None:
        result.preview_wav = preview(path, meta=meta, say=say)
        result.written.append(result.preview_wav.name)
    if plan.install_target is not None:
        result.installed = write_bytes_atomic(plan.install_target, content)
        say(f"Installed {result.installed}: the DDSP-VST plugin lists it as '{name}' (rescan or reopen the plugin).")


def _write_features(output_dir: pathlib.Path, examples: list[dict], *, sample_rate: int, say: console.Say):
    """Write ``features.tflite`` after checking it on the first eval example's audio (resampled
    to 16 kHz), or on a synthesized phrase."""
    from ddsp_train.audio import resample
    from ddsp_train.exporting import feature_model

    if examples:
        audio = resample(examples[0]["audio"], rate_in=sample_rate, rate_out=contract.SAMPLE_RATE)
    else:
        from ddsp_train.synthetic import demo_phrase

        audio = demo_phrase(seconds=4.0, seed=0, sample_rate=contract.SAMPLE_RATE).audio
    content = feature_model.convert_feature_model()
    check = feature_model.check_feature_model(content, audio)
    say("  " + check.line())
    if not check.ok:
        raise UserError(f"self-check of {feature_model.FILE_NAME} failed: {check.line()}")
    path = write_bytes_atomic(output_dir / feature_model.FILE_NAME, content)
    say(f"Wrote {path} (the pitch/power feature extractor for real-time hosts; {_size(path)}; "
         "not a model for the plugin's folder).")
    return path, check


def _size(path: pathlib.Path) -> str:
    if path.is_dir():
        total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    else:
        total = path.stat().st_size
    return f"{total / 1e6:.1f} MB"


