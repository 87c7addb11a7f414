"""``ddsp-match``: synthesizer programming from a target sound (a thin click shell over
:func:`ddsp_train.match.run.match_file`)."""
from __future__ import annotations

import inspect
import pathlib

import click

from ddsp_train import cli
from ddsp_train.match.run import match_file

_DEFAULTS = {k: p.default for k, p in inspect.signature(match_file).parameters.items()}


@cli.command(examples=[
    "ddsp-match cello_C3.wav --output patches/",
    "ddsp-match flute.flac --output patches/ --name Flute --steps 300",
    "ddsp-match oboe.mp3 --output patches/ --no-refine",
    "ddsp-match --patch patches/Flute.patch.json --output patches/ --name FluteBright",
    "ddsp-match flute.flac --patch patches/FluteBright.patch.json --output patches/ --overwrite",
    "ddsp-transfer patches/Flute.tflite singing.wav --output flute_singing.wav",
], note="Writes DIR/NAME.patch.json (the parameters with names, units and bounds; edit it and re-export "
        "with --patch), DIR/NAME.wav (the match on the target's pitch and power), DIR/NAME.tflite (a "
        "DDSP-VST model: copy it to ~/Documents/Magenta/DDSP/Models or play it with ddsp-transfer) and "
        "DIR/NAME.png (target vs match spectrograms). See docs/match.md.")
@click.argument("target", required=False, type=click.Path(path_type=pathlib.Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=pathlib.Path),
              help="Folder for the NAME.* files (created if missing).")
@click.option("--name", default=None, help="File stem and plugin model name  [default: TARGET's (or the patch's) stem]")
@click.option("--steps", type=int, default=_DEFAULTS["steps"], show_default=True,
              help="Refinement steps (gradient descent through the synth).")
@click.option("--no-refine", is_flag=True, help="Keep the estimator's patch (one forward pass, no refinement).")
@click.option("--patch", "patch_path", type=click.Path(path_type=pathlib.Path), default=None,
              help="Re-export this FILE.patch.json (hand-edited) without estimating: writes the .wav, .tflite "
                   "and .png (on TARGET if given, else on a demo note).")
@click.option("--f0-method", default=None, help="Pitch tracker: network, yin or pyin  [default: network]")
@click.option("--overwrite", is_flag=True, help="Replace existing NAME.* files in the output folder.")
def command(target, output, name, steps, no_refine, patch_path, f0_method, overwrite):
    """Program the synth from TARGET: one note or a short monophonic phrase in any audio file
    (wav, flac, ogg, mp3, aiff, ...; any rate, 0.25 to 60 s). Estimates a patch, refines it
    against the target and writes it as a patch file, a render and a DDSP-VST model."""
    summary = match_file(target, output=output, name=name, steps=steps, refine=not no_refine,
                         patch_path=patch_path, f0_method=f0_method, overwrite=overwrite)
    loss = summary.get("loss")
    if isinstance(loss, dict):
        how = (f"loss {loss['estimate']:.3f} -> {loss['refined']:.3f} in {loss['steps']} steps"
               if loss["steps"] else f"loss {loss['estimate']:.3f} (not refined)")
    elif loss is not None:
        how = f"loss on the target {loss:.3f}"
    else:
        how = "re-exported"
    click.echo(f"Wrote {', '.join(summary['written'])} ({how}; {summary['seconds_total']:.1f} s).")


def main() -> None:
    cli.run(command)


if __name__ == "__main__":
    main()
