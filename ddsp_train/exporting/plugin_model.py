"""The plugin's view of a trained Autoencoder: its synth controls, one frame at a time.

One rule finds what the plugin plays, for every recipe: the processor group's first
:class:`~ddsp_train.dsp.synths.Harmonic` and first :class:`~ddsp_train.dsp.noise.FilteredNoise`
(by class), wired to the decoder heads named in the group's ``input_keys`` (gin); a head's size
is the decoder's ``output_splits`` entry of that name. ``Harmonic.get_controls(amplitudes,
harmonic_distribution, f0_hz)`` and ``FilteredNoise.get_controls(magnitudes)`` fix which wired
key is which. So a renamed head or another decoder class with ``input_keys``, ``output_splits``,
``rnn_channels`` and ``step`` needs a .gin file, not code.

:func:`controls` (whole sequences) and :func:`controls_step` (one frame, the recurrent state in
and out) return the controls as the DDSP-VST plugin's synth takes them (:mod:`ddsp_train.contract`):
``amplitude`` (linear, >= 0), ``harmonic_distribution`` (>= 0, zero at/above Nyquist, sums to 1),
``noise_magnitudes`` (linear, >= 0), both level controls times ``gain`` (the export's level
calibration, :mod:`ddsp_train.exporting.calibration`). :func:`problems` lists what keeps a
model out of the plugin.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from ddsp_train import contract


@dataclasses.dataclass(frozen=True)
class Wired:
    """A processor of the group and the keys wired to its ``get_controls`` arguments."""

    processor: Any
    keys: tuple[str, ...]


def find_processor(model: Any, kind: type) -> Wired | None:
    """The group's first processor that is a ``kind``, with its input keys (None if there is none)."""
    group = model.processor_group
    for processor, keys in zip(group.processors, group.input_keys):
        if isinstance(processor, kind):
            return Wired(processor, tuple(keys))
    return None


def head_size(model: Any, key: str | None) -> int | None:
    """Size of the decoder head ``key`` (its ``output_splits`` entry), None if it has none."""
    return dict(getattr(model.decoder, "output_splits", ())).get(key) if key else None


def synths(model: Any) -> tuple[Wired | None, Wired | None]:
    """``(harmonic, noise)``: the processors the plugin's synth stands in for."""
    from ddsp_train.dsp.noise import FilteredNoise
    from ddsp_train.dsp.synths import Harmonic

    return find_processor(model, Harmonic), find_processor(model, FilteredNoise)


def sizes(model: Any) -> tuple[int | None, int | None]:
    """``(harmonics, noise bands)``: the head sizes behind the distribution and the noise magnitudes."""
    harmonic, noise = synths(model)
    h = head_size(model, harmonic.keys[1]) if harmonic is not None and len(harmonic.keys) > 1 else None
    n = head_size(model, noise.keys[0]) if noise is not None and noise.keys else None
    return h, n


def scaled_controls(model: Any, heads: Mapping[str, Any], f0_hz: Any, *, gain: float = 1.0) -> dict[str, Any]:
    """Raw heads ``[B, T, n]`` -> the plugin's controls through the processors' own scalings;
    ``amplitude`` and ``noise_magnitudes`` times ``gain``."""
    harmonic, noise = synths(model)
    if harmonic is None or noise is None:
        raise ValueError("controls need a Harmonic synth and a FilteredNoise in the processor group: "
                         + "; ".join(problems(model)))
    values = {**heads, "f0_hz": f0_hz}
    h = harmonic.processor.get_controls(*[values[k] for k in harmonic.keys])
    n = noise.processor.get_controls(*[values[k] for k in noise.keys])
    return {"amplitude": h["amplitudes"] * gain, "harmonic_distribution": h["harmonic_distribution"],
            "noise_magnitudes": n["magnitudes"] * gain}


def _own(model: Any, method: str, gain: float):
    """A model's own ``controls``/``controls_step`` (a ddsp-match patch defines both and carries its
    own level: ``gain`` must be 1); None for an Autoencoder, whose controls are found here."""
    own = getattr(model, method, None)
    if own is not None and gain != 1.0:
        raise ValueError(f"{type(model).__name__} carries its own level; gain must be 1, got {gain}")
    return own


def controls(model: Any, features: Mapping[str, Any], *, gain: float = 1.0) -> dict[str, Any]:
    """Controls of whole sequences: ``amplitude`` [B, T, 1], ``harmonic_distribution`` [B, T, H],
    ``noise_magnitudes`` [B, T, N]."""
    own = _own(model, "controls", gain)
    if own is not None:
        return own(features)
    inputs = model.encode(features)
    return scaled_controls(model, model.decoder(inputs), inputs["f0_hz"], gain=gain)


def controls_step(model: Any, f0_scaled: Any, pw_scaled: Any, state: Any, *, gain: float = 1.0) -> dict[str, Any]:
    """One frame: ``f0_scaled`` [B, 1], ``pw_scaled`` [B, 1], ``state`` [B, S] -> ``amplitude``
    [B, 1], ``harmonic_distribution`` [B, H], ``noise_magnitudes`` [B, N], ``state`` [B, S]."""
    own = _own(model, "controls_step", gain)
    if own is not None:
        return own(f0_scaled, pw_scaled, state)
    import tensorflow as tf

    from ddsp_train.dsp.scaling import unscale_f0_hz

    heads = model.decoder.step({"f0_scaled": f0_scaled, "pw_scaled": pw_scaled}, state)
    new_state = heads.pop("state")
    f0_hz = unscale_f0_hz(tf.convert_to_tensor(f0_scaled, tf.float32))
    framed = {k: v[:, tf.newaxis, :] for k, v in heads.items()}
    out = {k: v[:, 0, :] for k, v in scaled_controls(model, framed, f0_hz[:, tf.newaxis, :], gain=gain).items()}
    out["state"] = new_state
    return out


def _decoder_problems(model: Any) -> list[str]:
    found = []
    if model.encoder is not None:
        found.append(f"a {type(model.encoder).__name__} encoder that needs the audio (not causal; "
                     "the plugin feeds only f0 and power)")
    inputs = tuple(getattr(model.decoder, "input_keys", ()))
    if "ld_scaled" in inputs:
        found.append("loudness input (ld_scaled) instead of the plugin's power (pw_scaled)")
    if sorted(k for k in inputs if k != "z") != sorted(contract.INPUT_FEATURES):
        found.append(f"decoder inputs {list(inputs)} (the plugin feeds exactly {list(contract.INPUT_FEATURES)})")
    if not hasattr(model.decoder, "step"):
        found.append(f"{type(model.decoder).__name__} decoder cannot run one frame at a time")
    state = getattr(model.decoder, "rnn_channels", None)
    if state != contract.STATE_SIZE:
        found.append(f"recurrent state size {state} (the plugin passes {contract.STATE_SIZE} values)")
    return found


def _synth_problems(model: Any) -> list[str]:
    found = []
    harmonic, noise = synths(model)
    harmonics, bands = sizes(model)
    if harmonic is None:
        names = ", ".join(type(p).__name__ for p in model.processor_group.processors)
        found.append(f"no Harmonic synth (processors: {names}; the plugin plays a harmonic synth)")
    else:
        if harmonics != contract.HARMONICS:
            found.append(f"{harmonics} harmonics (the plugin plays {contract.HARMONICS})")
        if harmonic.processor.amp_resample_method != "linear":
            found.append(f"Harmonic.amp_resample_method = '{harmonic.processor.amp_resample_method}' (the plugin "
                         "moves the amplitudes linearly across each frame)")
        if not harmonic.processor.normalize_below_nyquist:
            found.append("Harmonic.normalize_below_nyquist = False (the plugin renormalises the harmonic "
                         "distribution below Nyquist)")
    if noise is None:
        found.append("no FilteredNoise (the plugin plays filtered noise)")
    else:
        if bands != contract.NOISE_BANDS:
            found.append(f"{bands} noise bands (the plugin takes {contract.NOISE_BANDS})")
        if noise.processor.n_taps != contract.NOISE_TAPS:
            found.append(f"FilteredNoise.n_taps = {noise.processor.n_taps} (the plugin builds "
                         f"{contract.NOISE_TAPS}-tap noise filters)")
    return found


def problems(model: Any) -> list[str]:
    """What keeps ``model`` out of the DDSP-VST plugin; an empty list when it fits."""
    found = []
    if model.sample_rate != contract.SAMPLE_RATE:
        found.append(f"sample rate {model.sample_rate} Hz (the plugin runs models at {contract.SAMPLE_RATE} Hz)")
    if model.frame_rate != contract.FRAME_RATE:
        found.append(f"frame rate {model.frame_rate} Hz (the plugin calls the model at {contract.FRAME_RATE} Hz)")
    return found + _decoder_problems(model) + _synth_problems(model)
