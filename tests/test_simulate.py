"""The simulator: validity, determinism, the model's parts, and clear errors for bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import (
    Collection,
    Gap,
    Noise,
    Outage,
    load_reports,
    scenarios,
    simulate,
    validate_reports,
)
from analysis.__main__ import main
from analysis.activity import activity
from analysis.io import write_simulation
from analysis.simulate import region_inputs

CALM = Noise(daily_sd=0, trend_sd=0, bursts_per_day=0)


def _series(sim, region: str, service: str = "whatsapp") -> pd.Series:
    r = sim.reports
    return r[(r["region"] == region) & (r["service"] == service)].set_index("time")["reports"]


@pytest.fixture(scope="module")
def small():
    return simulate(scenarios.whatsapp_2017(days_before=3, regions=("BRA", "IND", "DEU")), 11)


def test_reports_are_a_valid_report_frame(small):
    pd.testing.assert_frame_equal(validate_reports(small.reports), small.reports)
    assert set(small.reports["service"]) == {"whatsapp", "telegram"}
    assert set(small.truth["region"]) == {"BRA", "IND", "DEU"}
    assert "3 outage windows" in repr(small)


def test_same_seed_same_bytes_other_seed_other_data(small, tmp_path):
    again = simulate(small.scenario, 11)
    pd.testing.assert_frame_equal(again.reports, small.reports)
    pd.testing.assert_frame_equal(again.truth, small.truth)
    first = write_simulation(small, tmp_path / "a")
    second = write_simulation(again, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = simulate(small.scenario, 12)
    assert not other.reports["reports"].equals(small.reports["reports"])


def test_a_region_does_not_depend_on_the_others():
    alone = simulate(scenarios.regional(days_before=1, regions=("ITA",)), 5)
    with_others = simulate(scenarios.regional(days_before=1, regions=("ITA", "BRA", "IND")), 5)
    pd.testing.assert_series_equal(_series(alone, "ITA"), _series(with_others, "ITA"))


def test_background_mean_matches_its_parameter():
    scenario = scenarios.quiet(days=14, regions=("BRA", "DEU")).replace(noise=CALM)
    sim = simulate(scenario, 3)
    minutes = pd.date_range(scenario.start, scenario.end, freq="min", inclusive="left")
    for region in ("BRA", "DEU"):
        info = sim.inputs.loc[region]
        mu = info["background_per_min"] * activity(minutes, info["timezone"])
        observed = _series(sim, region).sum()
        expected = mu.sum()
        sd = np.sqrt((mu + mu**2 / CALM.dispersion).sum())
        assert abs(observed - expected) < 4 * sd, (region, observed, expected, sd)
        assert info["background_per_min"] == pytest.approx(info["users"] / 1e6 * 0.03)


@pytest.mark.parametrize("region", ["BRA", "IND", "JPN", "USA", "NGA"])
def test_daily_peak_falls_in_the_local_evening(region):
    scenario = scenarios.quiet(days=14, regions=(region,), freq="15min").replace(noise=CALM)
    sim = simulate(scenario, 4)
    series = _series(sim, region)
    zone = sim.inputs.loc[region, "timezone"]
    by_hour = series.groupby(series.index.tz_convert(zone).hour).mean()
    assert 18 <= by_hour.idxmax() <= 23
    assert by_hour.idxmin() in range(1, 7)  # few reports at night


def test_daylight_saving_moves_the_utc_peak_by_an_hour():
    scenario = scenarios.quiet(days=28, regions=("DEU",), start="2017-03-12", freq="1h")
    sim = simulate(scenario.replace(noise=CALM), 9)
    series = _series(sim, "DEU")
    change = pd.Timestamp("2017-03-26T01:00Z")
    winter = series[series.index < change].groupby(series[series.index < change].index.hour)
    summer = series[series.index >= change].groupby(series[series.index >= change].index.hour)
    assert winter.mean().idxmax() - summer.mean().idxmax() == 1


def test_excess_appears_inside_truth_windows_and_not_outside():
    regions = ("BRA", "IND", "NGA", "DEU", "USA")
    outage = scenarios.whatsapp_2017(days_before=3, regions=regions).replace(noise=CALM)
    calm = outage.replace(outages=())
    sim, control = simulate(outage, 21), simulate(calm, 21)
    tail = 6 * outage.reporting.decay + outage.reporting.delay
    for window in sim.truth.itertuples():
        seen, base = _series(sim, window.region), _series(control, window.region)
        inside = (seen.index >= window.start) & (seen.index < window.end)
        assert seen[inside].sum() > 5 * base[inside].sum(), window.region
        outside = (seen.index < window.start) | (seen.index >= window.end + tail)
        ratio = seen[outside].sum() / base[outside].sum()
        assert ratio == pytest.approx(1, abs=0.05), window.region
        # reports lag the onset: the first minute holds little of the excess
        first = seen.index == window.start
        assert seen[first].sum() < 0.05 * seen[inside].max() * 10


def test_brazil_recovers_about_half_an_hour_later():
    scenario = scenarios.whatsapp_2017(days_before=1, freq="15min", regions=("BRA", "IND", "ARG"))
    sim = simulate(scenario, 2)
    end = sim.truth.set_index("region")["end"]
    assert end["BRA"] - max(end["IND"], end["ARG"]) >= pd.Timedelta("15min")
    assert pd.Timedelta("2h25min") <= sim.truth.set_index("region").loc["BRA", "duration"]


def test_novelty_decay_makes_long_outages_settle():
    base = scenarios.long_outage(days_before=1, regions=("BRA",)).replace(noise=CALM)
    ratios = {}
    for floor in (0.2, 1.0):
        scenario = base.replace(reporting=base.reporting.__class__(novelty_floor=floor))
        sim = simulate(scenario, 8)
        window = sim.truth.iloc[0]
        series = _series(sim, "BRA")
        first = series[window.start : window.start + pd.Timedelta("1h")].sum()
        last = series[window.end - pd.Timedelta("1h") : window.end].sum()
        ratios[floor] = last / first
    assert ratios[0.2] < 0.6 * ratios[1.0]


def test_rival_signups_scale_with_reliance():
    base = scenarios.whatsapp_2017(days_before=1, regions=("BRA",)).replace(noise=CALM)
    excess = {}
    for reliance in (1.0, 3.0):
        sim = simulate(base.replace(reliance={"BRA": reliance}), 6)
        signups = _series(sim, "BRA", "telegram")
        during = signups["2017-05-03T20:00Z":"2017-05-04T02:00Z"].sum()
        day_before = signups["2017-05-02T20:00Z":"2017-05-03T02:00Z"].sum()
        excess[reliance] = during - day_before
    assert excess[3.0] / excess[1.0] == pytest.approx(3.0, rel=0.15)


def test_bins_gaps_and_missing_values():
    collection = Collection(
        missing_rate=0.1,
        gaps_per_region=1,
        gaps=(Gap(pd.Timestamp("2017-05-03T10:00Z"), pd.Timestamp("2017-05-03T13:00Z")),),
    )
    scenario = scenarios.whatsapp_2017(days_before=2, regions=("BRA", "KEN"), freq="15min",
                                       collection=collection)  # fmt: skip
    sim = simulate(scenario, 13)
    reports = sim.reports
    assert (reports["time"].dt.minute % 15 == 0).all()
    per_series = len(pd.date_range(scenario.start, scenario.end, freq="15min", inclusive="left"))
    share_kept = len(reports) / (4 * per_series)
    assert 0.7 < share_kept < 0.9
    hidden = reports[
        (reports["time"] >= "2017-05-03T10:00Z") & (reports["time"] < "2017-05-03T13:00Z")
    ]
    assert hidden.empty
    explicit = sim.gaps["start"] == pd.Timestamp("2017-05-03T10:00Z")
    assert sorted(sim.gaps.loc[explicit, "region"]) == ["BRA", "KEN"]
    validate_reports(reports)


def test_resolution_changes_binning_not_volume():
    totals = {}
    for freq in ("1min", "1h"):
        scenario = scenarios.regional(days_before=2, regions=("IND",), freq=freq)
        totals[freq] = simulate(scenario.replace(noise=CALM), 1).reports["reports"].sum()
    assert totals["1h"] == pytest.approx(totals["1min"], rel=0.03)


def test_whatsapp_2017_story():
    scenario = scenarios.whatsapp_2017()
    inputs = region_inputs(scenario)
    assert inputs["users"].sum() == pytest.approx(1.2e9)
    assert scenario.start <= pd.Timestamp("2017-04-19T00:00Z")
    assert len(inputs) >= 150
    assert set(inputs["continent"]) == {
        "Africa", "Asia", "Europe", "North America", "South America", "Oceania",
    }  # fmt: skip
    assert (inputs["penetration"].dropna() <= 1).all()
    sim = simulate(scenario.replace(start=pd.Timestamp("2017-05-03T12:00Z"), freq="1h"), 1)
    assert set(sim.truth["region"]) == set(inputs.index)
    assert sim.truth["start"].min() == pd.Timestamp("2017-05-03T20:00Z")


def test_other_scenarios():
    long = scenarios.long_outage()
    assert long.outages[0].end - long.outages[0].start == pd.Timedelta("6h1min")
    regional = scenarios.regional()
    assert set(regional.outages[0].regions) < set(regional.regions)
    assert scenarios.quiet().outages == ()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Outage(pd.Timestamp("2017-05-03T22:00Z"), pd.Timestamp("2017-05-03T20:00Z")),
         "must be after"),
        (lambda: scenarios.quiet().replace(end=pd.Timestamp("2017-04-01T00:00Z")),
         "must be after"),
        (lambda: scenarios.quiet(regions=("BRA", "XXX")), r"unknown region codes \['XXX'\]"),
        (lambda: scenarios.quiet().replace(users={"BRA": -5.0}), "users values must be in"),
        (lambda: scenarios.quiet().replace(penetration={"BRA": 1.5}), "penetration"),
        (lambda: Outage(pd.Timestamp("2017-05-03T20:00Z"), pd.Timestamp("2017-05-03T22:00Z"),
                        severity=0), "severity"),
        (lambda: scenarios.quiet(freq="7min"), "freq"),
        (lambda: scenarios.quiet().replace(start=pd.Timestamp("2017-04-19")), "tz-aware"),
        (lambda: Noise(dispersion=0), "dispersion"),
        (lambda: Collection(missing_rate=1.0), "missing_rate"),
        (lambda: scenarios.whatsapp_2017(days_before=0), "days_before"),
    ],
)  # fmt: skip
def test_bad_parameters_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_region_without_reference_values_is_reported():
    countries = __import__("analysis").load_countries()
    countries.loc[countries["iso3"] == "BRA", "internet_share"] = pd.NA
    countries["internet_users"] = countries["population"] * countries["internet_share"] / 100
    with pytest.raises(ValueError, match=r"cannot derive users for \['BRA'\]"):
        region_inputs(scenarios.quiet(regions=("BRA", "IND")), countries)


def test_cli_simulate_writes_files(tmp_path, capsys):
    out = tmp_path / "sim"
    args = ["simulate", "--scenario", "regional", "--seed", "3", "--out", str(out),
            "--days-before", "1", "--freq", "5min", "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert "wrote reports.parquet" in capsys.readouterr().out
    expected = simulate(scenarios.regional(days_before=1, freq="5min"), 3)
    from_csv = load_reports(out / "reports.csv")
    pd.testing.assert_frame_equal(load_reports(out / "reports.parquet"), expected.reports)
    assert from_csv["reports"].sum() == expected.reports["reports"].sum()
    assert (out / "truth.csv").read_text().count("\n") == len(expected.truth) + 1
    assert main([*args[:-1], "--regions", "BRA,XXX"]) == 1
    assert "XXX" in capsys.readouterr().err


def test_propensity_and_activity_shift_are_what_the_impact_step_cannot_see():
    """A region whose users report twice as readily doubles its background and its outage
    reports: the excess per user doubles (read as reliance), the excess ratio does not move.
    A day that runs two hours later moves the evening peak of the reports two hours on."""
    from analysis import regional_impact

    base = scenarios.whatsapp_2017(days_before=3, freq="15min", regions=("BRA", "DEU"))
    plain = simulate(base, 3)
    eager = simulate(base.replace(propensity={"BRA": 2.0}), 3)
    assert eager.inputs.loc["BRA", "background_per_min"] == pytest.approx(
        2 * plain.inputs.loc["BRA", "background_per_min"]
    )
    rows = {name: regional_impact(sim.reports, sim.truth).set_index("region").loc["BRA"]
            for name, sim in (("plain", plain), ("eager", eager))}  # fmt: skip
    per_user = rows["eager"]["excess_per_million_users"] / rows["plain"]["excess_per_million_users"]
    assert per_user == pytest.approx(2.0, rel=0.05)
    # the excess ratio does not move, within the two estimates' own 90% intervals
    se = {name: (row["excess_ratio_high"] - row["excess_ratio_low"]) / (2 * 1.645)
          for name, row in rows.items()}  # fmt: skip
    moved = rows["eager"]["excess_ratio"] - rows["plain"]["excess_ratio"]
    assert abs(moved) <= 1.96 * np.hypot(se["eager"], se["plain"])
    assert abs(moved) / rows["plain"]["excess_ratio"] < 0.1
    late = simulate(base.replace(activity_shift={"DEU": 2.0}), 3)

    def by_hour(sim) -> np.ndarray:
        deu = sim.reports[(sim.reports["region"] == "DEU") & (sim.reports["service"] == "whatsapp")]
        deu = deu[deu["time"] < pd.Timestamp("2017-05-03", tz="UTC")]  # before the outage
        hours = deu["time"].dt.tz_convert("Europe/Berlin").dt.hour
        return deu.groupby(hours)["reports"].sum().reindex(range(24)).to_numpy(float)

    plain_day, late_day = by_hour(plain), by_hour(late)
    lags = [np.corrcoef(np.roll(plain_day, k), late_day)[0, 1] for k in range(24)]
    assert int(np.argmax(lags)) == 2

    with pytest.raises(ValueError, match="activity_shift values must be in"):
        base.replace(activity_shift={"DEU": 13.0})
