"""ddsp_train.snapshots: the listening snapshots ddsp-train writes and the model page reads."""
import numpy as np
import soundfile as sf

from ddsp_train import snapshots


def test_a_snapshot_is_reference_gap_resynthesis_and_reads_back(tmp_path):
    rng = np.random.default_rng(0)
    ref, syn = (0.5 * rng.uniform(-1, 1, 1600).astype(np.float32) for _ in range(2))
    path = snapshots.write(tmp_path, 12, reference=ref, resynthesis=syn, sample_rate=16000)
    assert path == tmp_path / "samples" / "step-12.wav"
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 16000 and audio.ndim == 1 and len(audio) == 2 * 1600 + 8000  # 0.5 s of silence between
    assert np.max(np.abs(audio[1600:9600])) == 0.0
    (step, ref2, syn2, rate), = snapshots.read_all(tmp_path)
    assert (step, rate) == (12, 16000)
    assert np.max(np.abs(ref2 - ref)) < 1e-4 and np.max(np.abs(syn2 - syn)) < 1e-4  # 16-bit


def test_loud_pairs_are_scaled_together_and_other_files_are_ignored(tmp_path):
    ref, syn = np.full(800, 0.5, np.float32), np.full(800, 2.0, np.float32)
    snapshots.write(tmp_path, 3, reference=ref, resynthesis=syn, sample_rate=8000)
    (tmp_path / "samples" / "notes.txt").write_text("not a snapshot")
    (tmp_path / "samples" / "step-9.wav").write_bytes(b"being written")
    (_, ref2, syn2, _), = snapshots.read_all(tmp_path)
    np.testing.assert_allclose(ref2, 0.25, atol=1e-4)  # both divided by the peak, 2
    np.testing.assert_allclose(syn2, 1.0, atol=1e-4)
