"""The preview of an exported plugin model: ``NAME.preview.wav``, a packaged melody played through it.

ddsp-export hands this function to :func:`ddsp_train.exporting.exporter.export_model` (exporting
does not import playback, the stage after it); the file is listed in the export's manifest.
"""
from __future__ import annotations

import pathlib

from ddsp_train import console, contract


def write_preview(tflite: pathlib.Path, *, meta: dict, say: console.Say = console.stderr) -> pathlib.Path:
    """``NAME.preview.wav``: the packaged melody (:mod:`ddsp_train.reports.melody`, moved by whole
    octaves into the model's range) played through the checked ``tflite`` as ``ddsp-transfer`` does."""
    from ddsp_train import pitch
    from ddsp_train.atomic import atomic_path
    from ddsp_train.dsp.scaling import hz_to_midi
    from ddsp_train.realtime import players, transfer
    from ddsp_train.reports import melody

    import soundfile as sf

    shift = melody.fit_transpose(low_midi=float(hz_to_midi(float(meta["mean_min_pitch_note_hz"]))),
                                 high_midi=float(hz_to_midi(float(meta["mean_max_pitch_note_hz"]))))
    tune = melody.preview_melody(sample_rate=contract.SAMPLE_RATE, transpose=shift)
    out, _ = transfer.transfer_audio(players.TFLitePlayer(tflite), tune, sample_rate=contract.SAMPLE_RATE,
                                     tracker=pitch.get_tracker(transfer.default_f0_method()))
    path = tflite.with_name(tflite.name[: -len(contract.MODEL_SUFFIX)] + melody.FILE_SUFFIX)
    with atomic_path(path) as tmp:
        sf.write(str(tmp), transfer.normalized(out), contract.SAMPLE_RATE, subtype="PCM_16", format="WAV")
    say(f"Wrote {path} (a melody played through {tflite.name}, {len(out) / contract.SAMPLE_RATE:.1f} s).")
    return path
