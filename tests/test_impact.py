"""Regional impact: excess reports, per-user figures, users, rival uplift, cost, summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import Reporting, estimate_outages, regional_impact, scenarios, simulate
from analysis.activity import activity
from analysis.baseline import region_zone
from analysis.impact import AWAKE_HOURS_PER_DAY, IMPACT_COLUMNS, CostModel, summarize_impact
from analysis.io import load_countries

REGIONS = ("BRA", "IND", "DEU", "USA", "NGA", "IDN")


@pytest.fixture(scope="module")
def sim():
    return simulate(scenarios.whatsapp_2017(days_before=4, freq="5min", regions=REGIONS), seed=5)


@pytest.fixture(scope="module")
def impact(sim):
    return regional_impact(sim.reports, sim.truth, users=sim.inputs["users"])


def test_one_row_per_region_with_every_column(sim, impact):
    assert list(impact.columns) == IMPACT_COLUMNS
    assert sorted(impact["region"]) == sorted(REGIONS)
    assert (impact["duration"] == impact["end"] - impact["start"]).all()


def test_excess_is_observed_minus_expected_and_its_interval_holds_the_truth(sim, impact):
    """The excess equals the simulated outage reports (a run with the outage rate at zero,
    same seed, gives the reports that would have come anyway) within its interval."""
    calm = simulate(sim.scenario.replace(reporting=Reporting(outage_rate=0.0)), seed=5)
    for row in impact.itertuples():
        both = []
        for frame in (sim.reports, calm.reports):
            series = frame[(frame["region"] == row.region) & (frame["service"] == "whatsapp")]
            inside = (series["time"] + pd.Timedelta("5min") > row.start) & (
                series["time"] < row.end + pd.Timedelta("1h")
            )
            both.append(series.loc[inside, "reports"].sum())
        assert row.observed_reports == both[0]
        true_excess = both[0] - both[1]
        assert row.excess_reports == pytest.approx(row.observed_reports - row.expected_reports)
        assert row.excess_low <= true_excess <= row.excess_high, row.region


def test_awake_share_follows_local_time(impact):
    awake = impact.set_index("region")["awake_share"]
    # 20:00-22:15 UTC: afternoon in Brazil and the US east, 01:30-03:45 in India
    assert awake["BRA"] > 0.9
    assert awake["USA"] > 0.9
    assert awake["IND"] < 0.2
    assert awake["IDN"] < 0.2
    assert awake["IND"] < awake["DEU"] < awake["BRA"]


def test_per_user_figures_are_consistent(impact):
    row = impact.set_index("region").loc["BRA"]
    assert row["excess_per_million_users"] == pytest.approx(
        row["excess_reports"] / row["users"] * 1e6
    )
    assert row["excess_per_million_awake"] == pytest.approx(
        row["excess_per_million_users"] / row["awake_share"]
    )
    hours = row["duration"] / pd.Timedelta("1h")
    assert row["reliance_index"] == pytest.approx(
        row["excess_reports"] / (row["users"] / 1e6 * row["mean_activity"] * hours)
    )
    # Brazil's outage ran 17:00-19:00 local: awake user-hours are users x hours x awake share
    assert row["user_hours_exposed"] == pytest.approx(
        row["users"] * hours * row["awake_share"], rel=0.01
    )
    low, high = row["user_hours_exposed_low"], row["user_hours_exposed_high"]
    assert low <= row["user_hours_exposed"] <= high  # users given: no range


def test_activity_adjustment_removes_time_of_day(impact, sim):
    """The naive figure punishes regions asleep during the outage; the adjusted one, divided
    by the simulated reliance, is about the same everywhere."""
    table = impact.set_index("region")
    reliance = sim.inputs["reliance"].reindex(table.index)
    naive = table["excess_per_million_users"] / reliance
    adjusted = table["reliance_index"] / reliance
    assert naive.max() / naive.min() > 4
    assert adjusted.max() / adjusted.min() < 1.6


def test_a_partial_recovery_counts_fewer_active_user_hours(sim):
    """A window read with a partial recovery (the service back for some from ``partial_from``,
    reports at ``partial_severity`` of the outage's) weights each minute's activity by that
    share from then on: with 0.3 over the window's second half, ``mean_activity`` is that
    of the first half plus 0.3 times that of the second, per minute, and the excess, counted
    from the reports, does not move."""
    truth = sim.truth.assign(novelty_floor=1.0, novelty_decay=pd.Timedelta("1h"))
    half = truth["start"] + (truth["end"] - truth["start"]) / 2
    partly = truth.assign(partial_from=half, partial_severity=0.3)
    both = [regional_impact(sim.reports, t, users=sim.inputs["users"]).set_index("region")
            for t in (truth, partly)]  # fmt: skip
    whole, part = both
    for row in truth.itertuples():
        minutes = pd.date_range(row.start, row.end, freq="1min", inclusive="left")
        active = activity(minutes + pd.Timedelta("30s"), region_zone(row.region))
        share = np.where(minutes + pd.Timedelta("30s") >= half[row.Index], 0.3, 1.0)
        assert whole.loc[row.region, "mean_activity"] == pytest.approx(active.mean(), rel=1e-3)
        assert part.loc[row.region, "mean_activity"] == pytest.approx(
            (active * share).mean(), rel=1e-3
        )
    assert (part["excess_reports"] == whole["excess_reports"]).all()
    assert (part["reliance_index"] > whole["reliance_index"]).all()


def test_rival_uplift_present_where_the_rival_is(impact):
    assert (impact["rival_uplift_low"] > 0.5).all()
    assert (impact["rival_uplift_low"] <= impact["rival_uplift"]).all()


def test_no_rival_series_leaves_the_rival_columns_missing(sim):
    only = sim.reports[sim.reports["service"] == "whatsapp"]
    impact = regional_impact(only, sim.truth)
    assert impact["rival_uplift"].isna().all()


def test_cost_follows_the_documented_formula(impact):
    row = impact.set_index("region").loc["DEU"]
    countries = load_countries().set_index("iso3").loc["DEU"]
    model = CostModel()
    daily = countries["gni_per_capita_usd"] * countries["population"] / 365.25
    day_share = row["user_hours_exposed"] / row["users"] / AWAKE_HOURS_PER_DAY
    expected = daily * day_share * model.internet_share["developed"] * model.service_share
    assert row["cost_usd_exposed"] == pytest.approx(expected, rel=1e-9)
    assert row["cost_usd_exposed_low"] < row["cost_usd_exposed"] < row["cost_usd_exposed_high"]


def test_missing_reference_values_are_reported_not_dropped():
    """Taiwan has no GNI in the table: its cost is missing and says why; the row stays."""
    sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min", regions=("TWN", "BRA")),
                   seed=2)  # fmt: skip
    impact = regional_impact(sim.reports, sim.truth).set_index("region")
    assert set(impact.index) == {"TWN", "BRA"}
    assert np.isnan(impact.loc["TWN", "cost_usd_exposed"])
    assert "gni_per_capita_usd" in impact.loc["TWN", "missing_reference"]
    assert impact.loc["BRA", "missing_reference"] == ""
    world = summarize_impact(impact.reset_index())
    assert world.missing_reference == ("TWN",)


def test_outage_rows_naming_absent_regions_are_refused(sim):
    bad = sim.truth.assign(region="FRA")
    with pytest.raises(ValueError, match="without a series"):
        regional_impact(sim.reports, bad)


def test_bad_outage_tables_are_refused(sim):
    with pytest.raises(ValueError, match="lacks the columns"):
        regional_impact(sim.reports, sim.truth.drop(columns=["end"]))
    backwards = sim.truth.assign(end=sim.truth["start"] - pd.Timedelta("1min"))
    with pytest.raises(ValueError, match="end is not after start"):
        regional_impact(sim.reports, backwards)
    with pytest.raises(ValueError, match="several services"):
        regional_impact(sim.reports, sim.truth, rival="signal")


def test_estimated_windows_reproduce_the_2017_story():
    """From estimated windows, on every country: about two hours, six inhabited continents,
    over a billion users, with intervals."""
    sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min"), seed=11)
    windows = estimate_outages(sim.reports[sim.reports["service"] == "whatsapp"])
    impact = regional_impact(sim.reports, windows, users_total=scenarios.WHATSAPP_USERS_MAY_2017)
    world = summarize_impact(impact, windows)
    hours = world.duration / pd.Timedelta("1h")
    assert 1.75 <= hours <= 2.5
    assert world.duration_low <= world.duration <= world.duration_high
    assert set(world.continents) == {"Africa", "Asia", "Europe", "North America", "Oceania",
                                     "South America"}  # fmt: skip
    with_window = impact.drop_duplicates("region")
    assert world.users_exposed == pytest.approx(with_window["users"].sum())
    assert world.users_exposed_low < world.users_exposed < world.users_exposed_high
    assert world.excess_low < world.excess_reports < world.excess_high
    assert "Outage 2017-05-03 " in str(world)
    assert list(world.to_frame().columns) == ["estimate", "low", "high"]


def test_a_region_outside_the_country_table_keeps_its_row_and_says_why(sim):
    """Iceland (under a million people) is not in the table: no users, no market, no cost,
    but its excess reports are measured and the gap is named."""
    reports = sim.reports.assign(region=sim.reports["region"].replace({"DEU": "ISL"}))
    truth = sim.truth.assign(region=sim.truth["region"].replace({"DEU": "ISL"}))
    impact = regional_impact(reports, truth).set_index("region")
    row = impact.loc["ISL"]
    assert row["excess_low"] > 0
    assert row["missing_reference"] == "not in the country table: users"
    assert np.isnan(row["users"])
    assert np.isnan(row["reliance_index"])
    assert pd.isna(row["market"])
    assert len(impact) == len(REGIONS)


def test_world_duration_interval_is_the_pooled_windows_own():
    """summarize_impact once read the duration's interval off the ends of the start and end
    intervals (end_low - start_high .. end_high - start_low), not the duration's variance."""
    regions = ("BRA", "IND", "DEU", "MEX")
    sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min", regions=regions), seed=1)
    windows = estimate_outages(sim.reports)
    world = summarize_impact(regional_impact(sim.reports, windows), windows)
    pooled = windows[windows["region"] == "WLD"].iloc[0]  # the one summarised
    assert world.duration_low == pooled["duration_low"]
    assert world.duration_high == pooled["duration_high"]
    assert world.duration_high - world.duration_low < (
        (pooled["end_high"] - pooled["start_low"]) - (pooled["end_low"] - pooled["start_high"])
    )


def test_missing_bins_inside_a_window_do_not_shrink_the_excess(sim, impact):
    """Bins missing inside a window once added nothing to the excess: a gap over half of
    Brazil's outage halved it. Their excess is now imputed at the window's observed ratio
    (imputed_excess says how much), the observed reports stay those received, and the
    interval widens for what was not seen."""
    window = sim.truth.set_index("region").loc["BRA"]
    reports = sim.reports
    inside = (reports["region"] == "BRA") & (reports["service"] == "whatsapp")
    inside &= reports["time"] >= window["start"] + pd.Timedelta("20min")
    inside &= reports["time"] < window["start"] + pd.Timedelta("80min")
    gap = regional_impact(reports[~inside], sim.truth, users=sim.inputs["users"])
    full = impact.set_index("region").loc["BRA"]
    row = gap.set_index("region").loc["BRA"]
    assert row["missing_bins"] == 12
    assert (
        row["observed_reports"] == full["observed_reports"] - reports.loc[inside, "reports"].sum()
    )
    lost = full["excess_reports"] - (row["excess_reports"] - row["imputed_excess"])
    assert row["imputed_excess"] == pytest.approx(lost, rel=0.35)
    assert row["excess_low"] <= full["excess_reports"] <= row["excess_high"]
    assert row["excess_se"] > full["excess_se"]
    assert (impact["imputed_excess"] == 0).all()  # nothing missing, nothing imputed


@pytest.fixture(scope="module")
def estimated(sim):
    """Windows estimated from the reports (with their intervals) and their impact, users
    from the country table (with their plausible range)."""
    windows = estimate_outages(sim.reports[sim.reports["service"] == "whatsapp"])
    windows = windows[windows["region"] != "WLD"]
    return windows, regional_impact(sim.reports, windows)


def test_excess_interval_carries_the_windows_uncertainty(sim, estimated):
    """The excess interval once ignored the window's uncertainty: the same windows without
    their start and end intervals gave the same interval."""
    windows, impact = estimated
    intervals = ["start_low", "start_high", "end_low", "end_high", "duration_low",
                 "duration_high"]  # fmt: skip
    bare = regional_impact(sim.reports, windows.drop(columns=intervals))
    with_bounds, without = impact.set_index("region"), bare.set_index("region")
    assert (without["excess_se_window"] == 0).all()
    assert (with_bounds["excess_se_window"] > 0).all()
    widths = {name: (t["excess_high"] - t["excess_low"], t["excess_ratio_high"]
                     - t["excess_ratio_low"]) for name, t in (("with", with_bounds),
                                                              ("without", without))}  # fmt: skip
    assert (widths["with"][0] > widths["without"][0]).all()
    assert (widths["with"][1] > widths["without"][1]).all()
    assert with_bounds["excess_reports"].equals(without["excess_reports"])


def test_per_user_intervals_carry_the_user_base_range(estimated):
    """Per-user intervals once came from the excess alone, as if the user base were known:
    Germany's 90% interval of excess per million users left out the figure its own users'
    plausible range gives at the low end. Now each interval holds the figure at both ends
    of the range (with the excess at its estimate)."""
    _, impact = estimated
    rows = impact[impact["excess_low"] > 0]
    assert len(rows) == len(REGIONS)
    assert (rows["users_low"] < rows["users_high"]).all()
    for end in ("users_low", "users_high"):
        at_end = rows["excess_reports"] / rows[end] * 1e6
        assert (rows["excess_per_million_users_low"] <= at_end).all(), end
        assert (at_end <= rows["excess_per_million_users_high"]).all(), end


def total_by_region(reports: pd.DataFrame) -> pd.Series:
    if "service" in reports.columns:
        reports = reports[reports["service"] == "whatsapp"]
    return reports.groupby("region")["reports"].sum()


@pytest.mark.slow
def test_excess_intervals_from_estimated_windows_hold_the_true_excess():
    """90% excess intervals of estimated windows (six regional outages, 5-minute bins) hold
    the simulated outage's reports (those of a run with the outage rate at zero subtracted,
    over the whole series) at their level, within two Monte-Carlo standard errors."""
    covered = []
    for seed in range(40, 46):
        sim = simulate(scenarios.regional(days_before=3, freq="5min"), seed)
        calm = simulate(sim.scenario.replace(reporting=Reporting(outage_rate=0.0)), seed)
        windows = estimate_outages(sim.reports)
        windows = windows[windows["region"] != "WLD"]
        impact = regional_impact(sim.reports, windows)
        true = total_by_region(sim.reports) - total_by_region(calm.reports)
        once = impact["region"].map(impact["region"].value_counts()) == 1  # not split in two
        hit = impact[impact["region"].isin(sim.truth["region"]) & once]
        covered += list((hit["excess_low"] <= true[hit["region"]].to_numpy())
                        & (true[hit["region"]].to_numpy() <= hit["excess_high"]))  # fmt: skip
    assert len(covered) >= 25
    assert np.mean(covered) >= 0.9 - 2 * np.sqrt(0.9 * 0.1 / len(covered))


def test_a_region_with_two_windows_counts_its_users_once(sim):
    """The worldwide users once added every row: a region with two windows (an outage and
    its relapse) counted its users twice. User-hours and excess still add both windows."""
    truth = sim.truth.set_index("region")
    bra = truth.loc["BRA"]
    half = bra["start"] + (bra["end"] - bra["start"]) / 2
    split = pd.concat([
        sim.truth[sim.truth["region"] != "BRA"],
        pd.DataFrame({"region": "BRA", "start": [bra["start"], half + pd.Timedelta("5min")],
                      "end": [half, bra["end"]]}),
    ], ignore_index=True)  # fmt: skip
    impact = regional_impact(sim.reports, split[["region", "start", "end"]])
    world = summarize_impact(impact)
    users = impact.drop_duplicates("region").set_index("region")["users"]
    assert (impact["region"] == "BRA").sum() == 2
    assert world.users_exposed == pytest.approx(users.sum())
    assert world.user_hours_exposed == pytest.approx(impact["user_hours_exposed"].sum())


def test_excess_ratio_does_not_depend_on_the_tail_counted(sim):
    """The excess ratio divides the excess of the window and its report tail by the reports
    expected during the window alone. Dividing by those expected over the tail as well (the
    same span as the excess) would make it shrink with the tail chosen: the tail's lagged
    reports belong to the outage, its normal reports do not."""
    short, long = (regional_impact(sim.reports, sim.truth, tail=t).set_index("region")
                   for t in ("1h", "3h"))  # fmt: skip
    assert np.allclose(long["excess_ratio"], short["excess_ratio"], rtol=0.01)
    same_span = {k: t["excess_reports"] / t["expected_reports"] for k, t in
                 (("short", short), ("long", long))}  # fmt: skip
    assert (same_span["long"] < 0.95 * same_span["short"]).all()  # 6-34% smaller here


def test_the_service_measured_is_checked_not_filtered_to_nothing():
    """Asking for a service the reports do not hold raises, naming those they hold, rather
    than leaving an empty frame in which no outage can be found."""
    from analysis.impact import service_reports

    t = pd.date_range("2017-05-03", periods=3, freq="h", tz="UTC")
    frame = pd.DataFrame({"time": t.repeat(2), "region": "BRA", "reports": [5, 1, 6, 2, 7, 3],
                          "service": ["whatsapp", "telegram"] * 3})  # fmt: skip
    held = r"'whatsap' is not in the reports .*'telegram', 'whatsapp'"
    with pytest.raises(ValueError, match=held):
        service_reports(frame, "whatsap")
    main, service = service_reports(frame, "telegram")
    assert (service, main["reports"].tolist()) == ("telegram", [1, 2, 3])


def test_an_outage_still_going_when_the_data_end_says_its_figures_count_to_there():
    """The window's end has no upper bound (``ongoing``): the regional rows and the world
    summary count the outage up to the data's end, say so in ``omitted`` and print."""
    from analysis import Outage, estimate_outages, scenarios, simulate, summarize_impact
    from analysis.impact.regional import ONGOING

    base = scenarios.quiet(days=8, regions=("BRA", "IND", "DEU", "USA"), freq="5min")
    t0 = base.start + pd.Timedelta("7D 14h")
    sim = simulate(base.replace(outages=(Outage(t0, t0 + pd.Timedelta("3h")),)), 1)
    reports = sim.reports[sim.reports["time"] < t0 + pd.Timedelta("2h")]
    windows = estimate_outages(reports)
    impact = regional_impact(reports, windows)
    assert impact["omitted"].str.contains(ONGOING, regex=False).all()
    assert (impact["end"] <= t0 + pd.Timedelta("2h")).all()
    assert (impact["user_hours_exposed_high"] >= impact["user_hours_exposed"]).all()
    world = summarize_impact(impact, windows)
    assert world.omitted == ONGOING
    assert world.duration_high <= pd.Timedelta("2h15min")  # to the data's end, from start_low
    assert "still going on" in str(world)
