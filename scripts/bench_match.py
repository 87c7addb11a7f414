#!/usr/bin/env python3
"""How good ddsp-match is, and how fast: the figures of BENCHMARKS.md's ddsp-match section.

1. **DeepDiva's benchmark on our synth.** Held-out random patches (``match.examples``, a seed the
   estimator never saw) on random 2 s notes: normalised parameter MAE (over the matched
   parameters, and over the identifiable ones: envelope points below 0.7 f0 never sound) and the
   multi-scale spectral distance (``match.refine.FFT_SIZES``, rendered with another noise), for
   the estimate alone and after refinement.
2. **Real notes.** Single notes of GM programs rendered by fluidsynth (FluidR3_GM, reverb and
   chorus off, 16 kHz), each at two pitches 7 semitones apart. ``ddsp-match`` (the CLI, start-up
   included, timed) matches the first note; both notes are then played through the .tflite with
   ``ddsp-transfer`` (no auto-adjust, no reverb) and judged by log-mel L1 against the real note
   (80 mels, n_fft 1024, hop 256 at 16 kHz, ``mean |ln(M_ref + 1e-6) - ln(M + 1e-6)|`` over the
   frames where the reference is within 50 dB of its peak). Baselines on the note's own f0 and
   frame power: a 1/k harmonic series, and the static per-harmonic-number profile measured from
   the first note. Reported as a fraction of the 1/k baseline's score (lower is better).
3. **Speed:** the median wall time of ``ddsp-match`` per 3 s target (the real-note runs), and its
   CPU time (user + sys), which does not depend on how busy the machine is.

    nice -n 19 python scripts/bench_match.py [--patches 24] [--steps 150] [--json out.json]

Part 2 needs ``fluidsynth`` and ``fluid-soundfont-gm``; without them it is skipped with a reason.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOUNDFONT = pathlib.Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
#: (GM program, name, MIDI of the matched note); the other note is 7 semitones up.
PROGRAMS = [(40, "violin", 62), (42, "cello", 48), (56, "trumpet", 60), (60, "french horn", 53),
            (65, "alto sax", 58), (68, "oboe", 67), (71, "clarinet", 55), (73, "flute", 72),
            (80, "square lead", 60), (81, "saw lead", 57)]
INTERVAL = 7
NOTE_SECONDS = 3.0


def rows_add(rows, section, figure, value, unit=""):
    rows.append({"section": section, "figure": figure, "value": value, "unit": unit})
    print(f"  {figure}: {value} {unit}".rstrip(), flush=True)


# 1 ------------------------------------------------------------------------------------------
def deepdiva(rows, *, count: int, steps: int, seed: int = 424242) -> None:
    from ddsp_train.dsp.losses import spectral_loss
    from ddsp_train.match import estimator as E
    from ddsp_train.match import examples
    from ddsp_train.match import patch as P
    from ddsp_train.match import refine as R
    from ddsp_train.match.render import render_numpy

    print(f"DeepDiva's benchmark on our synth: {count} held-out random patches, {steps} refinement steps")
    weights = E.load_weights()
    rng = np.random.default_rng(seed)
    values = examples.random_values(rng, count)
    perfs = [examples.random_performance(rng) for _ in range(count)]
    audio = examples.render_batch(values, perfs, seed=seed)
    out = {k: [] for k in ("mae_est", "mae_ref", "mae_id_est", "mae_id_ref", "sd_est", "sd_ref", "sd_default")}
    for i, (v, (f0, power), a) in enumerate(zip(values, perfs, audio)):
        x = E.features(a, f0, power, examples.voiced_frames(power))[None]
        est = E.predict_values(weights, x)[0]
        perf = R.Performance(a, f0, power)
        refined = R.refine(P.Patch.from_array(est), perf, steps=steps, progress=False).patch.array()
        truth = P.normalise(v)
        ident = [j for j in P.MATCHED if not (j < P.N_ENVELOPE and P.ENVELOPE_HZ[j] < 0.7 * float(np.median(f0)))]
        for tag, guess in (("est", est), ("ref", refined)):
            err = np.abs(P.normalise(guess) - truth)
            out[f"mae_{tag}"].append(err[P.MATCHED].mean())
            out[f"mae_id_{tag}"].append(err[ident].mean())
        for tag, guess in (("est", est), ("ref", refined), ("default", P.DEFAULTS)):
            y = render_numpy(guess, f0, power, seed=seed + 1 + i)  # another noise than the target's
            out[f"sd_{tag}"].append(float(spectral_loss(a[None], y[None], fft_sizes=R.FFT_SIZES)))
        print(f"  {i + 1}/{count}: MAE {out['mae_est'][-1]:.3f} -> {out['mae_ref'][-1]:.3f}, "
              f"spectral {out['sd_est'][-1]:.2f} -> {out['sd_ref'][-1]:.2f}", flush=True)
    m = {k: float(np.mean(v)) for k, v in out.items()}
    s = "match: DeepDiva benchmark"
    rows_add(rows, s, "normalised parameter MAE, estimate / refined", f"{m['mae_est']:.3f} / {m['mae_ref']:.3f}")
    rows_add(rows, s, "same, identifiable parameters only", f"{m['mae_id_est']:.3f} / {m['mae_id_ref']:.3f}")
    rows_add(rows, s, "spectral distance, default patch / estimate / refined",
             f"{m['sd_default']:.2f} / {m['sd_est']:.2f} / {m['sd_ref']:.2f}")
    rows_add(rows, s, "held-out patches", count)


# 2 ------------------------------------------------------------------------------------------
def render_note(program: int, midi: int, path: pathlib.Path, *, seconds: float) -> np.ndarray:
    import mido
    import soundfile as sf

    song = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    song.tracks.append(track)
    ticks = int(seconds * 2 * 480)  # 120 bpm: 2 beats per second
    track += [mido.Message("program_change", program=program, time=0),
              mido.Message("note_on", note=midi, velocity=100, time=0),
              mido.Message("note_off", note=midi, velocity=0, time=ticks),
              mido.MetaMessage("end_of_track", time=480)]
    mid = path.with_suffix(".mid")
    song.save(mid)
    subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-g", "0.8", "-r", "16000", "-F", str(path),
                    str(SOUNDFONT), str(mid)], check=True, capture_output=True)
    audio, rate = sf.read(path, dtype="float32")
    audio = audio.mean(axis=1) if audio.ndim == 2 else audio
    audio = audio[: int((seconds + 0.3) * 16000)]
    sf.write(path, audio, 16000)
    return audio


def log_mel_l1(reference: np.ndarray, audio: np.ndarray) -> float:
    """``mean |ln(M_ref + 1e-6) - ln(M + 1e-6)|`` (80 mels, n_fft 1024, hop 256, 16 kHz) over the
    reference's frames within 50 dB of its loudest."""
    import librosa

    n = min(len(reference), len(audio))
    mel = lambda x: librosa.feature.melspectrogram(y=np.asarray(x[:n], np.float32), sr=16000, n_fft=1024,
                                                   hop_length=256, n_mels=80, power=2.0)
    a, b = mel(reference), mel(audio)
    energy = a.sum(axis=0)
    keep = energy >= energy.max() * 1e-5
    return float(np.mean(np.abs(np.log(a[:, keep] + 1e-6) - np.log(b[:, keep] + 1e-6))))


def harmonic_profile(audio: np.ndarray, f0: np.ndarray, voiced: np.ndarray, *, k: int = 60) -> np.ndarray:
    """Mean amplitude of harmonic 1..k (peak within a bin of k f0 in a 2048-point STFT) over the
    voiced frames, normalised to sum 1: the static per-harmonic-number profile of a note."""
    from ddsp_train import features

    frames = features.frame_signal(audio, frame_size=2048, hop=320)
    sel = np.flatnonzero(voiced[: len(frames)])
    spectra = np.abs(np.fft.rfft(frames[sel] * np.hanning(2048), axis=-1))
    prof = np.zeros(k)
    for row, f in zip(spectra, f0[sel]):
        h = np.arange(1, k + 1)
        b = np.clip(np.rint(h * f / (16000 / 2048)).astype(int), 1, spectra.shape[1] - 2)
        amp = np.maximum(np.maximum(row[b - 1], row[b]), row[b + 1]) * (h * f < 8000)
        prof += amp / max(amp.max(), 1e-12)
    return prof / prof.sum()


def render_profile(profile: np.ndarray, f0: np.ndarray, power_db: np.ndarray, n: int) -> np.ndarray:
    """A static harmonic distribution on ``f0``/``power_db`` with the frame power kept (the harmonic
    part only), through the package's harmonic synth."""
    import tensorflow as tf

    from ddsp_train.dsp import core

    k = np.arange(1, len(profile) + 1)
    dist = np.where(k[None] * f0[:, None] < 8000, profile[None], 0.0)
    dist = dist / np.maximum(dist.sum(1, keepdims=True), 1e-12)
    amp = np.sqrt(2 * 10 ** (power_db / 10) / np.maximum((dist ** 2).sum(1), 1e-12))
    amps = (amp[:, None] * dist)[None].astype(np.float32)
    out = core.harmonic_synthesis(tf.constant(f0[None, :, None], tf.float32), amps, n_samples=n,
                                  sample_rate=16000, hop=320)
    return out.numpy()[0]


def _children_cpu() -> float:
    """User + system seconds of the finished child processes so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def real_notes(rows, *, steps: int, programs, keep: pathlib.Path | None) -> None:
    import soundfile as sf

    from ddsp_train import features
    from ddsp_train.match.target import analyse
    from ddsp_train.realtime.player import transfer_file

    if shutil.which("fluidsynth") is None or not SOUNDFONT.is_file():
        print(f"Real notes: SKIPPED (needs fluidsynth and {SOUNDFONT}: apt-get install fluidsynth fluid-soundfont-gm)")
        return
    print(f"Real notes: {len(programs)} GM programs through {SOUNDFONT.name}, {steps} refinement steps")
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-match-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ratios = {"same_profile": [], "other_profile": [], "same_ours": [], "other_ours": []}
    walls, cpus = [], []
    table = []
    for program, name, midi in programs:
        notes = {}
        for tag, m in (("same", midi), ("other", midi + INTERVAL)):
            path = work / f"p{program}_{m}.wav"
            notes[tag] = (path, render_note(program, m, path, seconds=NOTE_SECONDS))
        out = work / f"match_p{program}"
        t0, cpu0 = time.perf_counter(), _children_cpu()
        proc = subprocess.run([sys.executable, "-m", "ddsp_train.match.cli", str(notes["same"][0]), "--output",
                               str(out), "--name", "m", "--steps", str(steps), "--overwrite"],
                              capture_output=True, text=True, env=env)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - cpu0)
        if proc.returncode != 0:
            print(f"  {name}: ddsp-match failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        first = analyse(notes["same"][0], say=lambda s: None)
        profile = harmonic_profile(first.audio, first.f0_hz, first.voiced)
        scores = {}
        for tag, (path, audio) in notes.items():
            t = analyse(path, say=lambda s: None)
            ref = t.audio
            k_series = render_profile(1.0 / np.arange(1, 61), t.f0_hz, t.power_db, len(ref))
            static = render_profile(profile, t.f0_hz, t.power_db, len(ref))
            played = work / f"played_p{program}_{tag}.wav"
            transfer_file(out / "m.tflite", input_path=path, output_path=played, auto_adjust=False, reverb=False,
                          echo=lambda s: None)
            ours, _ = sf.read(played, dtype="float32")
            base = log_mel_l1(ref, k_series)
            scores[tag] = {"1/k": base, "profile": log_mel_l1(ref, static), "ours": log_mel_l1(ref, ours)}
            ratios[f"{tag}_profile"].append(scores[tag]["profile"] / base)
            ratios[f"{tag}_ours"].append(scores[tag]["ours"] / base)
        table.append((name, midi, scores, walls[-1]))
        print(f"  {name} (MIDI {midi} / {midi + INTERVAL}): 1/k {scores['same']['1/k']:.2f} / "
              f"{scores['other']['1/k']:.2f}, profile {ratios['same_profile'][-1]:.2f} / "
              f"{ratios['other_profile'][-1]:.2f}, ours {ratios['same_ours'][-1]:.2f} / "
              f"{ratios['other_ours'][-1]:.2f} of 1/k; ddsp-match {walls[-1]:.1f} s", flush=True)
    if not table:
        return
    s = "match: real notes (fraction of the 1/k baseline, mean over programs)"
    mean = {k: float(np.mean(v)) for k, v in ratios.items()}
    rows_add(rows, s, "static per-harmonic profile, target note / other pitch",
             f"{mean['same_profile']:.2f} / {mean['other_profile']:.2f}")
    rows_add(rows, s, "ddsp-match .tflite via ddsp-transfer, target note / other pitch",
             f"{mean['same_ours']:.2f} / {mean['other_ours']:.2f}", "goal <= 0.45 / <= 0.65")
    rows_add(rows, s, "programs", ", ".join(f"{n} ({p})" for p, n, _ in programs))
    rows_add(rows, "match: speed", f"ddsp-match per {NOTE_SECONDS:g} s target, median (min..max) wall, start-up included",
             f"{statistics.median(walls):.1f} ({min(walls):.1f}..{max(walls):.1f})", "s")
    rows_add(rows, "match: speed", f"same, CPU time (user + sys of the child), median (min..max)",
             f"{statistics.median(cpus):.1f} ({min(cpus):.1f}..{max(cpus):.1f})", "s")
    rows_add(rows, "match: speed", "load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}")
    for name, midi, scores, wall in table:
        print(f"| {name} | {midi} | " + " | ".join(f"{scores[t]['1/k']:.2f}, {scores[t]['profile']:.2f}, "
                                                    f"{scores[t]['ours']:.2f}" for t in ("same", "other"))
              + f" | {wall:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patches", type=int, default=24, help="held-out random patches (part 1)")
    ap.add_argument("--steps", type=int, default=150, help="refinement steps (both parts)")
    ap.add_argument("--programs", type=int, default=len(PROGRAMS), help="how many GM programs (part 2)")
    ap.add_argument("--only", choices=("deepdiva", "real"), default=None)
    ap.add_argument("--keep", type=pathlib.Path, default=None, help="keep the renders and matches here")
    ap.add_argument("--json", type=pathlib.Path, default=None)
    a = ap.parse_args()
    rows: list = []
    if a.only in (None, "real"):
        real_notes(rows, steps=a.steps, programs=PROGRAMS[: a.programs], keep=a.keep)
    if a.only in (None, "deepdiva"):
        deepdiva(rows, count=a.patches, steps=a.steps)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
