#!/usr/bin/env python3
"""Train ddsp-match's estimator (DeepDiva's method on our synth) and write its shipped weights.

Random patches (``ddsp_train.match.examples``) rendered by our synth on random 2 s notes; the
estimator's features of each (``ddsp_train.match.estimator.features``, with the exact f0);
an MLP (FEATURES -> 256 -> 256 -> matched parameters, ReLU + dropout, sigmoid output) fitted with AdamW on
the mean squared error of the normalised parameters. Seeded end to end: the same --seed gives
the same data; TensorFlow's op determinism makes the fit repeatable on one machine.

    nice -n 19 python scripts/train_match_estimator.py   # 8000 examples, 80 epochs, dropout 0.2, AdamW 1e-3
    # -> ddsp_train/match/weights/estimator.npz (+ estimator.json: the settings and the held-out error)
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_set(count: int, seed: int, *, batch: int = 32, log=print) -> tuple[np.ndarray, np.ndarray]:
    from ddsp_train.match import examples, estimator
    from ddsp_train.match import patch as P

    rng = np.random.default_rng(seed)
    xs, ys = [], []
    started = time.time()
    for start in range(0, count, batch):
        b = min(batch, count - start)
        values = examples.random_values(rng, b)
        perfs = [examples.random_performance(rng) for _ in range(b)]
        audio = examples.render_batch(values, perfs, seed=seed * 100003 + start)
        for a, (f0, power), v in zip(audio, perfs, values):
            xs.append(estimator.features(a, f0, power, examples.voiced_frames(power)))
            ys.append(P.normalise(v)[P.MATCHED])
        if (start // batch) % 20 == 0:
            log(f"  rendered {start + b}/{count} examples in {time.time() - started:.0f} s")
    return np.stack(xs), np.stack(ys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=8000)
    ap.add_argument("--held-out", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.2, help="dropout after each hidden layer")
    ap.add_argument("--weight-decay", type=float, default=1e-3, help="AdamW's decoupled weight decay")
    ap.add_argument("--cache", type=pathlib.Path, default=None, help="an .npz to keep the rendered features in")
    ap.add_argument("--output", type=pathlib.Path, default=ROOT / "ddsp_train" / "match" / "weights")
    a = ap.parse_args()

    import tensorflow as tf

    tf.keras.utils.set_random_seed(a.seed)
    tf.config.experimental.enable_op_determinism()
    if a.cache is not None and a.cache.is_file():
        with np.load(a.cache) as z:
            x, y, xv, yv = z["x"], z["y"], z["xv"], z["yv"]
    else:
        x, y = make_set(a.examples, a.seed)
        xv, yv = make_set(a.held_out, a.seed + 1000)
        if a.cache is not None:
            np.savez(a.cache, x=x, y=y, xv=xv, yv=yv)
    mean, std = x.mean(0), x.std(0) + 1e-3
    layers = [tf.keras.Input((x.shape[1],))]
    for _ in range(2):
        layers.append(tf.keras.layers.Dense(256, activation="relu"))
        if a.dropout > 0:
            layers.append(tf.keras.layers.Dropout(a.dropout))
    layers.append(tf.keras.layers.Dense(y.shape[1], activation="sigmoid"))
    model = tf.keras.Sequential(layers)
    optimizer = (tf.keras.optimizers.AdamW(1e-3, weight_decay=a.weight_decay) if a.weight_decay > 0
                 else tf.keras.optimizers.Adam(1e-3))
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    started = time.time()
    model.fit((x - mean) / std, y, batch_size=64, epochs=a.epochs, verbose=2,
              validation_data=((xv - mean) / std, yv), shuffle=True)
    pred = model.predict((xv - mean) / std, verbose=0)
    mae = float(np.abs(pred - yv).mean())
    weights = {"mean": mean.astype(np.float32), "std": std.astype(np.float32), "layers": np.array(3)}
    dense = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense)]
    for i, layer in enumerate(dense):
        w, b = layer.get_weights()
        weights[f"w{i}"], weights[f"b{i}"] = w.astype(np.float32), b.astype(np.float32)
    a.output.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(a.output / "estimator.npz", **weights)
    info = {"examples": a.examples, "held_out": a.held_out, "epochs": a.epochs, "seed": a.seed,
            "dropout": a.dropout, "weight_decay": a.weight_decay,
            "held_out_normalised_mae": round(mae, 4), "fit_seconds": round(time.time() - started, 1),
            "features": int(x.shape[1]), "outputs": int(y.shape[1])}
    (a.output / "estimator.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
