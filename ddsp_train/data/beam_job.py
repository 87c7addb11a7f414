"""Running the Beam job: options, the run itself, its log, its progress line and the shards.

The job has no Beam sink: each work item writes one records file (:mod:`ddsp_train.data.worker`)
and, after the job, the driver deals them in plan order into ``{train,eval}.tfrecord-*`` shards
(:func:`split_records`). While a local job runs, file descriptor 2 goes to a log file
(:func:`beam_log`): its last lines are shown only if the job fails (not on Ctrl-C). A thread
reads the workers' progress marks and draws a :class:`ddsp_train.console.Progress` line.

A small local job without Beam options runs the same work items without Beam (:func:`running_mode`,
:mod:`ddsp_train.data.local_job`): importing Beam and starting its runner cost seconds, most of
a small job's wall time. The records are the same either way.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import logging
import os
import shutil
import sys
import threading
from typing import Iterator, Sequence, TextIO

from ddsp_train import console
from ddsp_train.data import examples as ex_lib
from ddsp_train.data import worker
from ddsp_train.data.plan import Config, WorkItem
from ddsp_train.errors import UserError

#: Below this much audio in total the job runs in this thread: starting workers would cost more
#: than it saves. The output is the same in every mode.
SMALL_JOB_SECS = 60.0
#: Below this much audio a local job of a tracker that runs in threads (the network) and no Beam
#: options runs in a pool of threads without Beam: Beam's import, pipeline and runner start-up
#: cost more than they bring (scripts/bench_prepare.py, table 4).
LOCAL_JOB_SECS = 600.0
#: Ways to run without Beam: in this thread, a pool of threads, a pool of (spawned) processes.
LOCAL_MODES = ("in_process", "threads", "processes")
#: Automatic sharding: about this many bytes of examples per shard.
SHARD_BYTES = 256 << 20
#: Seconds between reads of the progress marks, and between progress lines on a non-terminal.
POLL_SECS = 1.0
PROGRESS_EVERY = 5.0
#: Lines of the Beam log shown when the job fails.
LOG_TAIL = 25


def import_beam():
    """Import Apache Beam without its import-time warning about optional GCP clients."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        import apache_beam
    finally:
        root.setLevel(level)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    return apache_beam


def running_mode(*, total_secs: float, workers: int, parallel: str = "processes",
                 beam_args: Sequence[str] = ()) -> str | None:
    """How a job runs: one of :data:`LOCAL_MODES` (no Beam), a DirectRunner mode, or None (as the
    user's ``beam_args`` say: another runner, or a DirectRunner mode given).

    - a lone ``--direct_running_mode=M`` with ``M`` a local mode: ``M``;
    - small (``workers == 1`` or ``total_secs <`` :data:`SMALL_JOB_SECS`): ``"in_process"``
      without Beam options, else Beam's ``"in_memory"``;
    - a tracker that runs in threads (``parallel``, :func:`ddsp_train.pitch.tracker_parallel`):
      ``"threads"`` below :data:`LOCAL_JOB_SECS` without Beam options, else ``"multi_threading"``;
    - otherwise ``"multi_processing"``.
    """
    given = " ".join(beam_args)
    lone = beam_args[0].partition("=") if len(beam_args) == 1 else ("", "", "")
    if lone[0] == "--direct_running_mode" and lone[2] in LOCAL_MODES:
        return lone[2]
    if "--direct_running_mode" in given or ("--runner" in given and "DirectRunner" not in given):
        return None
    if workers == 1 or total_secs < SMALL_JOB_SECS:
        return "in_memory" if beam_args else "in_process"
    if parallel == "threads":
        return "threads" if not beam_args and total_secs < LOCAL_JOB_SECS else "multi_threading"
    return "multi_processing"


@dataclasses.dataclass(frozen=True)
class LocalOptions:
    """A job that runs here without Beam: ``mode`` one of :data:`LOCAL_MODES`, with ``workers``."""

    mode: str
    workers: int

    def get_all_options(self) -> dict:
        """The same keys as Beam's options for what :func:`is_local` and the tests read."""
        return {"runner": None, "direct_running_mode": self.mode, "direct_num_workers": self.workers}


def pipeline_options(beam_args: Sequence[str], *, workers: int, total_secs: float, parallel: str = "processes"):
    """The job's options (:func:`running_mode`): :class:`LocalOptions` to run without Beam; else
    Beam options: the user's ``beam_args`` win; otherwise the DirectRunner with ``workers``
    processes (``parallel="processes"``) or threads of one process (``"threads"``); worker
    processes log warnings and errors only."""
    mode = running_mode(total_secs=total_secs, workers=workers, parallel=parallel, beam_args=beam_args)
    if mode in LOCAL_MODES:
        return LocalOptions(mode=mode, workers=workers)
    import_beam()
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(beam_args)
    given = " ".join(args)
    if "--default_sdk_harness_log_level" not in given:
        args.append("--default_sdk_harness_log_level=WARNING")
    if "--runner" not in given or "DirectRunner" in given:
        if "--direct_running_mode" not in given:
            args.append("--direct_running_mode=" + (mode or "in_memory"))
        if "--direct_num_workers" not in given:
            args.append(f"--direct_num_workers={workers}")
    try:
        return PipelineOptions(args)
    except BaseException as e:  # argparse exits on unknown values
        raise UserError(f"invalid Beam pipeline options {args}: {e}") from None


def is_local(options) -> bool:
    """True for Beam's DirectRunner (the job's processes share our stderr)."""
    return options.get_all_options().get("runner") in (None, "DirectRunner", "direct")


def run_beam(items: list[WorkItem], *, config: Config, options) -> None:
    """The Beam job: each work item -> one records file in ``config.records_dir``
    (:func:`ddsp_train.data.worker.write_item_records`); for :class:`LocalOptions`
    :func:`ddsp_train.data.local_job.run_local`."""
    if isinstance(options, LocalOptions):
        from ddsp_train.data import local_job

        local_job.run_local(items, config=config, mode=options.mode, workers=options.workers)
        return
    beam = import_beam()
    p = beam.Pipeline(options=options)
    _ = (p | "items" >> beam.Create(items, reshuffle=True)
         | "features" >> beam.ParDo(worker.make_dofn(config)))
    try:
        result = p.run()
    except Exception as e:
        if was_interrupted(e):  # Beam re-raises Ctrl-C in a DoFn as RuntimeError("KeyboardInterrupt ...")
            raise KeyboardInterrupt from None
        raise
    try:
        result.wait_until_finish()
    finally:
        client = getattr(result, "client", None)  # the Dask runner's connection to the cluster
        if client is not None:
            client.close()


def was_interrupted(error: BaseException) -> bool:
    """True when ``error`` is, wraps or names a KeyboardInterrupt (Beam's runners wrap it)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, KeyboardInterrupt) or str(error).startswith("KeyboardInterrupt"):
            return True
        error = error.__cause__ or error.__context__
    return False


def shard_count(n_examples: int, *, shards: int | None, example_bytes: int) -> int:
    """``shards``, or one shard per :data:`SHARD_BYTES`: ``max(1, ceil(n * example_bytes / SHARD_BYTES))``."""
    return shards or max(1, -(-n_examples * example_bytes // SHARD_BYTES))


def split_records(staging: str, *, records_dir: str, shards: int | None, expected: dict[str, int],
                  example_bytes: int) -> list[bytes]:
    """Deal the work items' records (``records_dir``, in plan order) into
    ``staging/{train,eval}.tfrecord-SSSSS-of-NNNNN`` (:func:`shard_count` per split, round-robin);
    return the frame records. Removes ``records_dir``."""
    frames: list[bytes] = []
    writers: dict[str, list] = {}
    counts = {"train": 0, "eval": 0}
    kinds = {v: k for k, v in worker.KIND_PREFIX.items()}
    for split, n in expected.items():
        count = shard_count(n, shards=shards, example_bytes=example_bytes)
        writers[split] = [ex_lib.TFRecordWriter(os.path.join(staging, f"{split}.tfrecord-{i:05d}-of-{count:05d}"))
                          for i in range(count)]
    try:
        for path in sorted(glob.glob(os.path.join(glob.escape(records_dir), "*.tfrecord"))):
            for record in ex_lib.read_tfrecord(path):
                kind = kinds[record[:1]]
                if kind == "frames":
                    frames.append(record[1:])
                    continue
                out = writers[kind]
                out[counts[kind] % len(out)].write(record[1:])
                counts[kind] += 1
    finally:
        for out in writers.values():
            for w in out:
                w.close()
    shutil.rmtree(records_dir, ignore_errors=True)
    return frames


@contextlib.contextmanager
def beam_log(path: str, *, capture: bool, say: console.Say = console.stderr) -> Iterator[TextIO]:
    """While the local Beam job runs, send file descriptor 2 (ours and the worker processes' that
    inherit it) to ``path`` and yield a stream on the real stderr for progress lines. If the job
    fails (other than by Ctrl-C), its last :data:`LOG_TAIL` lines are said. With
    ``capture=False`` nothing is redirected."""
    if not capture:
        yield sys.stderr
        return
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    stream = os.fdopen(os.dup(saved), "w", buffering=1)
    os.dup2(log, 2)
    # Beam's own Python logging (e.g. "ERROR:apache_beam.runners.common:KeyboardInterrupt ...")
    # goes to the log as well, not to the user's terminal.
    beam_logger = logging.getLogger("apache_beam")
    handler = logging.StreamHandler(open(path, "a", buffering=1, errors="replace"))
    propagate, beam_logger.propagate = beam_logger.propagate, False
    beam_logger.addHandler(handler)
    previous_hook = threading.excepthook
    threading.excepthook = _log_thread_error(handler.stream)  # Beam's threads dying go to the log too
    failed = interrupted = False
    try:
        yield stream
    except (KeyboardInterrupt, GeneratorExit):
        interrupted = True
        raise
    except BaseException:
        failed = True
        raise
    finally:
        # After Ctrl-C, Beam's worker-watching threads report their killed workers late: drop that.
        threading.excepthook = _drop_beam_thread_errors(previous_hook) if interrupted else previous_hook
        beam_logger.removeHandler(handler)
        beam_logger.propagate = propagate
        handler.stream.close()
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)
        stream.close()
        tail = log_tail(path) if failed else []
        with contextlib.suppress(OSError):
            os.remove(path)
        if tail:
            say("Beam log (last lines):\n  " + "\n  ".join(tail))


def _log_thread_error(stream: TextIO):
    def hook(args) -> None:
        import traceback

        with contextlib.suppress(ValueError, OSError):  # the log may be closed by then
            stream.write(f"Exception in thread {args.thread.name if args.thread else '?'}:\n")
            stream.write("".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))

    return hook


#: Name prefixes of the threads that Beam's local runners start to watch their worker processes,
#: and of the threads of a job without Beam (:data:`ddsp_train.data.local_job.WORKER_THREAD`).
BEAM_THREADS = ("run_worker", "ddsp-prepare-worker")


def _drop_beam_thread_errors(previous):
    def hook(args) -> None:
        if args.thread is not None and args.thread.name.startswith(BEAM_THREADS):
            return
        previous(args)

    return hook


def log_tail(path: str, *, lines: int = LOG_TAIL) -> list[str]:
    """The last ``lines`` non-blank lines of the file at ``path``."""
    with open(path, errors="replace") as f:
        return [line for line in f.read().splitlines() if line.strip()][-lines:]


class LineStream:
    """A text stream that hands each complete line to a :data:`console.Say` (not a terminal)."""

    def __init__(self, say: console.Say):
        self.say, self.buffer = say, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.say(line)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def progress_done(progress_dir: str, *, per_file_secs: dict[int, float]) -> tuple[float, int]:
    """``(audio seconds done, files done)`` from the workers' progress marks: a file is done when
    its marks add up to its planned seconds (``per_file_secs``)."""
    done: dict[int, float] = {}
    for name in os.listdir(progress_dir):
        if name.startswith("."):
            continue
        try:
            with open(os.path.join(progress_dir, name)) as f:
                mark = json.load(f)
        except (OSError, ValueError):
            continue
        done[mark["file"]] = done.get(mark["file"], 0.0) + mark["seconds"]
    files = sum(1 for i, s in done.items() if s >= per_file_secs.get(i, 0) - 1e-6)
    return sum(done.values()), files


@contextlib.contextmanager
def progress_line(progress_dir: str, *, per_file_secs: dict[int, float], stream: TextIO,
                  enabled: bool) -> Iterator[None]:
    """Draw ``Features (F/N files)  done/total s of audio  pct  ETA`` while the block runs,
    from the marks in ``progress_dir`` (read every :data:`POLL_SECS`)."""
    total = sum(per_file_secs.values())
    progress = console.Progress(label="", total=round(total), unit="s of audio", enabled=enabled and total > 0,
                                stream=stream, every=PROGRESS_EVERY)
    stop = threading.Event()

    def draw(force: bool = False) -> None:
        secs, files = progress_done(progress_dir, per_file_secs=per_file_secs)
        progress.label = f"Features ({files}/{len(per_file_secs)} files)"
        progress.update(min(round(secs), round(total)), force=force)

    def loop() -> None:
        while not stop.wait(POLL_SECS):
            draw()

    thread = threading.Thread(target=loop, name="ddsp-prepare-progress", daemon=True)
    if progress.enabled:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if progress.enabled:
            thread.join(5)
    if progress.enabled:  # not after an error or Ctrl-C
        draw(force=True)
        progress.close()
