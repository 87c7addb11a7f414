"""The Processor convention and the processor group (a DAG of processors wired from gin).

A :class:`Processor` is a Keras layer that separates

- ``get_controls(*raw)`` -> dict: raw network outputs to synthesis parameters (scalings,
  Nyquist removal, normalisation), and
- ``get_signal(**controls)`` -> audio ``[batch, n_samples]``,

with ``call(*raw) = get_signal(**get_controls(*raw))``. Processors compute in float32 whatever
the global Keras dtype policy is (mixed precision keeps the DSP in float32).

:class:`ProcessorGroup` runs a list of ``(processor, [input keys])`` in order, as ddsp does::

    ProcessorGroup.dag = [
        (@synths.Harmonic(), ["amps", "harmonic_distribution", "f0_hz"]),
        (@noise.FilteredNoise(), ["noise_magnitudes"]),
        (@processors.Add(), ["harmonic/signal", "noise/signal"]),
        (@reverb.Reverb(), ["add/signal"]),
    ]

Input keys name entries of the inputs dict or outputs of earlier processors. The group returns
one flat dict: the inputs, plus for every processor ``"<name>/controls/<key>"`` for each
control and ``"<name>/signal"``, plus ``"out"``: the signal of the last processor.
"""
from __future__ import annotations

from typing import Sequence

import gin
import keras
import tensorflow as tf


class Processor(keras.layers.Layer):
    """Base class: ``call(*args, **kwargs) = get_signal(**get_controls(*args, **kwargs))``."""

    def __init__(self, name: str | None = None, trainable: bool = True, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(name=name, trainable=trainable, **kwargs)

    def get_controls(self, *args, **kwargs) -> dict[str, tf.Tensor]:
        """Raw network outputs -> dict of synthesis parameters (identity by default)."""
        raise NotImplementedError

    def get_signal(self, **controls) -> tf.Tensor:
        """Synthesis parameters -> audio ``[batch, n_samples]``."""
        raise NotImplementedError

    def build(self, *args, **kwargs):  # weights, if any, are made in __init__
        self.built = True

    def call(self, *args, **kwargs):
        return self.get_signal(**self.get_controls(*args, **kwargs))


@gin.register
class Add(Processor):
    """Sum of signals: ``y = sum_i x_i`` (all ``[batch, n_samples]``)."""

    def __init__(self, name: str = "add"):
        super().__init__(name=name)

    def get_controls(self, *signals):
        if not signals:
            raise ValueError("Add needs at least one signal")
        return {f"signal_{i}": tf.cast(s, tf.float32) for i, s in enumerate(signals)}

    def get_signal(self, **controls):
        return tf.add_n([controls[f"signal_{i}"] for i in range(len(controls))])


@gin.register
class ProcessorGroup(keras.layers.Layer):
    """Runs ``dag = [(processor, [input_key, ...]), ...]`` in order; see the module docstring.

    ``group(inputs: dict) -> dict`` with the inputs, ``"<name>/controls/<key>"``,
    ``"<name>/signal"`` for each processor, and ``"out"`` (the last processor's signal).
    """

    def __init__(self, dag: Sequence[tuple[Processor, Sequence[str]]], name: str = "processor_group"):
        super().__init__(name=name, dtype="float32")
        if not dag:
            raise ValueError("ProcessorGroup needs at least one (processor, inputs) entry")
        names = []
        for entry in dag:
            if len(entry) != 2 or not isinstance(entry[0], Processor) or isinstance(entry[1], str):
                raise ValueError(
                    f"each dag entry must be (Processor, [input keys]); got {entry!r}")
            names.append(entry[0].name)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"processor names in a group must be unique; repeated: {duplicates}")
        self.processors = [p for p, _ in dag]  # tracked by Keras (weights, e.g. the reverb IR)
        self.input_keys = [list(keys) for _, keys in dag]

    def build(self, *args, **kwargs):  # processors make their weights in __init__
        for processor in self.processors:
            processor.built = True
        self.built = True

    def call(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        outputs: dict[str, tf.Tensor] = dict(inputs)
        signal = None
        for processor, keys in zip(self.processors, self.input_keys):
            missing = [k for k in keys if k not in outputs]
            if missing:
                raise KeyError(
                    f"processor {processor.name!r} needs {missing}; available: {sorted(outputs)}")
            controls = processor.get_controls(*[outputs[k] for k in keys])
            signal = processor.get_signal(**controls)
            for key, value in controls.items():
                outputs[f"{processor.name}/controls/{key}"] = value
            outputs[f"{processor.name}/signal"] = signal
        outputs["out"] = signal
        return outputs
