"""The training loop: steps, scalars, checkpoints, evaluations and the progress line.

Every ``log_every`` steps the scalars go to TensorBoard, every ``save_every`` steps a checkpoint
is saved, every ``eval_every`` steps (and at the last step) the model is evaluated into
``eval.json``, TensorBoard and ``plots/``. A step whose update was skipped (NaN/Inf loss or
gradient) is reported; after :data:`MAX_BAD_STEPS_IN_A_ROW` of them in a row the loop stops with a
message about the likely cause, keeping the last good checkpoint. On Ctrl-C the state is saved as
the checkpoint of the step it holds (the step counter's value, which the interrupted step may
already have advanced) and the interrupt goes on to the CLI, which prints ``Interrupted.``.

Each evaluation saves the checkpoint of its step first, writes ``samples/step-N.wav`` and records
the best eval (lowest eval ``loss``, from step 1 on) in ``eval.json``'s ``best``; the rotation
keeps that checkpoint. After :data:`ESTIMATE_AFTER` measured steps the whole run's time is
estimated once. A :class:`Stop` ends the loop early: a wall-clock ``budget_s`` (the loop stops
before a step, or a step and its evaluation, that it expects to end past it), or :func:`~ddsp_train.training.convergence.has_converged`
after an evaluation; either way the last step is saved and evaluated.
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
import sys
import time
from typing import Any, Callable, Iterator, Mapping, TextIO

import numpy as np

from ddsp_train import console
from ddsp_train.atomic import write_json_atomic
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints, convergence, evaluation, model_dir as model_dir_lib, plots
from ddsp_train.training.step import Trainer
from ddsp_train.training.summaries import Summaries, write_sample

MAX_BAD_STEPS_IN_A_ROW = 10
#: Steps measured (after the first, which traces the graph) before the run's time is estimated.
ESTIMATE_AFTER = 5


@dataclasses.dataclass(frozen=True)
class Stop:
    """When to end a loop before ``steps``: ``budget_s`` seconds of loop wall clock (None: no
    budget); ``window``/``threshold`` of the convergence rule (``window`` None: not used)."""

    budget_s: float | None = None
    window: int | None = None
    threshold: float = convergence.DEFAULT_THRESHOLD


def estimate_line(*, steps: int, seconds_per_step: float, budget_s: float | None = None) -> str:
    """``30000 steps ≈ 11 h 40 min at 1.40 s/step on this machine`` (+ how far a budget gets)."""
    line = (f"{steps} steps ≈ {console.format_duration(steps * seconds_per_step)} at {seconds_per_step:.2f} s/step "
            "on this machine")
    if budget_s is not None and steps * seconds_per_step > budget_s:
        line += f"; the --minutes budget stops it after about {int(budget_s / seconds_per_step)} steps"
    return line


def mean_step_seconds(step_times: list[float]) -> float:
    """The mean of the steps after the first (which traces the graph), the first alone when it is
    all there is, 0 before any."""
    if len(step_times) > 1:
        return float(np.mean(step_times[1:]))
    return float(step_times[0]) if step_times else 0.0


def next_step_seconds(step_times: list[float], *, recent: int = 5) -> float:
    """What the budget rule expects the next step to take, on the safe side: the slowest of the
    last ``recent`` steps after the first (a shared machine's steps vary), else as
    :func:`mean_step_seconds`."""
    if len(step_times) > 1:
        return float(np.max(step_times[1:][-recent:]))
    return mean_step_seconds(step_times)


def over_budget(*, elapsed: float, next_step: float, budget_s: float | None) -> bool:
    """True when one more step (taking ``next_step`` s) would end past ``budget_s``:
    ``elapsed + next_step > budget_s``."""
    return budget_s is not None and elapsed + next_step > budget_s


def progress_line(*, step: int, total: int, start_step: int, elapsed: float, loss: float) -> str:
    """``step 120/1000  12%  1.35 s/step  loss 4.1234  ETA 19 min 48 s``: seconds per step and the
    ETA (:func:`ddsp_train.console.eta_seconds`) over the steps done in this run."""
    done = step - start_step
    pct = 100.0 * step / total if total > 0 else 100.0
    per_step = f"{elapsed / done:.2f} s/step" if done > 0 and elapsed > 0 else "-- s/step"
    eta = console.eta_seconds(done=done, total=total - start_step, elapsed=elapsed)
    tail = f"ETA {console.format_duration(eta)}" if step < total else f"in {console.format_duration(elapsed)}"
    return f"step {step}/{total}  {pct:3.0f}%  {per_step}  loss {loss:.4f}  {tail}"


class StepProgress:
    """The loop's progress line, redrawn in place on a terminal, else printed every ``every`` s."""

    def __init__(self, *, start_step: int, total_steps: int, stream: TextIO | None = None, every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.start_step, self.total = start_step, total_steps
        self.stream = stream if stream is not None else sys.stderr
        self.clock, self.every = clock, every
        self.started = clock()
        self.last_print = -math.inf
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.drawn = False

    def seconds_per_step(self, step: int) -> float:
        done = step - self.start_step
        return (self.clock() - self.started) / done if done > 0 else math.nan

    def update(self, step: int, loss: float, *, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self.last_print < (0.5 if self.tty else self.every):
            return
        self.last_print = now
        line = progress_line(step=step, total=self.total, start_step=self.start_step, elapsed=now - self.started,
                             loss=loss)
        if self.tty:
            self.stream.write(f"\r\033[K{line}" + ("\n" if final else ""))
            self.drawn = not final
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """End a line drawn in place, so that a message can follow."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def finite_or_none(data: Any) -> Any:
    """NaN/Inf -> None (JSON has no such numbers), recursively."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: finite_or_none(v) for k, v in data.items()}
    if isinstance(data, list):
        return [finite_or_none(v) for v in data]
    return data


def eval_line(figures: Mapping[str, Any]) -> str:
    parts = [f"eval @ step {figures['step']}: spectral loss {figures.get('spectral_loss', figures['loss']):.4f}"]
    if math.isfinite(figures.get("f0_cents_median") or math.nan):
        parts.append(f"f0 error median {figures['f0_cents_median']:.1f} cents "
                     f"({100 * figures['f0_within_50_cents']:.0f}% within 50)")
    if math.isfinite(figures.get("power_error_db") or math.nan):
        parts.append(f"power error {figures['power_error_db']:.2f} dB")
    return ", ".join(parts)


class Run:
    """The state of one training loop: what to save, log and evaluate, and when."""

    def __init__(self, *, model, trainer: Trainer, manager: checkpoints.CheckpointManager, summaries: Summaries,
                 model_dir: pathlib.Path, eval_batches: list, info: DatasetInfo, log_every: int,
                 say: console.Say = console.stderr):
        self.model, self.trainer, self.manager, self.summaries = model, trainer, manager, summaries
        self.model_dir, self.eval_batches, self.info = model_dir, eval_batches, info
        self.log_every, self.say = log_every, say
        self.latest_eval: dict | None = None
        self.saved_step: int | None = None

    def evaluate(self, step: int) -> dict:
        result = evaluation.evaluate(self.model, self.eval_batches, sample_rate=self.model.sample_rate,
                                     frame_rate=self.model.frame_rate, dataset_f0_method=self.info.f0_method)
        previous = model_dir_lib.read_eval(self.model_dir) or {}
        history = [h for h in previous.get("history", []) if isinstance(h, dict) and h.get("step", -1) < step]
        metrics = {"step": int(step), **result.metrics}
        history.append(dict(metrics))
        saved = {s for s, _ in model_dir_lib.list_checkpoints(self.model_dir)}
        best = convergence.best_eval([h for h in history if h["step"] in saved])
        self.latest_eval = {**metrics, "history": history}
        if best is not None:
            self.latest_eval["best"] = {"step": int(best["step"]), "loss": best["loss"]}
            self.manager.protected = {int(best["step"])}
        write_json_atomic(self.model_dir / model_dir_lib.EVAL_JSON, finite_or_none(self.latest_eval))
        png = plots.spectrogram_png(result.reference, result.resynthesis, sample_rate=self.model.sample_rate,
                                    title=f"(step {step})")
        self.summaries.eval_summaries(step, result.metrics, reference=result.reference,
                                      resynthesis=result.resynthesis, sample_rate=self.model.sample_rate,
                                      spectrogram_png=png)
        self.summaries.flush()
        write_sample(self.model_dir, step, reference=result.reference, resynthesis=result.resynthesis,
                     sample_rate=self.model.sample_rate)
        plots.write_plots(self.model_dir / model_dir_lib.PLOTS, train=self.summaries.history(), evals=history,
                          spectrogram=png)
        self.refresh_report()
        return self.latest_eval

    def refresh_report(self) -> None:
        """``MODEL_DIR/report.html`` with this evaluation (:mod:`ddsp_train.reports.model_page`); a
        failure is one warning line, never a failed run."""
        from ddsp_train.reports import model_page

        try:
            model_page.write_model_report(self.model_dir)
        except Exception as e:  # noqa: BLE001 - the page is a convenience; training goes on
            self.say(f"Warning: {self.model_dir / model_page.FILENAME} not refreshed ({type(e).__name__}: {e}).")

    def save(self, step: int) -> None:
        if self.saved_step != step:
            self.manager.save(step)
            self.saved_step = step
            model_dir_lib.write_operative_config(self.model_dir)

    def loop(self, iterator: Iterator, *, start_step: int, steps: int, save_every: int, eval_every: int,
             stop: Stop = Stop(), clock: Callable[[], float] = time.monotonic) -> str:
        """Train from ``start_step`` to ``steps`` or until ``stop``; returns why it ended:
        ``"steps"``, ``"budget"`` or ``"converged"``."""
        progress = StepProgress(start_step=start_step, total_steps=steps)
        bad_in_a_row, skipped, step, loss = 0, 0, start_step, float("nan")
        started, step_times, reason, loop_seconds, eval_seconds = clock(), [], "steps", 0.0, 0.0
        try:
            while step < steps:
                loop_seconds = clock() - started
                upcoming = next_step_seconds(step_times) + (eval_seconds if (step + 1) % eval_every == 0 else 0.0)
                if over_budget(elapsed=loop_seconds, next_step=upcoming, budget_s=stop.budget_s):
                    reason = "budget"
                    break
                before = clock()
                metrics = self.trainer.train_step(next(iterator))
                step = int(self.trainer.step.numpy())
                step_times.append(clock() - before)  # the steps alone, not the evaluations
                if len(step_times) == ESTIMATE_AFTER + 1 and steps - start_step > 2 * ESTIMATE_AFTER:
                    progress.clear()  # (the first step traces the graph: not measured)
                    self.say(estimate_line(steps=steps - start_step, seconds_per_step=mean_step_seconds(step_times),
                                           budget_s=stop.budget_s))
                if metrics["applied"] < 0.5:
                    bad_in_a_row += 1
                    skipped += 1
                    progress.clear()
                    self.say(f"Warning: step {step}: the loss is {metrics['loss']} (gradient norm "
                             f"{metrics['grad_norm']}); skipped the update.")
                    if bad_in_a_row >= MAX_BAD_STEPS_IN_A_ROW:
                        raise UserError(
                            f"stopped at step {step}: the loss was NaN/Inf {bad_in_a_row} steps in a row. Likely "
                            "causes: a learning rate too high for this model (try --learning-rate 1e-4), or "
                            "NaN/Inf values in the dataset's features or audio (re-run ddsp-prepare). The last "
                            f"good checkpoint is kept in {checkpoints.checkpoint_dir(self.model_dir)}.")
                    continue
                bad_in_a_row = 0
                loss = metrics["loss"]
                progress.update(step, loss)
                if step % self.log_every == 0 or step == steps:
                    scalars = {k: v for k, v in metrics.items() if k != "applied"}
                    scalars.update(learning_rate=self.trainer.learning_rate(),
                                   steps_per_sec=1.0 / progress.seconds_per_step(step), skipped_steps=skipped)
                    self.summaries.train_scalars(step, scalars)
                if step % save_every == 0 or step == steps:
                    self.save(step)
                if step % eval_every == 0 or step == steps:
                    progress.clear()
                    evaluated = clock()
                    self.save(step)
                    self.say(eval_line(self.evaluate(step)))
                    eval_seconds = clock() - evaluated  # the next evaluation's share of the budget
                    if stop.window is not None and step < steps and convergence.has_converged(
                            convergence.curve_of(self.latest_eval["history"]), window=stop.window,
                            threshold=stop.threshold):
                        reason = "converged"
                        break
            loop_seconds = clock() - started if reason != "budget" else loop_seconds
            if reason != "steps" and step > start_step:
                progress.clear()
                self.save(step)
                if self.latest_eval is None or self.latest_eval["step"] != step:
                    self.say(eval_line(self.evaluate(step)))
            if self.latest_eval is not None:
                # Why and when the loop ended (its wall clock up to the decision, evaluations included).
                self.latest_eval["stopped"] = {"reason": reason, "loop_seconds": round(loop_seconds, 3)}
                write_json_atomic(self.model_dir / model_dir_lib.EVAL_JSON, finite_or_none(self.latest_eval))
        except KeyboardInterrupt:
            progress.clear()
            # The interrupted step may have run (and advanced the counter) before the interrupt
            # reached Python: the state is that of the counter's step, whatever `step` says.
            held = int(self.trainer.step.numpy())
            if bad_in_a_row == 0 and held > start_step:
                self.save(held)
            raise
        finally:
            self.summaries.flush()
        progress.update(step, loss, final=True)
        return reason
