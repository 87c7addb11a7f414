"""``ddsp-transfer``'s work: audio (or MIDI) -> features -> control model -> synth -> audio file.

:func:`transfer_audio` plays mono audio through a player (:mod:`.players`): a constant offset
(DC) is removed (``x - mean(x)``), the audio is resampled to the model's rate, ``--pitch-shift``
multiplies f0 by ``2 ** (semitones / 12)``, auto-adjust (:func:`.performance.auto_adjust_shifts`)
moves pitch by whole octaves and power by decibels into the model's trained ranges, the output
is scaled by ``--gain-db``, resampled back to the input's rate and has exactly its length.
:func:`render_midi` plays a MIDI file as the plugin's synth mode does (:mod:`.midi`).

:func:`transfer_file` is the command: every check of the paths and options runs first (no
TensorFlow, nothing decoded), so a mistake costs well under a second; then the work, written
atomically; notes go to ``say`` and the result comes back as :class:`TransferResult`.
"""
from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import time

import numpy as np

from ddsp_train import console, contract, paths
from ddsp_train.errors import UserError
from ddsp_train.realtime.performance import Performance, auto_adjust_shifts, shifted, silent_frames

#: The output rate of a MIDI rendering unless ``sample_rate`` is given (audio keeps the input's rate).
MIDI_SAMPLE_RATE = 44100
#: Extensions read as MIDI, and the header every standard MIDI file starts with.
MIDI_EXTENSIONS = (".mid", ".midi", ".smf", ".kar")
MIDI_HEADER = b"MThd"
#: Output formats: extension -> (soundfile format, subtype).
OUTPUT_FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}
#: Inputs at least this long (seconds) show a progress line with an ETA while the model runs.
PROGRESS_SECS = 60.0
#: ``normalize`` brings the output's peak to this level (dBFS).
NORMALIZE_PEAK_DBFS = -1.0
#: Below this output peak (dBFS) the user is told how to make it louder.
QUIET_PEAK_DBFS = -30.0
PITCH_SHIFT_LIMIT = 48.0
GAIN_LIMIT_DB = 60.0
#: Trackers for playing audio in order of preference: the network (the most accurate; the whole
#: chain runs ~35x real time on one core, scripts/bench_export.py), then yin (faster, more octave
#: errors). pyin runs at about 4x real time.
TRANSFER_F0_METHODS = ("network", "yin")


@dataclasses.dataclass
class TransferReport:
    """What a transfer did: applied shifts, sizes and timings (seconds)."""

    pitch_shift_semitones: float
    power_shift_db: float
    frames: int
    input_seconds: float
    seconds_features: float = 0.0
    seconds_model: float = 0.0
    seconds_synth: float = 0.0
    seconds_total: float = 0.0

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio per second of processing (``>= 1`` is faster than real time)."""
        return self.input_seconds / max(self.seconds_total, 1e-9)

    @property
    def speed(self) -> str:
        """:func:`ddsp_train.console.format_speed` of the run (``12.3x real time``)."""
        return console.format_speed(self.input_seconds, self.seconds_total)


@dataclasses.dataclass
class TransferResult:
    """What :func:`transfer_file` wrote."""

    output_path: pathlib.Path
    sample_rate: int
    seconds: float
    peak_dbfs: float
    source: str
    model: str
    reverb: str
    auto_adjusted: bool
    report: TransferReport

    def line(self) -> str:
        """The one result line the command prints."""
        r = self.report
        adjust = " (auto-adjust)" if self.auto_adjusted else ""
        return (f"Wrote {self.output_path}: {self.seconds:.2f} s at {self.sample_rate} Hz from {self.source} "
                f"through {self.model}; pitch shift {r.pitch_shift_semitones:+g} semitones, power shift "
                f"{r.power_shift_db:+.1f} dB{adjust}, reverb {self.reverb}, peak {self.peak_dbfs:.1f} dBFS; "
                f"{r.speed}.")


def fit_samples(audio: np.ndarray, length: int) -> np.ndarray:
    """``audio`` trimmed or zero-padded at the end to exactly ``length`` samples."""
    audio = np.asarray(audio, np.float32)
    if len(audio) >= length:
        return audio[:length]
    return np.concatenate([audio, np.zeros(length - len(audio), np.float32)])


def peak_dbfs(audio: np.ndarray) -> float:
    """``20 log10(max |x|)``; ``-inf`` for silence or no samples."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def normalized(audio: np.ndarray, *, peak_db: float = NORMALIZE_PEAK_DBFS) -> np.ndarray:
    """``x * 10 ** (peak_db / 20) / max |x|``; silence stays silence."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak == 0:
        return np.asarray(audio, np.float32)
    return (np.asarray(audio, np.float64) * (10.0 ** (peak_db / 20.0) / peak)).astype(np.float32)


def transfer_audio(player, audio: np.ndarray, *, sample_rate: int, tracker, pitch_shift: float = 0.0,
                   gain_db: float = 0.0, auto_adjust: bool = True, reverb: bool = True,
                   progress: bool = False) -> tuple[np.ndarray, TransferReport]:
    """Play mono ``audio`` (at ``sample_rate``) through ``player``; output of the same length and rate
    (``progress``: a line with an ETA while the model runs, for input of :data:`PROGRESS_SECS` or more)."""
    from ddsp_train.audio import resample

    started = time.perf_counter()
    audio = np.asarray(audio, np.float32)
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono (1-D), got shape {audio.shape}")
    centred = (audio.astype(np.float64) - (float(np.mean(audio)) if len(audio) else 0.0)).astype(np.float32)
    x = resample(centred, rate_in=int(sample_rate), rate_out=player.sample_rate)
    n = len(x)
    lat = player.latency_samples
    padded = np.concatenate([x, np.zeros(lat, np.float32)])
    t0 = time.perf_counter()
    perf = player.features(padded, tracker)
    t_features = time.perf_counter() - t0
    octaves, power_shift = (auto_adjust_shifts(perf, player.metadata, pitch_shift=pitch_shift)
                            if auto_adjust else (0.0, 0.0))
    perf = shifted(perf, semitones=pitch_shift + octaves, power_db=power_shift)
    y = player.render(perf, reverb=reverb, progress=progress and len(audio) >= PROGRESS_SECS * sample_rate)
    y = fit_samples(y[lat:], n) * np.float32(10.0 ** (gain_db / 20.0))
    out = fit_samples(resample(y, rate_in=player.sample_rate, rate_out=int(sample_rate)), len(audio))
    report = TransferReport(
        pitch_shift_semitones=pitch_shift + octaves, power_shift_db=power_shift, frames=len(perf.f0_hz),
        input_seconds=len(audio) / sample_rate, seconds_features=t_features,
        seconds_model=player.last_timing.get("model", 0.0), seconds_synth=player.last_timing.get("synth", 0.0),
        seconds_total=time.perf_counter() - started)
    return out, report


def render_midi(player, midi_path: str | os.PathLike, *, sample_rate: int, pitch_shift: float = 0.0,
                gain_db: float = 0.0, reverb: bool = True, bend_range: float = 2.0,
                progress: bool = False) -> tuple[np.ndarray, TransferReport]:
    """Play a MIDI file through ``player`` as the plugin's synth mode does (see :mod:`.midi`;
    ``progress`` as in :func:`transfer_audio`);
    frames where the envelope is at the -80 dB floor (between and after notes) are silent."""
    from ddsp_train.audio import resample
    from ddsp_train.realtime.midi import midi_features, read_midi_events

    started = time.perf_counter()
    events = read_midi_events(midi_path, bend_range=bend_range)
    peak_db = float(player.metadata.get("mean_max_power_note", -20.0))
    f0_hz, power_db = midi_features(events, frame_rate=player.frame_rate, peak_db=peak_db)
    perf = shifted(Performance(f0_hz=f0_hz, power_db=power_db, confidence=np.ones_like(f0_hz),
                               silent=silent_frames(power_db)), semitones=pitch_shift, power_db=0.0)
    seconds = (len(f0_hz) - 1) / player.frame_rate
    n = int(round(seconds * player.sample_rate))
    y = player.render(perf, reverb=reverb, progress=progress and seconds >= PROGRESS_SECS)
    y = fit_samples(y, n) * np.float32(10.0 ** (gain_db / 20.0))
    out = resample(y, rate_in=player.sample_rate, rate_out=int(sample_rate))
    report = TransferReport(pitch_shift_semitones=pitch_shift, power_shift_db=0.0, frames=len(f0_hz),
                            input_seconds=seconds, seconds_model=player.last_timing.get("model", 0.0),
                            seconds_synth=player.last_timing.get("synth", 0.0),
                            seconds_total=time.perf_counter() - started)
    return out, report


def default_f0_method() -> str:
    """The first of :data:`TRANSFER_F0_METHODS` that is available."""
    from ddsp_train.pitch import available_trackers

    available = available_trackers()
    return next((m for m in TRANSFER_F0_METHODS if m in available), available[0])


def is_midi_file(path: str | os.PathLike) -> bool:
    """True for a file named ``*.mid`` / ``.midi`` / ``.smf`` / ``.kar`` or starting with ``MThd``."""
    path = pathlib.Path(path)
    if path.suffix.lower() in MIDI_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == MIDI_HEADER
    except OSError:
        return False


def check_options(*, output_path: pathlib.Path, pitch_shift: float, gain_db: float, normalize: bool) -> None:
    """UserError for an output format, shift or gain that cannot be used."""
    if output_path.suffix.lower() not in OUTPUT_FORMATS:
        raise UserError(f"--output {output_path} must end in {' or '.join(OUTPUT_FORMATS)}", exit_code=2)
    if not -PITCH_SHIFT_LIMIT <= pitch_shift <= PITCH_SHIFT_LIMIT:
        raise UserError(f"--pitch-shift {pitch_shift:g} is outside -{PITCH_SHIFT_LIMIT:g}..{PITCH_SHIFT_LIMIT:g} "
                        "semitones", exit_code=2)
    if not -GAIN_LIMIT_DB <= gain_db <= GAIN_LIMIT_DB:
        raise UserError(f"--gain-db {gain_db:g} is outside -{GAIN_LIMIT_DB:g}..{GAIN_LIMIT_DB:g} dB", exit_code=2)
    if normalize and gain_db != 0:
        raise UserError(f"--normalize sets the level itself (peak {NORMALIZE_PEAK_DBFS:g} dBFS); "
                        f"drop --gain-db {gain_db:g} or --normalize", exit_code=2)


def transfer_file(model_path: str | os.PathLike, *, output_path: str | os.PathLike,
                  input_path: str | os.PathLike | None = None, midi_path: str | os.PathLike | None = None,
                  pitch_shift: float = 0.0, gain_db: float = 0.0, normalize: bool = False,
                  auto_adjust: bool = True, reverb: bool = True, f0_method: str | None = None,
                  sample_rate: int | None = None, overwrite: bool = False,
                  say: console.Say = console.stderr) -> TransferResult:
    """``ddsp-transfer``: play ``input_path`` (audio; a MIDI file there is played as MIDI) or
    ``midi_path`` through ``model_path`` into ``output_path`` (wav or flac, written atomically).

    ``sample_rate``: the output rate of a MIDI rendering (None: :data:`MIDI_SAMPLE_RATE`); audio
    output keeps the input's rate. ``normalize`` scales the peak to -1 dBFS (instead of
    ``gain_db``). An existing ``output_path`` is replaced only with ``overwrite``; the output may
    not be the input or the model.
    """
    from ddsp_train import audio as audio_lib
    from ddsp_train.pitch import check_tracker, get_tracker
    from ddsp_train.realtime.players import check_model_path, load_player

    if (input_path is None) == (midi_path is None):
        raise UserError("give either an INPUT audio file or --midi SONG.mid (exactly one)", exit_code=2)
    output_path = pathlib.Path(output_path)
    check_options(output_path=output_path, pitch_shift=pitch_shift, gain_db=gain_db, normalize=normalize)
    check_model_path(model_path)
    source_path = pathlib.Path(midi_path if input_path is None else input_path)
    if not source_path.is_file():
        what = "MIDI file" if input_path is None else "input"
        raise UserError(f"{what} {source_path} does not exist" if not source_path.exists()
                        else f"{what} {source_path} is not a file")
    if input_path is not None and is_midi_file(input_path):
        say(f"{input_path} is a MIDI file: playing it as --midi.")
        input_path, midi_path = None, source_path
    if sample_rate is not None and midi_path is None:
        raise UserError("--sample-rate is for --midi; audio output keeps the input's rate", exit_code=2)
    paths.check_output_file(output_path, overwrite=overwrite, inputs=[model_path, source_path], flag="--output")
    method = None
    if midi_path is None:
        info = audio_lib.probe_audio(str(input_path))
        if info.seconds < 1.0 / contract.FRAME_RATE:
            raise UserError(f"input {input_path} is {info.frames} samples ({info.seconds * 1000:.2g} ms) long: "
                            f"too short to play; give at least {1000 / contract.FRAME_RATE:g} ms (one frame) of audio")
        method = f0_method or default_f0_method()
        check_tracker(method)
    player = load_player(model_path)
    if midi_path is not None:
        rate = int(sample_rate or MIDI_SAMPLE_RATE)
        out, report = render_midi(player, midi_path, sample_rate=rate, pitch_shift=pitch_shift,
                                  gain_db=gain_db, reverb=reverb, progress=True)
        source = f"MIDI {midi_path}"
    else:
        rate = int(info.sample_rate)
        audio = audio_lib.load_audio(str(input_path), sample_rate=rate)
        out, report = transfer_audio(player, audio, sample_rate=rate, tracker=get_tracker(method),
                                     pitch_shift=pitch_shift, gain_db=gain_db, auto_adjust=auto_adjust, reverb=reverb,
                                     progress=True)
        source = f"{input_path} (pitch: {method})"
    if normalize:
        out = normalized(out)
    _write(output_path, out, rate)
    say(f"  {report.frames} frames: features {report.seconds_features:.2f} s, model {report.seconds_model:.2f} s, "
        f"synth {report.seconds_synth:.2f} s")
    _level_notes(out, output_path=output_path, say=say)
    return TransferResult(output_path=output_path, sample_rate=rate, seconds=len(out) / rate,
                          peak_dbfs=peak_dbfs(out), source=source, model=f"{player.kind} {model_path}",
                          reverb=player.reverb_name if reverb else "off",
                          auto_adjusted=auto_adjust and midi_path is None, report=report)


def _write(output_path: pathlib.Path, out: np.ndarray, rate: int) -> None:
    import io

    import soundfile as sf

    from ddsp_train.atomic import write_bytes_atomic

    fmt, subtype = OUTPUT_FORMATS[output_path.suffix.lower()]
    buf = io.BytesIO()
    sf.write(buf, out, rate, format=fmt, subtype=subtype)
    write_bytes_atomic(output_path, buf.getvalue())


def _level_notes(out: np.ndarray, *, output_path: pathlib.Path, say: console.Say) -> None:
    """One line when the output clips, is silent, or peaks below :data:`QUIET_PEAK_DBFS`."""
    peak = peak_dbfs(out)
    if peak == -math.inf:
        say("Note: the output is silent (the input has no audible frames).")
    elif peak < QUIET_PEAK_DBFS:
        say(f"Warning: the output peaks at {peak:.1f} dBFS (quiet); pass --normalize, or raise --gain-db "
            f"by about {NORMALIZE_PEAK_DBFS - peak:.0f} dB.")
    elif peak > 0:
        kept = ("it is written as float, lower --gain-db (or pass --normalize) to avoid clipping elsewhere"
                if output_path.suffix.lower() == ".wav"
                else "the 24-bit FLAC clips it: lower --gain-db or pass --normalize")
        say(f"Warning: the output peaks above full scale ({10 ** (peak / 20):.2f}); {kept}.")
