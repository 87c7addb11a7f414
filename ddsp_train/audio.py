"""Decode any audio format, downmix to mono, resample, and read long files in chunks.

Decoding goes through soundfile (libsndfile: wav of any bit depth, flac, ogg, mp3, aiff, ...)
with a fallback to librosa/audioread for what libsndfile cannot open. Resampling uses soxr in
its very-high-quality mode. :func:`read_resampled` returns any output-rate sample range of a file
while reading only that part (plus a little context) from disk; its result equals the same
range of the whole file resampled at once, because excerpts start on input/output sample
alignments (multiples of ``rate / gcd(rate_in, rate_out)``) and carry enough resampler context
(round-off below -180 dBFS is flushed to 0, see :data:`FLUSH_BELOW`).
"""
from __future__ import annotations

import dataclasses
import math
import os
import struct

import numpy as np

from ddsp_train.errors import UserError

#: Extensions searched for when an INPUT is a folder (lower case, with dot).
AUDIO_EXTENSIONS = (".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
                    ".au", ".snd", ".w64", ".caf", ".m4a")
#: Resampler context on each side of an excerpt, in output seconds (soxr's VHQ filter is far shorter).
RESAMPLE_CONTEXT_SECS = 0.1
#: Resampled samples below this magnitude (-180 dBFS) are set to 0: soxr's round-off in digital
#: silence (~1e-17) depends on where an excerpt starts, and trackers react to it.
FLUSH_BELOW = 1e-9
SOXR_QUALITY = "VHQ"


class AudioFileError(UserError):
    """A file that cannot be used as audio; ``reason`` is the short text for the summary."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


@dataclasses.dataclass(frozen=True)
class AudioInfo:
    """What a file holds: native rate, length in frames and channel count."""

    path: str
    sample_rate: int
    frames: int
    channels: int
    seekable: bool  # False when decoded by the fallback (the whole file is loaded)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def is_audio_path(path: str) -> bool:
    """True for regular files with an audio extension (folders and other extensions are not audio)."""
    return os.path.isfile(path) and os.path.splitext(path)[1].lower() in AUDIO_EXTENSIONS


def _wav_truncated(path: str) -> bool:
    """True when a RIFF/WAVE or AIFF header declares more sample data than the file holds."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12:
            return False
        big = head[:4] == b"FORM"
        if not ((head[:4] == b"RIFF" and head[8:12] == b"WAVE") or (big and head[8:12] in (b"AIFF", b"AIFC"))):
            return False
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, n = struct.unpack(">4sI" if big else "<4sI", f.read(8))
            if cid in (b"data", b"SSND"):
                return n not in (0, 0xFFFFFFFF) and pos + 8 + n > size
            pos += 8 + n + (n & 1)
    return False


def probe_audio(path: str) -> AudioInfo:
    """Open ``path`` and read its header; AudioFileError with the reason when it is not usable audio."""
    import soundfile as sf

    if not os.path.isfile(path):
        raise AudioFileError(path, "not a file")
    if os.path.getsize(path) == 0:
        raise AudioFileError(path, "empty file (0 bytes)")
    try:
        info = sf.info(path)
        frames, rate, channels, seekable = int(info.frames), int(info.samplerate), int(info.channels), True
    except Exception as sf_error:  # libsndfile cannot open it: try the fallback decoder
        try:
            audio, rate = _fallback_decode(path)
        except Exception:
            raise AudioFileError(path, f"not decodable as audio ({_short(sf_error)})") from None
        frames, channels, seekable = audio.shape[0], audio.shape[1], False
    if _wav_truncated(path):
        raise AudioFileError(path, "truncated file (the header declares more audio than the file holds)")
    if frames <= 0:
        raise AudioFileError(path, "no audio samples")
    return AudioInfo(path=path, sample_rate=rate, frames=frames, channels=channels, seekable=seekable)


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text.replace("Error : ", "").replace("Error opening ", "")[:120]


def _fallback_decode(path: str) -> tuple[np.ndarray, int]:
    """Decode with librosa (audioread backends) at the native rate: ``[frames, channels]`` float32."""
    import warnings

    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        audio, rate = librosa.load(path, sr=None, mono=False)
    audio = np.atleast_2d(audio).T if audio.ndim == 1 else audio.T
    if audio.size == 0:
        raise ValueError("no samples")
    return np.ascontiguousarray(audio, np.float32), int(rate)


def output_length(frames: int, *, rate_in: int, rate_out: int) -> int:
    """Samples at ``rate_out`` for ``frames`` at ``rate_in``: ``round(frames * rate_out / rate_in)``
    (half up), the length soxr gives for the whole file."""
    return (frames * rate_out * 2 + rate_in) // (2 * rate_in)


def resample(audio: np.ndarray, *, rate_in: int, rate_out: int) -> np.ndarray:
    """soxr very-high-quality resampling of a mono float32 signal (a copy when the rates match)."""
    import soxr

    audio = np.asarray(audio, np.float32)
    if rate_in == rate_out:
        return audio.copy()
    return np.asarray(soxr.resample(audio, rate_in, rate_out, quality=SOXR_QUALITY), np.float32)


def _read_frames(info: AudioInfo, start: int, stop: int) -> np.ndarray:
    """Native-rate mono (channel mean) float32 frames ``[start, stop)`` of the file."""
    import soundfile as sf

    if info.seekable:
        try:
            with sf.SoundFile(info.path) as f:
                f.seek(start)
                data = f.read(stop - start, dtype="float32", always_2d=True)
        except Exception as e:
            raise AudioFileError(info.path, f"decoding failed ({_short(e)})") from None
    else:
        data = _fallback_decode(info.path)[0][start:stop]
    return data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0].copy()


def read_resampled(info: AudioInfo, *, sample_rate: int, start: int, stop: int) -> np.ndarray:
    """Output-rate samples ``[start, stop)`` of the file, mono, as if the whole file were resampled.

    Reads only ``[start, stop)`` plus :data:`RESAMPLE_CONTEXT_SECS` of context from disk. Samples
    past the end of the file are zeros.
    """
    n_out = output_length(info.frames, rate_in=info.sample_rate, rate_out=sample_rate)
    start, stop = max(0, int(start)), int(stop)
    if info.sample_rate == sample_rate:
        audio = _read_frames(info, start, min(stop, info.frames))
    else:
        g = math.gcd(info.sample_rate, sample_rate)
        step_in, step_out = info.sample_rate // g, sample_rate // g
        context = step_out * math.ceil(RESAMPLE_CONTEXT_SECS * sample_rate / step_out)
        a0 = max(0, (start // step_out) * step_out - context)
        b0 = (-(-stop // step_out)) * step_out + context
        i0, i1 = a0 // step_out * step_in, min(info.frames, b0 // step_out * step_in)
        audio = resample(_read_frames(info, i0, i1), rate_in=info.sample_rate, rate_out=sample_rate)
        if i1 == info.frames:  # the whole-file length convention at the end
            audio = audio[:n_out - a0]
        audio = audio[start - a0:stop - a0]
        audio[np.abs(audio) < FLUSH_BELOW] = 0.0
    if len(audio) < stop - start:
        audio = np.concatenate([audio, np.zeros(stop - start - len(audio), np.float32)])
    return audio


def load_audio(path: str, *, sample_rate: int) -> np.ndarray:
    """The whole file as float32 mono at ``sample_rate`` (channel mean, soxr VHQ resampling)."""
    info = probe_audio(path)
    n_out = output_length(info.frames, rate_in=info.sample_rate, rate_out=sample_rate)
    return read_resampled(info, sample_rate=sample_rate, start=0, stop=n_out)


def iter_chunks(info: AudioInfo, *, block_frames: int = 1 << 20):
    """Yield the file's native-rate mono audio in consecutive blocks of ``block_frames``."""
    for start in range(0, info.frames, block_frames):
        yield _read_frames(info, start, min(info.frames, start + block_frames))


@dataclasses.dataclass(frozen=True)
class AudioScan:
    """Content checks of a whole file (streamed): loudest 64 ms block, NaN/Inf, decoded length."""

    max_block_db: float
    non_finite: bool
    frames_read: int


def scan_audio(info: AudioInfo, *, block_frames: int = 1 << 20) -> AudioScan:
    """Stream through the file once: the loudest 64 ms block's ``10 log10(mean(x^2))``, NaN/Inf."""
    block = max(1, int(round(0.064 * info.sample_rate)))
    block_frames = max(block, block_frames // block * block)
    loudest, bad, total = 0.0, False, 0
    for chunk in iter_chunks(info, block_frames=block_frames):
        total += len(chunk)
        finite = np.isfinite(chunk)
        if not finite.all():
            bad = True
            chunk = np.where(finite, chunk, 0.0)
        n = len(chunk) // block * block
        if n:
            loudest = max(loudest, float(np.mean(chunk[:n].reshape(-1, block).astype(np.float64) ** 2, axis=1).max()))
        if len(chunk) > n:
            loudest = max(loudest, float(np.mean(chunk[n:].astype(np.float64) ** 2)))
    return AudioScan(max_block_db=10 * math.log10(max(loudest, 1e-30)), non_finite=bad, frames_read=total)


def file_digest(path: str) -> str:
    """sha256 of the file's bytes (hex), read in 1 MiB blocks."""
    import hashlib  # here: ddsp-transfer never hashes, and hashlib costs ~15 ms of start-up

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
