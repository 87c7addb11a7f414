"""The DDSP-VST plugin's model contract: the one owner of every name, shape, rate and scaling.

What the plugin (Magenta's DDSP effect/synth plugin) expects of a model file, read from its
source and checked by loading files with the builtin-ops LiteRT interpreter. The description in
words is docs/plugin-contract.md; every module that writes, checks or plays a plugin model
takes its facts from here.

- One ``.tflite`` flatbuffer, builtin ops only, no resource variables, one frame per call; the
  recurrent state goes out and comes back in as a tensor.
- Inputs (float32, by name): ``f0_scaled = midi(f0_hz) / 127`` with f0 clipped to MIDI 0..127,
  ``pw_scaled = power_db / 80 + 1``, and the ``state``.
- Outputs (float32, by name): harmonic amplitude (linear, >= 0), harmonic distribution (>= 0,
  zero at or above Nyquist, sums to 1), filtered-noise magnitudes (linear, >= 0; the plugin
  designs a 128-tap FIR from them), and the next state.
- Timing: 16 kHz, a 1024-sample causal frame (the last 1024 samples) every 320 samples (50 Hz).
- Power as the plugin measures it: ``10 log10(mean(frame^2))`` over that frame, floored at -80 dB.
- Metadata: a zip appended to the flatbuffer with one ``metadata.json``; the plugin reads the
  typical pitch and power range (:data:`METADATA_PLUGIN_KEYS`).
- The plugin lists every ``*.tflite`` below :data:`MODEL_FOLDER` by its file stem.
"""
from __future__ import annotations

import pathlib

#: The model's audio rate, frames per second, frame length and hop (samples).
SAMPLE_RATE = 16000
FRAME_RATE = 50
FRAME_SIZE = 1024
HOP = SAMPLE_RATE // FRAME_RATE  # 320

#: Control sizes.
HARMONICS = 60
NOISE_BANDS = 65
STATE_SIZE = 512
#: Taps of the plugin's noise FIR (frequency sampling, zero-phase Hann window, made causal).
NOISE_TAPS = 128

#: Scalings of the inputs (also :mod:`ddsp_train.dsp.scaling`): ``pw_scaled = power_db / DB_RANGE + 1``.
DB_RANGE = 80.0
#: f0 is clipped to MIDI 0..127 before scaling by 1/127.
MIDI_MAX = 127.0

#: The decoder inputs, in the order of the plugin's call.
INPUT_FEATURES = ("f0_scaled", "pw_scaled")
#: Input tensor name -> number of values.
INPUTS = {"call_f0_scaled:0": 1, "call_pw_scaled:0": 1, "call_state:0": STATE_SIZE}
#: The names an ExportArchive endpoint ``call`` must give its input signature to get :data:`INPUTS`.
ENDPOINT = "call"
SIGNATURE_NAMES = ("f0_scaled", "pw_scaled", "state")
#: Output tensor name -> (control name, number of values), in the plugin's order.
OUTPUTS = {
    "StatefulPartitionedCall:0": ("amplitude", 1),
    "StatefulPartitionedCall:1": ("harmonic_distribution", HARMONICS),
    "StatefulPartitionedCall:2": ("noise_magnitudes", NOISE_BANDS),
    "StatefulPartitionedCall:3": ("state", STATE_SIZE),
}
CONTROL_NAMES = tuple(name for name, _ in OUTPUTS.values())

#: The metadata archive's single entry, and the keys the plugin reads from it.
METADATA_NAME = "metadata.json"
METADATA_PLUGIN_KEYS = ("mean_min_pitch_note_hz", "mean_max_pitch_note_hz", "mean_min_power_note",
                        "mean_max_power_note", "version", "export_time")
#: Keys DDSP's own exporter writes besides those.
METADATA_EXTRA_KEYS = ("mean_min_pitch_note", "mean_max_pitch_note", "num_harmonics", "num_noise_amps",
                       "frame_rate", "frame_size", "sample_rate")

#: Where the plugin looks for models (recursively, ``*.tflite``, named by the file stem).
MODEL_FOLDER = pathlib.Path("~/Documents/Magenta/DDSP/Models")
MODEL_SUFFIX = ".tflite"

#: Beside ``NAME.tflite`` ddsp-export writes ``NAME`` + this: the learned reverb's whole response
#: (direct path included, mono float at the model's rate): the plugin's output convolved with it,
#: 100 % wet, is the full trained model. Not read by the plugin; for a DAW's convolution reverb.
REVERB_SUFFIX = ".reverb.wav"

#: The feature extractor's interface (``features.tflite``): one causal frame in, four values out.
FEATURE_INPUT = "call_audio:0"
FEATURE_OUTPUTS = ("f0_scaled", "pw_scaled", "f0_hz", "pw_db")
