"""The DDSP paper's metrics (ddsp's definitions) against closed forms and a real tracker."""
import math

import numpy as np

from ddsp_train import features, pitch
from ddsp_train.training import paper_metrics


def test_f0_l1_counts_only_confident_frames_and_an_unvoiced_resynthesis_as_midi_zero():
    f0_ref = np.array([440.0, 440.0, 880.0, 440.0])
    f0_out = np.array([440.0 * 2 ** (1 / 12), 440.0, 440.0, 0.0])
    confidence = np.array([0.9, 0.9, 0.1, 0.9])  # frame 2 (an octave off) is not confident
    value = paper_metrics.f0_l1_midi(f0_ref=f0_ref, f0_resynth=f0_out, confidence=confidence, threshold=0.5)
    assert math.isclose(value, (1.0 + 0.0 + 69.0) / 3, rel_tol=1e-9)  # midi(0 Hz) = 0, as in ddsp
    assert paper_metrics.f0_l1_midi(f0_ref=f0_ref, f0_resynth=f0_out, confidence=confidence,
                                    threshold=0.95) is None


def test_summary_leaves_outliers_out_of_f0_l1_and_discarded_examples_out_of_both():
    result = paper_metrics.summarise(f0_l1=[0.5, 1.5, 30.0, None], loudness_l1=[2.0, 4.0, 6.0, 8.0])
    assert math.isclose(result.f0_l1_midi, 1.0)
    assert math.isclose(result.f0_outlier_ratio, 1 / 3)
    assert math.isclose(result.loudness_l1_db, 5.0)
    assert result.f0_examples == 3
    empty = paper_metrics.summarise(f0_l1=[None], loudness_l1=[])
    assert math.isnan(empty.f0_l1_midi) and math.isnan(empty.f0_outlier_ratio) and math.isnan(empty.loudness_l1_db)


def test_a_resynthesis_a_semitone_sharp_and_6_db_louder_scores_1_midi_and_6_db():
    sr, fr = 16000, 50
    t = np.arange(2 * sr) / sr
    ref = 0.1 * np.sin(2 * np.pi * 220.0 * t)
    out = 2.0 * 0.1 * np.sin(2 * np.pi * 220.0 * 2 ** (1 / 12) * t)
    tracker = pitch.get_tracker("yin")
    f0_ref, conf = tracker.track(ref, sample_rate=sr, frame_rate=fr)
    f0_out, _ = tracker.track(out, sample_rate=sr, frame_rate=fr)
    f0_l1 = paper_metrics.f0_l1_midi(f0_ref=f0_ref, f0_resynth=f0_out, confidence=conf,
                                     threshold=pitch.tracker_voiced_threshold("yin"))
    assert abs(f0_l1 - 1.0) < 0.05
    l_ref = features.compute_loudness_db(ref, sample_rate=sr, frame_rate=fr)
    l_out = features.compute_loudness_db(2.0 * ref, sample_rate=sr, frame_rate=fr)  # (A-weighting: same f0)
    middle = slice(5, -5)  # away from the zero padding at the ends
    assert abs(paper_metrics.loudness_l1_db(loudness_ref=l_ref[middle], loudness_resynth=l_out[middle])
               - 20 * math.log10(2)) < 0.3
