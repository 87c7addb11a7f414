"""ddsp_train.train_history: the training steps ddsp-train logs and its plots and the model page read."""
from ddsp_train import train_history


def test_a_history_cut_short_by_a_kill_still_reads(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"step": 1, "loss": 3.0}\n{"step": 2, "loss": 2.0}\n{"step": 3, "lo')
    assert [r["step"] for r in train_history.read(path)] == [1, 2]


def test_appended_records_read_back_by_step_and_a_relogged_step_keeps_its_latest(tmp_path):
    path = tmp_path / "h.jsonl"
    for record in ({"step": 2, "loss": 2.0}, {"step": 1, "loss": 3.0}, {"step": 2, "loss": 1.5}):
        train_history.append(path, record)
    path.write_text(path.read_text() + '["not a record"]\n')
    assert train_history.read(path) == [{"step": 1, "loss": 3.0}, {"step": 2, "loss": 1.5}]
    assert train_history.read(tmp_path / "missing.jsonl") == []
