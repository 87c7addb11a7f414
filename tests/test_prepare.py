"""ddsp-prepare end to end on generated folders: formats, rates, channels, bad files, splits."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from ddsp_train import audio, features, synthetic
from ddsp_train.data import examples as ex_lib
from ddsp_train.data.plan import example_starts
from ddsp_train.data.split import Region
from ddsp_train.data.staging import STAGING_PREFIX
from ddsp_train.pitch import DEFAULT_F0_METHOD
from prepare_support import run_cli

E_SECS = 2.0


def expected_starts(n, sr=16000):
    return [s / sr for s in example_starts(Region("train", 0, n), example_samples=int(E_SECS * sr), hop_samples=sr)]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A folder of good files in several formats/rates/channel counts and every kind of bad file."""
    root = tmp_path_factory.mktemp("mixed")
    (root / "sub").mkdir()
    good = {}
    for name, secs, rate, channels, subtype, seed in [
        ("a.wav", 7.0, 44100, 2, "PCM_24", 21), ("sub/b.flac", 6.0, 22050, 1, "PCM_16", 22),
        ("c.ogg", 5.3, 48000, 1, "VORBIS", 23), ("d.aiff", 4.5, 16000, 2, "PCM_16", 24)]:
        r = synthetic.demo_phrase(seconds=secs, seed=seed, sample_rate=rate)
        data = np.stack([r.audio, r.audio], axis=1) if channels == 2 else r.audio
        sf.write(root / name, data, rate, subtype=subtype)
        good[name] = r
    (root / "empty.wav").write_bytes(b"")
    (root / "junk.wav").write_bytes(b"definitely not audio\n" * 40)
    sf.write(root / "cut.wav", synthetic.demo_phrase(seconds=4, seed=1).audio, 16000, subtype="PCM_16")
    data = (root / "cut.wav").read_bytes()
    (root / "cut.wav").write_bytes(data[: len(data) // 2])
    sf.write(root / "silent.wav", (1e-5 * np.random.default_rng(0).standard_normal(48000)).astype(np.float32), 16000,
             subtype="FLOAT")
    nan = synthetic.demo_phrase(seconds=4, seed=2).audio.copy()
    nan[5000] = np.nan
    sf.write(root / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(root / "short.wav", synthetic.demo_phrase(seconds=1.5, seed=3).audio, 16000)
    (root / "notes.txt").write_text("not audio, never listed")
    (root / "fake.wav").mkdir()  # a folder with an audio extension is not a file
    return root, good


@pytest.fixture(scope="module")
def mixed_dataset(mixed, tmp_path_factory):
    root, _ = mixed
    out = tmp_path_factory.mktemp("mixed_out") / "ds"
    code = run_cli([root, "-o", out, "--example-secs", E_SECS, "--f0-method", "yin", "--eval-fraction", 0.3,
                    "--workers", 1, "--quiet"])
    assert code == 0
    return out


def test_mixed_folder_end_to_end(mixed, mixed_dataset):
    root, good = mixed
    info = json.loads((mixed_dataset / "dataset.json").read_text())
    names = sorted(os.listdir(mixed_dataset))
    assert names[:2] == ["dataset.json", "eval.tfrecord-00000-of-00001"] and names[-1].startswith("train.tfrecord-")
    assert "report.png" in names and len(names) == 5 and (mixed_dataset / "report.png").stat().st_size > 10000
    assert "report.html" in names
    by_source = {f["source"]: f for f in info["files"]}
    assert set(by_source) == {"a.wav", "sub/b.flac", "c.ogg", "d.aiff", "empty.wav", "junk.wav", "cut.wav",
                              "silent.wav", "nan.wav", "short.wav"}
    reasons = {"empty.wav": "empty", "junk.wav": "not decodable", "cut.wav": "truncated", "silent.wav": "silent",
               "nan.wav": "NaN", "short.wav": "too short"}
    for name, reason in reasons.items():
        assert by_source[name]["status"] == "skipped" and reason in by_source[name]["reason"], by_source[name]
    assert all(by_source[n]["status"] == "used" for n in good)

    examples = {"train": list(ex_lib.iter_examples(str(mixed_dataset), "train")),
                "eval": list(ex_lib.iter_examples(str(mixed_dataset), "eval"))}
    assert info["splits"]["train"]["examples"] == len(examples["train"]) > 0
    assert info["splits"]["eval"]["examples"] == len(examples["eval"]) > 0
    sources = {split: {e["source"].decode() for e in exs} for split, exs in examples.items()}
    assert not sources["train"] & sources["eval"]  # split by recording
    for name in good:
        assert by_source[name]["split"] in sources and name in sources[by_source[name]["split"]]

    for name, r in good.items():
        decoded = audio.load_audio(str(root / name), sample_rate=16000)
        mine = sorted((e for exs in examples.values() for e in exs if e["source"].decode() == name),
                      key=lambda e: float(e["start_secs"][0]))
        starts = [float(e["start_secs"][0]) for e in mine]
        np.testing.assert_allclose(starts, expected_starts(len(decoded)), atol=1e-6)
        assert abs(starts[-1] + E_SECS - len(decoded) / 16000) < 1e-6  # the last example ends at the end
        for e in mine:
            assert len(e["audio"]) == 32000 and all(len(e[k]) == 101 for k in ex_lib.FRAME_FEATURES)
            s = int(round(float(e["start_secs"][0]) * 16000))
            np.testing.assert_array_equal(e["audio"], decoded[s:s + 32000])
        # Power and f0 of the examples agree with the whole recording (frames on its grid).
        power = features.compute_power_db(decoded, sample_rate=16000, frame_rate=50)
        first = mine[1]
        k0 = int(round(float(first["start_secs"][0]) * 50))
        np.testing.assert_allclose(first["power_db"], power[k0:k0 + 101], atol=1e-4)
        if name.endswith((".wav", ".aiff", ".flac")):  # lossless: f0 against the synthesis labels
            labels = r.f0_hz
            hits = total = 0
            for e in mine:
                k = int(round(float(e["start_secs"][0]) * 50))
                lab = labels[k:k + 101]
                f0 = e["f0_hz"][:len(lab)]
                ok = lab > 0
                hits += np.sum(1200 * np.abs(np.log2(f0[ok] / lab[ok])) < 50)
                total += ok.sum()
            assert hits / total > 0.93, (name, hits / total)
    st = info["statistics"]
    assert st["voiced_frames"] > 0 and st["mean_min_pitch_note"] < st["mean_max_pitch_note"]
    assert 55 - 1 <= st["mean_min_pitch_note"] and st["mean_max_pitch_note"] <= 79 + 1  # demo_phrase range


def test_split_is_identical_across_runs_workers_and_runner_modes(prepared_audio_dir, prepared_dataset, tmp_path):
    out = tmp_path / "again"
    code = run_cli([prepared_audio_dir, "-o", out, "--example-secs", E_SECS, "--f0-method", "yin", "--quiet",
                    "--shards", 3, "--", "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert code == 0
    assert len(ex_lib.shard_paths(str(out), "train")) == len(ex_lib.shard_paths(str(out), "eval")) == 3
    assert ex_lib.shard_paths(str(out), "train")[-1].endswith("train.tfrecord-00002-of-00003")

    first, second = dataset_content(pathlib.Path(prepared_dataset)), dataset_content(out)
    assert first == second
    assert set(first[0].values()) == {"train", "eval"}


def dataset_content(d):
    """The split of each source and the examples of each split (order-free)."""
    info = json.loads((d / "dataset.json").read_text())
    splits = {f["source"]: f["split"] for f in info["files"]}
    exs = {split: sorted((e["source"], float(e["start_secs"][0]), e["f0_hz"].tobytes(), e["audio"].tobytes())
                         for e in ex_lib.iter_examples(str(d), split)) for split in ("train", "eval")}
    return splits, exs


def test_a_cluster_runner_writes_the_same_shards(prepared_audio_dir, prepared_dataset, tmp_path):
    """Beam's Dask runner on a local two-process dask.distributed cluster (the workers are other
    processes that see the same files, as on a real cluster): byte-identical shards and statistics."""
    import distributed

    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                                  dashboard_address=":0") as cluster:
        code = run_cli([prepared_audio_dir, "-o", out, "--example-secs", E_SECS, "--f0-method", "yin", "--quiet",
                        "--", "--runner=apache_beam.runners.dask.dask_runner.DaskRunner",
                        f"--dask_client_address={cluster.scheduler_address}"])
    assert code == 0
    reference = pathlib.Path(prepared_dataset)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in reference.iterdir())
    for name in names:
        if ".tfrecord-" in name:
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    ours, theirs = (json.loads((d / "dataset.json").read_text()) for d in (out, reference))
    assert ours["statistics"] == theirs["statistics"] and ours["splits"] == theirs["splits"]


def test_default_tracker_in_worker_threads(prepared_audio_dir, tmp_path):
    """The default configuration: no --f0-method (the network), its worker threads, real labels."""
    from conftest import PREPARED_SEEDS, PREPARED_SECONDS

    out = tmp_path / "net"
    code = run_cli([prepared_audio_dir, "-o", out, "--example-secs", E_SECS, "--quiet", "--",
                    "--direct_running_mode=multi_threading", "--direct_num_workers=2"])
    assert code == 0
    info = json.loads((out / "dataset.json").read_text())
    assert info["f0_method"] == "network" == DEFAULT_F0_METHOD
    labels = {f"phrase_{seed}.wav": synthetic.demo_phrase(seconds=PREPARED_SECONDS, seed=seed).f0_hz
              for seed in PREPARED_SEEDS}
    hits = total = 0
    for split in ("train", "eval"):
        for e in ex_lib.iter_examples(str(out), split):
            k = int(round(float(e["start_secs"][0]) * 50))
            lab = labels[e["source"].decode()][k:k + 101]
            f0, conf = e["f0_hz"][:len(lab)], e["f0_confidence"][:len(lab)]
            ok = lab > 0
            hits += np.sum(1200 * np.abs(np.log2(f0[ok] / lab[ok])) < 50)
            total += ok.sum()
            assert np.median(conf[ok]) > 0.8
    assert total > 1000 and hits / total > 0.97, hits / total


def test_single_recording_is_split_by_time(prepared_audio_dir, tmp_path, capsys):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(sorted(prepared_audio_dir.glob("*.wav"))[0], one / "only.wav")
    (one / "empty.flac").write_bytes(b"")
    out = tmp_path / "ds"
    assert run_cli([one, "-o", out, "--example-secs", E_SECS, "--f0-method", "yin", "--eval-fraction", 0.25]) == 0
    err = capsys.readouterr().err  # the end-of-run table
    for row in ("ddsp-prepare summary", "files used      1", "files skipped   1", "train examples  8 from 1",
                "eval examples   2 from 1", "x real time", "skipped: ", "empty.flac: empty file"):
        assert row in err, (row, err)
    train = sorted(float(e["start_secs"][0]) for e in ex_lib.iter_examples(str(out), "train"))
    evals = sorted(float(e["start_secs"][0]) for e in ex_lib.iter_examples(str(out), "eval"))
    assert train and evals
    assert max(train) + E_SECS <= min(evals) + 1e-6  # no overlap
    assert max(train) + E_SECS == pytest.approx(9.0) and min(evals) == pytest.approx(9.0)
    assert max(evals) + E_SECS == pytest.approx(12.0)


def test_refuses_a_folder_it_did_not_write_even_with_overwrite(prepared_audio_dir, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    for extra in ([], ["--overwrite"]):
        code = run_cli([prepared_audio_dir, "-o", out, "--f0-method", "yin", *extra])
        err = capsys.readouterr().err
        assert code == 2 and "was not written by ddsp-prepare" in err and "even with --overwrite" in err, err
        assert os.listdir(out) == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
        assert sorted(os.listdir(tmp_path)) == ["taken"]  # no staging folder either


def test_overwrite_replaces_only_its_own_output(prepared_audio_dir, prepared_dataset, tmp_path, capsys):
    out = tmp_path / "ds"
    shutil.copytree(prepared_dataset, out)
    assert run_cli([prepared_audio_dir, "-o", out, "--f0-method", "yin"]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert run_cli([prepared_audio_dir, "-o", out, "--f0-method", "yin", "--example-secs", 3,
                    "--overwrite", "--quiet"]) == 0
    assert json.loads((out / "dataset.json").read_text())["example_secs"] == 3
    assert sorted(os.listdir(tmp_path)) == ["ds"]


def test_killed_run_leaves_the_previous_dataset(prepared_audio_dir, prepared_dataset, tmp_path):
    out = tmp_path / "ds"
    shutil.copytree(prepared_dataset, out)
    before = {p: (out / p).read_bytes() for p in os.listdir(out)}
    proc = subprocess.Popen([sys.executable, "-m", "ddsp_train.prepare", str(prepared_audio_dir), "-o", str(out),
                             "--overwrite", "--f0-method", "pyin", "--workers", "1", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time

        deadline = time.time() + 60
        while not [p for p in os.listdir(tmp_path) if p.startswith(STAGING_PREFIX)]:
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # mid-way through the Beam job
    finally:
        proc.kill()
        proc.wait()
    assert {p: (out / p).read_bytes() for p in os.listdir(out)} == before
    # The next run removes the dead run's staging folder and replaces the dataset.
    assert run_cli([prepared_audio_dir, "-o", out, "--overwrite", "--f0-method", "yin", "--example-secs", 3,
                    "--quiet"]) == 0
    assert json.loads((out / "dataset.json").read_text())["example_secs"] == 3
    assert sorted(os.listdir(tmp_path)) == ["ds"]


def test_bad_invocations_exit_with_a_message(mixed, tmp_path, capsys):
    root, _ = mixed
    assert run_cli([root / "empty.wav", root / "junk.wav", "-o", tmp_path / "x", "--f0-method", "yin"]) == 1
    err = capsys.readouterr().err
    assert "no usable audio" in err and "empty.wav" in err and "junk.wav" in err
    assert run_cli([root, "-o", tmp_path / "y", "--f0-method", "yin", "--strict"]) == 1
    assert "--strict" in capsys.readouterr().err
    assert run_cli([root / "a.wav", "-o", tmp_path / "z", "--frame-rate", 30]) == 1
    assert "whole number" in capsys.readouterr().err
    assert run_cli([root / "a.wav", "-o", tmp_path / "z", "--frame-rate", 62.5]) == 1  # 256-sample hop, but
    assert "--frame-rate must be a whole number of frames per second" in capsys.readouterr().err  # not trainable
    assert run_cli([root / "a.wav", "-o", tmp_path / "z", "--f0-method", "nope"]) == 1
    assert "pyin" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
    # The installed console script: no match -> exit 2, a one-line message, no traceback.
    script = os.path.join(os.path.dirname(sys.executable), "ddsp-prepare")
    proc = subprocess.run([script, str(tmp_path / "nothing*.wav"), "-o", str(tmp_path / "w")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no audio files match" in proc.stderr and "Traceback" not in proc.stderr
