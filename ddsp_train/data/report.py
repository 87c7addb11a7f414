"""``report.png``: what the prepared data looks like, to check it at a glance.

Three panels: histograms of f0 (MIDI, voiced frames) and of power_db (all frames vs voiced),
and a spectrogram of one training example with its f0 track (voiced frames) and power_db
overlaid. Reads the examples from the dataset folder itself.
"""
from __future__ import annotations

import os

import numpy as np

from ddsp_train import contract
from ddsp_train.data import examples as ex_lib
from ddsp_train.dsp.scaling import hz_to_midi


def _pick_example(data_dir: str, *, limit: int = 400):
    """The loudest-on-average of the first ``limit`` training examples (else eval ones)."""
    best, best_score, frames = None, -np.inf, {"f0": [], "conf": [], "power": []}
    for split in ("train", "eval"):
        for i, ex in enumerate(ex_lib.iter_examples(data_dir, split)):
            if i >= limit:
                break
            frames["f0"].append(ex["f0_hz"])
            frames["conf"].append(ex["f0_confidence"])
            frames["power"].append(ex["power_db"])
            score = float(np.mean(ex["f0_confidence"]) + np.mean(ex["power_db"]) / 80)
            if score > best_score:
                best, best_score = ex, score
        if best is not None:
            break
    return best, {k: np.concatenate(v) if v else np.zeros(0) for k, v in frames.items()}


def write_report(data_dir: str, summary: dict, *, filename: str = "report.png") -> str:
    """Draw the report for the dataset in ``data_dir`` (described by ``summary``); returns its path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    example, frames = _pick_example(data_dir)
    st = summary["statistics"]
    threshold = st.get("voiced_threshold", 0.5)
    voiced = frames["conf"] >= threshold
    fig = plt.figure(figsize=(12, 8), constrained_layout=True)
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.3])
    ax = fig.add_subplot(grid[0, 0])
    midi = hz_to_midi(frames["f0"][voiced]) if voiced.any() else np.zeros(0)
    ax.hist(midi, bins=np.arange(20, 110, 0.5), color="tab:blue")
    for key, style in (("mean_min_pitch_note", "--"), ("mean_max_pitch_note", "--")):
        if st.get(key) is not None:
            ax.axvline(st[key], color="k", ls=style, lw=1)
    ax.set(title="f0 of voiced frames (dashed: mean min/max note)", xlabel="MIDI note", ylabel="frames")
    ax = fig.add_subplot(grid[0, 1])
    bins = np.arange(-80, 1, 1)
    ax.hist(frames["power"], bins=bins, color="0.7", label="all frames")
    ax.hist(frames["power"][voiced], bins=bins, color="tab:orange", alpha=0.8, label="voiced")
    for key in ("mean_min_power_note", "mean_max_power_note"):
        if st.get(key) is not None:
            ax.axvline(st[key], color="k", ls="--", lw=1)
    ax.set(title="power_db (dashed: mean min/max note)", xlabel="dB", ylabel="frames")
    ax.legend()
    ax = fig.add_subplot(grid[1, :])
    if example is not None:
        sr, fr = summary["sample_rate"], summary["frame_rate"]
        audio = example["audio"]
        n_fft = contract.FRAME_SIZE * sr // contract.SAMPLE_RATE  # 64 ms
        hop = n_fft // 4
        pad = np.pad(audio, n_fft // 2)
        idx = np.arange(n_fft)[None, :] + hop * np.arange((len(pad) - n_fft) // hop + 1)[:, None]
        spec = np.abs(np.fft.rfft(pad[idx] * np.hanning(n_fft), axis=1)).T
        db = 20 * np.log10(np.maximum(spec, 1e-5))
        t_max = len(audio) / sr
        ax.imshow(db, origin="lower", aspect="auto", extent=[0, t_max, 0, sr / 2], cmap="magma",
                  vmin=db.max() - 80, vmax=db.max())
        t = np.arange(len(example["f0_hz"])) / fr
        ok = example["f0_confidence"] >= threshold
        ax.plot(t, np.where(ok, example["f0_hz"], np.nan), color="cyan", lw=1.5, label="f0 (voiced)")
        ax.set(ylim=(0, min(sr / 2, 4000)), xlabel="seconds", ylabel="Hz",
               title=f"example {example['source'].decode()} @ {float(example['start_secs'][0]):.1f} s")
        ax.legend(loc="upper left")
        ax2 = ax.twinx()
        ax2.plot(t, example["power_db"], color="lime", lw=1.2, label="power_db")
        ax2.set(ylim=(-80, 5), ylabel="power dB")
        ax2.legend(loc="upper right")
    fig.suptitle(f"{summary['splits']['train']['examples']} train / {summary['splits']['eval']['examples']} eval "
                 f"examples, {summary['total_seconds'] / 60:.1f} min, f0 method {summary['f0_method']}")
    path = os.path.join(data_dir, filename)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
