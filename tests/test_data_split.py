"""The split policy: by recording, by time for one recording, and the note when eval is far off."""
import pytest

from ddsp_train.data.split import Region, amount_note, is_far, split_files, split_note, time_split

SR = 16000


def test_eval_takes_the_recordings_that_fit_the_fraction():

    digests = [f"d{i}" for i in range(10)]
    for seed in range(5):
        # A long and a short take: eval gets the short one (9 %), whichever comes first in the order.
        assert split_files(digests[:2], [3000.0, 300.0], eval_fraction=0.1, seed=seed) == ["train", "eval"]
        # Ten equal takes: exactly one (10 %); the same seed gives the same one.
        splits = split_files(digests, [60.0] * 10, eval_fraction=0.1, seed=seed)
        assert splits.count("eval") == 1
        assert splits == split_files(digests, [60.0] * 10, eval_fraction=0.1, seed=seed)
        # Two equal takes: one each way (never all in eval, at least one there).
        assert sorted(split_files(digests[:2], [60.0, 60.0], eval_fraction=0.1, seed=seed)) == ["eval", "train"]
        # Identical copies stay together.
        assert split_files(["a", "a", "b"], [10.0, 10.0, 100.0], eval_fraction=0.2, seed=seed) == ["eval", "eval",
                                                                                                   "train"]
    assert {tuple(split_files(digests, [60.0] * 10, eval_fraction=0.1, seed=s)).index("eval") for s in range(20)} \
        != {0}  # the seed chooses which one


def test_one_recording_is_cut_at_the_fraction_on_the_hop_grid():
    # 12 s, 25 %, 2 s examples: train [0, 9), eval [9, 12).
    assert time_split(12 * SR, eval_fraction=0.25, example_samples=2 * SR, hop_samples=SR) == [
        Region("train", 0, 9 * SR), Region("eval", 9 * SR, 12 * SR)]
    # 100 s, 10 %, 4 s examples: eval is the last 10 s.
    regions = time_split(100 * SR, eval_fraction=0.1, example_samples=4 * SR, hop_samples=SR)
    assert regions[1] == Region("eval", 90 * SR, 100 * SR)


def test_one_short_recording_goes_to_train_rather_than_half_to_eval():
    """README: eval gets the last --eval-fraction; when that is shorter than an example,
    everything goes to train (the old code moved the cut back and put 50 % in eval)."""
    regions = time_split(8 * SR, eval_fraction=0.1, example_samples=4 * SR, hop_samples=SR)
    assert regions == [Region("train", 0, 8 * SR)]
    assert time_split(8 * SR, eval_fraction=0, example_samples=4 * SR, hop_samples=SR) == regions


@pytest.mark.parametrize("share, fraction, far", [
    (0.10, 0.1, False), (0.19, 0.1, False), (0.21, 0.1, True), (0.5, 0.1, True), (0.04, 0.1, True),
    (0.0, 0.0, False), (0.41, 0.3, False), (0.61, 0.3, True)])
def test_far_from_the_fraction(share, fraction, far):
    assert is_far(share, eval_fraction=fraction) is far


def test_notes_say_why_and_point_to_the_advice():
    single = split_note(share=0.0, eval_fraction=0.1, recordings=1, eval_recordings=0, example_secs=4)
    assert single.startswith("Note: ") and "all of it goes to train" in single and "What audio, and how much" in single
    several = split_note(share=0.5, eval_fraction=0.1, recordings=2, eval_recordings=1, example_secs=4)
    assert "eval holds 50%" in several and "1 of 2 recordings" in several
    assert split_note(share=0.1, eval_fraction=0.1, recordings=3, eval_recordings=1, example_secs=4) is None
    assert amount_note(200.0, minimum_secs=180) is None
    note = amount_note(90.0, minimum_secs=180)
    assert note.startswith("Note: only 1.5 min of usable audio") and "What audio, and how much" in note
