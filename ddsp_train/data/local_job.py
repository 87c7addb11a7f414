"""A ddsp-prepare job run without Beam (:func:`ddsp_train.data.beam_job.running_mode` picks it
for small local jobs): the same work items and records as the Beam job, in this thread, in
daemon threads or in spawned processes.

Measured on 20 x 8 s (scripts/bench_prepare.py, table 4): importing Beam and starting its
runner are seconds of a small job's wall time, more than the work of the default tracker.
"""
from __future__ import annotations

import threading
from concurrent import futures

from ddsp_train.data import worker
from ddsp_train.data.plan import Config, WorkItem

#: Seconds between checks for Ctrl-C while the threads run.
JOIN_SECS = 0.2


def run_local(items: list[WorkItem], *, config: Config, mode: str, workers: int) -> None:
    """The job without Beam: :func:`ddsp_train.data.worker.run_pooled` for each item, in this
    thread (``"in_process"``), in ``workers`` daemon threads (one tracker each) or in a pool of
    spawned processes. The first error stops the job and is raised as it is; after an error or
    Ctrl-C no item writes anything more (threads skip their write, processes are terminated)."""
    if mode == "in_process" or workers == 1 or len(items) <= 1:
        for item in items:
            worker.run_pooled(item, config)
    elif mode == "threads":
        _run_threads(items, config=config, workers=workers)
    else:
        _run_processes(items, config=config, workers=workers)


#: Name prefix of the threads of a job run without Beam.
WORKER_THREAD = "ddsp-prepare-worker"


def _run_threads(items: list[WorkItem], *, config: Config, workers: int) -> None:
    todo = list(reversed(items))
    lock, stop, errors = threading.Lock(), threading.Event(), []

    def loop() -> None:
        while not stop.is_set():
            with lock:
                if not todo:
                    return
                item = todo.pop()
            try:
                worker.run_pooled(item, config, stop=stop)
            except BaseException as e:  # noqa: BLE001 - raised by the driver below
                errors.append(e)
                stop.set()

    # Daemon threads: after Ctrl-C the process exits without waiting for an item to finish.
    threads = [threading.Thread(target=loop, name=f"{WORKER_THREAD}-{i}", daemon=True)
               for i in range(min(workers, len(items)))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(JOIN_SECS)  # a timed join lets Ctrl-C through
    finally:
        stop.set()
    if errors:
        raise errors[0]


def _run_processes(items: list[WorkItem], *, config: Config, workers: int) -> None:
    import multiprocessing

    pool = futures.ProcessPoolExecutor(min(workers, len(items)), mp_context=multiprocessing.get_context("spawn"))
    try:
        for done in futures.as_completed([pool.submit(worker.run_pooled, item, config) for item in items]):
            done.result()
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):  # their items must not write
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
