"""Real files as analysts hold them (issue 13): odd bin widths, other signal kinds, little data.

The inputs are the small files in ``tests/fixtures/`` (written by ``make_fixtures.py`` there,
with a fixed seed): they share one outage, Brazil, 3 May 2017, 20:05-22:00 UTC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import ReportDataError, estimate_outages, load_reports

FIXTURES = Path(__file__).resolve().parent / "fixtures"
START = pd.Timestamp("2017-05-03 20:05", tz="UTC")
END = pd.Timestamp("2017-05-03 22:00", tz="UTC")
MINUTE = pd.Timedelta("1min")


def _one_window(found: pd.DataFrame, region: str = "BRA") -> pd.Series:
    rows = found[found["region"] == region]
    assert len(rows) == 1, found
    return rows.iloc[0]


@pytest.mark.parametrize("name", ["counts_30s.csv", "counts_90s.csv"])
def test_sub_minute_and_odd_bins_give_the_outage(name):
    """30-second bins once raised ZeroDivisionError, 90-second bins an IndexError (the
    baseline placed bins by whole minutes of the day)."""
    found = estimate_outages(load_reports(FIXTURES / name))
    row = _one_window(found)
    assert abs(row["start"] - START) <= 5 * MINUTE
    assert abs(row["end"] - END) <= 15 * MINUTE
    assert row["start_low"] <= START <= row["start_high"]
    assert row["end_low"] <= END <= row["end_high"]
    assert (row["start_high"] - row["start_low"]) <= 30 * MINUTE
    assert "MEX" not in set(found["region"])  # in the 90-second file, Mexico is not hit


def test_daily_bins_give_a_multi_day_outage_with_bounded_intervals():
    """At daily bins the fitting range once held no bin before the outage, so its start
    interval ran over five months; a start and an end now have normal bins beside them."""
    rng = np.random.default_rng(3)
    t = pd.date_range("2017-03-01", periods=70, freq="1D", tz="UTC")
    weekend = t.tz_convert("America/Sao_Paulo").day_of_week >= 5
    down = (t >= pd.Timestamp("2017-05-03", tz="UTC")) & (t < pd.Timestamp("2017-05-05", tz="UTC"))
    rate = 5000 * np.where(weekend, 0.8, 1.0) * rng.gamma(50, 1 / 50, len(t))
    y = rng.poisson(rate * np.where(down, 3.0, 1.0))
    row = _one_window(estimate_outages(pd.DataFrame({"time": t, "region": "BRA", "reports": y})))
    day = pd.Timedelta("1D")
    assert row["start_low"] <= pd.Timestamp("2017-05-03", tz="UTC") <= row["start_high"]
    assert row["end_low"] <= pd.Timestamp("2017-05-05", tz="UTC") <= row["end_high"]
    assert row["start_high"] - row["start_low"] <= day
    assert row["end_high"] - row["end_low"] <= day


@pytest.mark.parametrize(
    ("width", "words"),
    [
        ("7min", "7 min do not divide a day"),
        ("5s", "5 s are outside"),
        ("2D", "2 days are outside"),
    ],
)
def test_bin_widths_the_analysis_cannot_use_are_refused_naming_file_and_width(
    tmp_path, width, words
):
    t = pd.date_range("2017-05-01", periods=400, freq=width, tz="UTC")
    path = tmp_path / "odd.csv"
    pd.DataFrame({"time": t, "region": "BRA", "reports": 5}).to_csv(path, index=False)
    reports = load_reports(path)
    with pytest.raises(ReportDataError) as err:
        estimate_outages(reports)
    message = str(err.value)
    assert message.startswith(f"{path}: column 'time': series BRA: bins of")
    assert words in message


def test_one_day_of_history_at_15_minutes_is_found_and_flagged_weak():
    """A Downdetector chart copied by hand: the outage day and the day before, at 15-minute
    bins. The window is found near the truth and says that its baseline is weak."""
    reports = load_reports(FIXTURES / "downdetector_15min.csv", tz="America/Sao_Paulo")
    row = _one_window(estimate_outages(reports))
    assert bool(row["weak_baseline"])
    assert abs(row["start"] - START) <= 20 * MINUTE
    assert abs(row["end"] - END) <= 30 * MINUTE


def test_ioda_signal_is_a_level_and_its_drop_is_found_with_its_depth():
    """An IODA active-probing signal for Brazil falls to 40% for 2 hours: `detect` once
    said "no outage found" (only rises were searched)."""
    reports = load_reports(FIXTURES / "ioda_drop.json")
    assert set(reports["kind"]) == {"level"}
    row = _one_window(estimate_outages(reports))
    assert row["kind"] == "level"
    assert abs(row["start"] - START) <= 5 * MINUTE
    assert abs(row["end"] - END) <= 5 * MINUTE
    assert row["start_low"] <= START <= row["start_high"]
    assert row["end_low"] <= END <= row["end_high"]
    assert row["depth_low"] <= 0.6 <= row["depth_high"]
    assert row["depth_high"] - row["depth_low"] < 0.05


def test_trends_export_is_an_index_with_a_bounded_start_interval():
    """An hourly Trends export once gave a 35-minute window for the 2-hour outage, with a
    start interval from 1 May to 5 May."""
    reports = load_reports(FIXTURES / "trends_hourly.csv", tz="America/Sao_Paulo")
    assert set(reports["kind"]) == {"index"}
    row = _one_window(estimate_outages(reports))
    assert row["kind"] == "index"
    assert row["start_low"] <= START <= row["start_high"]
    assert row["end_low"] <= END <= row["end_high"]
    assert row["start_high"] - row["start_low"] <= pd.Timedelta("3h")
    assert pd.Timedelta("80min") <= row["duration"] <= pd.Timedelta("160min")


def test_the_kind_can_be_overridden_and_a_level_read_as_reports_shows_no_rise():
    as_reports = load_reports(FIXTURES / "ioda_drop.json", kind="reports")
    assert set(as_reports["kind"]) == {"reports"}
    assert estimate_outages(as_reports).empty  # a drop is no rise
    as_level = load_reports(FIXTURES / "counts_90s.csv", kind="level")
    assert set(as_level["kind"]) == {"level"}
    with pytest.raises(ValueError, match="kind must be one of"):
        load_reports(FIXTURES / "counts_90s.csv", kind="levels")
