"""The expected-reports baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import Noise, ReportDataError, scenarios, simulate
from analysis.baseline import expected_reports

CALM = Noise(daily_sd=0, trend_sd=0, bursts_per_day=0)


@pytest.fixture(scope="module")
def outage_sim():
    scenario = scenarios.whatsapp_2017(days_before=10, regions=("BRA", "IND", "KEN"))
    return simulate(scenario.replace(rival=None), 5)


def test_baseline_ignores_the_outage_and_matches_the_background(outage_sim):
    base = expected_reports(outage_sim.reports)
    assert list(base.columns[:3]) == ["time", "region", "reports"]
    assert len(base) == len(outage_sim.reports)
    minutes = pd.date_range(outage_sim.scenario.start, outage_sim.scenario.end, freq="min",
                            inclusive="left")  # fmt: skip
    from analysis.activity import activity

    for region in ("BRA", "IND", "KEN"):
        info = outage_sim.inputs.loc[region]
        truth = info["background_per_min"] * activity(minutes, info["timezone"])
        got = base[base["region"] == region].set_index("time")["expected"]
        during = got["2017-05-03T20:00Z":"2017-05-03T23:00Z"]
        model = pd.Series(truth, index=minutes)["2017-05-03T20:00Z":"2017-05-03T23:00Z"]
        # within 25% of the true background during the outage, which the baseline ignores
        assert during.sum() == pytest.approx(model.sum(), rel=0.25), region


def test_band_covers_most_quiet_counts():
    sim = simulate(scenarios.quiet(days=10, regions=("BRA", "DEU"), freq="5min"), 2)
    base = expected_reports(sim.reports, level=0.9)
    inside = ((base["reports"] >= base["lower"]) & (base["reports"] <= base["upper"])).mean()
    assert 0.88 <= inside <= 0.995
    assert not base["weak_baseline"].any()
    assert (base["history_days"] >= 10).all()


def test_short_history_is_flagged_weak_but_works():
    sim = simulate(scenarios.regional(days_before=1, days_after=1, regions=("IND",)), 4)
    base = expected_reports(sim.reports)
    assert base["weak_baseline"].all()
    outage = base[(base["time"] >= "2022-10-25T07:00Z") & (base["time"] < "2022-10-25T08:30Z")]
    assert outage["reports"].sum() > 10 * outage["expected"].sum()


def test_one_stray_bin_does_not_make_a_day_of_history():
    """Two days and the one bin before them (a "last 48 hours" query that took a bin too
    many) counted as three days of history: the profile of the day was then averaged over
    the two whole days, the outage's among them, and the outage expected of itself (found
    by an independent generator, where a 20-fold outage in six regions vanished). The stray
    bin no longer counts, and the rolling median of a short history holds the outage out."""
    sim = simulate(scenarios.regional(days_before=1, days_after=1, regions=("IND",)), 4)
    first = sim.reports.iloc[:1].assign(time=sim.reports["time"].min() - pd.Timedelta("5min"))
    base = expected_reports(pd.concat([first, sim.reports], ignore_index=True))
    assert base["weak_baseline"].all()
    outage = base[(base["time"] >= "2022-10-25T07:00Z") & (base["time"] < "2022-10-25T08:30Z")]
    assert outage["reports"].sum() > 10 * outage["expected"].sum()


def test_follows_daylight_saving():
    scenario = scenarios.quiet(days=28, regions=("DEU",), start="2017-03-12", freq="15min")
    sim = simulate(scenario.replace(noise=CALM), 9)
    base = expected_reports(sim.reports).set_index("time")
    daily = base[["reports", "expected"]].resample("1D").sum()
    ratio = daily["reports"] / daily["expected"]
    assert ratio.between(0.93, 1.07).all()


def test_bad_arguments():
    sim = simulate(scenarios.quiet(days=2, regions=("BRA",), freq="1h"), 1)
    with pytest.raises(ValueError, match="level"):
        expected_reports(sim.reports, level=1.5)
    with pytest.raises(ValueError, match="trim"):
        expected_reports(sim.reports, trim=0.5)
    single = sim.reports.iloc[:1]
    with pytest.raises(ValueError, match="single bin"):
        expected_reports(single)
    odd = sim.reports.iloc[::7].reset_index(drop=True)  # 7-hour bins do not divide a day
    with pytest.raises(ReportDataError, match="bins of 7 h do not divide a day"):
        expected_reports(odd)
    assert np.isfinite(expected_reports(sim.reports)["expected"]).all()


def test_a_day_whose_level_is_clipped_says_so():
    """The day's level was clipped to 0.2-5 without a word: a collection running at a tenth
    of its volume for a whole day got an expected count twice what it had, and nothing said
    why. The clipped rows are now flagged; the other days are not."""
    from analysis import scenarios, simulate
    from analysis.baseline import expected_reports

    sim = simulate(scenarios.quiet(days=7, freq="15min", regions=("DEU",)), 2)
    reports = sim.reports
    local = reports["time"].dt.tz_convert("Europe/Berlin").dt.date  # levels are per local day
    day = local == sorted(local.unique())[3]
    low = reports.assign(reports=reports["reports"].where(~day, reports["reports"] // 10))
    base = expected_reports(low)
    assert base.loc[day.to_numpy(), "level_clipped"].all()
    assert not base.loc[~day.to_numpy(), "level_clipped"].any()
    ratio = base.loc[day.to_numpy(), "expected"].sum() / base.loc[day.to_numpy(), "reports"].sum()
    assert ratio > 1.5  # the clip holds the level at 0.2: about twice the tenth
    assert not expected_reports(reports)["level_clipped"].any()


@pytest.mark.parametrize("factor", [1.5, 0.6])
def test_a_level_that_shifts_for_good_within_a_day_is_followed_from_the_shift(factor):
    """Each day is scaled by one level, the median over the day. A collection whose volume
    shifts for good at 14:00 local time (half again, or down to 0.6) took the day's majority
    level, so the hours after the shift stood 1.5 times over (or under) the baseline until
    the day ended: an outage to the estimator, which a region shifting down the same morning
    joined (held-out ``level_shift`` case 2 of ``benchmarks/stress.py``). The day now takes
    the level of each side of its shift, and every part of every day is expected as seen."""
    rng = np.random.default_rng(5)
    times = pd.date_range("2024-03-04", periods=10 * 96, freq="15min", tz="UTC")
    local = times.tz_convert("Europe/Berlin")
    hours = (local - local.normalize()) / pd.Timedelta("1h")
    shift = pd.Timestamp("2024-03-10 14:00", tz="Europe/Berlin")
    rate = 200 * (1 + 0.5 * np.sin(2 * np.pi * (hours - 9) / 24))
    rate = np.where(local >= shift, factor * rate, rate)
    reports = pd.DataFrame({"time": times, "region": "DEU", "reports": rng.poisson(rate)})
    base = expected_reports(reports)
    part = pd.Series(local.date).astype(str).to_numpy() + np.where(local >= shift, "+", "")
    grouped = base.groupby(part)
    sums = grouped[["reports", "expected"]].sum()[grouped.size() >= 24]  # 6 hours or more
    ratio = sums["reports"] / sums["expected"]
    assert ratio["2024-03-10+"] == pytest.approx(1.0, abs=0.05)  # 1.41 or 0.62 before
    assert ratio.between(0.95, 1.05).all()


def _weekly_shapes(zone: str, size: float, seed: int, days: int = 9) -> pd.DataFrame:
    """Reports of one region whose weekend wakes four hours later than its weekdays (local
    time), from Monday 4 March 2024 for ``days`` days at 15-minute bins: one weekend."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-03-04", periods=days * 96, freq="15min", tz="UTC")
    local = times.tz_convert(zone)
    hours = ((local - local.normalize()) / pd.Timedelta("1h")).to_numpy()
    peak = np.where(local.day_of_week >= 5, 15.0, 11.0)
    rate = size * (0.25 + np.exp(-0.5 * ((hours - peak) / 3.5) ** 2))
    return pd.DataFrame({"time": times, "reports": rng.poisson(rate)})


def test_a_weekend_that_wakes_later_is_expected_from_its_own_two_days():
    """With one weekend in the history, the weekend took the pooled profile of the day, the
    weekdays': a weekend whose day starts four hours later stood twice over its baseline
    every afternoon, and each region's afternoon came out as an outage (an independent
    generator's main source of false windows). Where both weekend days lie beyond every
    weekday, the nearer of the two is now expected."""
    reports = _weekly_shapes("Europe/Berlin", 200, 1).assign(region="DEU")
    base = expected_reports(reports)
    local = base["time"].dt.tz_convert("Europe/Berlin")
    weekend = base[local.dt.day_of_week >= 5]
    blocks = weekend.groupby(weekend["time"].dt.floor("3h"))[["reports", "expected"]].sum()
    ratio = blocks["reports"] / blocks["expected"]
    assert ratio.between(0.85, 1.15).all(), ratio.round(2).to_dict()  # 0.50-1.98 before


def test_a_weekend_outage_with_one_weekend_of_history_is_found_alone():
    """The two-day weekend profile keeps the nearer day, so an outage on Saturday in three
    regions (five times the usual reports for two hours) is still found, and nothing else
    is: the later weekend afternoons of all four regions came out as windows before."""
    from analysis import estimate_outages

    zones = {
        "DEU": "Europe/Berlin",
        "FRA": "Europe/Paris",
        "ITA": "Europe/Rome",
        "ESP": "Europe/Madrid",
    }
    frames = []
    for i, (region, zone) in enumerate(zones.items()):
        frame = _weekly_shapes(zone, 40 * (i + 1), 10 + i).assign(region=region, service="app")
        down = frame["time"].between("2024-03-09T12:00Z", "2024-03-09T13:59Z")
        if region != "ESP":
            frame["reports"] = np.where(down, frame["reports"] * 5, frame["reports"])
        frames.append(frame)
    windows = estimate_outages(pd.concat(frames, ignore_index=True))
    rows = windows[windows["region"] != "WLD"]
    assert sorted(rows["region"]) == ["DEU", "FRA", "ITA"]
    assert (rows["start"] - pd.Timestamp("2024-03-09T12:00Z")).abs().max() <= pd.Timedelta("15min")
    assert (rows["end"] - pd.Timestamp("2024-03-09T14:00Z")).abs().max() <= pd.Timedelta("30min")


def test_a_short_history_is_expected_through_the_peak_and_the_trough_of_its_day():
    """With a day of history the baseline is a 12-hour rolling median, which lies below a
    daily cycle's peak and above its trough: a region at 90 reports per 5 minutes, +-50%
    through the day, stood 7% over its baseline every afternoon and 17% under it every
    night, and regions that no outage hit borrowed an outage's window. The median is now
    kept within the range of the days' rates at the same time of day."""
    rng = np.random.default_rng(0)
    times = pd.date_range("2024-03-04", periods=2 * 288, freq="5min", tz="UTC")
    hours = ((times - times.normalize()) / pd.Timedelta("1h")).to_numpy()
    rate = 90 * (1 + 0.5 * np.sin(2 * np.pi * (hours - 9) / 24))
    base = expected_reports(
        pd.DataFrame({"time": times, "region": "ESP", "reports": rng.poisson(rate)})
    )
    assert base["weak_baseline"].all()
    day = base[base["time"] >= "2024-03-05"]
    quarters = day.groupby(day["time"].dt.hour // 6)[["reports", "expected"]].sum()
    ratio = quarters["reports"] / quarters["expected"]
    assert ratio.between(0.95, 1.05).all(), ratio.round(3).to_dict()  # 0.83-1.07 before
