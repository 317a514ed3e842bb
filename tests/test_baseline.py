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
