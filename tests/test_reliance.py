"""Market comparison: the statistics, the bookkeeping, and validation on simulations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import (
    compare_markets,
    compare_metrics,
    estimate_outages,
    load_countries,
    regional_impact,
    scenarios,
    simulate,
)
from analysis.impact import one_per_region
from analysis.reliance import SHIFT_COLUMNS, draw_penetrations, measurement_draws

DEVELOPING = ["BRA", "IND", "NGA", "KEN", "IDN", "MEX"]
DEVELOPED = ["DEU", "USA", "FRA", "JPN", "GBR"]


def _table(developing: list[float], developed: list[float]) -> pd.DataFrame:
    return pd.DataFrame({
        "region": DEVELOPING[: len(developing)] + DEVELOPED[: len(developed)],
        "reliance_index": developing + developed,
    })  # fmt: skip


def test_statistics_match_their_definitions():
    x, y = [3.0, 5.0, 4.0, 8.0, 6.0, 7.0], [1.0, 2.0, 4.0, 3.0, 2.5]
    result = compare_markets(_table(x, y), log=False, n_boot=300, n_perm=1000)
    row = result.markets.iloc[0]
    assert row["shift"] == np.median(np.subtract.outer(x, y))
    mw = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert row["mannwhitney_p"] == pytest.approx(mw.pvalue)
    greater = sum(a > b for a in x for b in y)
    less = sum(a < b for a in x for b in y)
    assert row["cliffs_delta"] == pytest.approx((greater - less) / (len(x) * len(y)))
    assert row["shift_low"] <= row["shift"] <= row["shift_high"]
    assert row["median"] == np.median(x)
    assert row["median_reference"] == np.median(y)
    # 462 splits of 11 values < 1000 resamples: scipy enumerates them all (an exact test)
    pooled = np.array(x + y)
    observed = np.median(np.subtract.outer(x, y))
    splits = [np.isin(np.arange(11), c) for c in itertools.combinations(range(11), len(x))]
    hl = np.array([np.median(np.subtract.outer(pooled[m], pooled[~m])) for m in splits])
    exact = 2 * min(np.mean(hl >= observed), np.mean(hl <= observed))
    assert row["permutation_p"] == pytest.approx(exact)


def test_log_scale_gives_a_ratio():
    developed = [1.0, 1.2, 0.9, 1.1, 1.0]
    result = compare_markets(_table([2 * v for v in developed] + [2.0], developed),
                             n_boot=300, n_perm=300)  # fmt: skip
    assert result.ratio == pytest.approx(2.0, rel=0.05)
    low, high = result.ratio_interval
    assert low <= result.ratio <= high


def test_no_difference_gives_a_large_p_value():
    values = [1.0, 1.3, 0.8, 1.1, 0.9, 1.2]
    result = compare_markets(_table(values, values[:5]), n_boot=200, n_perm=500)
    assert result.p_value > 0.5
    assert result.ratio == pytest.approx(1.0, abs=0.1)


def test_unclassified_and_excluded_regions_are_listed():
    table = pd.concat([
        _table([2.0, 3.0, 2.5, 0.0], [1.0, 1.2, float("nan")]),
        pd.DataFrame({"region": ["WLD"], "reliance_index": [2.0]}),
    ], ignore_index=True)  # fmt: skip
    result = compare_markets(table, n_boot=100, n_perm=100)
    assert result.unclassified == ("WLD",)
    reasons = dict(zip(result.excluded["region"], result.excluded["reason"], strict=True))
    assert reasons == {"KEN": "reliance_index not positive (log scale)",
                       "FRA": "reliance_index missing"}  # fmt: skip
    assert result.markets.iloc[0]["n"] == 3
    assert result.markets.iloc[0]["n_reference"] == 2
    assert "unclassified" in str(result)
    assert "KEN" in str(result)


def test_income_groups_and_regression_are_reported():
    result = compare_markets(_table([2.0, 3.0, 2.5, 2.2, 2.8, 3.1], [1.0, 1.2, 0.9, 1.1, 1.3]),
                             n_boot=100, n_perm=100)  # fmt: skip
    assert list(result.income_groups["reference"].unique()) == ["High income"]
    assert list(result.to_frame().columns) == SHIFT_COLUMNS
    assert list(result.regression.index) == ["const", "log_gni_per_capita", "log_penetration"]
    assert result.regression_n == 11
    assert result.regression.loc["log_gni_per_capita", "coef"] < 0  # richer: lower metric
    text = str(result)
    assert "developing vs developed" in text
    assert "HC3" in text
    assert repr(result).startswith("MarketComparison('reliance_index'")


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="no column 'nope'"):
        compare_markets(_table([1.0], [1.0]), metric="nope")
    with pytest.raises(ValueError, match="repeated: \\['BRA', 'DEU'\\]"):
        compare_markets(pd.concat([_table([1.0], [1.0])] * 2), n_boot=10, n_perm=10)


def test_compare_metrics_puts_metrics_side_by_side():
    table = _table([2.0, 3.0, 2.5], [1.0, 1.2]).assign(naive=[1.0, 1.2, 0.9, 1.1, 1.0])
    out = compare_metrics(table, metrics=["naive", "reliance_index"], n_boot=100, n_perm=100)
    assert list(out.index) == ["naive", "reliance_index"]
    assert out.loc["naive", "ratio"] < out.loc["reliance_index", "ratio"]


# --------------------------------------------------------------- validation on simulations
def _comparison(reliance: float, seed: int, *, estimated: bool = False, **options):
    scenario = scenarios.market_contrast(reliance)
    sim = simulate(scenario, seed)
    windows = estimate_outages(sim.reports) if estimated else sim.truth
    impact = regional_impact(sim.reports, windows, users=sim.inputs["users"])
    return compare_markets(impact, seed=seed, **options)


def test_twice_the_reliance_is_recovered_from_estimated_windows():
    result = _comparison(2.0, seed=21, estimated=True, level=0.95)
    low, high = result.ratio_interval
    assert low <= 2.0 <= high
    assert 1.8 <= result.ratio <= 2.2
    assert result.p_value < 0.01


@pytest.mark.slow
def test_twice_the_reliance_is_covered_across_seeds():
    covered = [_comparison(2.0, seed, level=0.95, n_boot=400, n_perm=100).ratio_interval
               for seed in range(20)]  # fmt: skip
    share = np.mean([low <= 2.0 <= high for low, high in covered])
    assert share >= 0.8  # 95% intervals: about 19 of 20


@pytest.mark.slow
def test_equal_reliance_is_called_different_in_about_5_percent_of_seeds():
    """100 seeds: under a true 5% rate, more than 10 rejections has probability ~1%."""
    p_values = [_comparison(1.0, 1000 + s, n_boot=20, n_perm=1000).p_value for s in range(100)]
    assert sum(p < 0.05 for p in p_values) <= 10


# ------------------------------------------------------------------------------ bookkeeping
def test_users_passed_in_count_as_given_not_assumed():
    """Users given to regional_impact are labelled 'given users'; the regression once looked
    for 'given' and counted every such region as an assumed penetration."""
    table = _table([3.0, 2.5, 2.8, 2.0, 2.2, 2.6], [1.4, 1.5, 1.2, 1.0, 1.1])
    given = table.assign(penetration=0.5, penetration_source="given users")
    assert compare_markets(given, n_boot=50, n_perm=50).assumed_penetration == 0
    assumed = table.assign(penetration=0.5, penetration_source="assumed by market")
    assert compare_markets(assumed, n_boot=50, n_perm=50).assumed_penetration == 11


def test_regions_left_out_of_the_regression_are_listed():
    """A region without GNI per capita (Taiwan) or penetration is compared between markets
    but cannot enter the regression; it was once dropped from it without a word."""
    table = _table([3.0, 2.5, 2.8, 2.0, 2.2, 2.6], [1.4, 1.5, 1.2, 1.0, 1.1])
    table = table.assign(penetration=[0.5] * 10 + [np.nan], penetration_source="given")
    table = pd.concat([table, pd.DataFrame({"region": ["TWN"], "reliance_index": [1.3],
                                            "penetration": [0.4],
                                            "penetration_source": ["given"]})])  # fmt: skip
    result = compare_markets(table, n_boot=50, n_perm=50)
    assert result.regression_n == 10
    reasons = dict(zip(result.excluded["region"], result.excluded["reason"], strict=True))
    assert reasons == {
        "GBR": "regression only: no penetration",
        "TWN": "regression only: no gni_per_capita_usd",
    }


def test_the_regression_keeps_penetration_off_both_sides():
    """A metric per service user divides by users = internet users x penetration; regressed
    on penetration it once carried a built-in slope of -1 (any error in an assumed
    penetration shows as reliance). Here excess per internet user grows as penetration**0.5,
    so the per-user metric falls as penetration**-0.5; the regression takes the metric per
    internet user and recovers the elasticity 0.5 (and the per-user one, 0.5 - 1)."""
    rng = np.random.default_rng(4)
    penetration = rng.uniform(0.1, 0.9, 11)
    gni = pd.Series(load_countries().set_index("iso3")["gni_per_capita_usd"]).astype(float)
    regions = DEVELOPING + DEVELOPED
    per_internet_user = 5.0 * penetration**0.5 * gni.reindex(regions).to_numpy() ** -0.3
    table = pd.DataFrame({"region": regions, "penetration": penetration,
                          "penetration_source": "published",
                          "reliance_index": per_internet_user / penetration})  # fmt: skip
    result = compare_markets(table, n_boot=50, n_perm=50)
    assert result.regression.loc["log_penetration", "coef"] == pytest.approx(0.5, abs=1e-9)
    assert result.regression.loc["log_gni_per_capita", "coef"] == pytest.approx(-0.3, abs=1e-9)
    assert result.regression_response == "log(reliance_index x penetration): per internet user"


def _measured(users_source: list[str]) -> pd.DataFrame:
    """Four regions measured with known spreads: excess 100 +- 10, users 10 M (range 5-40 M,
    asymmetric about the estimate), at the 90% level."""
    return pd.DataFrame({
        "region": ["BRA", "IND", "DEU", "FRA"], "market": ["developing"] * 2 + ["developed"] * 2,
        "excess_reports": 100.0, "excess_se": 10.0, "users": 10e6, "users_low": 5e6,
        "users_high": 40e6, "penetration_source": users_source, "level": 0.9,
        "reliance_index": [3.0, 3.0, 1.0, 1.0],
    })  # fmt: skip


def test_measurement_draws_reach_the_ends_of_each_range_at_their_level():
    """A per-user figure divided by users at the low end of their range (half the estimate)
    doubles: the draws must put 5% of their mass beyond it, and 5% beyond a quarter (users
    at 40 M); the excess alone moves the figure by its own relative error."""
    table = _measured(["published"] * 4)
    draws = measurement_draws(table, "reliance_index", 40_000, np.random.default_rng(1))
    tolerance = 3 * np.sqrt(0.05 * 0.95 / 40_000) + 0.005  # the excess blurs the ends a little
    assert np.mean(draws[:, 0] > np.log(2)) == pytest.approx(0.05, abs=tolerance)
    assert np.mean(draws[:, 0] < np.log(0.25)) == pytest.approx(0.05, abs=tolerance)
    excess_only = measurement_draws(table, "excess_ratio", 40_000, np.random.default_rng(1))
    assert excess_only.std(axis=0) == pytest.approx(np.full(4, 0.1), rel=0.03)


def test_modelled_user_bases_share_only_the_model_mean_part():
    """With the market model, regions resting on it share only the uncertainty of its mean
    (``penetration_shared``, e.g. 1 / (n + 1) for n published countries): their draws
    correlate by that much, and each keeps its full spread."""
    table = _measured(["assumed by market"] * 2 + ["published"] * 2)
    table["market"] = "developing"
    table["penetration_shared"] = [0.25, 0.25, 0.0, 0.0]
    draws = measurement_draws(table.assign(excess_se=0.0), "reliance_index", 40_000,
                              np.random.default_rng(3))  # fmt: skip
    e = np.column_stack([np.where(d < 0, d / np.log(2), d / np.log(4)) for d in -draws.T])
    assert np.corrcoef(e[:, 0], e[:, 1])[0, 1] == pytest.approx(0.25, abs=0.03)
    assert e[:, 0].std() == pytest.approx(1 / 1.645, rel=0.03)
    assert abs(np.corrcoef(e[:, 0], e[:, 2])[0, 1]) < 0.03


def test_user_bases_from_one_assumption_move_together():
    """Regions whose penetration rests on one market's assumption share its error (if the
    share assumed for developing markets is wrong, it is wrong for all of them); published
    ones move independently; users given by the caller do not move."""
    table = _measured(["assumed by market"] * 2 + ["published", "given users"])
    table["users_low"] = table["users_low"].where(table.index != 3, 10e6)
    table["users_high"] = table["users_high"].where(table.index != 3, 10e6)
    draws = measurement_draws(table.assign(excess_se=0.0), "reliance_index", 5000,
                              np.random.default_rng(2))  # fmt: skip
    assert np.array_equal(draws[:, 0], draws[:, 1])
    assert abs(np.corrcoef(draws[:, 0], draws[:, 2])[0, 1]) < 0.05
    assert (draws[:, 3] == 0).all()


def test_market_interval_carries_the_measurement_and_says_so():
    """The ratio's interval once came from resampling regions alone, as if every region's
    figure and user base were exact. With the user bases of each market assumed together,
    it must now be wider than the regions-only interval (kept in the *_sampling columns),
    and the same without propagation."""
    rng = np.random.default_rng(3)
    countries = load_countries()
    regions = {m: countries.loc[countries["market"] == m, "iso3"].head(n).tolist()
               for m, n in (("developing", 30), ("developed", 20))}  # fmt: skip
    truth = {"developing": 2.0, "developed": 1.0}
    table = pd.DataFrame([{"region": r, "market": m,
                           "reliance_index": truth[m] * np.exp(rng.normal(0, 0.3))}
                          for m, rs in regions.items() for r in rs])  # fmt: skip
    measured = table.assign(excess_reports=100.0, excess_se=5.0, users=1e6, users_low=0.6e6,
                            users_high=1.4e6, penetration_source="assumed by market",
                            level=0.9)  # fmt: skip
    full = compare_markets(measured, level=0.95, n_boot=1000, n_perm=200, seed=4)
    alone = compare_markets(measured, level=0.95, n_boot=1000, n_perm=200, seed=4,
                            propagate=False)  # fmt: skip
    row, bare = full.markets.iloc[0], alone.markets.iloc[0]
    assert row["ratio"] == bare["ratio"]
    assert (row["ratio_low_sampling"], row["ratio_high_sampling"]) == pytest.approx(
        (bare["ratio_low"], bare["ratio_high"]), rel=0.05
    )
    # two market-wide user errors, each of log-sd 0.20-0.31 (the range 0.6-1.4 about 1 at
    # 90%): the 95% interval of the log ratio grows from about 0.35 wide to about 1.4
    width = np.log(row["ratio_high"] / row["ratio_low"])
    assert width > 2.5 * np.log(bare["ratio_high"] / bare["ratio_low"])
    assert full.propagated
    assert "from the regions alone" in str(full)
    assert not alone.propagated


@pytest.mark.slow
def test_equal_reliance_with_user_bases_unlike_the_assumed_ones():
    """Ten simulations whose true user bases are drawn from the ranges the impact step
    states (countries modelled by one rule sharing its common part), windows estimated,
    users taken from the country table as a user would: the 95% interval that carries the
    user bases holds 1 at its level (at least 8 of 10; the benchmark runs 50), and is wider
    than the one from resampling regions alone."""
    held, wider = [], []
    for seed in range(10):
        scenario = scenarios.market_contrast(1.0)
        penetration = draw_penetrations(scenario.regions, np.random.default_rng(500 + seed))
        sim = simulate(scenario.replace(penetration=penetration), 500 + seed)
        impact = regional_impact(sim.reports, estimate_outages(sim.reports))
        result = compare_markets(one_per_region(impact), level=0.95, n_boot=300, n_perm=300,
                                 seed=seed)  # fmt: skip
        low, high = result.ratio_interval
        held.append(low <= 1.0 <= high)
        row = result.markets.iloc[0]
        wider.append(high / low > row["ratio_high_sampling"] / row["ratio_low_sampling"])
    assert sum(held) >= 8
    assert all(wider)
