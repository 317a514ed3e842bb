"""Property tests: loading, resampling and aggregating conserve reports; files round-trip."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import (
    ReportDataError,
    aggregate_regions,
    describe_reports,
    fill_gaps,
    load_reports,
    resample_reports,
    validate_reports,
)
from tests.conftest import make_frame

REGIONS = ["BRA", "IND", "NGA", "USA", "DEU", "JPN", "KEN", "IDN"]
FREQS = ["1min", "5min", "15min", "1h"]


@st.composite
def report_frames(draw, max_value: int = 2**40) -> pd.DataFrame:
    """Valid report frames: 1-4 regions, one bin width, random gaps, optional service."""
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True))
    freq = draw(st.sampled_from(FREQS))
    periods = draw(st.integers(min_value=1, max_value=40))
    start = pd.Timestamp("2017-05-03", tz="UTC") + pd.Timedelta(freq) * draw(st.integers(0, 500))
    times = pd.date_range(start, periods=periods, freq=freq)
    parts = []
    for region in regions:
        keep = draw(st.lists(st.booleans(), min_size=periods, max_size=periods))
        keep[:2] = [True] * min(2, periods)  # two adjacent bins show the width
        counts = draw(st.lists(st.integers(0, max_value), min_size=periods, max_size=periods))
        part = pd.DataFrame({"time": times, "region": region, "reports": counts})
        parts.append(part[keep])
    frame = pd.concat(parts, ignore_index=True)
    if draw(st.booleans()):
        frame["service"] = "whatsapp"
    return validate_reports(frame)


PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)  # same examples in every run


@PROPERTY
@given(report_frames())
def test_loading_csv_conserves_reports_and_rows(frame):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        frame.to_csv(path, index=False)
        loaded = load_reports(path)
    assert loaded["reports"].sum() == frame["reports"].sum()
    assert len(loaded) == len(frame)


@PROPERTY
@given(report_frames())
def test_loading_wide_csv_conserves_reports(frame):
    if "service" in frame.columns:
        frame = frame.drop(columns="service")
    wide = frame.pivot(index="time", columns="region", values="reports")  # noqa: PD010
    wide = wide.reset_index()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.csv"
        wide.to_csv(path, index=False)  # a missing bin is written as an empty cell
        loaded = load_reports(path, format="wide")
    assert loaded["reports"].sum() == frame["reports"].sum()
    pd.testing.assert_frame_equal(
        loaded.assign(time=loaded["time"].dt.as_unit("ns")),
        frame.assign(time=frame["time"].dt.as_unit("ns")),
    )


@PROPERTY
@given(report_frames(), st.sampled_from([1, 2, 3, 4, 12, 24]))
def test_resampling_conserves_reports(frame, factor):
    width = frame.groupby("region")["time"].diff().min()
    width = pd.Timedelta(FREQS[0]) if pd.isna(width) else width
    freq = width * factor
    try:
        coarse = resample_reports(frame, freq)
    except ReportDataError:
        # only when a single-bin series hides the true width; other widths must work
        assume_single = frame.groupby("region").size().min() == 1
        assert assume_single
        return
    assert coarse["reports"].sum() == frame["reports"].sum()
    assert (coarse["time"].dt.floor(freq) == coarse["time"]).all()
    # coarse bins need not be adjacent (00:00, 00:06, 00:10 at 2 min): the width is given
    validate_reports(coarse, freq=freq)


@PROPERTY
@given(report_frames())
def test_aggregating_to_world_conserves_reports(frame):
    world = aggregate_regions(frame)
    assert world["reports"].sum() == frame["reports"].sum()
    assert set(world["region"]) == {"WLD"}
    assert world["time"].is_unique or "service" in world.columns
    validate_reports(world)


@PROPERTY
@given(report_frames(max_value=2**63 - 1))
def test_csv_and_parquet_round_trip(frame):
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, pq_path = Path(tmp) / "r.csv", Path(tmp) / "r.parquet"
        frame.to_csv(csv_path, index=False)
        frame.to_parquet(pq_path)
        from_csv = load_reports(csv_path)
        from_parquet = load_reports(pq_path)
    pd.testing.assert_frame_equal(from_parquet, frame)
    # CSV text carries no time unit: compare values at a common unit
    pd.testing.assert_frame_equal(
        from_csv.assign(time=from_csv["time"].dt.as_unit("ns")),
        frame.assign(time=frame["time"].dt.as_unit("ns")),
    )


@PROPERTY
@given(report_frames())
def test_fill_gaps_adds_only_zero_bins(frame):
    filled = validate_reports(fill_gaps(frame))
    assert filled["reports"].sum() == frame["reports"].sum()
    assert (describe_reports(filled)["missing_bins"] == 0).all()
    assert len(filled) - len(frame) == describe_reports(frame)["missing_bins"].sum()


def test_fill_gaps_says_which_bins_it_made_up():
    """fill_gaps(value=3) once added reports to the total without a column saying so."""
    t = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:01", "2017-05-03 20:04"], utc=True)
    frame = pd.DataFrame({"time": t, "region": "BRA", "reports": [2, 5, 1]})
    filled = fill_gaps(frame, value=3)
    assert filled["reports"].tolist() == [2, 5, 3, 3, 1]
    assert filled["filled"].tolist() == [False, False, True, True, False]
    assert filled.loc[~filled["filled"], "reports"].sum() == frame["reports"].sum()


def test_resample_refuses_a_finer_or_misaligned_width():
    frame = make_frame(freq="15min")
    with pytest.raises(ReportDataError, match="whole multiple"):
        resample_reports(frame, "10min")


def test_aggregate_refuses_mixed_widths_and_unknown_regions():
    mixed = pd.concat([make_frame(regions=("BRA",)), make_frame(regions=("IND",), freq="1h")])
    with pytest.raises(ReportDataError, match="different bin widths"):
        aggregate_regions(mixed)
    with pytest.raises(KeyError, match="NGA"):
        aggregate_regions(make_frame(), regions=["BRA", "NGA"])


def test_resample_example_values():
    frame = make_frame(regions=("BRA",), periods=4, freq="15min")
    out = resample_reports(frame, "30min")
    assert out["reports"].tolist() == [0 + 1, 2 + 3]
    assert np.all(out["time"].dt.minute.isin([0, 30]))


def test_resampling_marks_partly_observed_bins():
    """5 of 60 one-minute bins observed: the hour once summed to 50 reports with nothing to
    say that a full hour would hold about 600; it now carries the observed share, or is
    refused."""
    t = pd.date_range("2017-05-03 20:00", periods=120, freq="1min", tz="UTC")
    frame = pd.DataFrame({"time": t, "region": "BRA", "reports": 10})
    frame = frame[(frame["time"] < t[5]) | (frame["time"] >= t[60])]
    out = resample_reports(frame, "1h")
    assert out["reports"].tolist() == [50, 600]
    assert out["observed_share"].tolist() == pytest.approx([5 / 60, 1.0])
    with pytest.raises(ReportDataError, match=r"1 of 2 bins of 1 h .*partly observed.*20:00"):
        resample_reports(frame, "1h", partial="refuse")


def test_resampling_again_weighs_shares_by_fine_bins():
    t = pd.date_range("2017-05-03 20:00", periods=4, freq="30min", tz="UTC")
    frame = pd.DataFrame({"time": t, "region": "BRA", "reports": 5,
                          "observed_share": [0.5, 1.0, 1.0, 1.0]})  # fmt: skip
    out = resample_reports(frame, "1h")
    assert out["observed_share"].tolist() == pytest.approx([0.75, 1.0])


def test_aggregating_marks_times_where_a_region_has_a_gap():
    """A world total once dipped wherever one region had a gap; the dip now comes with the
    share of the regions' usual reports that were observed."""
    t = pd.date_range("2017-05-03 20:00", periods=4, freq="1h", tz="UTC")
    frame = pd.concat([pd.DataFrame({"time": t, "region": "BRA", "reports": 300}),
                       pd.DataFrame({"time": t, "region": "IND", "reports": 100})])  # fmt: skip
    frame = frame[~((frame["region"] == "BRA") & (frame["time"] == t[2]))]
    world = aggregate_regions(frame)
    assert world["reports"].tolist() == [400, 400, 100, 400]
    assert world["observed_share"].tolist() == pytest.approx([1, 1, 0.25, 1])


def test_baseline_expects_only_the_observed_share_of_a_partial_bin():
    """An hour observed for 5 minutes is not a 92% drop: its expected reports are scaled by
    the observed share."""
    from analysis import expected_reports, scenarios, simulate

    sim = simulate(scenarios.quiet(days=5, regions=("BRA",), freq="1min"), 2)
    reports = sim.reports
    hour = pd.Timestamp(reports["time"].iloc[-1].floor("D") - pd.Timedelta("4h"))
    minutes = (reports["time"] - hour) / pd.Timedelta("1min")
    gap = (minutes >= 5) & (minutes < 60)
    coarse = resample_reports(reports[~gap], "1h")
    base = expected_reports(coarse).set_index("time")
    ratio = base.loc[hour, "reports"] / base.loc[hour, "expected"]
    assert 0.6 < ratio < 1.6


def test_kind_is_carried_and_kinds_are_not_added_up():
    t = pd.date_range("2017-05-03 20:00", periods=4, freq="15min", tz="UTC")
    level = pd.DataFrame({"time": t, "region": "BRA", "reports": 4000.5, "kind": "level"})
    out = resample_reports(level, "1h")
    assert out["kind"].tolist() == ["level"]
    assert out["reports"].tolist() == [4000.5]  # a level is averaged, not summed
    counts = pd.DataFrame({"time": t, "region": "IND", "reports": 5, "kind": "reports"})
    with pytest.raises(ReportDataError, match="different kinds"):
        aggregate_regions(pd.concat([level, counts]))
