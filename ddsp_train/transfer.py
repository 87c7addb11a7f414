"""``ddsp-transfer``: hear a model without a DAW: audio or MIDI in, the model's instrument out.

A thin click shell over :func:`ddsp_train.realtime.transfer.transfer_file` (see
:mod:`ddsp_train.realtime` for the frame loop); every default comes from its signature.
"""
from __future__ import annotations

import inspect
import pathlib

import click

from ddsp_train import cli
from ddsp_train.realtime import transfer as lib

_DEFAULTS = {name: p.default for name, p in inspect.signature(lib.transfer_file).parameters.items()}
_AUDIO = "audio file (wav, flac, ogg, mp3, aiff, ...; any rate and channel count)"


@cli.command(examples=[
    "ddsp-transfer Violin.tflite singing.flac --output violin.wav",
    "ddsp-transfer Violin.tflite singing.wav --output violin.wav --pitch-shift 12 --normalize",
    "ddsp-transfer Violin.saved_model singing.mp3 --output violin.flac --no-reverb",
    "ddsp-transfer Violin.tflite --midi song.mid --output song.wav",
    "ddsp-transfer Violin.tflite take.wav --output violin.wav --overwrite",
], note=("INPUT may also be a MIDI file (*.mid, *.midi, or any file starting with 'MThd'): it is played "
         "as --midi and a line says so. A .tflite plays with its learned reverb when NAME.reverb.wav lies "
         "beside it (ddsp-export writes it), else with a simple room; --no-reverb plays dry."))
@click.argument("model", type=click.Path(path_type=pathlib.Path))
@click.argument("input", required=False, type=click.Path(path_type=pathlib.Path))
@click.option("--midi", type=click.Path(path_type=pathlib.Path), default=_DEFAULTS["midi_path"],
              help="Play a MIDI file instead of audio (monophonic, last note wins).")
@click.option("--output", "-o", type=click.Path(path_type=pathlib.Path), required=True,
              help=f"Output file: {' or '.join(lib.OUTPUT_FORMATS)} (float wav, 24-bit flac). Never the input or model.")
@click.option("--overwrite", is_flag=True, default=_DEFAULTS["overwrite"],
              help="Replace --output if it exists (otherwise an existing file is refused).")
@click.option("--pitch-shift", type=float, default=_DEFAULTS["pitch_shift"], show_default=True,
              help=f"Semitones added to the pitch (-{lib.PITCH_SHIFT_LIMIT:g}..{lib.PITCH_SHIFT_LIMIT:g}).")
@click.option("--gain-db", type=float, default=_DEFAULTS["gain_db"], show_default=True,
              help=f"Output gain in dB (-{lib.GAIN_LIMIT_DB:g}..{lib.GAIN_LIMIT_DB:g}).")
@click.option("--normalize", is_flag=True, default=_DEFAULTS["normalize"],
              help=f"Scale the output so its peak is {lib.NORMALIZE_PEAK_DBFS:g} dBFS (instead of --gain-db).")
@click.option("--auto-adjust/--no-auto-adjust", default=_DEFAULTS["auto_adjust"], show_default=True,
              help="Audio input: shift pitch by octaves and power by dB into the model's trained ranges "
                   "(input already inside them is left alone; silence is never shifted).")
@click.option("--reverb/--no-reverb", default=_DEFAULTS["reverb"], show_default=True,
              help="Reverb: the learned one (SavedModel, or NAME.reverb.wav beside a .tflite), else a simple room.")
@click.option("--f0-method", default=_DEFAULTS["f0_method"],
              help="Pitch tracker for audio input: network (ours, the most accurate; the whole chain runs "
                   "~35x real time on one core), yin (faster, more octave errors) or pyin (~4x real time)  "
                   f"[default: {lib.TRANSFER_F0_METHODS[0]}]")
@click.option("--sample-rate", type=click.IntRange(8000, 192000), default=_DEFAULTS["sample_rate"],
              help=f"Output rate for --midi  [default: {lib.MIDI_SAMPLE_RATE}]; audio output keeps the input's rate.")
def command(model, input, midi, output, overwrite, pitch_shift, gain_db, normalize, auto_adjust, reverb, f0_method,
            sample_rate):
    result = lib.transfer_file(model, input_path=input, midi_path=midi, output_path=output, pitch_shift=pitch_shift,
                               gain_db=gain_db, normalize=normalize, auto_adjust=auto_adjust, reverb=reverb,
                               f0_method=f0_method, sample_rate=sample_rate, overwrite=overwrite)
    click.echo(result.line())
    return result


command.help = (f"Play INPUT (an {_AUDIO}) or --midi SONG.mid through MODEL (a NAME.tflite or NAME.saved_model "
                "from ddsp-export) and write --output.")


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
