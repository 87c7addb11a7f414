"""exporting/metadata.py: the metadata zip appended to the plugin model."""
import io
import json
import zipfile

from ddsp_train.exporting.metadata import append_metadata, build_metadata, read_metadata


def test_metadata_zip_is_appended_and_readable():
    info = {"sample_rate": 16000, "frame_rate": 50, "statistics": {
        "mean_min_pitch_note": 55.0, "mean_max_pitch_note": 79.0, "mean_min_pitch_note_hz": 196.0,
        "mean_max_pitch_note_hz": 783.99, "mean_min_power_note": -40.0, "mean_max_power_note": -12.5}}
    meta = build_metadata(dataset_info=info, num_harmonics=60, num_noise_amps=65)
    content = append_metadata(b"\x00" * 100, meta)
    assert content[:100] == b"\x00" * 100
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.namelist() == ["metadata.json"]
        assert json.loads(z.read("metadata.json")) == meta == read_metadata(content)
    assert meta["mean_max_power_note"] == -12.5 and meta["frame_size"] == 1024


