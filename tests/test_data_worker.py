"""Long files run in chunks (work items): features identical to the whole recording at once."""
import numpy as np
import pytest
import soundfile as sf

from ddsp_train import audio, synthetic
from ddsp_train.data import plan, worker
from ddsp_train.data.split import Region
from ddsp_train.pitch import get_tracker


@pytest.mark.parametrize("method, secs, segment", [("yin", 12.3, 2.0), ("pyin", 6.3, 3.0)])
def test_chunked_examples_equal_whole_file(tmp_path, method, secs, segment):
    r = synthetic.demo_phrase(seconds=secs, seed=8, sample_rate=44100)
    path = tmp_path / "long.wav"
    sf.write(path, np.stack([r.audio, 0.25 * r.audio], axis=1), 44100, subtype="PCM_24")
    info = audio.probe_audio(str(path))
    config = plan.make_config(sample_rate=16000, frame_rate=50, example_secs=2.0, hop_secs=1.0, f0_method=method)
    n = audio.output_length(info.frames, rate_in=44100, rate_out=16000)
    tracker = get_tracker(method)

    def run(segment_secs):
        items = plan.plan_items(0, info, "long.wav", [Region("train", 0, n)], config=config,
                                    segment_secs=segment_secs)
        results = [worker.process_item(item, config=config, tracker=tracker) for item in items]
        examples = [e for exs, _ in results for e in exs]
        frames = {k: np.concatenate([f[k] for _, f in results]) for k in ("f0_hz", "power_db")}
        return len(items), examples, frames

    n_whole, whole, whole_frames = run(1000.0)
    n_chunked, chunked, chunked_frames = run(segment)
    assert n_whole == 1 and n_chunked >= 2
    assert [float(e["start_secs"]) for e in whole] == [float(e["start_secs"]) for e in chunked]
    assert float(whole[-1]["start_secs"]) == pytest.approx(n / 16000 - 2.0)  # unaligned last example
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a["audio"], b["audio"], atol=1e-12)
        for k in ("f0_hz", "f0_confidence", "loudness_db", "power_db"):
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-5, err_msg=k)
    # The statistics side output covers every frame of the recording exactly once.
    assert len(chunked_frames["f0_hz"]) == len(whole_frames["f0_hz"]) == n // 320 + 1
    np.testing.assert_allclose(chunked_frames["power_db"], whole_frames["power_db"], atol=1e-5)
    # ... and equals the recording's own features.
    decoded = audio.load_audio(str(path), sample_rate=16000)
    f0, _ = tracker.track(decoded, sample_rate=16000, frame_rate=50)
    np.testing.assert_allclose(whole_frames["f0_hz"], f0, rtol=1e-6)
