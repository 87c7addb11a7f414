"""Decoding every format we promise, downmix, resampling, chunked reads, and bad files."""
import numpy as np
import pytest
import soundfile as sf
import soxr

from ddsp_train import audio

FORMATS = [
    ("wav", "PCM_16", 2e-4), ("wav", "PCM_24", 1e-6), ("wav", "PCM_32", 1e-6), ("wav", "FLOAT", 1e-6),
    ("flac", "PCM_16", 2e-4), ("aiff", "PCM_24", 1e-6), ("ogg", "VORBIS", None), ("mp3", "MPEG_LAYER_III", None),
]


def tone(sr, secs=1.0, freq=440.0):
    t = np.arange(int(sr * secs)) / sr
    return 0.5 * np.sin(2 * np.pi * freq * t)


@pytest.mark.parametrize("ext, subtype, tol", FORMATS)
def test_load_any_format_downmixed_and_resampled(tmp_path, ext, subtype, tol):
    sr_in = 44100
    left = tone(sr_in)
    stereo = np.stack([left, 0.5 * left], axis=1)  # mono mix = 0.75 * left
    path = tmp_path / f"x.{ext}"
    sf.write(path, stereo, sr_in, subtype=subtype)
    y = audio.load_audio(str(path), sample_rate=16000)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 16000) <= (0 if tol else 1200)  # lossy codecs may pad a frame or so
    expected = 0.75 * tone(16000)
    if tol:
        interior = slice(200, -200)
        np.testing.assert_allclose(y[interior], expected[interior], atol=tol + 2e-5)
    else:  # lossy: the level and the pitch survive
        n = min(len(y), 16000)
        assert abs(np.sqrt(np.mean(y[2000:n - 2000] ** 2)) - 0.75 * 0.5 / np.sqrt(2)) < 0.02
        spectrum = np.abs(np.fft.rfft(y[2000:14000]))
        assert abs(np.argmax(spectrum) * 16000 / 12000 - 440) < 3


def test_chunked_reads_equal_whole_file_resampling(tmp_path):
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal((3 * 22050 + 17, 2))).astype(np.float32)
    path = tmp_path / "noise.wav"
    sf.write(path, x, 22050, subtype="FLOAT")
    info = audio.probe_audio(str(path))
    assert (info.sample_rate, info.frames, info.channels) == (22050, 3 * 22050 + 17, 2)
    whole = soxr.resample(x.mean(axis=1), 22050, 16000, quality="VHQ")
    assert audio.output_length(info.frames, rate_in=22050, rate_out=16000) == len(whole)
    np.testing.assert_array_equal(audio.load_audio(str(path), sample_rate=16000), whole)
    for start, stop in [(0, 1000), (1234, 20000), (30000, len(whole)), (40000, len(whole) + 500)]:
        part = audio.read_resampled(info, sample_rate=16000, start=start, stop=stop)
        assert len(part) == stop - start
        np.testing.assert_allclose(part[:len(whole) - start], whole[start:stop], atol=1e-12)
        assert not part[len(whole) - start:].any()  # zeros past the end


def test_bad_files_are_named_with_a_reason(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "junk.wav").write_bytes(b"this is not audio" * 50)
    sf.write(tmp_path / "ok.wav", tone(16000), 16000, subtype="PCM_16")
    data = (tmp_path / "ok.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    cases = {"empty.wav": "empty", "junk.wav": "not decodable", "cut.wav": "truncated"}
    for name, reason in cases.items():
        with pytest.raises(audio.AudioFileError, match=reason):
            audio.probe_audio(str(tmp_path / name))
    assert audio.probe_audio(str(tmp_path / "ok.wav")).seconds == 1.0


def test_scan_finds_nan_and_measures_the_loudest_block(tmp_path):
    x = np.zeros(48000, np.float32)
    x[20000:21024] = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(1024) / 16000)
    sf.write(tmp_path / "quiet.wav", x, 16000, subtype="FLOAT")
    scan = audio.scan_audio(audio.probe_audio(str(tmp_path / "quiet.wav")))
    # Loudest 64 ms block (1024 samples) holds part of the burst: at most the burst's -23 dB.
    assert -30 < scan.max_block_db <= 10 * np.log10(0.005) + 0.01 and not scan.non_finite
    x[30000] = np.nan
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    assert audio.scan_audio(audio.probe_audio(str(tmp_path / "nan.wav"))).non_finite
    assert audio.is_audio_path(str(tmp_path / "nan.wav"))
    (tmp_path / "dir.wav").mkdir()
    assert not audio.is_audio_path(str(tmp_path / "dir.wav"))
