"""Training's logs (training/summaries.py): TensorBoard scalars, audio and image read back from the
event files, the JSON-lines history, the listening pair and the sample wav."""
import glob

import numpy as np
import tensorflow as tf

from ddsp_train.training import plots, summaries


def events(folder):
    """``{tag: [(step, value or kind)]}`` of the event files in ``folder``."""
    found = {}
    for path in sorted(glob.glob(str(folder / "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                kind = value.metadata.plugin_data.plugin_name
                content = tf.make_ndarray(value.tensor) if value.HasField("tensor") else None
                found.setdefault(value.tag, []).append((event.step, kind, content))
    return found


def test_listening_pair_scales_both_clips_by_the_same_factor():
    pair = summaries.listening_pair(reference=np.array([0.5, -2.0]), resynthesis=np.array([1.0, 0.25]))
    assert pair.dtype == np.float32 and pair.shape == (2, 2)
    np.testing.assert_allclose(pair, [[0.25, -1.0], [0.5, 0.125]])  # divided by the peak, 2
    quiet = summaries.listening_pair(reference=np.array([0.5, -0.2]), resynthesis=np.array([0.1, 0.0]))
    np.testing.assert_allclose(quiet, [[0.5, -0.2], [0.1, 0.0]], rtol=1e-6)  # no gain below full scale


def test_scalars_and_history_and_eval_media(tmp_path):
    logs = summaries.Summaries(tmp_path)
    logs.train_scalars(1, {"loss": 3.5, "learning_rate": 1e-3})
    logs.train_scalars(2, {"loss": 2.5, "learning_rate": 1e-3})
    logs.train_scalars(2, {"loss": 2.25, "learning_rate": 1e-3})  # a re-logged step (after a restart)
    assert logs.history() == [{"step": 1, "loss": 3.5, "learning_rate": 1e-3},
                              {"step": 2, "loss": 2.25, "learning_rate": 1e-3}]
    reference = np.sin(np.arange(1600) / 5.0).astype(np.float32)
    png = plots.spectrogram_png(reference, 0.5 * reference, sample_rate=16000)
    logs.eval_summaries(2, {"spectral_loss": 1.5, "f0_cents_median": float("nan"), "f0_method": "yin"},
                        reference=reference, resynthesis=0.5 * reference, sample_rate=16000, spectrogram_png=png)
    logs.flush()
    train = events(tmp_path / "logs" / "train")
    assert [(step, float(v)) for step, _, v in train["loss"]] == [(1, 3.5), (2, 2.5), (2, 2.25)]
    evals = events(tmp_path / "logs" / "eval")
    assert [(s, float(v)) for s, _, v in evals["spectral_loss"]] == [(2, 1.5)]
    assert "f0_cents_median" not in evals and "f0_method" not in evals  # NaN and text are not scalars
    (step, kind, clips), = evals["reference_vs_resynthesis"]
    assert step == 2 and kind == "audio" and clips.shape[0] == 2  # two encoded clips
    (step, kind, image), = evals["spectrograms"]
    assert kind == "images" and [int(image[0]), int(image[1])] == [900, 600]  # width, height, then the PNG
    np.testing.assert_array_equal(tf.image.decode_png(image[2]).numpy(), tf.image.decode_png(png).numpy())


def test_write_sample_is_the_reference_a_gap_and_the_resynthesis(tmp_path):
    import soundfile as sf

    reference = np.full(800, 0.25, np.float32)
    resynthesis = np.full(600, -0.5, np.float32)
    path = summaries.write_sample(tmp_path, 7, reference=reference, resynthesis=resynthesis, sample_rate=16000)
    assert path == tmp_path / "samples" / "step-7.wav"
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000 and len(audio) == 600 + 8000 + 600  # both cut to the shorter; half a second between
    np.testing.assert_allclose(audio[:600], 0.25, atol=1e-4)
    assert np.all(audio[600:8600] == 0)
    np.testing.assert_allclose(audio[8600:], -0.5, atol=1e-4)
