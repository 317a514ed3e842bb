"""The report-frame contract: validate_reports on in-memory frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import ReportDataError, bin_widths, describe_reports, validate_reports
from tests.conftest import make_frame


def test_valid_frame_is_sorted_and_reindexed():
    frame = make_frame(service="whatsapp").sample(frac=1, random_state=3)
    out = validate_reports(frame)
    assert out.index.equals(pd.RangeIndex(len(frame)))
    assert out[["service", "region", "time"]].equals(
        out[["service", "region", "time"]].sort_values(["service", "region", "time"])
    )
    assert out["reports"].sum() == frame["reports"].sum()


def test_input_is_not_modified():
    frame = make_frame().iloc[::-1]
    before = frame.copy()
    validate_reports(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_time_unit_is_kept_and_zone_converted():
    t = pd.date_range("2017-05-03 22:00", periods=3, freq="h", tz="Europe/Berlin").as_unit("s")
    out = validate_reports(pd.DataFrame({"time": t, "region": "DEU", "reports": 1}))
    assert str(out["time"].dtype) == "datetime64[s, UTC]"
    assert out["time"].iloc[0] == pd.Timestamp("2017-05-03T20:00Z")


def test_naive_datetime_column_refused_then_accepted_with_tz():
    t = pd.date_range("2017-05-03 20:00", periods=2, freq="min")
    raw = pd.DataFrame({"time": t, "region": "BRA", "reports": [1, 2]})
    with pytest.raises(ReportDataError, match="naive"):
        validate_reports(raw)
    assert validate_reports(raw, tz="UTC")["time"].iloc[0] == pd.Timestamp("2017-05-03T20:00Z")


def test_ambiguous_local_time_refused():
    raw = pd.DataFrame({"time": ["2017-10-29 02:30"], "region": "DEU", "reports": [1]})
    with pytest.raises(ReportDataError, match="ambiguous"):
        validate_reports(raw, tz="Europe/Berlin")


@pytest.mark.parametrize(
    ("reports", "fragment"),
    [
        ([1.0, np.nan], "missing counts"),
        ([1.0, 2.5], "fractional"),
        ([1.0, np.inf], "infinite"),
        ([1, -1], "negative"),
        ([True, False], "booleans"),
        (pd.array([1, None], dtype="Int64"), "missing counts"),
        (np.array([1, 2**63], dtype="uint64"), "int64"),
        ([1.0, 1e19], "int64"),
        (["1", "x"], "non-numeric"),
    ],
)
def test_bad_counts_in_frames(reports, fragment):
    t = pd.date_range("2017-05-03 20:00", periods=2, freq="min", tz="UTC")
    raw = pd.DataFrame({"time": t, "region": "BRA", "reports": reports})
    with pytest.raises(ReportDataError, match=fragment) as info:
        validate_reports(raw, source="mine")
    assert info.value.column == "reports"
    assert "row 1" in str(info.value)


def test_integral_floats_become_int64():
    t = pd.date_range("2017-05-03 20:00", periods=2, freq="min", tz="UTC")
    out = validate_reports(pd.DataFrame({"time": t, "region": "BRA", "reports": [1.0, 2.0]}))
    assert out["reports"].dtype == "int64"
    assert out["reports"].tolist() == [1, 2]


def test_largest_int64_is_accepted():
    t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    raw = pd.DataFrame({"time": [t], "region": "BRA", "reports": ["9223372036854775807"]})
    assert validate_reports(raw)["reports"].iloc[0] == 2**63 - 1


def test_misspelled_column_suggestion_and_no_rows():
    with pytest.raises(ReportDataError, match="did you mean 'Region'"):
        validate_reports(pd.DataFrame({"time": [], "Region": [], "reports": []}))
    with pytest.raises(ReportDataError, match="no data rows"):
        validate_reports(pd.DataFrame({"time": [], "region": [], "reports": []}))


def test_not_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        validate_reports([1, 2, 3])


def test_same_time_in_two_services_is_not_a_duplicate():
    a = make_frame(regions=("BRA",), service="whatsapp")
    b = make_frame(regions=("BRA",), service="telegram")
    assert len(validate_reports(pd.concat([a, b]))) == len(a) + len(b)


def test_gaps_are_allowed_and_described():
    frame = make_frame(regions=("BRA",), periods=10, freq="5min")
    gappy = frame.drop(index=[3, 4, 5])
    out = validate_reports(gappy)
    assert len(out) == 7
    described = describe_reports(out)
    assert described.loc["BRA", "missing_bins"] == 3
    assert described.loc["BRA", "largest_gap"] == pd.Timedelta("15min")
    assert bin_widths(out).loc["BRA"] == pd.Timedelta("5min")


def test_offset_grid_within_a_series_is_irregular():
    t = pd.to_datetime(
        ["2017-05-03 20:00", "2017-05-03 20:10", "2017-05-03 20:20", "2017-05-03 20:24"], utc=True
    )
    with pytest.raises(ReportDataError, match="mixed bin widths"):
        validate_reports(pd.DataFrame({"time": t, "region": "BRA", "reports": 1}))


def test_different_widths_in_different_regions_are_fine():
    a = make_frame(regions=("BRA",), freq="1min")
    b = make_frame(regions=("IND",), freq="1h")
    widths = bin_widths(validate_reports(pd.concat([a, b])))
    assert widths.to_dict() == {"BRA": pd.Timedelta("1min"), "IND": pd.Timedelta("1h")}


def test_freq_resolves_a_very_gappy_series():
    t = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:03", "2017-05-03 20:05"], utc=True)
    raw = pd.DataFrame({"time": t, "region": "BRA", "reports": 1})
    with pytest.raises(ReportDataError, match="pass freq="):
        validate_reports(raw)
    assert len(validate_reports(raw, freq="1min")) == 3
    with pytest.raises(ReportDataError, match="freq 0 days 00:02:00"):
        validate_reports(raw, freq="2min")


def test_missing_timestamps_in_datetime_columns_are_refused():
    t = pd.date_range("2017-05-03 20:00", periods=3, freq="5min", tz="UTC")
    raw = pd.DataFrame({"time": [t[0], pd.NaT, t[2]], "region": "BRA", "reports": [1, 2, 3]})
    with pytest.raises(ReportDataError, match=r"missing timestamps.*row 1"):
        validate_reports(raw)


def test_non_positive_freq_and_non_text_regions_are_refused():
    frame = make_frame(regions=("BRA",), periods=3)
    with pytest.raises(ValueError, match="positive"):
        validate_reports(frame, freq="0s")
    with pytest.raises(ValueError, match="positive"):
        validate_reports(frame, freq="-5min")
    odd = frame.assign(region=[["BRA"]] * 3)
    with pytest.raises(ReportDataError, match="region values must be text"):
        validate_reports(odd)


def test_kinds_are_checked_and_level_values_need_not_be_whole():
    t = pd.date_range("2017-05-03", periods=3, freq="5min", tz="UTC")
    frame = pd.DataFrame({"time": t, "region": "BRA", "reports": [4000.5, 3990, 1600],
                          "kind": "level"})  # fmt: skip
    out = validate_reports(frame)
    assert out["reports"].tolist() == [4000.5, 3990.0, 1600.0]
    with pytest.raises(ReportDataError, match=r"unknown kind 'levle'.*did you mean 'level'"):
        validate_reports(frame.assign(kind=["level", "level", "levle"]))
    with pytest.raises(ReportDataError, match="mixed kinds within one series"):
        validate_reports(frame.assign(kind=["level", "level", "reports"]))
    with pytest.raises(ReportDataError, match=r"negative values \(1 row; first: row 1"):
        validate_reports(frame.assign(reports=[1.0, -2.0, 3.0]))
    with pytest.raises(ReportDataError, match="fractional counts"):
        validate_reports(frame.assign(kind="reports"))
