"""The ``ddsp-prepare`` job: recordings -> TFRecord examples with f0, loudness and power.

:func:`prepare_dataset` orchestrates the stages, each in its own module:

1. Driver: check the options and ``--output`` before any work (:mod:`ddsp_train.paths`), expand
   the INPUTs and check every file (:mod:`~ddsp_train.data.inputs`), split train/eval
   (:mod:`~ddsp_train.data.split`) and plan the work items (:mod:`~ddsp_train.data.plan`).
2. Beam (:mod:`~ddsp_train.data.beam_job`): each work item is one stretch of one recording, run by
   :mod:`~ddsp_train.data.worker` into a records file of its own in the staging folder.
3. Driver: deal the records into shards, check that everything arrived, statistics,
   ``report.png``, the data check (:mod:`ddsp_train.reports`: ``report.html`` and its numbers in
   ``dataset.json``) and ``dataset.json`` (:mod:`~ddsp_train.data.summary`), then the staging
   folder replaces ``--output`` in one step (:mod:`~ddsp_train.data.staging`).

:func:`check_recordings` is ``ddsp-prepare --check-only``: the data check of the INPUTs alone.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from typing import Sequence

from ddsp_train import console, contract, dataset_info, paths
from ddsp_train.data import beam_job, ddsp_format, inputs as inputs_lib, nsynth, plan
from ddsp_train.data import split as split_lib, staging as staging_lib
from ddsp_train.data import summary as summary_lib
from ddsp_train.data.plan import Config, WorkItem
from ddsp_train.data.split import Region
from ddsp_train.errors import UserError
from ddsp_train.pitch import DEFAULT_F0_METHOD, tracker_parallel

#: Below this much usable audio a note points to the README's advice (3 minutes already gives a
#: recognisable timbre).
MIN_AUDIO_SECS = 180.0


def check_options(*, eval_fraction: float, workers: int | None, shards: int | None) -> None:
    """UserError for an option out of range."""
    if not 0 <= eval_fraction < 1:
        raise UserError(f"--eval-fraction must be in [0, 1), got {eval_fraction}")
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be >= 1, got {workers}")
    if shards is not None and shards < 1:
        raise UserError(f"--shards must be >= 1, got {shards}")


def check_output(output: str, *, overwrite: bool, inputs: Sequence[str]) -> None:
    """Refuse, before any work, an ``output`` that is, holds or lies in an INPUT, a non-empty
    folder that ddsp-prepare did not write (even with ``overwrite``), one it wrote without
    ``overwrite``, a path under a file, or one where the folder or its staging folder cannot be
    written."""
    paths.check_output_dir(output, overwrite=overwrite, marker=dataset_info.FILENAME, writer="ddsp-prepare",
                           inputs=inputs_lib.input_roots(inputs))
    parent = paths.resolved(output).parent
    paths.check_creatable(parent / f"{staging_lib.STAGING_PREFIX}probe", flag="--output", shown=output)


def check_files(files: list[tuple[str, str]], *, config: Config, strict: bool, say: console.Say) -> list[dict]:
    """One record per file (``path, source, status, reason, seconds, split, sample_rate,
    channels, sha256`` and, privately, ``_info``); UserError when nothing is usable, or anything
    is not under ``strict``."""
    records = []
    progress = console.Progress(label="Checking", total=len(files), unit="files", enabled=say is not console.silent,
                                stream=_stream(say), every=beam_job.PROGRESS_EVERY)
    for n, (path, source) in enumerate(files):
        info, digest, reason = inputs_lib.check_file(path, sample_rate=config.sample_rate,
                                                     example_samples=config.example_samples,
                                                     example_secs=config.example_secs)
        records.append({"path": os.path.abspath(path), "source": source, "status": "skipped" if reason else "used",
                        "reason": reason, "seconds": round(info.seconds, 3) if info else None, "split": None,
                        "sample_rate": info.sample_rate if info else None,
                        "channels": info.channels if info else None, "sha256": digest, "_info": info})
        if n + 1 < len(files):
            progress.update(n + 1)
    progress.close(len(files))
    skipped = [r for r in records if r["status"] == "skipped"]
    listing = "\n".join(f"  {r['path']}: {r['reason']}" for r in skipped)
    if strict and skipped:
        raise UserError("--strict: unusable input files:\n" + listing)
    if len(skipped) == len(records):
        raise UserError("no usable audio remains:\n" + listing)
    return records


def plan_split(records: list[dict], *, config: Config, eval_fraction: float, seed: int,
               say: console.Say) -> list[WorkItem]:
    """Split the usable files (by time for one distinct recording, else by recording), note a
    split far from ``eval_fraction``, and plan the work items. Updates ``records`` in place."""
    usable = [i for i, r in enumerate(records) if r["status"] == "used"]
    lengths = {i: plan.output_samples(records[i]["_info"], config=config) for i in usable}
    items: list[WorkItem] = []
    if len({records[i]["sha256"] for i in usable}) == 1:
        first = usable[0]
        regions = split_lib.time_split(lengths[first], eval_fraction=eval_fraction,
                                       example_samples=config.example_samples, hop_samples=config.hop_samples)
        for j in usable[1:]:  # identical copies: one is used
            records[j].update(status="skipped", reason=f"duplicate content of {records[first]['path']}", split=None)
        records[first]["split"] = "+".join(r.split for r in regions)
        records[first]["regions"] = [{"split": r.split, "start_secs": r.start / config.sample_rate,
                                      "stop_secs": r.stop / config.sample_rate} for r in regions]
        items += plan.plan_items(first, records[first]["_info"], records[first]["source"], regions, config=config)
        usable = [first]
        share = sum(r.stop - r.start for r in regions if r.split == "eval") / lengths[first]
    else:
        splits = split_lib.split_files([records[i]["sha256"] for i in usable],
                                       [lengths[i] / config.sample_rate for i in usable],
                                       eval_fraction=eval_fraction, seed=seed)
        for i, split in zip(usable, splits):
            records[i]["split"] = split
            items += plan.plan_items(i, records[i]["_info"], records[i]["source"], [Region(split, 0, lengths[i])],
                                     config=config)
        share = sum(lengths[i] for i, sp in zip(usable, splits) if sp == "eval") / sum(lengths[i] for i in usable)
    eval_files = sum(1 for i in usable if "eval" in records[i]["split"].split("+"))
    note = split_lib.split_note(share=share, eval_fraction=eval_fraction, recordings=len(usable),
                                eval_recordings=eval_files, example_secs=config.example_secs)
    if note:
        say(note)
    return items


def _stream(say: console.Say):
    """Where a progress line for ``say`` is drawn: stderr itself for :func:`console.stderr`
    (redrawn in place on a terminal), else one line per update handed to ``say``."""
    return sys.stderr if say is console.stderr else beam_job.LineStream(say)


def run_job(items: list[WorkItem], *, staging: str, config: Config, total_secs: float, workers: int,
            shards: int | None, beam_args: Sequence[str], say: console.Say) -> tuple[list[bytes], dict[str, int]]:
    """Run the Beam job into ``staging`` and deal its records into shards; the frame records and
    the planned examples per split."""
    progress_dir, records_dir = os.path.join(staging, "_progress"), os.path.join(staging, "_records")
    os.makedirs(progress_dir)
    os.makedirs(records_dir)
    config = dataclasses.replace(config, progress_dir=progress_dir, records_dir=records_dir)
    options = beam_job.pipeline_options(beam_args, workers=workers, total_secs=total_secs,
                                        parallel=tracker_parallel(config.f0_method))
    per_file: dict[int, float] = {}
    for item in items:
        per_file[item.file_index] = per_file.get(item.file_index, 0.0) + item.own_samples / config.sample_rate
    with beam_job.beam_log(os.path.join(staging, "_beam.log"), capture=beam_job.is_local(options), say=say) as real:
        stream = real if say is console.stderr else _stream(say)  # fd 2 goes to the log meanwhile
        with beam_job.progress_line(progress_dir, per_file_secs=per_file, stream=stream,
                                    enabled=say is not console.silent):
            beam_job.run_beam(items, config=config, options=options)
    expected = {split: sum(len(i.starts) for i in items if i.region.split == split) for split in summary_lib.SPLITS}
    frames = beam_job.split_records(staging, records_dir=records_dir, shards=shards, expected=expected,
                                    example_bytes=4 * (config.example_samples + 4 * config.example_frames
                                                      + config.example_samples * 16000 // config.sample_rate) + 200)
    return frames, expected


def prepare_dataset(
    inputs: Sequence[str],
    *,
    output: str,
    sample_rate: int = contract.SAMPLE_RATE,
    frame_rate: float = contract.FRAME_RATE,
    example_secs: float = 4.0,
    hop_secs: float = 1.0,
    eval_fraction: float = 0.1,
    seed: int = 0,
    f0_method: str = DEFAULT_F0_METHOD,
    workers: int | None = None,
    shards: int | None = None,
    overwrite: bool = False,
    strict: bool = False,
    beam_args: Sequence[str] = (),
    say: console.Say = console.stderr,
    progress: bool = True,
    family: Sequence[str] = (),
    source: Sequence[str] = (),
    instrument: Sequence[str] = (),
    pitch: str | None = None,
) -> dict:
    """Prepare a training dataset in ``output`` from the audio that ``inputs`` name.

    Returns the content of ``output/dataset.json`` (see docs/architecture.md), after writing
    ``train.tfrecord-*``, ``eval.tfrecord-*``, ``dataset.json``, ``report.png`` and ``report.html``
    (the data check, whose numbers and verdicts are also in ``dataset.json``) atomically.
    Notes, progress and the summary go to ``say`` (``progress=False`` is ``say=console.silent``).
    NSynth TFRecord INPUTs are prepared note by note (:mod:`~ddsp_train.data.nsynth`), the notes
    selected by ``family``, ``source``, ``instrument`` and ``pitch`` (``"LOW-HIGH"``, MIDI).
    """
    t_start = time.time()
    say = say if progress else console.silent
    config = plan.make_config(sample_rate=sample_rate, frame_rate=frame_rate, example_secs=example_secs,
                              hop_secs=hop_secs, f0_method=f0_method)
    check_options(eval_fraction=eval_fraction, workers=workers, shards=shards)
    if not inputs:
        raise UserError("give at least one INPUT (audio file, folder or glob pattern)", exit_code=2)
    note_filter = nsynth.note_filter(family=family, source=source, instrument=instrument, pitch=pitch)
    nsynth_files, _ = nsynth.split_inputs(inputs)
    if nsynth_files:
        check_output(output, overwrite=overwrite, inputs=inputs)
        info = nsynth.prepare_nsynth(nsynth_files, target=str(paths.resolved(output)), flt=note_filter, config=config,
                                     eval_fraction=eval_fraction, seed=seed, shards=shards, say=say)
        say("\n".join(summary_lib.summary_lines(info, output=output)))
        return info.to_dict()
    if note_filter.active:
        raise UserError(f"--family, --source, --instrument and --pitch select NSynth notes, but no INPUT is an "
                        f"NSynth TFRecord ({inputs[0]!r}); drop them for recordings", exit_code=2)
    files = inputs_lib.expand_inputs(inputs)  # only lists names: the INPUT errors come first
    check_output(output, overwrite=overwrite, inputs=inputs)
    records = check_files(files, config=config, strict=strict, say=say)
    items = plan_split(records, config=config, eval_fraction=eval_fraction, seed=seed, say=say)
    used = [r for r in records if r["status"] == "used"]
    total_secs = sum(plan.output_samples(r["_info"], config=config) for r in used) / config.sample_rate
    note = split_lib.amount_note(total_secs, minimum_secs=MIN_AUDIO_SECS)
    if note:
        say(note)
    infos = {i: r.pop("_info") for i, r in enumerate(records)}
    infos = {i: a for i, a in infos.items() if records[i]["status"] == "used"}
    say(f"Preparing {total_secs / 60:.1f} min of audio from {len(used)} file(s) with f0 method "
        f"{config.f0_method!r} ({len(items)} work items)...")
    target = str(paths.resolved(output))  # through a symlink: replace the folder it names, keep the link
    staging = staging_lib.create(target)
    try:
        frames, expected = run_job(items, staging=staging, config=config, total_secs=total_secs,
                         workers=workers or os.cpu_count() or 1, shards=shards, beam_args=beam_args, say=say)
        ddsp_format.add_audio_16k(staging, sample_rate=config.sample_rate)  # readable by ddsp's own trainer
        info = summary_lib.build_info(staging, records=records, config=config, seed=seed,
                                      eval_fraction=eval_fraction, total_secs=total_secs,
                                      wall_secs=time.time() - t_start, expected=expected, frame_records=frames,
                                      n_items=len(items))
        from ddsp_train.data import report

        report.write_report(staging, info.to_dict())
        checks, excerpts = check_prepared(records, infos, frames, config=config, say=say)
        info = write_data_check(staging, info, checks=checks, excerpts=excerpts, title=os.path.basename(target))
        info.write(staging)
        staging_lib.discard(os.path.join(staging, "_progress"))
        staging_lib.commit(staging, target)
    except BaseException:
        staging_lib.discard(staging)
        raise
    say("\n".join(summary_lib.summary_lines(info, output=output)))
    return info.to_dict()


def check_prepared(records: list[dict], infos: dict, frame_records: list[bytes], *, config: Config,
                   say: console.Say) -> tuple[list, list]:
    """``(checks, excerpts)`` of the data check (:mod:`ddsp_train.reports`) of the used recordings
    (``infos``: ``{file index: AudioInfo}``): their audio decoded again, at the dataset's rate and
    natively (clipping, DC), and the f0, confidence and power the job computed (no second tracking)."""
    import numpy as np

    from ddsp_train import audio as audio_lib
    from ddsp_train.pitch import tracker_voiced_threshold
    from ddsp_train.reports import files as report_files

    frames = summary_lib.file_frames(frame_records)
    threshold = tracker_voiced_threshold(config.f0_method)
    checks, excerpts = [], []
    progress = console.Progress(label="Checking the recordings", total=len(infos), unit="files",
                                enabled=say is not console.silent, stream=_stream(say), every=beam_job.PROGRESS_EVERY)
    for n, (i, info) in enumerate(sorted(infos.items())):
        audio = audio_lib.read_resampled(info, sample_rate=config.sample_rate, start=0,
                                         stop=plan.output_samples(info, config=config))
        native = np.concatenate(list(audio_lib.iter_chunks(info)) or [np.zeros(0, np.float32)])
        f = frames[i]
        check, excerpt = report_files.check_tracked(
            audio, sample_rate=config.sample_rate, frame_rate=config.frame_rate, f0_hz=f["f0_hz"],
            f0_confidence=f["f0_confidence"], power_db=f["power_db"], voiced_threshold=threshold,
            path=records[i]["path"], native_audio=native)
        checks.append(check)
        excerpts.append(excerpt)
        if n + 1 < len(infos):  # the last count is close()'s line
            progress.update(n + 1)
    progress.close(len(infos))
    return checks, excerpts


def write_data_check(folder: str, info: dataset_info.DatasetInfo, *, checks: list, excerpts: list,
                     title: str) -> dataset_info.DatasetInfo:
    """Write ``folder/report.html`` and return ``info`` with the check's numbers attached
    (:func:`ddsp_train.reports.verdicts.attach_checks`: what goes into dataset.json)."""
    from ddsp_train.reports import dataset_page, verdicts

    info = verdicts.attach_checks(info, checks)
    dataset_page.write_dataset_report(folder, checks=checks, excerpts=excerpts, info=info, title=title)
    return info


def check_recordings(
    inputs: Sequence[str],
    *,
    output: str | None = None,
    overwrite: bool = False,
    sample_rate: int = contract.SAMPLE_RATE,
    frame_rate: float = contract.FRAME_RATE,
    example_secs: float = 4.0,
    f0_method: str = DEFAULT_F0_METHOD,
    say: console.Say = console.stderr,
) -> list[str]:
    """``ddsp-prepare --check-only``: the data check of the audio files ``inputs`` name, without
    preparing a dataset. Returns the lines to print: one verdict per file, then the set's
    verdicts. With ``output`` (a folder) it writes only ``output/report.html``, after the same
    checks as any output (not an INPUT or inside one, creatable; an existing page only with
    ``overwrite``); nothing is written without it."""
    from ddsp_train.reports import dataset_page, files as report_files, verdicts

    if not inputs:
        raise UserError("give at least one INPUT (audio file, folder or glob pattern)", exit_code=2)
    if nsynth.split_inputs(inputs)[0]:
        raise UserError("--check-only checks recordings; NSynth TFRecord INPUTs hold labelled notes, nothing to "
                        "check: drop --check-only to prepare them", exit_code=2)
    files = inputs_lib.expand_inputs(inputs)
    page = None
    if output is not None:
        paths.check_not_input(output, inputs_lib.input_roots(inputs), flag="--output")
        if os.path.lexists(output) and not os.path.isdir(output):
            raise UserError(f"--output {output} exists and is not a folder; give a folder path", exit_code=2)
        page = os.path.join(output, dataset_page.FILENAME)
        paths.check_output_file(page, overwrite=overwrite, inputs=inputs_lib.input_roots(inputs), flag="--output")
    config = plan.make_config(sample_rate=sample_rate, frame_rate=frame_rate, example_secs=example_secs,
                              hop_secs=1.0, f0_method=f0_method)
    records = check_files(files, config=config, strict=False, say=say)
    used = [r["path"] for r in records if r["status"] == "used"]
    checks, excerpts = report_files.check_files(used, sample_rate=config.sample_rate,
                                                frame_rate=int(config.frame_rate), f0_method=config.f0_method,
                                                say=say)
    if page is not None:
        dataset_page.write_dataset_report(output, checks=checks, excerpts=excerpts,
                                          title=", ".join(os.path.basename(i.rstrip("/")) for i in inputs))
    summary = verdicts.summarize_checks(checks).to_dict()
    skipped = [f"  skipped: {r['path']}: {r['reason']}" for r in records if r["status"] == "skipped"]
    where = f"details: {page}" if page else "pass --output DIR for the page with players and figures"
    return (["Recordings"] + summary_lib.file_verdict_lines(checks) + skipped
            + summary_lib.verdict_lines(summary, heading=f"The set ({where})"))
