"""Export and real-time figures: per-frame latency and real-time factor of the plugin .tflite
(float32, and with ``--quantize``'s int8 weights) and of features.tflite, the whole ddsp-transfer
chain's real-time factor on one core, file sizes, and the wall time of ``ddsp-export --check`` and of a
refused export (both answer before TensorFlow would be imported).

Without MODEL_DIR it builds the ``vst`` recipe (untrained weights: the speed of a model does not
depend on its weights) for 16 kHz / 50 Hz / 4 s; with MODEL_DIR it exports that trained model.
The chain (audio at 44.1 kHz in, audio out, reverb on) is timed on a synthesized melody
(``--seconds``), pinned to one CPU core, for each pitch tracker in ``--f0-methods`` (pyin is far
too slow for real time and is left out by default); ``--repeats`` runs, the fastest shown in full.

\b
Example:
  python scripts/bench_export.py --seconds 30
  python scripts/bench_export.py runs/violin --data data/violin --f0-methods network,yin
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import time

import click
import numpy as np


def _build_vst(output: pathlib.Path) -> pathlib.Path:
    """Export an untrained vst model (built from the packaged recipe) into ``output``."""
    from ddsp_train.exporting import metadata, plugin_tflite, saved_model
    from ddsp_train.atomic import write_bytes_atomic
    from ddsp_train.training import gin_config

    info = {"sample_rate": 16000, "frame_rate": 50, "example_secs": 4.0, "f0_method": "yin",
            "statistics": {"mean_min_pitch_note": 55.0, "mean_max_pitch_note": 79.0,
                           "mean_min_pitch_note_hz": 196.0, "mean_max_pitch_note_hz": 783.99,
                           "mean_min_power_note": -40.0, "mean_max_power_note": -15.0}}
    gin_config.parse(config_files=[str(gin_config.resolve_config("vst"))], bindings=[], dataset_info=info)
    model = gin_config.build_model(dataset_info=info)
    model.build_from_timing()
    meta = metadata.build_metadata(dataset_info=info, num_harmonics=60, num_noise_amps=65)
    path = write_bytes_atomic(output / "vst.tflite",
                              metadata.append_metadata(plugin_tflite.convert_step_model(model), meta))
    write_bytes_atomic(output / "vst_int8.tflite",
                       metadata.append_metadata(plugin_tflite.convert_step_model(model, quantize=True), meta))
    saved_model.write_saved_model(model, output / "vst.saved_model", metadata=meta)
    return path


def _answer_seconds(tflite: pathlib.Path) -> dict:
    """Wall time of the console script for ``--check FILE`` (no TensorFlow) and for a refused export
    (a missing checkpoint: refused before TensorFlow is imported), best of three each."""
    import subprocess
    import sys

    script = str(pathlib.Path(sys.executable).parent / "ddsp-export")
    figures = {}
    for key, args, code in (("check_seconds", ["--check", str(tflite)], 0),
                            ("refusal_seconds", [str(tflite.parent / "no-such-model")], 1)):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run([script, *args], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if proc.returncode != code:
                raise SystemExit(f"ddsp-export {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        figures[key] = round(min(times), 2)
    return figures


def _size(path: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


@click.command()
@click.argument("model_dir", required=False, type=click.Path(path_type=pathlib.Path))
@click.option("--data", "data_dir", type=click.Path(path_type=pathlib.Path), default=None)
@click.option("--seconds", type=float, default=30.0, show_default=True, help="Length of the transfer input.")
@click.option("--f0-methods", default="yin,network", show_default=True)
@click.option("--calls", type=int, default=1000, show_default=True)
@click.option("--repeats", type=int, default=3, show_default=True,
              help="Runs of each chain; the fastest is shown in full (a shared machine adds noise).")
@click.option("--json", "json_path", default=None, help="Also write the figures as rows for scripts/bench.py.")
def main(model_dir, data_dir, seconds, f0_methods, calls, repeats, json_path):
    """Print the export and transfer figures."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    from ddsp_train import synthetic
    from ddsp_train.exporting.selfcheck import time_calls
    from ddsp_train.pitch import available_trackers, get_tracker
    from ddsp_train.realtime.players import load_player
    from ddsp_train.realtime.transfer import transfer_audio

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-export-"))
    started = time.perf_counter()
    if model_dir is None:
        tflite = _build_vst(tmp)
        saved = tmp / "vst.saved_model"
        source = "vst recipe, untrained weights"
        level_gain_db = "n/a (untrained)"
    else:
        from ddsp_train.exporting.exporter import export_model

        result = export_model(model_dir, output_dir=tmp, name="bench", data_dir=data_dir, say=lambda s: None)
        int8 = export_model(model_dir, output_dir=tmp / "int8", name="vst_int8", data_dir=data_dir,
                            formats=["tflite"], quantize=True, say=lambda s: None)
        shutil.copyfile(int8.tflite, tmp / "vst_int8.tflite")
        tflite, saved, source = result.tflite, result.saved_model, f"{model_dir} step {result.step}"
        level_gain_db = round(result.gain_db, 2)
    export_secs = time.perf_counter() - started
    content = tflite.read_bytes()
    figures = {"model": source, "export_seconds": round(export_secs, 1),
               "tflite_bytes": len(content), "saved_model_bytes": _size(saved)}
    figures.update(_answer_seconds(tflite), level_gain_db=level_gain_db)
    quantized = (tmp / "vst_int8.tflite").read_bytes()
    figures["int8_tflite_bytes"] = len(quantized)
    for prefix, model_bytes in (("", content), ("int8_", quantized)):
        for xnnpack in (False, True):
            median, p99 = time_calls(model_bytes, calls=calls, xnnpack=xnnpack)
            tag = "xnnpack" if xnnpack else "builtin_no_delegates"
            figures[f"{prefix}latency_us_median_{tag}"] = round(median, 1)
            figures[f"{prefix}latency_us_p99_{tag}"] = round(p99, 1)
            figures[f"{prefix}control_model_realtime_factor_{tag}"] = round(20000.0 / median, 1)

    melody = synthetic.demo_phrase(seconds=seconds, seed=1, timbre="flute", sample_rate=44100,
                                   low_midi=60, high_midi=76)
    from ddsp_train.audio import resample
    from ddsp_train.exporting import feature_model

    features = feature_model.convert_feature_model()
    check = feature_model.check_feature_model(features, resample(melody.audio, rate_in=44100, rate_out=16000),
                                              max_frames=calls)
    figures["features_tflite_bytes"] = len(features)
    figures["features_latency_us_median"] = round(check.latency_us_median, 1)
    figures["features_latency_us_p99"] = round(check.latency_us_p99, 1)
    for kind, path in (("tflite", tflite), ("saved_model", saved)):
        player = load_player(path)
        for method in [m.strip() for m in f0_methods.split(",") if m.strip()]:
            if method not in available_trackers():
                figures[f"chain_{kind}_{method}"] = "not available"
                continue
            tracker = get_tracker(method)
            transfer_audio(player, melody.audio[: 44100 * 2], sample_rate=44100, tracker=tracker, reverb=False)
            reports = [transfer_audio(player, melody.audio, sample_rate=44100, tracker=tracker, reverb=True)[1]
                       for _ in range(repeats)]
            report = min(reports, key=lambda r: r.seconds_total)
            figures[f"chain_{kind}_{method}"] = {
                "realtime_factor": round(report.realtime_factor, 1),
                "realtime_factor_median_of_runs": round(float(np.median([r.realtime_factor for r in reports])), 1),
                "seconds_features": round(report.seconds_features, 2),
                "seconds_model": round(report.seconds_model, 2),
                "seconds_synth": round(report.seconds_synth, 2),
                "seconds_total": round(report.seconds_total, 2),
            }
    print(json.dumps(figures, indent=2))
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows_of(figures), f, indent=1)


def rows_of(figures: dict) -> list[dict]:
    """The figures as rows for scripts/bench.py."""
    rows = [{"section": "export", "figure": "model", "value": figures["model"], "unit": ""}]
    for key, unit in (("tflite_bytes", "bytes"), ("saved_model_bytes", "bytes"), ("features_tflite_bytes", "bytes"),
                      ("latency_us_median_builtin_no_delegates", "us"), ("latency_us_p99_builtin_no_delegates", "us"),
                      ("latency_us_median_xnnpack", "us"), ("latency_us_p99_xnnpack", "us"),
                      ("control_model_realtime_factor_builtin_no_delegates", "x real time"),
                      ("control_model_realtime_factor_xnnpack", "x real time"),
                      ("int8_tflite_bytes", "bytes"), ("int8_latency_us_median_builtin_no_delegates", "us"),
                      ("int8_latency_us_median_xnnpack", "us"), ("int8_latency_us_p99_xnnpack", "us"),
                      ("features_latency_us_median", "us"), ("features_latency_us_p99", "us"),
                      ("check_seconds", "s"), ("refusal_seconds", "s"), ("level_gain_db", "dB")):
        rows.append({"section": "export", "figure": key.replace("_", " "), "value": figures[key], "unit": unit})
    for key, value in figures.items():
        if key.startswith("chain_") and isinstance(value, dict):
            rows.append({"section": "transfer", "figure": f"{key[6:].replace('_', ' ')} chain, one core",
                         "value": value["realtime_factor"], "unit": "x real time"})
    return rows


if __name__ == "__main__":
    main()
