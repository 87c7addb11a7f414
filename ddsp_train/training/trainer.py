""":func:`train`, the library function behind ``ddsp-train``: check, set up, resume, loop.

1. Every argument and path is checked before TensorFlow is imported
   (:func:`ddsp_train.training.request.check`), so a mistake is refused in well under a second.
2. A run with nothing to do (the newest checkpoint has reached ``steps`` and ``eval.json`` exists)
   returns that evaluation at once and writes nothing.
3. The recipe is parsed with the dataset's timing, the examples are checked against the model,
   the newest checkpoint is restored; only then is MODEL_DIR written (the dataset's description,
   the recipe, the operative config), so a failed start leaves an existing folder as it was and
   removes a folder it created (:func:`ddsp_train.training.model_dir.cleanup_on_failure`).
4. A new model starts from ``init``'s weights when given (:mod:`ddsp_train.training.warm_start`;
   a resume ignores it: the checkpoint holds the weights).
5. The loop (:mod:`ddsp_train.training.loop`) trains to ``steps``, or stops earlier at the
   ``minutes`` budget or, with ``until_converged``, when the eval loss has plateaued
   (:mod:`ddsp_train.training.convergence`); it saves and evaluates the step it stops at.
"""
from __future__ import annotations

import pathlib
from typing import Sequence

from ddsp_train import console
from ddsp_train.errors import UserError
from ddsp_train.training import convergence, model_dir as model_dir_lib, request as request_lib

#: The recipe of a new model folder when no ``--config`` is given.
DEFAULT_CONFIGS = ("vst",)


def train(
    *,
    data_dir: str | pathlib.Path,
    model_dir: str | pathlib.Path,
    configs: Sequence[str] | None = None,
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
    init: str | None = None,
    minutes: float | None = None,
    until_converged: bool = False,
    converge_window: int | None = None,
    converge_threshold: float = convergence.DEFAULT_THRESHOLD,
    say: console.Say = console.stderr,
) -> dict:
    """Train (or resume training) a model on the prepared dataset ``data_dir`` into ``model_dir``.

    ``configs`` are packaged recipe names or .gin files; None (or empty) means the recipe
    recorded in ``model_dir``, else :data:`DEFAULT_CONFIGS`. ``seed`` seeds the weight
    initialisation, the example shuffling and the synths' noise (``keras.utils.set_random_seed``)
    so that a run can be repeated; ``None`` leaves them random. ``init`` is ``"base"`` (the
    packaged base of the recipe) or a model folder to start a new model from. ``minutes`` is a
    wall-clock budget for the training loop (with ``steps``: whichever comes first);
    ``until_converged`` stops when the eval loss improved by less than ``converge_threshold``
    (a fraction) over ``converge_window`` steps (default: ``DEFAULT_WINDOW_EVALS * eval_every``).
    Notes and progress go to ``say``.
    Returns the latest evaluation (also in ``MODEL_DIR/eval.json``). See the module docstring.
    """
    request = request_lib.check(data_dir=data_dir, model_dir=model_dir, configs=configs, gin_params=gin_params,
                                default_configs=DEFAULT_CONFIGS, steps=steps, batch_size=batch_size,
                                save_every=save_every, eval_every=eval_every, learning_rate=learning_rate,
                                seed=seed, strategy=strategy, init=init, minutes=minutes,
                                converge_window=converge_window, converge_threshold=converge_threshold)
    if request.latest_step is not None and request.latest_step >= steps:
        figures = model_dir_lib.read_eval(request.model_dir)
        if figures is not None:
            say(f"Already trained to step {request.latest_step} (--steps {steps}); nothing to do.")
            return figures
    from ddsp_train.training.loop import Stop

    window = (converge_window or convergence.DEFAULT_WINDOW_EVALS * eval_every) if until_converged else None
    stop = Stop(budget_s=None if minutes is None else 60.0 * minutes, window=window, threshold=converge_threshold)
    with model_dir_lib.cleanup_on_failure(request.created, request.model_dir):
        return _train(request, steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                      save_every=save_every, eval_every=eval_every, strategy=strategy,
                      mixed_precision=mixed_precision, xla=xla, seed=seed, stop=stop, say=say)


def _train(request: request_lib.Request, *, steps: int, batch_size: int, learning_rate: float | None,
           save_every: int, eval_every: int, strategy: str, mixed_precision: bool, xla: bool | None,
           seed: int | None, stop, say: console.Say) -> dict:
    """Steps 3 and 4 of the module docstring, on a checked request."""
    import keras
    import tensorflow as tf

    from ddsp_train.training import checkpoints, data_checks, gin_config, optimizer as optimizer_lib
    from ddsp_train.training import strategy as strategy_lib, warm_start
    from ddsp_train.training.loop import Run
    from ddsp_train.training.step import Trainer
    from ddsp_train.training.summaries import Summaries

    info, data_dir = request.info, request.data_dir
    if info.source == "ddsp":  # records of ddsp_prepare_tfrecord: say what was inferred
        from ddsp_train.data import ddsp_format

        say(ddsp_format.describe(info))
        note = ddsp_format.plugin_rate_note(info)
        if note:
            say(note)
        info = info.replace(statistics=ddsp_format.with_statistics(info, model_dir=request.model_dir, say=say))
    bindings = list(request.recipe.gin_params)
    if learning_rate is not None:
        bindings.append(f"make_optimizer.learning_rate = {float(learning_rate)!r}")
    placement = strategy_lib.choose(strategy=strategy, xla=xla, mixed_precision=mixed_precision)
    if batch_size % placement.replicas:
        raise UserError(f"--batch-size {batch_size} must be a multiple of the {placement.replicas} replicas "
                        f"({placement.description})", exit_code=2)
    if placement.mixed_precision_policy:
        bindings += [f"{name}.dtype = '{placement.mixed_precision_policy}'"
                     for name in checkpoints.mixed_precision_layers()]
    gin_config.parse(config_files=request.config_files, bindings=bindings, dataset_info=info)
    settings = optimizer_lib.schedule()
    first, train_examples, eval_examples = data_checks.read_splits(data_dir, say=say)
    chief_dir = model_dir = request.model_dir
    if not placement.is_chief:
        # Every worker of a cluster takes part in saving, but only the chief writes MODEL_DIR; the
        # others restore the chief's checkpoints and write scratch copies (tf.distribute's rule).
        model_dir = model_dir / f".{placement.worker.replace(' ', '-')}"
    if seed is not None:
        keras.utils.set_random_seed(int(seed))

    with placement.strategy.scope():
        model = gin_config.build_model(dataset_info=info)
        trainer = Trainer(model=model, optimizer=optimizer_lib.make_optimizer(), placement=placement)
    data_checks.check_example(first, model, data_dir)
    manager = checkpoints.CheckpointManager(model_dir, keep=settings["checkpoints_to_keep"], read_dir=chief_dir,
                                            say=say, model=model, optimizer=trainer.optimizer, step=trainer.step)
    restored = manager.restore()
    manager.protected = {s for s in [model_dir_lib.best_step(chief_dir)] if s is not None}
    if request.init is not None:
        if restored is None:
            warm_start.load_into(model, request.init, say=say)
        else:
            say(f"--init {request.init.label} is not used: resuming {chief_dir} from its own checkpoint.")
    start_step = int(trainer.step.numpy())  # (a warm start leaves it at 0)
    strategy_lib.check_same_start(placement, step=start_step, model_dir=chief_dir)
    # Everything is checked and restored: only now is MODEL_DIR written.
    model_dir_lib.prepare(model_dir, info=info, data_dir=data_dir, recipe=request.recipe)
    model_dir_lib.write_operative_config(model_dir)
    strategy_lib.announce(placement, say=say)
    if restored is not None:
        say(f"Resuming from the checkpoint of step {start_step} in {checkpoints.checkpoint_dir(model_dir)}.")

    eval_batches = list(eval_examples.take(settings["eval_examples"]).batch(min(batch_size, 8)))
    train_ds = (train_examples.shuffle(settings["shuffle_buffer"]).repeat()
                .batch(batch_size, drop_remainder=True)
                .prefetch(tf.data.AUTOTUNE))
    options = tf.data.Options()
    # Workers of a cluster share the examples, not the files (a dataset may have one shard).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    iterator = iter(placement.strategy.experimental_distribute_dataset(train_ds.with_options(options)))

    run = Run(model=model, trainer=trainer, manager=manager, summaries=Summaries(model_dir), model_dir=model_dir,
              eval_batches=eval_batches, info=info, log_every=settings["log_every"], say=say)
    latest = model_dir_lib.read_eval(model_dir)
    if start_step == 0 and latest is None:
        latest = run.evaluate(0)
    if start_step >= steps:  # (eval.json was missing or unreadable: evaluate once)
        say(f"Already trained to step {start_step} (--steps {steps}); nothing to do.")
        return latest if latest is not None and latest["step"] >= start_step else run.evaluate(start_step)
    with strategy_lib.cluster_failures(placement, model_dir=chief_dir):
        reason = run.loop(iterator, start_step=start_step, steps=steps, save_every=save_every,
                          eval_every=eval_every, stop=stop)
    if reason == "budget":
        say(f"Stopped at the --minutes budget ({console.format_duration(stop.budget_s)}) at step "
            f"{run.latest_eval['step']}; run again with a larger budget to go on.")
    elif reason == "converged":
        say(f"Converged at step {run.latest_eval['step']}: the eval loss improved by less than "
            f"{100 * stop.threshold:g} % over the last {stop.window} steps.")
    best = run.latest_eval.get("best")
    if best and best["step"] != run.latest_eval["step"]:
        say(f"The best eval loss ({best['loss']:.4f}) is at step {best['step']}: its checkpoint is kept, and "
            "ddsp-export takes it by default.")
    return run.latest_eval
