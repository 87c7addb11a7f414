"""How the reports write numbers for a musician (reports/units.py)."""
import math

from ddsp_train.reports import units


def test_units():
    assert units.note_name(69) == "A4" and units.note_name(60) == "C4" and units.note_name(61.4) == "C#4"
    assert units.hz_note(440.0) == "A4" and units.hz_note(0) == "?"
    assert units.note_name(float("nan")) == "?"
    assert units.dbfs(-12.34) == "\u221212 dBFS" and units.db(24.0) == "24 dB"
    assert units.minutes(185) == "3 min 05 s" and units.percent(0.123) == "12 %"
    assert math.isclose(float(units.hz_to_midi(440.0)), 69.0)


def test_ranges_levels_and_shares():
    assert units.note_name(127) == "G9" and units.note_name(0) == "C-1" and units.note_name(59.5) == "C4"
    assert units.note_name(None) == "?" and units.hz_note(None) == "?" and units.hz_note(float("inf")) == "?"
    assert units.hz_note(261.63) == "C4" and units.hz_note(27.5) == "A0"
    assert units.note_range(55, 86) == "G3\u2013D6" and units.note_range(None, 60) == "?"
    assert units.dbfs(-3.0103, digits=1) == "\u22123.0 dBFS" and units.dbfs(None) == "?"
    assert units.db(-6.5, digits=1) == "\u22126.5 dB" and units.db(float("nan")) == "?"
    assert units.minutes(42) == "42 s" and units.minutes(3720) == "1 h 02 min" and units.minutes(None) == "?"
    assert units.percent(0) == "0 %" and units.percent(0.004) == "0.4 %" and units.percent(1.0) == "100 %"
    assert units.percent(None) == "?"
