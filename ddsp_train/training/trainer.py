"""The training step and loop.

One step: forward pass, the configured losses, gradients, clipping to a global norm, Adam with
exponentially decaying learning rate. A step whose loss or gradient norm is not finite is
skipped (the weights and the optimizer's state stay as they were) and reported; after
``MAX_BAD_STEPS_IN_A_ROW`` of them in a row training stops with a message about the likely
cause, keeping the last good checkpoint. The step runs under the chosen tf.distribute strategy,
optionally XLA-compiled.

:func:`train` is the library function behind ``ddsp-train``: it reads the dataset, builds the
model from gin, resumes from the newest checkpoint, and writes everything into MODEL_DIR.
"""
from __future__ import annotations

import json
import math
import pathlib
import sys
import time
from typing import Any, Iterator, Mapping, Sequence

import click
import gin
import keras
import tensorflow as tf

from ddsp_train.errors import UserError
from ddsp_train.atomic import write_bytes_atomic
from ddsp_train.training import checkpoints, evaluation, gin_config, plots, strategy as strategy_lib
from ddsp_train.training.summaries import Summaries

MAX_BAD_STEPS_IN_A_ROW = 10
FEATURE_KEYS = ("audio", "f0_hz", "f0_confidence", "power_db", "loudness_db")
EVAL_JSON = "eval.json"
PLOTS = "plots"


@gin.configurable(module="training")
def make_optimizer(*, learning_rate: float = 1e-3, lr_decay_steps: int = 10000, lr_decay_rate: float = 0.98,
                   grad_clip_norm: float = 3.0) -> keras.optimizers.Optimizer:
    """Adam with ``lr(step) = learning_rate * lr_decay_rate ** (step / lr_decay_steps)`` and
    gradients clipped to a global norm of ``grad_clip_norm``."""
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=learning_rate, decay_steps=lr_decay_steps, decay_rate=lr_decay_rate)
    return keras.optimizers.Adam(learning_rate=schedule, global_clipnorm=grad_clip_norm)


@gin.configurable(module="training")
def schedule(*, log_every: int = 10, eval_examples: int = 8, shuffle_buffer: int = 1000,
             checkpoints_to_keep: int = 3) -> dict:
    """Loop settings that are not command-line flags: how often to log scalars, how many eval
    examples, the shuffle buffer, how many checkpoints to keep."""
    return {"log_every": log_every, "eval_examples": eval_examples, "shuffle_buffer": shuffle_buffer,
            "checkpoints_to_keep": checkpoints_to_keep}


class Trainer:
    """Holds the model, the optimizer and the step counter; runs (distributed) training steps."""

    def __init__(self, *, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                 placement: strategy_lib.Placement):
        self.model = model
        self.placement = placement
        self.loss_scaling = placement.mixed_precision_policy == "mixed_float16"
        if self.loss_scaling:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        self.optimizer = optimizer
        self.strategy = placement.strategy
        with self.strategy.scope():
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.optimizer.build(self.model.trainable_variables)
        self._step_fn = None

    def _gradients(self, batch: Mapping[str, tf.Tensor]):
        """Forward and backward pass of one replica (XLA-compiled when asked; no sync points)."""
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            outputs = self.model(batch, training=True)
            terms = self.model.loss_terms(batch, outputs)
            loss = tf.add_n(list(terms.values()))
            scaled = self.optimizer.scale_loss(loss / self.strategy.num_replicas_in_sync)
        grads = tape.gradient(scaled, variables)
        grad_norm = tf.linalg.global_norm([g for g in grads if g is not None])
        if self.loss_scaling:  # report the norm of the true gradients
            grad_norm = grad_norm / tf.cast(self.optimizer.dynamic_scale, grad_norm.dtype)
        return loss, terms, grads, grad_norm

    def _apply_if(self, ok: tf.Tensor, grads) -> tf.Tensor:
        """Apply ``grads`` when ``ok`` (the same on every replica); True if applied.

        Under a strategy whose updates need ``merge_call`` (MirroredStrategy) the condition has to
        be taken in the cross-replica context, as Keras' LossScaleOptimizer does.
        """
        variables = self.model.trainable_variables

        def apply():
            self.optimizer.apply_gradients(zip(grads, variables))
            return tf.constant(True)

        if not tf.distribute.has_strategy() or tf.__internal__.distribute.strategy_supports_no_merge_call():
            return tf.cond(ok, apply, lambda: tf.constant(False))

        def cross_replica(distribution, ok, grads):
            first_ok = distribution.experimental_local_results(ok)[0]

            def apply_all():
                distribution.extended.call_for_each_replica(
                    lambda g: self.optimizer.apply_gradients(zip(g, variables)), args=(grads,))
                return tf.constant(True)

            return tf.cond(first_ok, apply_all, lambda: tf.constant(False))

        return tf.distribute.get_replica_context().merge_call(cross_replica, args=(ok, grads))

    def _build_step(self):
        # No autograph: the model has no data-dependent Python control flow, and converting it is slow.
        gradients = tf.function(self._gradients, jit_compile=self.placement.xla, autograph=False)

        def replica_step(batch):
            loss, terms, grads, grad_norm = gradients(batch)
            finite = tf.math.is_finite(loss)
            if not self.loss_scaling:  # (a LossScaleOptimizer skips overflowing float16 gradients itself)
                finite = finite & tf.math.is_finite(grad_norm)
            bad = tf.cast(tf.logical_not(finite), tf.float32)
            bad = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, bad)
            applied = self._apply_if(bad == 0, grads)
            return {"loss": loss, **terms, "grad_norm": grad_norm, "applied": tf.cast(applied, tf.float32)}

        @tf.function(autograph=False)
        def step_fn(batch):
            per_replica = self.strategy.run(replica_step, args=(batch,))
            metrics = {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                       for k, v in per_replica.items()}
            self.step.assign_add(1)
            return metrics

        return step_fn

    def train_step(self, batch) -> dict[str, float]:
        """One step on a (distributed) batch: ``loss``, each loss term, ``grad_norm``, ``applied`` (0/1)."""
        if self._step_fn is None:
            self._step_fn = self._build_step()
        return {k: float(v) for k, v in self._step_fn(batch).items()}

    def learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))


# ------------------------------------------------------------------------------- data
def _check_data_dir(data_dir: pathlib.Path) -> None:
    if not data_dir.exists():
        raise UserError(f"dataset folder {data_dir} does not exist (make one with ddsp-prepare)")
    if not data_dir.is_dir():
        raise UserError(f"--data {data_dir} is a file, not a dataset folder (ddsp-prepare writes one)")
    if not any(data_dir.iterdir()):
        raise UserError(f"dataset folder {data_dir} is empty (ddsp-prepare writes TFRecords and dataset.json there)")
    if not (data_dir / "dataset.json").exists():
        raise UserError(f"{data_dir} is not a dataset: it has no dataset.json (ddsp-prepare writes one)")


def _example_stream(data_dir: pathlib.Path, split: str) -> tf.data.Dataset:
    from ddsp_train.data.reader import read_dataset

    ds = read_dataset(str(data_dir), split=split)
    return ds.map(lambda ex: {k: ex[k] for k in FEATURE_KEYS if k in ex}, num_parallel_calls=tf.data.AUTOTUNE)


def _first_or_error(ds: tf.data.Dataset, data_dir: pathlib.Path, split: str) -> dict | None:
    """The first element (None when the split is empty); bad records become a UserError."""
    try:
        for element in ds.take(1):
            return element
    except (tf.errors.InvalidArgumentError, tf.errors.DataLossError, tf.errors.NotFoundError) as e:
        message = str(e).strip().splitlines()[0]
        raise UserError(f"cannot read the {split} examples of {data_dir}: {message[:300]} "
                        f"(the TFRecords need the keys {', '.join(FEATURE_KEYS)}; re-run ddsp-prepare)") from None
    return None


def _read_splits(data_dir: pathlib.Path) -> tuple[dict, tf.data.Dataset, tf.data.Dataset]:
    """``(first train example, train examples, eval examples)``; eval falls back to train when empty."""
    train_examples = _example_stream(data_dir, "train")
    first = _first_or_error(train_examples, data_dir, "train")
    if first is None:
        raise UserError(f"the train split of {data_dir} has no examples (see its dataset.json); "
                        "add recordings or lower --example-secs in ddsp-prepare")
    try:
        eval_examples = _example_stream(data_dir, "eval")
        has_eval = _first_or_error(eval_examples, data_dir, "eval") is not None
    except UserError:
        has_eval = False
    if not has_eval:
        click.echo("Note: the dataset has no eval examples; evaluating on training examples.", err=True)
        eval_examples = train_examples
    return first, train_examples, eval_examples


def _check_example(element: Mapping[str, tf.Tensor], model, data_dir: pathlib.Path) -> None:
    needed = {"audio", "f0_hz", "f0_confidence"} | {
        {"pw_scaled": "power_db", "ld_scaled": "loudness_db"}[k]
        for k in getattr(model.decoder, "input_keys", ()) if k in ("pw_scaled", "ld_scaled")}
    missing = sorted(needed - set(element))
    if missing:
        raise UserError(f"the examples in {data_dir} lack {', '.join(missing)}, which the model needs")
    n_audio = int(element["audio"].shape[-1])
    if n_audio != model.n_samples:
        raise UserError(f"the examples in {data_dir} have {n_audio} samples but dataset.json says "
                        f"{model.n_samples} (example_secs x sample_rate); re-run ddsp-prepare")
    n_frames = int(element["f0_hz"].shape[-1])
    if n_frames != model.n_frames:
        raise UserError(f"the examples in {data_dir} have {n_frames} frames, expected {model.n_frames} "
                        f"({model.n_samples} samples // hop {model.hop} + 1); re-run ddsp-prepare")


# ------------------------------------------------------------------------------- progress
class Progress:
    """One updating line: step, loss, steps/s, ETA (a new line every 10 s when not on a terminal)."""

    def __init__(self, *, start_step: int, total_steps: int):
        self.start_step, self.total = start_step, total_steps
        self.started = time.monotonic()
        self.last_print = 0.0
        self.tty = sys.stderr.isatty()

    def steps_per_sec(self, step: int) -> float:
        elapsed = time.monotonic() - self.started
        return (step - self.start_step) / elapsed if elapsed > 0 else 0.0

    def update(self, step: int, loss: float, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last_print < (0.5 if self.tty else 10.0):
            return
        self.last_print = now
        rate = self.steps_per_sec(step)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        eta_text = "--" if not math.isfinite(eta) else time.strftime("%H:%M:%S", time.gmtime(eta))
        line = f"step {step}/{self.total}  loss {loss:.4f}  {rate:.2f} steps/s  ETA {eta_text}"
        if self.tty:
            click.echo(f"\r{line}\033[K", nl=final, err=True)
        else:
            click.echo(line, err=True)

    def clear(self) -> None:
        if self.tty:
            click.echo("", err=True)


# ------------------------------------------------------------------------------- the loop
def _finite_or_none(data: Any) -> Any:
    """NaN/Inf -> None (JSON has no such numbers), recursively."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite_or_none(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite_or_none(v) for v in data]
    return data


def _write_json(path: pathlib.Path, data: Any) -> None:
    write_bytes_atomic(path, (json.dumps(_finite_or_none(data), indent=2) + "\n").encode())


def write_operative_config(model_dir: pathlib.Path) -> None:
    """The gin bindings in use (the dataset's macros included): what load_model rebuilds from."""
    write_bytes_atomic(model_dir / checkpoints.OPERATIVE_CONFIG, gin.operative_config_str().encode())


def _eval_batches(ds: tf.data.Dataset, *, examples: int, batch_size: int) -> list[dict]:
    return list(ds.take(examples).batch(batch_size))


def _prepare_model_dir(model_dir: pathlib.Path, data_dir: pathlib.Path, dataset_info: Mapping) -> None:
    if model_dir.exists() and not model_dir.is_dir():
        raise UserError(f"--model-dir {model_dir} is a file")
    model_dir.mkdir(parents=True, exist_ok=True)
    previous = model_dir / checkpoints.DATASET_JSON
    if previous.exists() and checkpoints.list_checkpoints(model_dir):
        try:
            old = json.loads(previous.read_text())
        except ValueError:
            old = {}
        for key in ("sample_rate", "frame_rate", "example_secs"):
            if key in old and old[key] != dataset_info.get(key):
                raise UserError(f"{model_dir} holds a model trained on {key} = {old[key]}, but {data_dir} has "
                                f"{key} = {dataset_info.get(key)}; use another --model-dir")
    # A copy of the dataset's description, plus where it is: ddsp-export streams its eval examples.
    copy = dict(dataset_info, data_dir=str(data_dir.resolve()))
    write_bytes_atomic(previous, (json.dumps(copy, indent=2) + "\n").encode())


def train(
    *,
    data_dir: str | pathlib.Path,
    model_dir: str | pathlib.Path,
    configs: Sequence[str] = ("vst",),
    gin_params: Sequence[str] = (),
    steps: int = 30000,
    batch_size: int = 16,
    learning_rate: float | None = None,
    save_every: int = 500,
    eval_every: int = 1000,
    strategy: str = "auto",
    mixed_precision: bool = False,
    xla: bool | None = None,
    seed: int | None = None,
) -> dict:
    """Train (or resume training) a model on the prepared dataset ``data_dir`` into ``model_dir``.

    ``seed`` seeds the weight initialisation, the example shuffling and the synths' noise
    (``keras.utils.set_random_seed``: Python, NumPy and TensorFlow) so that a run can be repeated;
    ``None`` leaves them random. Returns the latest evaluation (also in ``MODEL_DIR/eval.json``).
    See the module docstring.
    """
    from ddsp_train.data.reader import load_dataset_info

    for name, value, low in (("steps", steps, 1), ("batch_size", batch_size, 1), ("save_every", save_every, 1),
                             ("eval_every", eval_every, 1)):
        if int(value) < low:
            raise UserError(f"--{name.replace('_', '-')} must be >= {low}, got {value}")
    if learning_rate is not None and not learning_rate > 0:
        raise UserError(f"--learning-rate must be > 0, got {learning_rate}")
    if seed is not None and not 0 <= int(seed) < 2 ** 32:
        raise UserError(f"--seed must be in 0..{2 ** 32 - 1}, got {seed}")
    data_dir, model_dir = pathlib.Path(data_dir), pathlib.Path(model_dir)
    _check_data_dir(data_dir)
    dataset_info = load_dataset_info(data_dir)
    config_files = [gin_config.resolve_config(c) for c in (configs or ("vst",))]
    bindings = list(gin_params)
    if learning_rate is not None:
        bindings.append(f"make_optimizer.learning_rate = {float(learning_rate)!r}")
    placement = strategy_lib.choose(strategy=strategy, xla=xla, mixed_precision=mixed_precision)
    if batch_size % placement.replicas:
        raise UserError(f"--batch-size {batch_size} must be a multiple of the {placement.replicas} replicas "
                        f"({placement.description})")
    if placement.mixed_precision_policy:
        bindings += [f"{name}.dtype = '{placement.mixed_precision_policy}'"
                     for name in checkpoints.MIXED_PRECISION_LAYERS]
    gin_config.parse(config_files=config_files, bindings=bindings, dataset_info=dataset_info)
    settings = schedule()
    first, train_examples, eval_examples = _read_splits(data_dir)
    chief_dir = model_dir
    if not placement.is_chief:
        # Every worker of a cluster takes part in saving, but only the chief writes MODEL_DIR; the
        # others restore the chief's checkpoints and write scratch copies (tf.distribute's rule).
        model_dir = model_dir / f".{placement.worker.replace(' ', '-')}"
    _prepare_model_dir(model_dir, data_dir, dataset_info)
    strategy_lib.announce(placement)
    if seed is not None:
        keras.utils.set_random_seed(int(seed))

    with placement.strategy.scope():
        model = gin_config.build_model(dataset_info=dataset_info)
        optimizer = make_optimizer()
        trainer = Trainer(model=model, optimizer=optimizer, placement=placement)
    _check_example(first, model, data_dir)
    manager = checkpoints.CheckpointManager(model_dir, keep=settings["checkpoints_to_keep"], read_dir=chief_dir,
                                            model=model, optimizer=trainer.optimizer, step=trainer.step)
    restored = manager.restore()
    start_step = int(trainer.step.numpy())
    write_operative_config(model_dir)
    if restored is not None:
        click.echo(f"Resuming from the checkpoint of step {start_step} in {checkpoints.checkpoint_dir(model_dir)}.",
                   err=True)

    eval_batches = _eval_batches(eval_examples, examples=settings["eval_examples"], batch_size=min(batch_size, 8))
    train_ds = (train_examples.shuffle(settings["shuffle_buffer"]).repeat()
                .batch(batch_size, drop_remainder=True)
                .prefetch(tf.data.AUTOTUNE))
    options = tf.data.Options()
    # Workers of a cluster share the examples, not the files (a dataset may have one shard).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train_ds = train_ds.with_options(options)
    iterator = iter(placement.strategy.experimental_distribute_dataset(train_ds))

    summaries = Summaries(model_dir)
    run = _Run(model=model, trainer=trainer, manager=manager, summaries=summaries, model_dir=model_dir,
               eval_batches=eval_batches, dataset_info=dataset_info, log_every=settings["log_every"])
    if start_step == 0 and not (model_dir / EVAL_JSON).exists():
        run.evaluate(0)
    if start_step >= steps:
        click.echo(f"Already trained to step {start_step} (--steps {steps}); nothing to do.", err=True)
        return run.latest_eval or run.evaluate(start_step)
    run.loop(iterator, start_step=start_step, steps=steps, save_every=save_every, eval_every=eval_every)
    return run.latest_eval


class _Run:
    """The state of one training loop: what to save, log and evaluate, and when."""

    def __init__(self, *, model, trainer: Trainer, manager: checkpoints.CheckpointManager, summaries: Summaries,
                 model_dir: pathlib.Path, eval_batches: list, dataset_info: Mapping, log_every: int):
        self.model, self.trainer, self.manager, self.summaries = model, trainer, manager, summaries
        self.model_dir, self.eval_batches, self.dataset_info = model_dir, eval_batches, dataset_info
        self.log_every = log_every
        self.latest_eval: dict | None = None
        self.saved_step: int | None = None

    def evaluate(self, step: int) -> dict:
        result = evaluation.evaluate(self.model, self.eval_batches, sample_rate=self.model.sample_rate,
                                     frame_rate=self.model.frame_rate,
                                     dataset_f0_method=self.dataset_info.get("f0_method"))
        path = self.model_dir / EVAL_JSON
        history = []
        if path.exists():
            try:
                history = [h for h in json.loads(path.read_text()).get("history", []) if h.get("step", -1) < step]
            except ValueError:
                history = []
        metrics = {"step": int(step), **result.metrics}
        history.append(dict(metrics))
        self.latest_eval = {**metrics, "history": history}
        _write_json(path, self.latest_eval)
        png = plots.spectrogram_png(result.reference, result.resynthesis, sample_rate=self.model.sample_rate,
                                    title=f"(step {step})")
        self.summaries.eval_summaries(step, result.metrics, reference=result.reference,
                                      resynthesis=result.resynthesis, sample_rate=self.model.sample_rate,
                                      spectrogram_png=png)
        self.summaries.flush()
        plots.write_plots(self.model_dir / PLOTS, train=self.summaries.history(), evals=history, spectrogram=png)
        return self.latest_eval

    def save(self, step: int) -> None:
        if self.saved_step != step:
            self.manager.save(step)
            self.saved_step = step
            write_operative_config(self.model_dir)

    def loop(self, iterator: Iterator, *, start_step: int, steps: int, save_every: int, eval_every: int) -> None:
        progress = Progress(start_step=start_step, total_steps=steps)
        bad_in_a_row, skipped, step, loss = 0, 0, start_step, float("nan")
        try:
            while step < steps:
                metrics = self.trainer.train_step(next(iterator))
                step = int(self.trainer.step.numpy())
                if metrics["applied"] < 0.5:
                    bad_in_a_row += 1
                    skipped += 1
                    progress.clear()
                    click.echo(f"Warning: step {step}: the loss is {metrics['loss']} (gradient norm "
                               f"{metrics['grad_norm']}); skipped the update.", err=True)
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
                                   steps_per_sec=progress.steps_per_sec(step), skipped_steps=skipped)
                    self.summaries.train_scalars(step, scalars)
                if step % save_every == 0 or step == steps:
                    self.save(step)
                if step % eval_every == 0 or step == steps:
                    progress.clear()
                    figures = self.evaluate(step)
                    click.echo(_eval_line(figures), err=True)
        except KeyboardInterrupt:
            progress.clear()
            if bad_in_a_row == 0 and step > start_step:
                self.save(step)
                click.echo(f"Saved the checkpoint of step {step}; run the same command to resume.", err=True)
            raise
        finally:
            self.summaries.flush()
        progress.update(step, loss, final=True)


def _eval_line(figures: Mapping[str, Any]) -> str:
    parts = [f"eval @ step {figures['step']}: spectral loss {figures.get('spectral_loss', figures['loss']):.4f}"]
    if math.isfinite(figures.get("f0_cents_median", float("nan"))):
        parts.append(f"f0 error median {figures['f0_cents_median']:.1f} cents "
                     f"({100 * figures['f0_within_50_cents']:.0f}% within 50)")
    if math.isfinite(figures.get("power_error_db", float("nan"))):
        parts.append(f"power error {figures['power_error_db']:.2f} dB")
    return ", ".join(parts)
