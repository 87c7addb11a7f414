"""Takes with one problem each, generated for the report tests (not a test module).

Each is a 20 s bowed phrase of :func:`ddsp_train.synthetic.demo_phrase` (16 kHz), then:
``chord`` adds the same phrase a major third up (a two-note chord throughout), ``reverb``
convolves it with 2 s of exponentially decaying noise (-60 dB at 2 s, tail kept), ``clipped``
turns it up 4x and clips at full scale, ``noisy`` adds white noise at -35 dBFS RMS, ``dc`` adds
an offset of 0.05.
"""
from __future__ import annotations

import numpy as np

from ddsp_train import console, synthetic

SAMPLE_RATE = 16000
SECONDS = 20.0


def clean(seed: int = 1, *, seconds: float = SECONDS, timbre: str = "bowed") -> np.ndarray:
    return synthetic.demo_phrase(seconds=seconds, seed=seed, timbre=timbre, sample_rate=SAMPLE_RATE).audio


def chord(seed: int = 1, *, interval: int = 4) -> np.ndarray:
    notes = synthetic.random_melody(seconds=SECONDS, rng=np.random.default_rng(seed))
    upper = [synthetic.Note(n.start, n.duration, n.midi + interval, n.velocity) for n in notes]
    low = synthetic.render_melody(notes, seconds=SECONDS, sample_rate=SAMPLE_RATE, seed=seed).audio
    high = synthetic.render_melody(upper, seconds=SECONDS, sample_rate=SAMPLE_RATE, seed=seed + 1).audio
    return (low + high).astype(np.float32)


def reverb(audio: np.ndarray, *, seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """``audio`` convolved with ``seconds`` of noise decaying 60 dB over ``seconds``, its direct sound 0.3."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    ir = rng.standard_normal(len(t)) * 10.0 ** (-3.0 * t / seconds)
    ir /= np.sqrt(np.sum(ir ** 2))
    ir[0] = 0.3
    return np.convolve(audio, ir).astype(np.float32)


def clipped(audio: np.ndarray, *, overdrive: float = 3.0) -> np.ndarray:
    """``audio`` turned up until its peak is ``overdrive`` times full scale, clipped at full scale."""
    return np.clip(audio * overdrive / np.max(np.abs(audio)), -1.0, 1.0).astype(np.float32)


def noisy(audio: np.ndarray, *, noise_dbfs: float = -35.0, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(len(audio)) * 10 ** (noise_dbfs / 20)
    return (audio + noise).astype(np.float32)


def with_dc(audio: np.ndarray, *, offset: float = 0.05) -> np.ndarray:
    return (audio + offset).astype(np.float32)


def snapshots_from_tensorboard(model_dir) -> list[int]:
    """Write ``samples/step-N.wav`` of a model folder from the reference / resynthesis audio its
    evaluations logged to TensorBoard (what ddsp-train will write directly once the report is
    wired in); returns the steps written."""
    import io
    import pathlib

    import soundfile as sf
    import tensorflow as tf

    from ddsp_train.reports.model_page import write_snapshot

    steps = []
    for events in sorted((pathlib.Path(model_dir) / "logs" / "eval").glob("events.*")):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            for value in event.summary.value:
                if value.tag == "reference_vs_resynthesis":
                    clips = tf.make_ndarray(value.tensor)[:, 0]
                    (ref, rate), (syn, _) = (sf.read(io.BytesIO(c), dtype="float32") for c in clips[:2])
                    write_snapshot(model_dir, step=event.step, reference=ref, resynthesis=syn, sample_rate=rate)
                    steps.append(int(event.step))
    return sorted(steps)


def _once(tmp_path_factory, name: str, make) -> "pathlib.Path":
    """``make(folder)`` once per test run (the page is kept in the run's temp folder)."""
    import pathlib

    folder = pathlib.Path(tmp_path_factory.getbasetemp()) / name
    page = folder / "report.html"
    if not page.exists():
        folder.mkdir(parents=True, exist_ok=True)
        make(folder)
    return page


def dataset_page_of_run(tmp_path_factory, request):
    """``DATASET/report.html`` of the conftest's prepared dataset (the real pipeline's output),
    written into a temp folder; once per run."""
    from ddsp_train.dataset_info import DatasetInfo
    from ddsp_train.reports import files as files_lib
    from ddsp_train.reports.dataset_page import write_dataset_report

    def make(folder):
        info = DatasetInfo.read(request.getfixturevalue("prepared_dataset"))
        checks, excerpts = files_lib.check_dataset(info, say=console.silent)
        write_dataset_report(folder, checks=checks, excerpts=excerpts, info=info)

    return _once(tmp_path_factory, "reports_dataset_page", make)


def model_page_of_run(tmp_path_factory, request):
    """``MODEL_DIR/report.html`` of the tiny trained and exported ``vst`` model
    (tests/export_support.py), on a copy of its model folder with the listening snapshots
    taken from its TensorBoard logs, its self-check report, and a preview: the packaged melody
    played through the exported .tflite by the real ``ddsp-transfer``; once per run."""
    import shutil

    import soundfile as sf

    import export_support
    from ddsp_train.reports.melody import preview_melody
    from ddsp_train.reports.model_page import write_model_report

    def make(folder):
        run = export_support.trained_vst_export(tmp_path_factory, request)
        model_dir = folder / "model"
        shutil.copytree(run["model_dir"], model_dir, ignore=shutil.ignore_patterns("checkpoints"))
        snapshots_from_tensorboard(model_dir)
        export = model_dir / "export"
        export.mkdir()
        selfcheck = shutil.copy(run["selfcheck_json"], export / "tinyvst.selfcheck.json")
        melody = folder / "melody.wav"
        sf.write(melody, preview_melody(sample_rate=16000), 16000)
        export_support.run("ddsp-transfer", run["tflite"], str(melody), "--output", str(export / "tinyvst.preview.wav"))
        write_model_report(model_dir, selfchecks=[selfcheck])
        shutil.copy(model_dir / "report.html", folder / "report.html")

    return _once(tmp_path_factory, "reports_model_page", make)
