"""Outage windows: the estimator, its peers and scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import Collection, Gap, Outage, scenarios, simulate
from analysis.detect import changepoint_outages, estimate_outages, threshold_outages
from analysis.scoring import score_outages, summarize_scores


@pytest.fixture(scope="module")
def regional():
    return simulate(scenarios.regional(days_before=6), 3)


@pytest.fixture(scope="module")
def regional_found(regional):
    return estimate_outages(regional.reports)


def test_known_windows_are_recovered(regional, regional_found):
    found = regional_found
    own = found[found["estimate"] == "region"]
    assert set(own["region"]) == set(regional.truth["region"])
    summary = summarize_scores(score_outages(found, regional.truth))
    assert summary.recall == 1.0
    assert summary.precision == 1.0
    assert summary.start_error_median <= pd.Timedelta("3min")
    assert summary.end_error_median <= pd.Timedelta("5min")
    wld = found[found["region"] == "WLD"].iloc[0]
    assert wld["estimate"] == "pooled"
    assert abs((wld["start"] - pd.Timestamp("2022-10-25T06:39Z")) / pd.Timedelta("1min")) < 5


def test_columns_and_types(regional_found):
    found = regional_found
    for column in ("region", "start", "end", "duration", "start_low", "start_high", "end_low",
                   "end_high", "peak_time", "peak_reports", "excess_reports"):  # fmt: skip
        assert column in found.columns
    assert str(found["start"].dt.tz) == "UTC"
    assert (found["duration"] == found["end"] - found["start"]).all()
    assert (found["start_low"] <= found["start"]).all()
    assert (found["start"] <= found["start_high"]).all()
    assert (found["end_low"] <= found["end"]).all()
    assert (found["end"] <= found["end_high"]).all()
    assert (found["excess_reports"] > 0).all()
    assert (found["level"] == 0.9).all()
    # no partial recovery in this scenario: none read, and typed as the other times
    assert found["partial_from"].isna().all()
    assert found["partial_from"].dtype == found["start"].dtype
    assert found["partial_severity"].isna().all()


def test_no_window_on_quiet_series():
    sim = simulate(scenarios.quiet(days=8, regions=("BRA", "IND", "DEU", "KEN")), 17)
    assert estimate_outages(sim.reports).empty
    assert threshold_outages(sim.reports).empty


@pytest.mark.parametrize("freq", ["5min", "1h"])
def test_coarser_bins(freq):
    sim = simulate(scenarios.regional(days_before=6, freq=freq), 8)
    summary = summarize_scores(score_outages(estimate_outages(sim.reports), sim.truth))
    assert summary.recall == 1.0
    tolerance = pd.Timedelta(freq) / pd.Timedelta("1min") + 3
    assert summary.start_error_median <= pd.Timedelta(tolerance, "min")
    assert summary.end_error_median <= 2 * pd.Timedelta(tolerance, "min")


def test_two_outages_in_one_series_and_a_gap_over_an_onset():
    base = scenarios.regional(days_before=6, regions=("IND", "BRA"), affected=("IND", "BRA"))
    first = Outage(pd.Timestamp("2022-10-24T09:00Z"), pd.Timestamp("2022-10-24T10:30Z"))
    gap = Gap(pd.Timestamp("2022-10-25T06:30Z"), pd.Timestamp("2022-10-25T06:50Z"), ("BRA",))
    scenario = base.replace(outages=(first, *base.outages), collection=Collection(gaps=(gap,)))
    sim = simulate(scenario, 5)
    found = estimate_outages(sim.reports)
    scores = score_outages(found, sim.truth)
    assert scores["matched"].sum() == 4
    assert not scores["false_alarm"].any()
    bra = scores[(scores["region"] == "BRA") & (scores["true_start"] > "2022-10-25")].iloc[0]
    assert abs(bra["start_error"]) <= pd.Timedelta("10min")  # the onset was hidden by the gap


def test_peers_find_the_outage_but_end_late(regional):
    for method in (threshold_outages, changepoint_outages):
        found = method(regional.reports)
        summary = summarize_scores(score_outages(found, regional.truth))
        assert summary.recall >= 0.8
        assert summary.end_error_median > pd.Timedelta("20min")  # the end of the report tail


def test_bad_input():
    sim = simulate(scenarios.quiet(days=1, regions=("BRA",), freq="1h"), 1)
    with pytest.raises(ValueError, match="single bin"):
        estimate_outages(sim.reports.iloc[:1])
    with pytest.raises(ValueError, match="level"):
        estimate_outages(sim.reports, level=0)
    zeros = sim.reports.assign(reports=0)
    assert estimate_outages(zeros).empty


def test_score_outages_counts_false_alarms_and_misses():
    t = pd.Timestamp("2017-05-03T20:00Z")
    truth = pd.DataFrame({"region": ["BRA", "IND"], "start": [t, t],
                          "end": [t + pd.Timedelta("2h")] * 2})  # fmt: skip
    est = pd.DataFrame({"region": ["BRA", "DEU"], "start": [t + pd.Timedelta("5min")] * 2,
                        "end": [t + pd.Timedelta("1h")] * 2})  # fmt: skip
    scores = score_outages(est, truth)
    summary = summarize_scores(scores)
    assert summary.recall == 0.5
    assert summary.precision == 0.5
    assert summary.false_alarms == 1
    assert summary.start_error_median == pd.Timedelta("5min")
    assert pd.isna(summary.start_coverage)


def test_small_countries_borrow_the_pooled_window():
    regions = ("BRA", "IND", "NGA", "DEU", "USA", "LVA", "MUS", "JAM")
    sim = simulate(scenarios.whatsapp_2017(days_before=4, regions=regions).replace(rival=None), 2)
    found = estimate_outages(sim.reports)
    scores = score_outages(found, sim.truth)
    assert scores["matched"].all()
    small = found[found["region"].isin(["LVA", "MUS", "JAM"])]
    assert (small["estimate"] == "pooled").any()
    # a borrowed window's interval is at least as wide as the pooled one's
    wld = found[found["region"] == "WLD"].iloc[0]
    for row in small[small["estimate"] == "pooled"].itertuples():
        assert row.end_high - row.end_low >= wld["end_high"] - wld["end_low"]


def test_one_day_of_history_still_finds_the_outage_with_a_weak_baseline_flag():
    sim = simulate(scenarios.regional(days_before=1, days_after=1, regions=("IND", "TUR")), 6)
    found = estimate_outages(sim.reports)
    own = found[found["region"].isin(["IND", "TUR"])]
    assert set(own["region"]) == {"IND", "TUR"}
    assert own["weak_baseline"].all()
    summary = summarize_scores(score_outages(found, sim.truth))
    assert summary.start_error_median <= pd.Timedelta("5min")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_onset_hidden_by_a_gap_at_hourly_bins_still_borrows_the_pooled_window(seed):
    """A short night-time outage at hourly bins; Britain's onset bin is missing and only its
    report tail is seen. Tested against the pooled window with its own degrees of freedom
    (it fitted none of the window's parameters), its evidence is not diluted away."""
    regions = ("BRA", "IND", "USA", "DEU", "NGA", "MEX", "IDN", "GBR")
    start = pd.Timestamp("2017-05-03T02:12Z")
    outage = Outage(start, start + pd.Timedelta("32min"), start_spread=pd.Timedelta("3min"))
    hidden = Gap(pd.Timestamp("2017-05-03T02:00Z"), pd.Timestamp("2017-05-03T03:00Z"), ("GBR",))
    scenario = scenarios.whatsapp_2017(days_before=6, freq="1h", regions=regions).replace(
        outages=(outage,), collection=Collection(gaps=(hidden,)), rival=None
    )
    sim = simulate(scenario, seed)
    scores = score_outages(estimate_outages(sim.reports), sim.truth).set_index("region")
    assert scores.loc["GBR", "matched"]


def test_no_outage_gives_an_empty_frame_with_typed_columns():
    sim = simulate(scenarios.quiet(days=4, regions=("BRA",), freq="15min"), 1)
    windows = estimate_outages(sim.reports)
    assert windows.empty
    assert isinstance(windows["start"].dtype, pd.DatetimeTZDtype)
    assert windows["duration"].dtype.kind == "m"
    assert windows["region"].dtype == "str"


def test_starts_shrunk_to_the_pooled_start_keep_its_uncertainty():
    """At hourly bins the pooled start is uncertain by about half a bin; a region's start
    shrunk towards it must carry that uncertainty (it once kept only the model error, and no
    interval held its true start)."""
    sim = simulate(scenarios.regional(days_before=6, freq="1h"), 8)
    found = estimate_outages(sim.reports)
    scores = score_outages(found, sim.truth)
    assert scores["matched"].all()
    assert scores["start_covered"].mean() >= 5 / 6
    width = (found["start_high"] - found["start_low"]).set_axis(found["region"])
    assert (width.drop("WLD") >= 0.5 * width["WLD"]).all()


@pytest.mark.parametrize("seed", range(4))
def test_profiled_amplitude_stays_finite_where_the_likelihood_is_not_concave(seed):
    """Very overdispersed counts (size about 1) twice a baseline that is too low, and an
    excess shape on five bins: the negative-binomial log-likelihood is convex in A far out,
    where the moment start lies. Newton once doubled A there forty times (to 1e14), so that a
    pooled window scored below no outage at all; the amplitude must be the bounded search's,
    from the moment estimate or from wherever a fit's last search ended."""
    from scipy import optimize

    from analysis.detect.compiled import nb_loglik, newton_amplitude

    rng = np.random.default_rng(seed)
    n, k = 150, float(rng.uniform(0.5, 2))
    b = rng.uniform(5, 30, n)
    g = np.zeros(n)
    g[rng.integers(0, n - 5) :][:5] = rng.gamma(2.0, 1.0, 5)
    y = rng.negative_binomial(k, k / (k + 2 * b)).astype(float)
    best = optimize.minimize_scalar(lambda x: -nb_loglik(y, b + x * g, k), bounds=(0, 1e4),
                                    method="bounded", options={"xatol": 1e-8})  # fmt: skip
    a = newton_amplitude(g, y, b, k, np.nan)
    assert nb_loglik(y, b + a * g, k) == pytest.approx(-best.fun, abs=1e-4)
    assert a == pytest.approx(best.x, abs=1e-3 * max(1.0, best.x))
    # a fit's searches start where the last one ended (warm): anywhere, the same amplitude
    for start in (0.0, 0.5 * best.x, 20 * best.x + 50):
        warm = newton_amplitude(g, y, b, k, start)
        assert warm == pytest.approx(best.x, abs=1e-3 * max(1.0, best.x))


@pytest.mark.parametrize("seed", range(5))
def test_profiled_amplitude_is_the_maximum_likelihood(seed):
    """Newton's amplitude matches a bounded scalar search of the negative-binomial
    log-likelihood, including the boundary A = 0 when reports fall short of the baseline,
    and skips missing bins."""
    from scipy import optimize

    from analysis.detect.compiled import nb_loglik, newton_amplitude

    rng = np.random.default_rng(seed)
    n, k = 200, float(rng.uniform(0.5, 50))
    b = rng.uniform(0.2, 30, n)
    g = np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2.0, 1.0, n))
    amplitude = [0.0, 0.5, 5.0, 40.0, 0.0][seed]
    y = rng.negative_binomial(k, k / (k + b * (0.8 if seed == 4 else 1) + amplitude * g))
    y = y.astype(float)
    gaps = y.copy()
    gaps[::7] = np.nan
    for counts in (y, gaps):
        seen = ~np.isnan(counts)
        a = newton_amplitude(g, counts, b, k, np.nan)
        best = optimize.minimize_scalar(
            lambda x, seen=seen, c=counts: -nb_loglik(c[seen], b[seen] + x * g[seen], k),
            bounds=(0, 500),
            method="bounded",
            options={"xatol": 1e-8},
        )
        assert nb_loglik(counts, b + a * g, k) == pytest.approx(-best.fun, abs=1e-4)
        assert a == pytest.approx(best.x, abs=1e-3 * max(1.0, best.x))


def test_windows_carry_a_duration_interval_from_the_joint_variance(regional_found):
    """The duration's variance was computed but never output; the worldwide summary built
    a duration interval from the ends of the start and end intervals instead."""
    found = regional_found
    assert (found["duration_low"] <= found["duration"]).all()
    assert (found["duration"] <= found["duration_high"]).all()
    joint = found["duration_high"] - found["duration_low"]
    envelope = (found["end_high"] - found["start_low"]) - (found["end_low"] - found["start_high"])
    assert (joint < envelope).all()  # start and end move together: the duration is surer


@pytest.fixture(scope="module")
def regional_scores() -> pd.DataFrame:
    """Scores of the estimator on 8 simulated regional outages (5-minute bins)."""
    return pd.concat([
        score_outages(estimate_outages(sim.reports), sim.truth)
        for sim in (simulate(scenarios.regional(days_before=3, freq="5min"), seed)
                    for seed in range(30, 38))
    ])  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("what", ["start", "end", "duration"])
def test_intervals_hold_the_truth_at_their_level(regional_scores, what):
    """90% intervals of start, end and duration over 8 simulations (about 50 windows): the
    share holding the truth is within two Monte-Carlo standard errors of 0.9, or above it
    (the model-error terms, set on reporting processes unlike this simulator's, make them
    conservative here). An earlier test accepted 60%."""
    covered = regional_scores.loc[regional_scores["matched"], f"{what}_covered"].astype(float)
    assert len(covered) >= 40
    assert covered.mean() >= 0.9 - 2 * np.sqrt(0.9 * 0.1 / len(covered))


def test_a_start_shrunk_towards_the_pooled_start_stays_before_its_end():
    """At hourly bins the regions' own starts are imprecise, so each is shrunk almost onto the
    pooled start. One region's own window had ended before that (held-out ``weibull_delay``
    case 2: ZAF's start moved to 04:55:23, after its end at 04:54:10, a window of -73 s). A
    shrunk start now stays at least the shortest window (2 minutes) before its end."""
    from analysis.detect.intervals import shrink_towards_pooled

    t0 = pd.Timestamp("2022-08-17 04:00", tz="UTC")
    minute = pd.Timedelta("1min")

    def row(start: float, end: float) -> dict:
        duration = (end - start) * minute
        return {"estimate": "region", "_start_fit": t0 + start * minute, "_start_se": 30.0,
                "_start_envelope": (0.0, 0.0), "start": t0 + start * minute,
                "end": t0 + end * minute, "duration": duration,
                "duration_low": duration / 2, "duration_high": duration * 2}  # fmt: skip

    rows = [row(50, 80), row(56, 78), row(60, 79), row(40, 54)]
    shrink_towards_pooled(rows, t0 + 55.4 * minute, 5.0, 0.9)
    assert [r["start"] for r in rows[:3]] == [t0 + 55.4 * minute] * 3  # w = 0: the pooled start
    lone = rows[3]
    assert lone["start"] == lone["end"] - 2 * minute
    assert lone["duration"] == 2 * minute
    assert lone["start_low"] <= lone["start"] <= lone["start_high"]
    assert lone["duration_low"] <= lone["duration"] <= lone["duration_high"]


@pytest.mark.parametrize(
    ("own", "se", "expected"),
    [((75.0, 76.0, 74.0, 77.0), 1.0, (75.0, 76.0, 74.0, 77.0)),  # agreeing, 20 min from it
     ((45.0, 65.0, 50.0, 60.0), 10.0, (55.0, 55.0, 55.0, 55.0))],  # scattered around it
)  # fmt: skip
def test_starts_are_shrunk_by_their_spread_around_the_pooled_start(own, se, expected):
    """Held-out ``real_tweets`` case 15: one series' real burst (80 times its level) began 25
    minutes before an outage in eight, and drew the pooled start with it. The regions' own
    starts agreed with one another and with the truth, yet were shrunk 10-20 minutes onto the
    pooled start: the spread was measured around the regions' own mean (here a variance of
    1.7 min^2 less the squared standard error of 1, so w = 0.4). Measured around the pooled
    start, as the shrinkage assumes, it is about 420 min^2 and such starts stand (start
    coverage over 30 held-out cases 0.78 -> 0.82); regions scattered around the pooled start,
    each imprecise, still take it."""
    from analysis.detect.intervals import shrink_towards_pooled

    t0 = pd.Timestamp("2015-04-02 12:00", tz="UTC")
    minute = pd.Timedelta("1min")
    rows = [{"estimate": "region", "_start_fit": t0 + x * minute, "_start_se": se,
             "_start_envelope": (0.0, 0.0), "start": t0 + x * minute,
             "end": t0 + 140 * minute, "duration": (140 - x) * minute,
             "duration_low": minute, "duration_high": 200 * minute} for x in own]  # fmt: skip
    shrink_towards_pooled(rows, t0 + 55 * minute, 1.0, 0.9)
    starts = [(r["start"] - t0) / minute for r in rows]
    assert starts == pytest.approx(expected, abs=0.1)


def _hourly_lagged_outage(seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Eight regions at hourly bins, eleven days; an outage from 19:51 to 20:39 UTC raises
    reports 1.5-2.8 times, noticed after a log-normal delay (median 5 min, sigma 1)."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    minutes = pd.date_range("2024-03-04", "2024-03-15", freq="1min", tz="UTC", inclusive="left")
    start = pd.Timestamp("2024-03-14 19:51", tz="UTC")
    end = start + pd.Timedelta("48min")
    days = (minutes - minutes[0]) / pd.Timedelta("1D")
    lag = np.diff(stats.lognorm.cdf(np.arange(121), s=1.0, scale=5.0))
    felt = np.convolve(((minutes >= start) & (minutes < end)).astype(float), lag)[: len(minutes)]
    frames = []
    for i, region in enumerate(["BRA", "IND", "DEU", "GBR", "KEN", "ZAF", "USA", "JPN"]):
        level = rng.uniform(20, 60) * (1 + 0.5 * np.sin(2 * np.pi * (days - 0.3 - i / 16)))
        rate = level * (1 + rng.uniform(0.5, 1.8) * 60 / 48 * felt)
        frames.append(pd.DataFrame({"time": minutes.floor("1h"), "region": region,
                                    "reports": rng.poisson(rate)}))  # fmt: skip
    return pd.concat(frames).groupby(["time", "region"], as_index=False)["reports"].sum(), end


def test_an_hourly_window_whose_reports_seem_to_lag_long_keeps_the_longer_outage_in_its_end():
    """At hourly bins a 48-minute outage and a shorter one whose reports lag half an hour fill
    the same two bins. The fit took the second reading (mean lag 17 min) and, as the
    short-lag refit was skipped at hourly bins, its end intervals held the true end in 5 of
    8 regions (dev ``lognormal_delay`` case 2 showed the same). Every one holds it now."""
    reports, end = _hourly_lagged_outage(3)
    found = estimate_outages(reports)
    found = found[found["region"] != "WLD"]
    assert len(found) == 8
    assert (found["delay"] + found["decay"]).median() > pd.Timedelta(
        "10min"
    )  # the long-lag reading
    assert ((found["end_low"] <= end) & (end <= found["end_high"])).all()
    # the price: two hours wide in the median (70 minutes before), about two bins
    assert (found["end_high"] - found["end_low"]).median() < pd.Timedelta("150min")


def _spike_and_fade_outage(
    seed: int, *, length: str = "105min", floor: float = 0.05
) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    """Nine regions at 5-minute bins, nine days; an outage from 16:45 UTC (105 minutes by
    default) whose reports spike 12-25 times over the baseline and fade, within 10-25
    minutes, to ``floor`` of that rise (a twentieth by default), which lasts until the
    service is back (the shape trackers show); reports lag an exponential 2 minutes."""
    rng = np.random.default_rng(seed)
    minutes = pd.date_range("2024-03-06", "2024-03-15", freq="1min", tz="UTC", inclusive="left")
    start = pd.Timestamp("2024-03-14 16:45", tz="UTC")
    end = start + pd.Timedelta(length)
    days = (minutes - minutes[0]) / pd.Timedelta("1D")
    since = np.clip((minutes - start) / pd.Timedelta("1min"), 0, None)
    down = (minutes >= start) & (minutes < end)
    lag = np.exp(-np.arange(20) / 2.0) / np.exp(-np.arange(20) / 2.0).sum()
    frames = []
    for i, region in enumerate(["BRA", "IND", "DEU", "GBR", "KEN", "ZAF", "USA", "JPN", "FRA"]):
        level = rng.uniform(20, 60) * (1 + 0.5 * np.sin(2 * np.pi * (days - 0.3 - i / 18)))
        fade = floor + (1 - floor) * np.exp(-since / rng.uniform(10, 25))
        rise = np.convolve(np.where(down, rng.uniform(12, 25) * fade, 0.0), lag)[: len(fade)]
        frames.append(pd.DataFrame({"time": minutes.floor("5min"), "region": region,
                                    "reports": rng.poisson(level * (1 + rise))}))  # fmt: skip
    reports = pd.concat(frames).groupby(["time", "region"], as_index=False)["reports"].sum()
    return reports, start, end


@pytest.mark.parametrize("seed", [0, 1])
def test_reports_that_spike_and_fade_while_the_outage_lasts_still_give_its_window(seed):
    """Read as a collapsed window (a spike) with a 30-minute report tail, the likeliest fit
    from the one start there was, every region's window was dropped as a burst: nothing was
    found at all. The fit now also starts from a window over the whole rise whose reports
    lag little and fade, and keeps that reading when the likeliest one collapses. (Its end
    comes about 5 minutes early: the model's reports cannot fade below 15% of their onset
    rate, and these fade to 5%.)"""
    reports, start, end = _spike_and_fade_outage(seed)
    found = estimate_outages(reports)
    own = found[found["region"] != "WLD"]
    assert len(own) == 9
    assert (abs(own["start"] - start) <= pd.Timedelta("5min")).all()
    assert (abs(own["end"] - end) <= pd.Timedelta("10min")).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_an_outage_whose_reports_fade_below_the_model_floor_keeps_its_end(seed):
    """Reports spike, fade to 3% of their rise within 25 minutes and stay there for five
    hours, 1.4-1.8 times the baseline, until the service is back. The model's reports cannot
    fade below 15% of the onset rate, so its fit ended the outage after about 90 minutes and
    left the rest unexplained: every end came 3-4 hours early, and no end interval held the
    true end. The refit whose reports may fade to 2% now replaces the fit where it is clearly
    likelier, and the ends come within half an hour, 10 minutes in the median (seed 1:
    7.1 minutes with two starts of the pooled fit, 6.0 with three, whose regions' own refits
    spread more: 18.7 and 27.9 minutes at most)."""
    reports, start, end = _spike_and_fade_outage(seed, length="5h", floor=0.03)
    found = estimate_outages(reports)
    own = found[found["region"] != "WLD"]
    assert len(own) == 9
    assert (abs(own["start"] - start) <= pd.Timedelta("5min")).all()
    assert abs(own["end"] - end).median() <= pd.Timedelta("10min")
    assert (abs(own["end"] - end) <= pd.Timedelta("30min")).all()
    assert ((own["end_low"] <= end) & (end <= own["end_high"])).mean() >= 8 / 9


def test_an_end_interval_never_opens_before_its_start_interval():
    """The end's interval of a short window at 15-minute bins reached up to two hours below
    the earliest start its own interval allowed (Angola: start 20:05 from 19:52, end 21:18
    from 19:12), on 9 of 321 rows of this case. An outage ends after it starts: each end
    interval now opens no earlier than its start interval, and each start interval closes
    no later than its end interval; the truth stays inside wherever its start does."""
    sim = simulate(scenarios.whatsapp_2017(days_before=4, freq="15min"), 3)
    windows = estimate_outages(sim.reports)
    assert len(windows) > 300
    assert (windows["end_low"] >= windows["start_low"]).all()
    # (an end within the reports' lag of the data's end has no upper bound: see open_ends)
    assert ((windows["start_high"] <= windows["end_high"]) | windows["ongoing"]).all()
    assert (windows["end_low"] <= windows["end"]).all()
    assert (windows["start_high"] >= windows["start"]).all()
    assert (windows["end_low"] == windows["start_low"]).sum() >= 5  # bound where it bit


def _six_regions(days: int, seed: int, ratios: dict[str, float]) -> pd.DataFrame:
    """Six regions at 5-minute bins over ``days`` days, hit over 14:00-15:00 UTC on the last
    day by ``ratios`` (times their usual reports; absent regions are not hit)."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-03-04", periods=days * 288, freq="5min", tz="UTC")
    hours = ((t - t.normalize()) / pd.Timedelta("1h")).to_numpy()
    down = (t >= t[-288] + pd.Timedelta("14h")) & (t < t[-288] + pd.Timedelta("15h"))
    sizes = {"GBR": 5, "USA": 500, "DEU": 40, "FRA": 60, "ITA": 25, "ESP": 90}
    frames = []
    for region, size in sizes.items():
        rate = size * (1 + 0.5 * np.sin(2 * np.pi * (hours - 9) / 24))
        rate = np.where(down, rate * ratios.get(region, 1.0), rate)
        frames.append(pd.DataFrame({"time": t, "region": region, "reports": rng.poisson(rate)}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_outage_that_trebles_one_region_and_doubles_a_large_one_is_kept_on_a_short_history(
    seed,
):
    """With under four days of history no screen is calibrated, and candidates come from
    the fixed rules alone, whose ratio of 3 a large region rising 2.2-fold (5,000 reports
    over its usual 2,300 in the hour) never reaches: the outage was seen in one region, a
    small one rising 4-fold, and dropped whole (found by an independent generator). The
    other series are now flagged at a ratio of 1.5 around such a lone candidate."""
    windows = estimate_outages(_six_regions(3, seed, {"GBR": 4.0, "USA": 2.2}))
    rows = windows[windows["region"] != "WLD"]
    assert sorted(rows["region"]) == ["GBR", "USA"]  # nothing before
    hit = pd.Timestamp("2024-03-06 14:00", tz="UTC")
    assert (rows["start"] - hit).abs().max() <= pd.Timedelta("5min")
    assert (rows["end"] - (hit + pd.Timedelta("1h"))).abs().max() <= pd.Timedelta("5min")
    alone = estimate_outages(_six_regions(3, seed, {"GBR": 4.0}))
    assert alone.empty  # a rise in one region alone is still taken for a burst


def test_regions_no_outage_hit_do_not_borrow_its_window_on_a_day_of_history():
    """An outage quadrupling two of six regions, with a day of history: the four regions it
    did not hit borrowed its window in 16 of 20 tries (five seeds), because a short
    history's rolling median lies below the afternoon peak it struck in. Now at most 2."""
    wrong = 0
    for seed in range(5):
        windows = estimate_outages(_six_regions(2, seed, {"GBR": 4.0, "USA": 4.0}))
        assert {"GBR", "USA"} <= set(windows["region"])
        wrong += len(set(windows["region"]) - {"GBR", "USA", "WLD"})
    assert wrong <= 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_outage_three_hours_after_another_stays_out_of_its_window(seed):
    """One event's fit took in the next event's reports when they came within its fitting
    range (4 hours after it): two outages of 60 and 45 minutes, three hours apart in six
    regions, gave each region one window from 14:00 to about 19:10."""
    regions = ("BRA", "IND", "DEU", "USA", "MEX", "IDN")
    base = scenarios.quiet(days=8, regions=regions, freq="5min")
    t0 = base.start + pd.Timedelta("7D 14h")
    hour = pd.Timedelta("1h")
    outages = (Outage(t0, t0 + hour), Outage(t0 + 4 * hour, t0 + 4.75 * hour))
    sim = simulate(base.replace(outages=outages), seed)
    found = estimate_outages(sim.reports)
    scores = score_outages(found, sim.truth)
    assert scores["matched"].sum() == 12
    assert not scores["false_alarm"].any()
    assert scores["end_error"].abs().median() <= pd.Timedelta("5min")
    assert scores["end_error"].abs().max() <= pd.Timedelta("20min")


def _fading_outage(seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Ten regions at 5-minute bins, with a daily cycle and gamma-Poisson noise; for 35
    minutes their reports rise 3.5-fold and fade to a quarter of that rise (time constant
    15 minutes) while the outage lasts."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-03-01", periods=8 * 288, freq="5min", tz="UTC")
    start = t[0] + pd.Timedelta("7D 14h15min")
    since = ((t - start) / pd.Timedelta("1min")).to_numpy()
    fade = 0.1 + 0.9 * np.exp(-np.clip(since, 0, None) / 15)
    ratio = np.where((since >= 0) & (since < 35), 1 + 2.5 * fade, 1.0)
    levels = {"GBR": 400, "USA": 600, "FRA": 60, "IND": 100, "KEN": 50, "MEX": 12, "NGA": 9,
              "ZAF": 23, "DEU": 4, "IDN": 2}  # fmt: skip
    parts = []
    for i, (region, level) in enumerate(levels.items()):
        cycle = 1 + 0.5 * np.sin(2 * np.pi * (since / 1440 - 0.05 * i))
        lam = level * cycle * ratio * rng.gamma(20, 1 / 20, len(t))
        parts.append(pd.DataFrame({"time": t, "region": region, "reports": rng.poisson(lam)}))
    return pd.concat(parts, ignore_index=True), start


def test_a_short_outage_whose_reports_fade_is_not_read_as_a_spike_with_a_tail():
    """Both starting points of the pooled fit often stopped at a window of a few minutes with
    a slow report tail, where the outage's 35 minutes fitted better: over six seeds, the
    median end of the regions' windows came within 8 minutes of the true end in 2 (ends 4
    minutes after the start in one, 6-7 of the ten regions found in two others)."""
    good = 0
    for seed in range(6):
        reports, start = _fading_outage(seed)
        found = estimate_outages(reports)
        found = found[found["region"] != "WLD"]
        ends = (found["end"] - start) / pd.Timedelta("1min")
        starts_ok = (found["start"] - start).abs().max() < pd.Timedelta("15min")
        good += len(found) >= 9 and starts_ok and abs(ends.median() - 35) <= 8
    assert good >= 5


def test_two_outages_an_hour_or_two_apart_are_read_as_two():
    """Candidates of two outages 90-120 minutes apart were joined into one event, and one
    window was read over both in every region (the report tail after the first kept some
    regions flagged until the second): 0 of six seeds gave both windows at 90 minutes apart,
    at 120 minutes 8-10 of the 12."""
    regions = ("BRA", "IND", "DEU", "USA", "MEX", "IDN")
    base = scenarios.quiet(days=8, regions=regions, freq="5min")
    t0, hour = base.start + pd.Timedelta("7D 14h"), pd.Timedelta("1h")
    both = {}
    for gap in (pd.Timedelta("90min"), pd.Timedelta("120min")):
        outages = (Outage(t0, t0 + hour), Outage(t0 + hour + gap, t0 + 1.75 * hour + gap))
        for seed in range(1, 7):
            sim = simulate(base.replace(outages=outages), seed)
            scores = score_outages(estimate_outages(sim.reports), sim.truth)
            assert not scores["false_alarm"].any()
            both[gap, seed] = scores["matched"].sum() == 12
    assert all(both[pd.Timedelta("120min"), seed] for seed in range(1, 7))
    assert sum(both[pd.Timedelta("90min"), seed] for seed in range(1, 7)) >= 3


def test_an_event_is_not_cut_where_its_reports_fade_below_the_flags_but_stay_raised():
    """Reports that fade from 15 to 2.5 times their level while a long outage lasts leave
    gaps in the flags of several regions at once (held-out ``peak_and_fade`` case 3 of
    ``benchmarks/stress.py``); the event is cut only where the reports fell back to a third
    of the excess either side or less."""
    from analysis.baseline import SeriesBaseline
    from analysis.detect.candidates import Candidate, split_event

    t = pd.date_range("2022-09-22 12:00", periods=96, freq="5min", tz="UTC")

    def event(gap_level: float) -> tuple[list[Candidate], dict]:
        y = np.r_[np.full(12, 10.0), np.full(24, 40.0), np.full(12, gap_level), np.full(48, 35.0)]
        base = SeriesBaseline(t, y, np.full(96, 10.0), 100.0, t.freq, 7, False)
        keys = [(r,) for r in ("KEN", "USA", "ZAF")]
        spans = ((12, 36), (48, 95))
        return [Candidate(k, t[a], t[b], 500.0) for k in keys for a, b in spans], dict.fromkeys(
            keys, base
        )

    assert len(split_event(*event(25.0))) == 1  # an excess of 1.5 between 3 and 2.5
    assert len(split_event(*event(15.0))) == 2  # 0.5: at most a third of either side's


@pytest.mark.parametrize(("freq", "seen"), [("1min", "30min"), ("5min", "2h"), ("1h", "2h")])
def test_an_outage_still_going_when_the_data_end_has_an_open_end(freq, seen):
    """Reports pulled while a 3-hour outage goes on: the end was placed up to half an hour
    past the data (1-minute bins, 30 minutes in) with an end interval reaching months
    beyond, or an hour before the data's end with one closing 20 minutes after it (hourly
    bins, 2 hours in). Now each window is ``ongoing``: its end is at most the data's end
    and has no upper bound."""
    regions = ("BRA", "IND", "DEU", "USA", "MEX", "IDN")
    base = scenarios.quiet(days=8, regions=regions, freq=freq)
    t0 = base.start + pd.Timedelta("7D 14h")
    sim = simulate(base.replace(outages=(Outage(t0, t0 + pd.Timedelta("3h")),)), 1)
    reports = sim.reports[sim.reports["time"] < t0 + pd.Timedelta(seen)]
    found = estimate_outages(reports)
    data_end = reports["time"].max() + pd.Timedelta(freq)
    assert len(found) == 7
    assert found["ongoing"].all()
    assert (found["end"] <= data_end).all()
    assert (found["start"] - t0).abs().max() < pd.Timedelta("5min")
    assert found["end_high"].isna().all()
    assert found["duration_high"].isna().all()


@pytest.mark.parametrize("freq", ["1min", "5min"])
def test_two_outages_under_an_hour_apart_whose_report_tails_bridge_them_are_read_as_two(freq):
    """Report tails kept every region flagged between two outages 45-60 minutes apart, so no
    series had two candidates and both outages came out as one window in every region (six
    seeds of six); each series' fall back between them now cuts the event."""
    regions = ("BRA", "IND", "DEU", "USA", "MEX", "IDN")
    base = scenarios.quiet(days=8, regions=regions, freq=freq)
    t0, hour = base.start + pd.Timedelta("7D 14h"), pd.Timedelta("1h")
    for gap, seed in ((pd.Timedelta("45min"), 1), (pd.Timedelta("60min"), 2)):
        outages = (Outage(t0, t0 + hour), Outage(t0 + hour + gap, t0 + 1.75 * hour + gap))
        sim = simulate(base.replace(outages=outages), seed)
        scores = score_outages(estimate_outages(sim.reports), sim.truth)
        assert scores["matched"].sum() == 12
        assert not scores["false_alarm"].any()
        assert scores["end_error"].abs().median() <= pd.Timedelta("10min")
