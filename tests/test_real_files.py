"""Real files as analysts hold them (issue 13): odd bin widths, other signal kinds, little data.

The inputs are the small files in ``tests/fixtures/`` (written by ``make_fixtures.py`` there,
with a fixed seed): they share one outage, Brazil, 3 May 2017, 20:05-22:00 UTC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import (
    ReportDataError,
    compare_markets,
    estimate_outages,
    load_reports,
    regional_impact,
    summarize_impact,
)
from analysis.reliance import INDEX_CAVEAT

FIXTURES = Path(__file__).resolve().parent / "fixtures"
START = pd.Timestamp("2017-05-03 20:05", tz="UTC")
END = pd.Timestamp("2017-05-03 22:00", tz="UTC")
MINUTE = pd.Timedelta("1min")
DAY = pd.Timedelta("1D")


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
    # two readings fit these bins as well (to 1e-6 in log-likelihood): the first start's
    # 20:00-22:00 stands, and the other (20:36-23:09) only widens the intervals
    assert abs(row["start"] - START) <= 10 * MINUTE
    assert abs(row["end"] - END) <= 15 * MINUTE
    assert row["end_high"] >= pd.Timestamp("2017-05-03 23:09", tz="UTC")


def test_the_kind_can_be_overridden_and_a_level_read_as_reports_shows_no_rise():
    as_reports = load_reports(FIXTURES / "ioda_drop.json", kind="reports")
    assert set(as_reports["kind"]) == {"reports"}
    assert estimate_outages(as_reports).empty  # a drop is no rise
    as_level = load_reports(FIXTURES / "counts_90s.csv", kind="level")
    assert set(as_level["kind"]) == {"level"}
    with pytest.raises(ValueError, match="kind must be one of"):
        load_reports(FIXTURES / "counts_90s.csv", kind="levels")


PEOPLE = ["users", "excess_per_million_users", "reliance_index", "awake_users",
          "user_hours_exposed", "cost_usd_exposed"]  # fmt: skip


def test_impact_of_a_level_is_the_share_lost_times_the_duration():
    """The IODA signal falls to 40% of normal from 20:05 to 22:00 (1.92 h): 60% lost, 1.15
    share-hours; a level counts no people, so no users or costs are invented."""
    reports = load_reports(FIXTURES / "ioda_drop.json")
    windows = estimate_outages(reports)
    row = regional_impact(reports, windows).iloc[0]
    assert row["kind"] == "level"
    assert row["depth_low"] <= 0.6 <= row["depth_high"]
    assert abs(row["depth"] - 0.6) < 0.02
    true_share_hours = 0.6 * (END - START) / pd.Timedelta("1h")
    assert row["lost_share_hours_low"] <= true_share_hours <= row["lost_share_hours_high"]
    assert abs(row["lost_share_hours"] - true_share_hours) < 0.1
    assert row[PEOPLE].isna().all()
    assert "counts no people" in row["omitted"]
    world = summarize_impact(regional_impact(reports, windows), windows)
    assert np.isnan(world.users_exposed)
    assert np.isnan(world.cost_usd_exposed)
    assert "BRA" in world.omitted


def test_impact_of_an_index_gives_its_ratio_only_and_the_comparison_says_why():
    """A Trends index once came out as "affected users 125.7 M, cost US$ 1.3 M"; searches
    rise up to 41-fold at the outage's peak."""
    reports = load_reports(FIXTURES / "trends_hourly.csv", tz="America/Sao_Paulo")
    impact = regional_impact(reports, estimate_outages(reports))
    row = impact.iloc[0]
    assert row["kind"] == "index"
    assert row[PEOPLE].isna().all()
    assert row["excess_ratio_low"] <= row["excess_ratio"] <= row["excess_ratio_high"]
    assert row["excess_ratio_low"] > 3
    table = pd.concat([impact, impact.assign(region="DEU"), impact.assign(region="USA"),
                       impact.assign(region="IND")], ignore_index=True)  # fmt: skip
    by_ratio = compare_markets(table, metric="excess_ratio", n_boot=50, n_perm=50)
    assert by_ratio.caveats == (INDEX_CAVEAT,)
    assert by_ratio.markets["n"].iloc[0] == 2  # BRA and IND compared
    per_user = compare_markets(table, n_boot=50, n_perm=50)
    assert sorted(per_user.excluded["region"]) == ["BRA", "DEU", "IND", "USA"]
    assert set(per_user.excluded["reason"]) == {
        "reliance_index not given for a index: it counts no people"
    }


@pytest.mark.parametrize(("freq", "shift"), [("5min", "2min53s"), ("1h", "30min")])
def test_bins_off_the_midnight_grid_keep_their_own_times(freq, shift):
    """NAB's tweet counts are stamped at :x2:53, and an hourly export in India's local time
    falls at half past each UTC hour. The baseline once snapped such bins to a grid from
    midnight, moving every window by up to a bin (a window shifted by 0 for data moved by
    2:53, by 5 min for data moved by -2 min)."""
    from analysis import scenarios, simulate
    from analysis.baseline import expected_reports

    sim = simulate(scenarios.regional(days_before=3, regions=("IND",), freq=freq), 3)
    moved = sim.reports.assign(time=sim.reports["time"] + pd.Timedelta(shift))
    assert expected_reports(moved)["time"].tolist() == moved["time"].tolist()
    before, after = estimate_outages(sim.reports), estimate_outages(moved)
    assert len(after) == len(before) >= 1
    # within a twelfth of a bin: moved by half an hour, India's hourly bins fall on other
    # local days near midnight, and its weekday profile changes a little
    tolerance = pd.Timedelta(freq) / 12
    for column in ("start", "end", "start_low", "start_high", "end_low", "end_high"):
        offset = after[column] - before[column] - pd.Timedelta(shift)
        assert offset.abs().max() <= tolerance, (column, offset)


NAB = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "nab"


@pytest.mark.skipif(not NAB.exists(), reason="../shared/realdata/nab is absent")
@pytest.mark.parametrize("ticker", ["FB", "AMZN"])
def test_a_real_tweet_series_keeps_its_own_stamps(ticker):
    """A real Twitter-volume series read as an analyst holds it: naive stamps at :x2:53 (UTC)
    and 14 days of history. An hour of tenfold mentions added from 14:00 on 8 April 2015
    (every bin from 14:02:53) comes back at those stamps; the baseline once snapped the bins
    to a grid from midnight, moving the window 2 min 53 s early."""
    raw = pd.read_csv(NAB / "realTweets" / f"Twitter_volume_{ticker}.csv")
    frame = pd.DataFrame({"time": pd.to_datetime(raw["timestamp"]).dt.tz_localize("UTC"),
                          "region": "USA", "reports": raw["value"]})  # fmt: skip
    day = pd.Timestamp("2015-04-08", tz="UTC")
    frame = frame[(frame["time"] >= day - pd.Timedelta("14D")) & (frame["time"] < day + DAY)]
    inside = frame["time"].between(day + pd.Timedelta("14h"), day + pd.Timedelta("15h"),
                                   inclusive="left")  # fmt: skip
    history = frame[frame["time"] < day]
    clock = history.groupby(history["time"].dt.strftime("%H:%M"))["reports"].median()
    typical = clock.reindex(frame.loc[inside, "time"].dt.strftime("%H:%M")).to_numpy()
    added = np.random.default_rng(2).poisson(9 * typical)
    frame.loc[inside, "reports"] = frame.loc[inside, "reports"] + added
    first, last = frame.loc[inside, "time"].min(), frame.loc[inside, "time"].max()
    found = estimate_outages(frame)
    row = _one_window(found[(found["start"] < last) & (found["end"] > first)], "USA")
    assert abs(row["start"] - first) <= MINUTE
    assert abs(row["end"] - (last + pd.Timedelta("5min"))) <= 3 * MINUTE
    assert row["start_low"] <= first <= row["start_high"]
