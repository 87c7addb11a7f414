"""``ddsp-transfer``: hear a model without a DAW: audio or MIDI in, the model's instrument out.

A thin click shell over :mod:`ddsp_train.realtime.player` (see there for the frame loop).
"""
from __future__ import annotations

import pathlib

import click

from ddsp_train import cli


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", type=click.Path(path_type=pathlib.Path))
@click.argument("input", required=False, type=click.Path(path_type=pathlib.Path))
@click.option("--midi", type=click.Path(path_type=pathlib.Path), default=None,
              help="Play a MIDI file instead of audio (monophonic, last note wins).")
@click.option("--output", "-o", type=click.Path(path_type=pathlib.Path), required=True, help="Output .wav file.")
@click.option("--pitch-shift", type=float, default=0.0, show_default=True, help="Semitones added to the pitch.")
@click.option("--gain-db", type=float, default=0.0, show_default=True, help="Output gain in dB.")
@click.option("--auto-adjust/--no-auto-adjust", default=True, show_default=True,
              help="Shift the input by octaves and its power into the model's trained ranges (audio input).")
@click.option("--reverb/--no-reverb", default=True, show_default=True,
              help="Reverb: the learned one for a SavedModel, a simple room for a .tflite.")
@click.option("--f0-method", default=None,
              help="Pitch tracker for audio input: network (ours, the most accurate; the whole chain runs "
                   "~35x real time on one core), yin (faster, more octave errors) or pyin (~4x real time)  "
                   "[default: network]")
@click.option("--sample-rate", type=click.IntRange(8000, 192000), default=None,
              help="Output rate for --midi  [default: the model's rate]")
def command(model, input, midi, output, pitch_shift, gain_db, auto_adjust, reverb, f0_method, sample_rate):
    """Play INPUT (audio, any format and rate) or --midi SONG.mid through MODEL
    (a NAME.tflite or NAME.saved_model from ddsp-export) and write --output.

    \b
    Examples:
      ddsp-transfer Violin.tflite singing.wav --output violin.wav --pitch-shift 12
      ddsp-transfer Violin.saved_model singing.wav --output violin.wav
      ddsp-transfer Violin.tflite --midi song.mid --output song.wav
    """
    from ddsp_train.realtime.player import transfer_file

    if (input is None) == (midi is None):
        raise click.UsageError("give either an INPUT audio file or --midi SONG.mid (exactly one)")
    if sample_rate is not None and midi is None:
        raise click.UsageError("--sample-rate is for --midi; audio output keeps the input's rate")
    report = transfer_file(model, input_path=input, midi_path=midi, output_path=output, pitch_shift=pitch_shift,
                           gain_db=gain_db, auto_adjust=auto_adjust, reverb=reverb, f0_method=f0_method,
                           sample_rate=sample_rate, echo=click.echo)
    return report


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
