"""Train the pitch network (ddsp_train/pitch/network.py) from scratch on labelled audio.

Data recipe (all seeded; written to OUT/recipe.json):

\b
  - synthesized harmonic phrases (pitch_training_data.synth_clip, beside this script),
  - GM MIDI phrases rendered with fluidsynth through the training soundfonts (FluidR3_GM,
    MuseScore_General) for the training programs only; TimGM6mb and the held-out programs are
    never used here (skipped, with a note, when fluidsynth or the soundfonts are missing),
  - unvoiced material: coloured noise, silence, consonant-like bursts, whispered espeak-ng speech
    and unpitched GM drums.

Frames are drawn at random 5 ms grid points, scaled to a random level (-60..+6 dB re the clip's
peak), sometimes mixed with noise (10..40 dB SNR); targets are CREPE's: a Gaussian over bins
(sigma 25 cents) around the true pitch for voiced frames, all zeros for unvoiced ones; loss is
per-bin binary cross-entropy. Adam with an exponential learning-rate decay.

Runs on one thread; checkpoints (weights, optimizer, step, rng state) every --checkpoint-minutes
and resumes from OUT if one exists. OUT/last.npz holds the weights of the last step (what the
package ships, copied to ddsp_train/pitch/weights/pitch_network.npz); OUT/best.npz those with the
best score on the evaluation renders (TimGM6mb, held-out programs; other phrases than the bench's).

\b
Example:
  python scripts/train_pitch_model.py --out /tmp/pitch --steps 30000
  python scripts/train_pitch_model.py --out /tmp/tiny --steps 2 --synth-seconds 8 --no-midi
"""
from __future__ import annotations

import json
import pathlib
import pickle
import sys
import time

import click
import numpy as np

from ddsp_train.pitch import metrics, network
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import pitch_training_data as td  # noqa: E402  scripts/pitch_training_data.py (beside this script)

WHISPER_TEXTS = [
    "she sells sea shells by the sea shore", "fish and chips for six hungry students",
    "the quick brown fox jumps over the lazy dog", "sixty thistles whistle softly past the church",
    "keep talking, stop, start, pass the salt please", "what is this strange thing here in the shed",
    "fast cats chase shifting shadows", "stick, kick, trick, tack, task, cast, chest",
]


class Pool:
    """Clips concatenated; frames are drawn at labelled grid points (weight > 0)."""

    def __init__(self, clips: list[td.LabelledClip]):
        pad = network.FRAME_SIZE
        self.audio = np.concatenate([np.pad(c.audio, (0, pad)) for c in clips]).astype(np.float32)
        self.audio = np.pad(self.audio, (pad, pad))
        centres, f0s, peaks = [], [], []
        offset = pad
        for c in clips:
            g = np.nonzero(c.weight > 0)[0]
            centres.append(offset + g * td.GRID_HOP)
            f0s.append(c.f0_hz[g])
            peaks.append(np.full(len(g), np.abs(c.audio).max() + 1e-9, np.float32))
            offset += len(c.audio) + pad
        self.centres = np.concatenate(centres) if centres else np.zeros(0, int)
        self.f0 = np.concatenate(f0s) if f0s else np.zeros(0, np.float32)
        self.peak = np.concatenate(peaks) if peaks else np.zeros(0, np.float32)

    def __len__(self):
        return len(self.centres)

    def frames(self, idx: np.ndarray) -> np.ndarray:
        half = network.FRAME_SIZE // 2
        view = np.lib.stride_tricks.sliding_window_view(self.audio, network.FRAME_SIZE)
        return view[self.centres[idx] - half] / self.peak[idx, None]


def gaussian_targets(f0_hz: np.ndarray, sigma_bins: float = 1.25) -> np.ndarray:
    """``exp(-(p - bin(f0))^2 / (2 sigma^2))`` per bin; all zeros where ``f0 == 0``."""
    p = np.arange(network.N_BINS)[None, :]
    b = network.hz_to_bin(np.maximum(f0_hz, 1e-3))[:, None]
    return (np.exp(-0.5 * ((p - b) / sigma_bins) ** 2) * (f0_hz[:, None] > 0)).astype(np.float32)


def build_data(*, seed: int, synth_seconds: float, midi_seconds: float, unvoiced_seconds: float,
               use_midi: bool, log) -> tuple[dict, dict, list]:
    """Render the training pools and the evaluation clips; returns (pools, recipe, eval clips)."""
    rng = np.random.default_rng(seed)
    recipe = {"seed": seed, "synth_seconds": synth_seconds, "midi_seconds": midi_seconds,
              "unvoiced_seconds": unvoiced_seconds, "grid_hop": td.GRID_HOP}
    synth = [td.synth_clip(rng, seconds=4.0) for _ in range(max(1, int(synth_seconds / 4)))]
    unvoiced = [td.unvoiced_clip(rng, seconds=4.0) for _ in range(max(1, int(unvoiced_seconds / 4 * 0.7)))]
    midi = []
    recipe["midi"] = "skipped: " + ("disabled" if not use_midi else "fluidsynth not found")
    if use_midi and td.have_fluidsynth():
        used = []
        for name in td.TRAIN_SOUNDFONTS:
            sf = td.find_soundfont(name)
            if sf is None:
                log(f"soundfont {name} not found: skipped")
                continue
            per = midi_seconds / max(1, len(td.TRAIN_SOUNDFONTS)) / len(td.TRAIN_PROGRAMS)
            for rep in range(max(1, int(round(per / 8)))):
                midi += td.render_midi_clips(rng, soundfont=sf, programs=td.TRAIN_PROGRAMS, seconds_each=8.0)
            unvoiced += td.render_midi_clips(rng, soundfont=sf, programs=range(6), seconds_each=8.0, drums=True)
            used.append(name)
        recipe["midi"] = {"soundfonts": used, "programs": list(td.TRAIN_PROGRAMS),
                          "held_out_programs": list(td.HELD_OUT_PROGRAMS),
                          "held_out_soundfont": td.HELD_OUT_SOUNDFONT}
    try:
        unvoiced += td.render_whisper(WHISPER_TEXTS, seed=seed)
        recipe["whisper"] = len(WHISPER_TEXTS)
    except (FileNotFoundError, OSError):
        recipe["whisper"] = "skipped: espeak-ng not found"
    pools = {"synth": Pool(synth), "unvoiced": Pool(unvoiced)}
    if midi:
        pools["midi"] = Pool(midi)
    eval_clips = td.heldout_renders(seed=seed + 1000, seconds_each=16.0) if use_midi else []
    if not eval_clips:  # no fluidsynth: score on fresh synthesized phrases instead
        erng = np.random.default_rng(seed + 1000)
        eval_clips = [td.synth_clip(erng, seconds=4.0) for _ in range(4)]
    recipe["eval"] = sorted({c.source for c in eval_clips})
    recipe["pools"] = {k: {"frames": len(p), "seconds": len(p.audio) / td.SAMPLE_RATE} for k, p in pools.items()}
    return pools, recipe, eval_clips


def sample_batch(rng: np.random.Generator, pools: dict, batch: int):
    """Frames, Gaussian targets and weights of one batch (see module doc for the augmentation)."""
    mix = {"synth": 0.45, "midi": 0.35, "unvoiced": 0.2}
    names = [k for k in mix if k in pools and len(pools[k])]
    p = np.array([mix[k] for k in names])
    counts = rng.multinomial(batch, p / p.sum())
    frames, f0 = [], []
    for name, count in zip(names, counts):
        idx = rng.integers(0, len(pools[name]), count)
        frames.append(pools[name].frames(idx))
        f0.append(pools[name].f0[idx])
    frames = np.concatenate(frames).astype(np.float32)
    f0 = np.concatenate(f0)
    noisy = rng.random(batch) < 0.25
    if noisy.any():
        noise = pools["unvoiced"].frames(rng.integers(0, len(pools["unvoiced"]), noisy.sum()))
        sig = np.sqrt((frames[noisy] ** 2).mean(1, keepdims=True) + 1e-12)
        nrm = np.sqrt((noise ** 2).mean(1, keepdims=True) + 1e-12)
        snr = rng.uniform(10, 40, (noisy.sum(), 1))
        frames[noisy] += noise / nrm * sig * 10 ** (-snr / 20)
    gain = 10 ** (rng.uniform(-60, 6, (batch, 1)) / 20) * rng.choice([-1, 1], (batch, 1))
    return (frames * gain).astype(np.float32), gaussian_targets(f0), f0


def eval_clips_score(infer, clips) -> dict:
    """Score ``infer`` (frames -> sigmoid activations) on the labelled grid points of ``clips``."""
    f0_true, f0_est, conf_v, conf_u = [], [], [], []
    for c in clips:
        g = np.nonzero(c.weight > 0)[0][::4]
        frames = network.frame_audio(c.audio, g * td.GRID_HOP)
        act = np.concatenate([infer(frames[i:i + 512]) for i in range(0, len(frames), 512)])
        est, conf = network.local_average_f0(act)
        v = c.f0_hz[g] > 0
        f0_true.append(c.f0_hz[g][v])
        f0_est.append(est[v])
        conf_v.append(conf[v])
        conf_u.append(conf[~v])
    scores = metrics.pitch_scores(np.concatenate(f0_est), np.concatenate(f0_true))
    scores["auc"] = metrics.roc_auc(np.concatenate(conf_v), np.concatenate(conf_u))
    return scores


@click.command(help=__doc__)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--steps", default=30000, show_default=True, help="Training steps.")
@click.option("--batch", default=64, show_default=True)
@click.option("--lr", default=2e-3, show_default=True, help="Initial learning rate.")
@click.option("--lr-final", default=1e-4, show_default=True, help="Learning rate at the last step.")
@click.option("--seed", default=0, show_default=True)
@click.option("--synth-seconds", default=1200.0, show_default=True, help="Synthesized phrases.")
@click.option("--midi-seconds", default=1500.0, show_default=True, help="fluidsynth renders.")
@click.option("--unvoiced-seconds", default=400.0, show_default=True)
@click.option("--midi/--no-midi", "use_midi", default=True, show_default=True, help="Use fluidsynth renders.")
@click.option("--checkpoint-minutes", default=3.0, show_default=True)
@click.option("--eval-every", default=1000, show_default=True, help="Steps between held-out scores.")
@click.option("--threads", default=1, show_default=True, help="TensorFlow intra/inter-op threads.")
@click.option("--width", default=network.DEFAULT_CONFIG[0], show_default=True, help="Hidden channels.")
@click.option("--temporal/--no-temporal", default=bool(network.DEFAULT_CONFIG[1]), show_default=True,
              help="Early/late spectrum channels (see network.build_model).")
@click.option("--depth", default=network.DEFAULT_CONFIG[2], show_default=True,
              help="Width-5 convolutions after the octave layer.")
def main(out_dir, steps, batch, lr, lr_final, seed, synth_seconds, midi_seconds, unvoiced_seconds, use_midi,
         checkpoint_minutes, eval_every, threads, width, temporal, depth):
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already running in this process (called from Python): keep its pools
        pass
    import keras

    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow: Keras draws its initializers' seeds there
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_file = open(out / "train.log", "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    t_start = time.time()
    cache = out / "data.pkl"
    if cache.exists():
        with open(cache, "rb") as f:
            pools, recipe, eval_clips = pickle.load(f)
        log("data loaded from cache")
    else:
        pools, recipe, eval_clips = build_data(seed=seed, synth_seconds=synth_seconds, midi_seconds=midi_seconds,
                                               unvoiced_seconds=unvoiced_seconds, use_midi=use_midi, log=log)
        with open(cache, "wb") as f:
            pickle.dump((pools, recipe, eval_clips), f, protocol=4)
    recipe.update({"steps": steps, "batch": batch, "lr": lr, "lr_final": lr_final,
                   "config": {"width": width, "temporal": temporal, "depth": depth}})
    (out / "recipe.json").write_text(json.dumps(recipe, indent=1))
    log(f"data ready in {time.time() - t_start:.0f} s: {json.dumps(recipe)}")

    model = network.build_model(width=width, temporal=temporal, depth=depth)
    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    weights = model.trainable_variables
    opt.build(weights)

    state_path = out / "state.json"
    step, best = 0, -1.0
    rng = np.random.default_rng(seed + 1)
    if state_path.exists():
        state = json.loads(state_path.read_text())
        step, best = state["step"], state["best"]
        network.set_weights(model, out / "last.npz")
        with np.load(out / "optimizer.npz") as o:
            for v in opt.variables:
                key = v.path
                if key in o:
                    v.assign(o[key])
        with open(out / "rng.pkl", "rb") as f:
            rng = pickle.load(f)
        log(f"resumed at step {step} (best {best:.4f})")

    @tf.function(input_signature=[tf.TensorSpec([None, network.FRAME_SIZE], tf.float32),
                                  tf.TensorSpec([None, network.N_BINS], tf.float32), tf.TensorSpec([], tf.float32)])
    def train_step(x, y, rate):
        opt.learning_rate.assign(rate)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, weights)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        opt.apply_gradients(zip(grads, weights))
        return loss

    infer = tf.function(lambda x: tf.sigmoid(model(x, training=False)),
                        input_signature=[tf.TensorSpec([None, network.FRAME_SIZE], tf.float32)])
    infer_np = lambda x: infer(np.asarray(x, np.float32)).numpy()  # noqa: E731

    def checkpoint():
        network.save_weights(model, out / "last.npz")
        np.savez(out / "optimizer.npz", **{v.path: v.numpy() for v in opt.variables})
        with open(out / "rng.pkl", "wb") as f:
            pickle.dump(rng, f)
        state_path.write_text(json.dumps({"step": step, "best": best}))

    last_ckpt = time.time()
    losses = []
    t_loop = time.time()
    while step < steps:
        x, y, _ = sample_batch(rng, pools, batch)
        rate = lr * (lr_final / lr) ** (step / max(1, steps))
        losses.append(float(train_step(x, y, np.float32(rate))))
        step += 1
        if step % 200 == 0 or step == steps:
            log(f"step {step} loss {np.mean(losses):.5f} lr {rate:.2e} {(time.time() - t_loop) / len(losses):.3f} s/step")
            losses, t_loop = [], time.time()
        if step % eval_every == 0 or step == steps:
            s = eval_clips_score(infer_np, eval_clips)
            log(f"eval step {step}: " + " ".join(f"{k} {v:.4f}" for k, v in s.items()))
            if s["rpa50"] - s["octave_errors"] > best:
                best = s["rpa50"] - s["octave_errors"]
                network.save_weights(model, out / "best.npz")
                log(f"new best {best:.4f}")
        if time.time() - last_ckpt > 60 * checkpoint_minutes or step == steps:
            checkpoint()
            last_ckpt = time.time()
    if not (out / "best.npz").exists():
        network.save_weights(model, out / "best.npz")
    log(f"done: {step} steps in {time.time() - t_start:.0f} s; weights in {out / 'best.npz'}")


if __name__ == "__main__":
    sys.exit(main())
