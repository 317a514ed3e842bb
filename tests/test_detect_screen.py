"""The calibrated screen of estimate_outages: bursts that are usual for a series are not
outages, and an outage that many regions share is found even where each region alone is weak.

The series here are written in the test, not by the project's simulator: a smooth daily
cycle, Poisson noise, and daily spike-and-fade bursts of 8-25 times the baseline.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import (
    estimate_outages,
    scenarios,
    score_outages,
    simulate,
    summarize_scores,
    threshold_outages,
)
from analysis.baseline import SeriesBaseline
from analysis.detect.screen import G_POOLED, gumbel_standardise, history_pvalue

REGIONS = ("BRA", "IND", "DEU", "USA", "NGA", "MEX")
START = pd.Timestamp("2024-03-04T00:00Z")
DAYS = 9
WIDTH = pd.Timedelta("5min")
OUTAGE = (pd.Timestamp("2024-03-12T14:00Z"), pd.Timestamp("2024-03-12T15:30Z"))


def _frame(seed: int, *, outage_ratio: float, bursts: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = pd.date_range(START, periods=DAYS * 288, freq=WIDTH)
    hours = (times - START) / pd.Timedelta("1h")
    down = (times >= OUTAGE[0]) & (times < OUTAGE[1])
    parts = []
    for i, region in enumerate(REGIONS):
        level = 20 * (1 + 0.6 * np.sin(2 * np.pi * (hours / 24 + i / 7)))
        rate = level.to_numpy().copy()
        if bursts:  # one spike-and-fade burst a day at a random time, 8-25x the level
            for day in range(DAYS):
                at = day * 288 + int(rng.integers(0, 280))
                size = rng.uniform(8, 25)
                fade = np.exp(-np.arange(288 - at % 288) / rng.uniform(1, 3))
                rate[at : at + len(fade)] += size * level.to_numpy()[at] * fade
        if i < 4:  # the outage: four of six regions, reports up while it lasts
            rate = rate + (outage_ratio - 1) * level.to_numpy() * down
        parts.append(pd.DataFrame({"time": times, "region": region,
                                   "reports": rng.poisson(rate)}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _truth() -> pd.DataFrame:
    return pd.DataFrame({"region": list(REGIONS[:4]), "start": OUTAGE[0], "end": OUTAGE[1]})


SEEDS = range(1, 7)


def test_usual_bursts_are_not_outages():
    """Daily bursts of 8-25x are the series' normal. The fixed rules alone flag about one a
    series-day; the calibrated screen leaves at most 2 region windows per 100 series-days."""
    found = [estimate_outages(_frame(seed, outage_ratio=1.0, bursts=True)) for seed in SEEDS]
    region_windows = sum(int((f["region"] != "WLD").sum()) for f in found)
    series_days = len(SEEDS) * len(REGIONS) * DAYS
    assert 100 * region_windows / series_days <= 2.0
    fixed = threshold_outages(_frame(1, outage_ratio=1.0, bursts=True))
    assert len(fixed) >= len(REGIONS) * DAYS * 0.8


def test_a_shared_outage_stands_out_among_bursts():
    """A 3x outage in four regions at once is found, although every region has bigger bursts
    each day (pooled across regions: no single region's reports are unusual enough)."""
    scores = pd.concat(
        [score_outages(estimate_outages(_frame(seed, outage_ratio=3.0, bursts=True)), _truth())
         for seed in SEEDS]
    )  # fmt: skip
    summary = summarize_scores(scores)
    assert summary.recall >= 0.9
    assert summary.start_error_median <= pd.Timedelta("5min")


def test_weak_regions_borrow_a_window_that_many_regions_share():
    """Four regions' reports rise 4x during an outage, two more regions' only 1.2x, two not at
    all (Poisson noise, 5-minute bins). The weak regions borrow the pooled window, as one
    discovery more among many, in every seed (a likelihood ratio of 20 in each region alone
    let 4 of their 16 windows through); the untouched regions borrow none."""
    regions = ("BRA", "IND", "DEU", "USA", "NGA", "MEX", "GBR", "FRA")
    ratios = (4.0, 4.0, 4.0, 4.0, 1.2, 1.2, 1.0, 1.0)
    times = pd.date_range(START, periods=DAYS * 288, freq=WIDTH)
    hours = ((times - START) / pd.Timedelta("1h")).to_numpy()
    down = (times >= OUTAGE[0]) & (times < OUTAGE[1])
    found = []
    for seed in range(1, 9):
        rng = np.random.default_rng(seed)
        parts = []
        for i, (region, ratio) in enumerate(zip(regions, ratios, strict=True)):
            level = 20 * (1 + 0.6 * np.sin(2 * np.pi * (hours / 24 + i / 7)))
            reports = rng.poisson(level * (1 + (ratio - 1) * down))
            parts.append(pd.DataFrame({"time": times, "region": region, "reports": reports}))
        found.append(estimate_outages(pd.concat(parts, ignore_index=True)))
    rows = pd.concat(found)
    weak = rows[rows["region"].isin(["NGA", "MEX"])]
    assert len(weak) == 16
    assert ((weak["start"] < OUTAGE[1]) & (weak["end"] > OUTAGE[0])).all()
    assert not rows["region"].isin(["GBR", "FRA"]).any()


def test_history_pvalues_are_uniform_where_nothing_happens():
    """Where a series holds only noise, the p-value of a window against the series' own
    history is uniform: 10% of windows fall at 0.1 or below (300 windows an hour long, 2 hours
    apart, over 25 days of negative-binomial counts; 3 binomial standard deviations)."""
    rng = np.random.default_rng(11)
    n = 25 * 288
    times = pd.date_range(START, periods=n, freq=WIDTH)
    expected = 30 * (1 + 0.5 * np.sin(2 * np.pi * np.arange(n) / 288))
    observed = rng.negative_binomial(8, 8 / (8 + expected)).astype(float)
    base = SeriesBaseline(times, observed, expected, 8.0, WIDTH, 25, False)
    p = np.array([history_pvalue(base, first, first + 11) for first in range(24, n - 24, 24)])
    assert len(p) == 298
    for level in (0.1, 0.5):
        assert (p <= level).mean() == pytest.approx(
            level, abs=3 * np.sqrt(level * (1 - level) / 298)
        )


def test_gumbel_standardisation_is_calibrated():
    """Daily maxima of exponential noise (Gumbel in the limit): scores are exceeded as often as
    the Gumbel law says, out to the pooled threshold (about 1 day in 90; the tolerance is
    3 binomial standard deviations over 4,000 days)."""
    rng = np.random.default_rng(5)
    per_day, days = 96, 4000
    g = gumbel_standardise(rng.exponential(size=per_day * days), per_day)
    daily_max = g.reshape(days, per_day).max(axis=1)
    for level in (1.0, 2.0, 3.0):
        expected = 1 - np.exp(-np.exp(-level))
        assert (daily_max > level).mean() == pytest.approx(expected, abs=0.02)
    rate = 1 - np.exp(-np.exp(-G_POOLED))
    assert (daily_max > G_POOLED).mean() == pytest.approx(rate, abs=3 * np.sqrt(rate / 4000))


NAB = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "nab"
TICKERS = {"AAPL": "USA", "AMZN": "GBR", "CRM": "DEU", "CVS": "FRA", "FB": "BRA",
           "GOOG": "IND", "IBM": "JPN", "KO": "MEX", "PFE": "ZAF", "UPS": "KEN"}  # fmt: skip


def _nab() -> tuple[pd.DataFrame, pd.DataFrame]:
    """NAB's ten real Twitter-volume series as one report frame, and their labelled windows."""
    parts, labels = [], json.loads((NAB / "labels" / "combined_windows.json").read_text())
    rows = []
    for ticker, region in TICKERS.items():
        raw = pd.read_csv(NAB / "realTweets" / f"Twitter_volume_{ticker}.csv")
        times = pd.to_datetime(raw["timestamp"]).dt.tz_localize("UTC").dt.floor("5min")
        parts.append(pd.DataFrame({"time": times, "region": region,
                                   "reports": raw["value"].astype("int64")}))  # fmt: skip
        rows += [{"region": region, "start": pd.Timestamp(a, tz="UTC"),
                  "end": pd.Timestamp(b, tz="UTC")}
                 for a, b in labels[f"realTweets/Twitter_volume_{ticker}.csv"]]  # fmt: skip
    return pd.concat(parts, ignore_index=True), pd.DataFrame(rows)


@pytest.mark.slow
@pytest.mark.skipif(not NAB.exists(), reason="../shared/realdata/nab is absent")
def test_real_tweets_give_few_false_windows():
    """Real Twitter volumes with no outage added: news bursts double them on most days. Over
    every whole back-to-back 3-day span after 14 days of history (13 spans, 390 series-days),
    windows outside NAB's labelled anomalies stay within issue 12's 2 per 100 series-days (7
    windows; the fixed rules alone, before the screen, gave 18 per 100, and the screen with
    pooled clipped z-scores 3.6)."""
    frame, labels = _nab()
    first = frame["time"].min().ceil("D") + pd.Timedelta("14D")
    false, series_days = 0, 0
    for k in range(13):
        span = first + pd.Timedelta(days=3 * k)
        part = frame[frame["time"].between(span - pd.Timedelta("14D"), span + pd.Timedelta("3D"),
                                           inclusive="left")]  # fmt: skip
        found = estimate_outages(part)
        found = found[(found["region"] != "WLD") & (found["end"] > span)]
        for w in found.itertuples():
            mine = labels[labels["region"] == w.region]
            false += not ((mine["start"] < w.end) & (mine["end"] > w.start)).any()
        series_days += 3 * part["region"].nunique()
    assert frame["time"].max() >= span + pd.Timedelta("3D") - pd.Timedelta("5min")
    assert series_days == 390
    assert 100 * false / series_days <= 2.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 7])
def test_no_window_from_pooled_noise_on_quiet_series(seed):
    """Twelve quiet regions: chance coincidences of small rises pass the pooled screen about
    once a day per scale, and a window fitted to them tests their own data, so such an event
    must be as strong as a burst (these seeds gave 1-2 false windows before that rule)."""
    regions = ("BRA", "IND", "IDN", "NGA", "USA", "DEU", "MEX", "TUR", "COL", "KEN", "ZAF",
               "GBR")  # fmt: skip
    sim = simulate(scenarios.quiet(days=8, regions=regions), seed)
    found = estimate_outages(sim.reports)
    assert found.empty


def test_matched_scores_add_up_an_outage_over_hourly_bins():
    """At hourly bins the 15-minute and 1-hour scales are both one bin, so a 3-hour rise of
    three standard deviations per bin scored 3, no more than one unusual hour. Spans of 2
    and 3 bins now add it up: 3 * 3 / sqrt(3) = 5.2."""
    from analysis.baseline import SeriesBaseline
    from analysis.detect.screen import matched_scores

    times = pd.date_range("2017-05-03", periods=12, freq="1h", tz="UTC")
    y = np.full(12, 100.0)
    y[5:8] = 130.0  # Poisson sd 10: three standard deviations for three hours
    base = SeriesBaseline(times, y, np.full(12, 100.0), 1e9, pd.Timedelta("1h"), 5, False)
    scores = matched_scores(base)
    assert scores.max() == pytest.approx(3 * 3 / np.sqrt(3), rel=1e-6)
    assert scores[:, 7].max() == scores.max()  # at the rise's last hour
    assert scores[:, :5].max() == pytest.approx(0.0, abs=1e-9)


def test_a_rise_in_one_region_alone_is_kept_only_when_asked():
    """Six regions (Poisson, 5-minute bins): one region's reports rise 6x for an hour while
    the others show nothing, and later three regions' rise 6x together. By default only
    the shared rise is a window; with ``min_regions=1`` the lone one is too. With two
    regions, a lone rise is kept (one region's silence says little)."""
    regions = ("BRA", "IND", "DEU", "USA", "NGA", "MEX")
    times = pd.date_range(START, periods=DAYS * 288, freq=WIDTH)
    hours = ((times - START) / pd.Timedelta("1h")).to_numpy()
    lone = (times >= OUTAGE[0] - pd.Timedelta("1D")) & (times < OUTAGE[1] - pd.Timedelta("1D"))
    shared = (times >= OUTAGE[0]) & (times < OUTAGE[1])
    rng = np.random.default_rng(3)
    parts = []
    for i, region in enumerate(regions):
        level = 20 * (1 + 0.6 * np.sin(2 * np.pi * (hours / 24 + i / 7)))
        rise = 1 + 5 * (shared * (i < 3) + lone * (i == 5))
        parts.append(pd.DataFrame({"time": times, "region": region,
                                   "reports": rng.poisson(level * rise)}))  # fmt: skip
    reports = pd.concat(parts, ignore_index=True)

    def regions_found(frame: pd.DataFrame, **options) -> dict[str, list[str]]:
        found = estimate_outages(frame, **options)
        on = {"lone": OUTAGE[0] - pd.Timedelta("1D"), "shared": OUTAGE[0]}
        return {name: sorted(found.loc[(found["start"] < t + pd.Timedelta("1h"))
                                       & (found["end"] > t), "region"])
                for name, t in on.items()}  # fmt: skip

    default = regions_found(reports)
    assert default["lone"] == []
    assert set(default["shared"]) >= {"BRA", "IND", "DEU"}
    assert regions_found(reports, min_regions=1)["lone"] == ["MEX"]
    pair = reports[reports["region"].isin(["NGA", "MEX"])]
    assert regions_found(pair)["lone"] == ["MEX"]
    with pytest.raises(ValueError, match="min_regions"):
        estimate_outages(reports, min_regions=0)


def test_a_bin_the_pooled_window_barely_touches_does_not_dilute_a_borrowing_region():
    """Hourly bins, a pooled window from 19:54 to 20:50 (development ``lognormal_delay`` case
    3): ZAF's 19:00 bin held 6 minutes of the outage and sat 1.5 sd below the baseline, which
    diluted its 20:00 rise to a p-value of 0.15 against its history. Weighted by the share
    of each bin in the window, the rise ranks with the series' top 2% of hours."""
    from types import SimpleNamespace

    from analysis.detect.pooling import _history_p

    rng = np.random.default_rng(5)
    times = pd.date_range("2022-02-02", periods=15 * 24, freq="1h", tz="UTC")
    expected = 1000 * (1 + 0.5 * np.sin(2 * np.pi * np.arange(len(times)) / 24))
    k = 25.0
    observed = rng.negative_binomial(k, k / (k + expected)).astype(float)
    sd = np.sqrt(expected + expected**2 / k)
    at = int(np.flatnonzero(times == pd.Timestamp("2022-02-16 20:00", tz="UTC"))[0])
    observed[at - 1] = expected[at - 1] - 1.5 * sd[at - 1]
    observed[at] = expected[at] + 4.2 * sd[at]
    base = SeriesBaseline(times, observed, expected, k, pd.Timedelta("1h"), 14, False)
    fit = SimpleNamespace(
        start=times[at] - pd.Timedelta("6min"),
        end=times[at] + pd.Timedelta("50min"),
        params=SimpleNamespace(delay=0.0, decay=0.0),  # no report lag: the cover alone
    )
    assert _history_p(base, fit) <= 0.02
    assert history_pvalue(base, at - 1, at) > 0.05  # every bin counted in full


def test_a_pooled_window_shorter_than_a_bin_counts_the_bins_its_reports_reach():
    """Hourly bins, a pooled window collapsed to 19:54-20:00 (development ``lognormal_delay``
    case 3) with a mean report lag of 19 minutes: the reports arrive in the 20:00 bin, which
    the window itself does not touch. Its regions' rise there ranks with the series' top
    hours; over the 19:00 bin alone it did not (p 0.33-0.97 in that case)."""
    from types import SimpleNamespace

    from analysis.detect.pooling import _history_p

    rng = np.random.default_rng(5)
    times = pd.date_range("2022-02-02", periods=15 * 24, freq="1h", tz="UTC")
    expected = 1000 * (1 + 0.5 * np.sin(2 * np.pi * np.arange(len(times)) / 24))
    k = 25.0
    observed = rng.negative_binomial(k, k / (k + expected)).astype(float)
    at = int(np.flatnonzero(times == pd.Timestamp("2022-02-16 20:00", tz="UTC"))[0])
    observed[at - 1] = expected[at - 1]
    observed[at] = expected[at] + 4.0 * np.sqrt(expected[at] + expected[at] ** 2 / k)
    base = SeriesBaseline(times, observed, expected, k, pd.Timedelta("1h"), 14, False)
    fit = SimpleNamespace(start=times[at] - pd.Timedelta("6min"), end=times[at],
                          params=SimpleNamespace(delay=4.0, decay=15.0))  # fmt: skip
    assert _history_p(base, fit) <= 0.02
    assert history_pvalue(base, at - 1, at - 1) > 0.2  # the window's own bin: nothing there
