"""The training loop: steps, scalars, checkpoints, evaluations and the progress line.

Every ``log_every`` steps the scalars go to TensorBoard, every ``save_every`` steps a checkpoint
is saved, every ``eval_every`` steps (and at the last step) the model is evaluated into
``eval.json``, TensorBoard and ``plots/``. A step whose update was skipped (NaN/Inf loss or
gradient) is reported; after :data:`MAX_BAD_STEPS_IN_A_ROW` of them in a row the loop stops with a
message about the likely cause, keeping the last good checkpoint. On Ctrl-C the state is saved as
the checkpoint of the step it holds (the step counter's value, which the interrupted step may
already have advanced) and the interrupt goes on to the CLI, which prints ``Interrupted.``.
"""
from __future__ import annotations

import math
import pathlib
import sys
import time
from typing import Any, Callable, Iterator, Mapping, TextIO

from ddsp_train import console
from ddsp_train.atomic import write_json_atomic
from ddsp_train.dataset_info import DatasetInfo
from ddsp_train.errors import UserError
from ddsp_train.training import checkpoints, evaluation, model_dir as model_dir_lib, plots
from ddsp_train.training.step import Trainer
from ddsp_train.training.summaries import Summaries

MAX_BAD_STEPS_IN_A_ROW = 10


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
        self.latest_eval = {**metrics, "history": history}
        write_json_atomic(self.model_dir / model_dir_lib.EVAL_JSON, finite_or_none(self.latest_eval))
        png = plots.spectrogram_png(result.reference, result.resynthesis, sample_rate=self.model.sample_rate,
                                    title=f"(step {step})")
        self.summaries.eval_summaries(step, result.metrics, reference=result.reference,
                                      resynthesis=result.resynthesis, sample_rate=self.model.sample_rate,
                                      spectrogram_png=png)
        self.summaries.flush()
        plots.write_plots(self.model_dir / model_dir_lib.PLOTS, train=self.summaries.history(), evals=history,
                          spectrogram=png)
        return self.latest_eval

    def save(self, step: int) -> None:
        if self.saved_step != step:
            self.manager.save(step)
            self.saved_step = step
            model_dir_lib.write_operative_config(self.model_dir)

    def loop(self, iterator: Iterator, *, start_step: int, steps: int, save_every: int, eval_every: int) -> None:
        progress = StepProgress(start_step=start_step, total_steps=steps)
        bad_in_a_row, skipped, step, loss = 0, 0, start_step, float("nan")
        try:
            while step < steps:
                metrics = self.trainer.train_step(next(iterator))
                step = int(self.trainer.step.numpy())
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
                    self.say(eval_line(self.evaluate(step)))
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
