"""``ddsp-export``'s library function: a trained MODEL_DIR -> plugin ``.tflite`` + SavedModel, proven.

:func:`export_model` restores the model (latest or chosen checkpoint), writes
``NAME.saved_model/`` (every config), ``features.tflite`` (the pitch and power extractor with the
interface of the plugin's own, :mod:`ddsp_train.exporting.feature_model`: with the control model it
is the whole real-time chain for hosts other than the plugin, which embeds its own) and, when the
model fits the plugin, ``NAME.tflite`` with its metadata: written as ``NAME.tflite.unchecked``,
self-checked as read back from disk (:mod:`ddsp_train.exporting.selfcheck`, the result in
``NAME.selfcheck.json``), then renamed ``NAME.tflite``, or ``NAME.tflite.rejected`` (so nothing
installs it) when the check fails, and the export fails. A model the plugin cannot run gets no
``.tflite``: :class:`ExportRefused` names each mismatch, after the SavedModel has been written.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ddsp_train.errors import UserError
from ddsp_train.exporting import metadata as metadata_lib
from ddsp_train.atomic import write_bytes_atomic

FORMATS = ("tflite", "saved_model", "features")
DEFAULT_PLUGIN_DIR = pathlib.Path("~/Documents/Magenta/DDSP/Models")
EVAL_EXAMPLES = 4


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
    examples_source: str = ""
    refused: list = dataclasses.field(default_factory=list)


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"tflite,saved_model"`` -> ``("tflite", "saved_model")``; UserError for anything else."""
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [i.strip() for i in items if i.strip()]
    bad = [i for i in items if i not in FORMATS]
    if bad or not items:
        raise UserError(f"--format got {','.join(items) or 'nothing'}; allowed: a comma-separated list of "
                        f"{', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


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
    formats: Sequence[str] = FORMATS,
    install: bool = False,
    plugin_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    quantize: bool = False,
    echo: Callable[[str], None] = print,
) -> ExportResult:
    """Export the model of ``model_dir`` (see the module docstring); returns what was written.

    ``data_dir`` is the prepared dataset whose eval examples the self-check streams (default: the
    ``data_dir`` recorded in MODEL_DIR's ``dataset.json``, when present and still there); without
    one, synthesized features over the model's trained ranges are used (and the output says so).
    ``quantize`` writes the ``.tflite`` with int8 weights (dynamic-range quantization: a quarter of
    the bytes, about 3x faster per frame with XNNPACK on a CPU whose caches cannot hold the float
    weights; controls within 5 % of the float model's, checked). Raises :class:`ExportRefused`
    (after writing the SavedModel) when the plugin cannot run the
    model and ``tflite`` was asked for; UserError when the self-check fails.
    """
    from ddsp_train.training.checkpoints import load_model

    model_dir = pathlib.Path(model_dir)
    formats = parse_formats(formats)
    if install and "tflite" not in formats:
        raise UserError("--install copies the .tflite into the plugin's folder, but --format does not include tflite")
    name = name or model_dir.resolve().name
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise UserError(f"--name {name!r} must be a plain file name (no folders, not hidden)")
    output_dir = pathlib.Path(output_dir) if output_dir is not None else model_dir / "export"
    if output_dir.exists() and not output_dir.is_dir():
        raise UserError(f"--output {output_dir} is a file; give a folder")
    data_dir = pathlib.Path(data_dir) if data_dir is not None else None
    if data_dir is not None and not (data_dir / "dataset.json").exists():
        raise UserError(f"--data {data_dir} is not a prepared dataset (no dataset.json)")

    model, dataset_info = load_model(model_dir, step=checkpoint)
    if data_dir is None and dataset_info.get("data_dir"):
        recorded = pathlib.Path(dataset_info["data_dir"])  # where the model was trained from, if recorded
        data_dir = recorded if (recorded / "dataset.json").exists() else None
    result = ExportResult(step=getattr(model, "restored_step", None))
    echo(f"Loaded {model_dir} at step {result.step}.")
    harmonics = dict(getattr(model.decoder, "output_splits", ())).get("harmonic_distribution", 0)
    noise = dict(getattr(model.decoder, "output_splits", ())).get("noise_magnitudes", 0)
    meta = metadata_lib.build_metadata(dataset_info=dataset_info, num_harmonics=harmonics, num_noise_amps=noise)

    if "saved_model" in formats:
        from ddsp_train.exporting.saved_model import write_saved_model

        result.saved_model = write_saved_model(model, output_dir / f"{name}.saved_model", metadata=meta)
        echo(f"Wrote {result.saved_model} (offline model: features in, audio out, reverb included; "
             f"{_size(result.saved_model)}).")

    examples, source = eval_examples(data_dir) if {"tflite", "features"} & set(formats) else ([], "")
    problems = model.is_plugin_compatible() if "tflite" in formats else []
    if "features" in formats and not problems:
        # The feature extractor belongs beside a real-time control model (or was asked for alone).
        result.features, result.features_check = _write_features(output_dir, examples, sample_rate=model.sample_rate,
                                                                 echo=echo)

    if "tflite" in formats:
        if problems:
            result.refused = problems
            lines = "\n".join(f"  - {p}" for p in problems)
            written = f" {result.saved_model} was written for offline use." if result.saved_model else ""
            raise ExportRefused(f"{name}.tflite not written: the DDSP-VST plugin cannot run this model:\n{lines}\n"
                                f"Train with --config vst (or tiny) on 16 kHz / 50 Hz data for a plugin model."
                                f"{written}", reasons=problems)
        from ddsp_train.exporting.plugin_tflite import convert_step_model
        from ddsp_train.exporting.selfcheck import selfcheck_plugin_model

        content = metadata_lib.append_metadata(convert_step_model(model, quantize=quantize), meta)
        path = output_dir / f"{name}.tflite"
        # Checked under a name the plugin ignores; NAME.tflite appears only once it passed.
        unchecked = write_bytes_atomic(path.with_name(path.name + ".unchecked"), content)
        echo(f"Converted {path.name} ({_size(unchecked)}); it gets its name once the self-check passes.")
        if not examples:
            examples = synthesized_examples(meta)
            source = (f"{len(examples)} synthesized feature curves over the trained ranges "
                      "(no --data given: pass the dataset folder to stream its real eval examples)")
        result.examples_source = source
        echo(f"Self-check: streaming {source} frame by frame against the Keras model.")
        check = selfcheck_plugin_model(unchecked.read_bytes(), model=model, examples=examples,
                                       expected_metadata=meta, quantized=quantize)
        result.selfcheck = check
        for line in check.lines():
            echo("  " + line)
        report = dict(check.as_dict(), file=str(path), examples=source, step=result.step,
                      size_bytes=unchecked.stat().st_size)
        if result.features_check is not None:
            report["features"] = dict(dataclasses.asdict(result.features_check), ok=result.features_check.ok,
                                      file=str(result.features))
        result.selfcheck_json = write_bytes_atomic(output_dir / f"{name}.selfcheck.json",
                                                   (json.dumps(report, indent=2) + "\n").encode())
        if not check.ok:
            rejected = path.with_name(path.name + ".rejected")
            os.replace(unchecked, rejected)
            check.raise_if_failed(f"{path} (written as {rejected})")
        os.replace(unchecked, path)
        echo(f"Wrote {path}.")
        result.tflite = path
        if install:
            target_dir = pathlib.Path(plugin_dir or DEFAULT_PLUGIN_DIR).expanduser()
            result.installed = write_bytes_atomic(target_dir / path.name, content)
            echo(f"Installed {result.installed}: the DDSP-VST plugin lists it as '{name}' "
                 "(rescan or reopen the plugin).")
    return result


def _write_features(output_dir: pathlib.Path, examples: list[dict], *, sample_rate: int, echo):
    """Write ``features.tflite`` after checking it on the first eval example's audio (resampled
    to 16 kHz), or on a synthesized phrase."""
    from ddsp_train.exporting import feature_model
    from ddsp_train.realtime.player import resample

    if examples:
        audio = resample(examples[0]["audio"], from_rate=sample_rate, to_rate=16000)
    else:
        from ddsp_train.synthetic import demo_phrase

        audio = demo_phrase(seconds=4.0, seed=0, sample_rate=16000).audio
    content = feature_model.convert_feature_model()
    check = feature_model.check_feature_model(content, audio)
    echo("  " + check.line())
    if not check.ok:
        raise UserError(f"self-check of {feature_model.FILE_NAME} failed: {check.line()}")
    path = write_bytes_atomic(output_dir / feature_model.FILE_NAME, content)
    echo(f"Wrote {path} (the pitch/power feature extractor for real-time hosts; {_size(path)}; "
         "not a model for the plugin's folder).")
    return path, check


def _size(path: pathlib.Path) -> str:
    if path.is_dir():
        total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    else:
        total = path.stat().st_size
    return f"{total / 1e6:.1f} MB"


