"""``MODEL_DIR/report.html``: is the model good yet? Refreshed at each evaluation.

It reads only plain files of the model folder, no TensorBoard:

- ``eval.json``: the latest evaluation and its ``history`` (one entry per evaluation);
- ``logs/train_history.jsonl``: one JSON object per logged training step (``step``, ``loss``);
- ``samples/step-N.wav``: the listening snapshot of evaluation N: the recording
  then the model's resynthesis of it (:mod:`ddsp_train.snapshots`, which ddsp-train writes);
- the dataset description (:data:`ddsp_train.dataset_info.FILENAME`): the statistics of the
  data (the plugin's range box) and, when the data was checked, its verdicts (``check``);
- after an export, ``NAME.selfcheck.json`` (given, or found in the folder and its subfolders) and
  beside it ``NAME.preview.wav``, the packaged melody (:mod:`ddsp_train.reports.melody`) played
  through the exported model.

The headline judges the latest evaluation: pitch within 50 cents on ``PITCH_GOOD`` of the
played frames and a mean loudness error below ``LEVEL_GOOD_DB``: "sounds like the recording";
from ``PITCH_USABLE`` / ``LEVEL_USABLE_DB``: "getting there"; else "early days".
"""
from __future__ import annotations

import json
import math
import os
import pathlib
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ddsp_train import dataset_info, snapshots, train_history
from ddsp_train.atomic import write_text_atomic
from ddsp_train.reports import figures, html, units
from ddsp_train.reports.checks import FIX, GOOD, LABELS, USABLE
from ddsp_train.reports.melody import FILE_SUFFIX
from ddsp_train.reports.verdicts import CHECK_KEY, plugin_range

FILENAME = "report.html"
EVAL_JSON = "eval.json"
#: The training history ddsp-train appends (training/summaries.py: ``logs/train_history.jsonl``).
TRAIN_HISTORY = train_history.PATH
#: Listening snapshots shown, the latest first.
SNAPSHOTS_SHOWN = 6
PITCH_GOOD, PITCH_USABLE = 0.95, 0.80
LEVEL_GOOD_DB, LEVEL_USABLE_DB = 3.0, 6.0


def write_snapshot(model_dir: str | os.PathLike, *, step: int, reference: np.ndarray, resynthesis: np.ndarray,
                   sample_rate: int) -> pathlib.Path:
    """``samples/step-N.wav`` as ddsp-train writes it (:func:`ddsp_train.snapshots.write`)."""
    return snapshots.write(model_dir, step, reference=reference, resynthesis=resynthesis, sample_rate=sample_rate)


def read_snapshots(model_dir: str | os.PathLike) -> list[tuple[int, np.ndarray, np.ndarray, int]]:
    """``[(step, reference, resynthesis, sample_rate)]`` of ``samples/step-N.wav``, by step."""
    return snapshots.read_all(model_dir)


def _read_json(path: pathlib.Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def judge(latest: Mapping[str, Any]) -> tuple[str, str]:
    """``(level, sentence)`` of the latest evaluation (module docstring)."""
    pitch, level = latest.get("f0_within_50_cents"), latest.get("power_error_db")
    if not _finite(pitch) or not _finite(level):
        return USABLE, "No evaluation figures yet."
    ok = pitch >= PITCH_GOOD and level <= LEVEL_GOOD_DB
    fair = pitch >= PITCH_USABLE and level <= LEVEL_USABLE_DB
    verdict = GOOD if ok else USABLE if fair else FIX
    words = {GOOD: "It sounds like the recording.", USABLE: "Getting there.", FIX: "Early days: keep training."}
    return verdict, (f"{words[verdict]} At step {latest.get('step', '?')}, the model's version of held-out playing is "
                     f"within 50 cents of your pitch in {units.percent(pitch)} of the played moments (goal "
                     f"{units.percent(PITCH_GOOD)}) and {level:.1f} dB off your loudness on average (goal under "
                     f"{LEVEL_GOOD_DB:.0f} dB).")


def _curves(train: Sequence[Mapping], evals: Sequence[Mapping]) -> list[str]:
    out = []
    series = {}
    if train:
        series["training (this step's examples)"] = ([r["step"] for r in train], [r.get("loss") for r in train])
    if evals:
        series["held-out examples"] = ([e["step"] for e in evals], [e.get("loss") for e in evals])
    if series:
        out.append(html.figure(figures.curves_png(series, ylabel="loss (lower is better)", title="Training loss"),
                               alt="loss curves", caption="The loss: how different the model's sound is from "
                               "the recording (spectral distance). It should fall and flatten."))
    if evals:
        steps = [e["step"] for e in evals]
        pitch = {"within 50 cents": (steps, [100 * (e.get("f0_within_50_cents") or float("nan")) for e in evals])}
        level = {"loudness error": (steps, [e.get("power_error_db", float("nan")) for e in evals])}
        out.append('<div class="pair">' + html.figure(
            figures.curves_png(pitch, ylabel="% of played notes", title="Pitch accuracy (higher is better)"),
            alt="pitch accuracy over training") + html.figure(
            figures.curves_png(level, ylabel="dB", title="Loudness error (lower is better)"),
            alt="loudness error over training") + "</div>")
    return out


def _snapshots(model_dir: pathlib.Path) -> list[str]:
    snapshots = read_snapshots(model_dir)[::-1][:SNAPSHOTS_SHOWN]
    if not snapshots:
        return ['<p class="muted">No listening snapshots yet (ddsp-train writes samples/step-N.wav at each '
                "evaluation).</p>"]
    out = []
    for step, ref, syn, rate in snapshots:
        players = []
        if ref is not None:
            players.append(f"<div><b>The recording</b><br>{html.player(ref, sample_rate=rate, label='recording')}</div>")
        players.append(f"<div><b>The model at step {step}</b><br>"
                       f"{html.player(syn, sample_rate=rate, label=f'model at step {step}')}</div>")
        out.append(f"<h3>Step {step}</h3>" + '<div class="pair">' + "".join(players) + "</div>")
        if ref is not None:
            out.append(html.figure(figures.pair_png(ref, syn, sample_rate=rate, title=f"(step {step})"),
                                   alt=f"spectrograms at step {step}",
                                   caption="Top: the recording; bottom: the model's version. The closer the "
                                           "patterns of lines (the harmonics), the closer the sound."))
    return out


def _coverage(model_dir: pathlib.Path) -> list[str]:
    if not dataset_info.exists(model_dir):
        return []
    info = dataset_info.DatasetInfo.read(model_dir)
    out = ["<h2>What the model learned to play</h2>"]
    sentence = plugin_range(info.statistics)
    minutes = units.minutes(info.total_seconds)
    text = f"Trained on {minutes} of audio from {info.files_used} file{'s' * (info.files_used != 1)}. "
    text += sentence or "The data's pitch range is not recorded in its description."
    check = info.extra.get(CHECK_KEY)
    if isinstance(check, Mapping) and check.get("overall") in LABELS:
        text += f" The data check said: {LABELS[check['overall']]}."
    out.append(f'<div class="box">{html.esc(text)}</div>')
    return out


def find_selfchecks(model_dir: pathlib.Path) -> list[pathlib.Path]:
    """``*.selfcheck.json`` in the model folder and its subfolders (two levels)."""
    return sorted({*model_dir.glob("*.selfcheck.json"), *model_dir.glob("*/*.selfcheck.json"),
                   *model_dir.glob("*/*/*.selfcheck.json")})


def _export(path: pathlib.Path) -> list[str]:
    import soundfile as sf

    report = _read_json(path)
    if not isinstance(report, Mapping):
        return []
    name = path.name[: -len(".selfcheck.json")]
    ok = bool(report.get("ok"))
    out = [f"<h2>The exported plugin model: {html.esc(name)}.tflite</h2>",
           f"<p>{html.badge(GOOD if ok else FIX, 'passed' if ok else 'failed')} "
           + html.esc("Every self-check passed: the plugin file plays like the trained model." if ok else
                      "The self-check failed: " + "; ".join(report.get("failures") or [])) + "</p>"]
    rows = [[html.badge(GOOD if c.get("ok") else FIX, "ok" if c.get("ok") else "failed"), html.esc(c.get("check", ""))]
            for c in report.get("checks", [])]
    diffs = report.get("max_abs_diff") or {}
    if diffs:
        rows.append(["", html.esc("largest difference from the trained model: " + ", ".join(
            f"{k.replace('_', ' ')} {v:.1e}" for k, v in diffs.items() if _finite(v))
            + f" (allowed {report.get('tolerance', float('nan')):.0e})")])
    median, p99 = report.get("latency_us_median"), report.get("latency_us_p99")
    if _finite(median):
        factor = report.get("realtime_factor")
        rows.append(["", html.esc(f"time per 20 ms frame: {median:.0f} \u00b5s typical, {p99:.0f} \u00b5s at worst "
                                  f"(99th percentile): {factor:.0f}x faster than real time" if _finite(factor) else "")])
    passed = sum(1 for c in report.get("checks", []) if c.get("ok"))
    out.append(f"<details><summary>{passed} of {len(report.get('checks', []))} checks passed (details)</summary>"
               + html.table(["", "check"], rows[: len(report.get("checks", []))], raw=True) + "</details>")
    out.append(html.table(["", "figure"], rows[len(report.get("checks", [])):], raw=True))
    preview = path.with_name(name + FILE_SUFFIX)
    if preview.is_file():
        audio, rate = sf.read(str(preview), dtype="float32", always_2d=True)
        out.append("<p><b>Preview</b>: a melody (the opening of \u201cOde to Joy\u201d) played by the exported model "
                   f"{html.player(audio.mean(axis=1), sample_rate=rate, label='preview')}</p>")
    return out


def render_model_report(model_dir: str | os.PathLike, *, selfchecks: Iterable[str | os.PathLike] | None = None) -> str:
    """The page's HTML (module docstring)."""
    model_dir = pathlib.Path(model_dir)
    latest = _read_json(model_dir / EVAL_JSON) or {}
    evals = [e for e in latest.get("history", []) if isinstance(e, Mapping) and "step" in e]
    train = [r for r in train_history.read(model_dir / TRAIN_HISTORY) if _finite(r.get("loss"))]
    level, sentence = judge(latest)
    body = [f"<h1>Is the model good yet? \u2014 {html.esc(model_dir.resolve().name)}</h1>",
            f'<p class="lead">{html.badge(level, {GOOD: "good", USABLE: "getting there", FIX: "early days"}[level])} '
            f"{html.esc(sentence)}</p>"]
    if train:
        body.append(f'<p class="muted">{train[-1]["step"]} training steps logged; {len(evals)} evaluations.</p>')
    body.append("<h2>Listen</h2>")
    body += _snapshots(model_dir)
    body.append("<h2>Progress</h2>")
    body += _curves(train, evals) or ['<p class="muted">No figures yet.</p>']
    body += _coverage(model_dir)
    paths = find_selfchecks(model_dir) if selfchecks is None else [pathlib.Path(p) for p in selfchecks]
    for path in paths:
        body += _export(path)
    return html.page(f"Model \u2014 {model_dir.resolve().name}", "\n".join(body))


def write_model_report(model_dir: str | os.PathLike, *, selfchecks: Iterable[str | os.PathLike] | None = None,
                       filename: str = FILENAME) -> pathlib.Path:
    """Write ``MODEL_DIR/report.html`` atomically (see :func:`render_model_report`); returns its path."""
    return write_text_atomic(pathlib.Path(model_dir) / filename, render_model_report(model_dir, selfchecks=selfchecks))
