"""Shared fixtures: a small prepared dataset made by the real pipeline from synthesized audio."""
import os

import pytest
import soundfile as sf

from ddsp_train import synthetic

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PREPARED_SECONDS = 12.0
PREPARED_SEEDS = (11, 12, 13)


def write_phrases(folder, *, seeds=PREPARED_SEEDS, seconds=PREPARED_SECONDS, timbre="bowed", sample_rate=16000):
    """Write one ``demo_phrase`` wav per seed into ``folder``; returns the Rendered objects by path."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = {}
    for seed in seeds:
        r = synthetic.demo_phrase(seconds=seconds, seed=seed, timbre=timbre, sample_rate=sample_rate)
        path = folder / f"phrase_{seed}.wav"
        sf.write(path, r.audio, sample_rate, subtype="FLOAT")
        rendered[str(path)] = r
    return rendered


@pytest.fixture(scope="session")
def prepared_audio_dir(tmp_path_factory):
    """Three 12 s bowed phrases (seeds 11, 12, 13) as 16 kHz float wavs."""
    folder = tmp_path_factory.mktemp("prepared_audio")
    write_phrases(folder)
    return folder


@pytest.fixture(scope="session")
def prepared_dataset(tmp_path_factory, prepared_audio_dir):
    """Path (str) of a dataset folder made by ``prepare_dataset`` from ``prepared_audio_dir``:
    16 kHz, 50 frames/s, 2 s examples every 1 s, f0 by yin, in-process Beam; both splits non-empty."""
    from ddsp_train.data.pipeline import prepare_dataset

    output = tmp_path_factory.mktemp("prepared") / "dataset"
    summary = prepare_dataset([str(prepared_audio_dir)], output=str(output), sample_rate=16000, frame_rate=50,
                              example_secs=2.0, hop_secs=1.0, f0_method="yin", workers=1, progress=False)
    assert summary["splits"]["train"]["examples"] > 0 and summary["splits"]["eval"]["examples"] > 0
    return str(output)
