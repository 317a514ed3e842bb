"""The stress benchmark's generator (benchmarks/stress_families.py)."""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import stress_families as sf

NAB = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "nab"
MINUTE = pd.Timedelta("1min")


def _case(family: str, seed: int, freq: str = "1min", quiet: bool | None = False):
    return sf.FAMILIES[family](np.random.default_rng(seed), freq=freq, quiet=quiet)


@pytest.fixture(scope="module")
def real_case():
    if not (NAB / "realTweets").is_dir():
        pytest.skip(f"the NAB Twitter-volume series are not at {NAB / 'realTweets'}")
    return sf.make_case("real_tweets", 28_000, root=NAB)


def _excess(case: sf.StressCase) -> pd.DataFrame:
    frame = case.reports.merge(case.background, on=["time", "region"], validate="1:1")
    return frame.assign(excess=frame["reports"] - frame["background"])


def _sums(frame: pd.DataFrame, row: pd.Series, width: pd.Timedelta) -> tuple[float, float]:
    """Reports and background over the window, each bin weighted by its share inside it."""
    mine = frame[frame["region"] == row["region"]]
    bin_end = mine["time"] + width
    share = (bin_end.clip(upper=row["end"]) - mine["time"].clip(lower=row["start"])) / width
    share = share.clip(lower=0).to_numpy()
    return float(share @ mine["reports"].to_numpy()), float(share @ mine["background"].to_numpy())


@pytest.mark.parametrize(("family", "freq"), [("heavy_noise", "5min"), ("flapping", "1h")])
def test_same_seed_same_case(family, freq):
    a, b = _case(family, 7, freq, None), _case(family, 7, freq, None)
    for name in ("reports", "truth", "background", "nuisance"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.scored_span == b.scored_span
    other = _case(family, 8, freq, None)
    assert not a.reports.equals(other.reports)


def test_report_frame_is_valid_and_spans_sizes():
    case = _case("big_bursts", 3, "5min")
    valid = analysis.validate_reports(case.reports)
    assert len(valid) == len(case.reports)
    assert str(case.reports["time"].dtype) == "datetime64[ns, UTC]"
    assert case.reports["reports"].dtype == np.int64
    assert set(case.reports["region"]) <= set(sf.REGION_ZONES)
    assert 6 <= case.reports["region"].nunique() <= 10
    lo, hi = case.scored_span
    assert pd.Timedelta("1D") <= hi - lo <= pd.Timedelta("2D")
    assert pd.Timedelta("7D") <= lo - case.reports["time"].min() <= pd.Timedelta("10D")
    per_minute = case.background.groupby("region")["background"].mean() / 5
    assert per_minute.min() < 1
    assert per_minute.max() > 30
    # bursts are background: 1-4 a day, and they do raise it (vs the same clock time a day off)
    bursts = case.nuisance[case.nuisance["kind"] == "burst"]
    assert len(bursts) >= 7
    back = case.background.set_index(["region", "time"])["background"].sort_index()
    inside = other = 0
    for row in bursts.itertuples():
        shift = (
            pd.Timedelta("1D")
            if row.start - pd.Timedelta("1D") < lo - pd.Timedelta("7D")
            else -pd.Timedelta("1D")
        )
        inside += back.loc[(row.region, slice(row.start, row.end - MINUTE))].sum()
        other += back.loc[(row.region, slice(row.start + shift, row.end + shift - MINUTE))].sum()
    assert inside > 2 * other


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truth_windows_hold_the_excess(seed):
    case = _case("lognormal_delay", seed)
    frame = _excess(case)
    truth = case.truth
    assert len(truth) > 0
    assert (frame["excess"] >= 0).all()
    outside_regions = frame[~frame["region"].isin(set(truth["region"]))]
    assert outside_regions["excess"].sum() == 0
    for region, windows in truth.groupby("region"):
        mine = frame[frame["region"] == region]
        assert mine.loc[mine["time"] < windows["start"].min(), "excess"].sum() == 0
        near = np.zeros(len(mine), dtype=bool)
        for row in windows.itertuples():
            near |= (mine["time"] >= row.start) & (mine["time"] < row.end + pd.Timedelta("2h"))
            inside = mine[(mine["time"] >= row.start) & (mine["time"] < row.end)]
            assert inside["excess"].sum() > 0
        assert mine.loc[near, "excess"].sum() >= 0.9 * mine["excess"].sum()


def test_clear_means_reports_at_least_double():
    flags = []
    for seed in (1, 2):
        case = _case("lognormal_delay", seed)
        frame = _excess(case)
        for _, row in case.truth.iterrows():
            reports, background = _sums(frame, row, case.freq)
            assert row["clear"] == (reports >= 2 * background and reports > 0)
            assert row["ratio"] == pytest.approx(reports / background)
            flags.append(row["clear"])
    assert any(flags)  # both kinds occur
    assert not all(flags)


def test_end_visible_means_reports_still_stand_out_before_the_end():
    """An end is visible where the excess over the outage's last 30 minutes reaches 5 Poisson
    standard deviations of the background; reports that fade while the outage goes on hide
    some ends."""
    hidden = []
    for seed in range(4):
        case = _case("peak_and_fade", seed, "5min")
        frame = _excess(case)
        for _, row in case.truth.iterrows():
            last = row.copy()
            last["start"] = max(row["start"], row["end"] - 30 * MINUTE)
            reports, background = _sums(frame, last, case.freq)
            excess = reports - background
            assert row["end_visible"] == (excess >= 5 * np.sqrt(background + 1))
            hidden.append(not row["end_visible"])
    assert any(hidden)
    assert not all(hidden)


def test_quiet_case_has_no_outage():
    case = _case("level_shift", 4, "5min", quiet=True)
    assert case.truth.empty
    assert list(case.truth.columns) == sf.TRUTH_COLUMNS
    assert (case.reports["reports"].to_numpy() == case.background["background"].to_numpy()).all()
    loud = _case("level_shift", 4, "5min", quiet=False)
    assert len(loud.truth) > 0


def test_one_region_outages_hit_one_region_each():
    truths = [_case("one_region", seed, "5min", quiet=False).truth for seed in range(6)]
    assert sum(len(t) for t in truths) >= 6
    assert all((t.groupby("event")["region"].size() == 1).all() for t in truths)
    assert {k for t in truths for k in t["kind"]} == {"regional"}


def test_seeds_and_family_sets():
    assert set(sf.DEV_FAMILIES) | set(sf.HELD_OUT_FAMILIES) | set(sf.CHECK_FAMILIES) == set(
        sf.FAMILIES
    )
    assert not set(sf.CHECK_FAMILIES) & (set(sf.DEV_FAMILIES) | set(sf.HELD_OUT_FAMILIES))
    assert set(sf.DEV_FAMILIES) & set(sf.HELD_OUT_FAMILIES) == {"real_tweets"}
    dev = {sf.case_seed(f, i, held_out=False) for f in sf.FAMILIES for i in range(999)}
    held = {sf.case_seed(f, i, held_out=True) for f in sf.FAMILIES for i in range(999)}
    assert not dev & held
    assert min(dev) == sf.DEV_SEED
    assert min(held) == sf.HELD_OUT_SEED
    assert {sf.case_freq("weibull_delay", i) for i in range(3)} == set(sf.SIMULATED_FREQS)


def test_doctests():
    import oracle_end  # the end oracle's likelihood and its table (oracle_end, end_limits)
    import stress  # the benchmark: its pairing of errors with the peers' (paired_errors)
    import stress_targets  # issue 12's targets and their Monte-Carlo verdicts

    assert doctest.testmod(sf, optionflags=doctest.ELLIPSIS).failed == 0
    assert doctest.testmod(sf.common, optionflags=doctest.ELLIPSIS).failed == 0
    for module in (stress, oracle_end, stress_targets):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted >= 3
        assert result.failed == 0


@pytest.mark.parametrize(("false", "verdict"), [(1, "met"), (4, "within MC"), (9, "not met")])
def test_false_windows_on_real_backgrounds_are_judged_with_their_poisson_error(false, verdict):
    """Over 100 series-days, 4 false windows cannot be told from a method that makes 2 (its
    exact 90% interval is 1.4-9.2 per 100 series-days); 9 can (4.7-15.7)."""
    import stress_targets

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    rows = [{"true_start": t0, "matched": True, "false_alarm": False, "stands_out": True}] * 20
    rows += [{"true_start": pd.NaT, "matched": False, "false_alarm": True}] * false
    scores = pd.DataFrame(rows).assign(
        family="real_tweets", case=0, method="estimate", labelled=False, clear=True,
        start_error_min=1.0, end_error_min=2.0, start_covered=True, end_covered=True,
    )  # fmt: skip
    timings = pd.DataFrame({"family": ["real_tweets"], "method": "estimate", "rows": 10**6,
                            "seconds": 20.0, "series_days": 100.0})  # fmt: skip
    check = stress_targets.target_check(scores, timings).set_index("target")
    row = check.loc["false windows per 100 series-days"]
    assert row["value"] == false
    assert row["verdict"] == verdict
    assert check.loc["recall, windows that stand out", "verdict"] == "met"
    assert "precision" not in check.index  # real backgrounds count false windows instead


def test_errors_are_judged_against_the_best_peer_not_the_estimators_variants():
    """The end target is half the best peer's median (threshold's 6 min, not PELT's 8), and
    ``estimate_one_region``, a variant of the estimator, is no peer (its 1 min would set
    the start's bar at 1)."""
    import stress_targets

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    errors = {"estimate": 3.5, "estimate_one_region": 1.0, "pelt": 8.0, "threshold": 6.0}
    scores = pd.DataFrame(
        [{"method": m, "start_error_min": e, "end_error_min": e} for m, e in errors.items()]
    ).assign(family="a", case=0, true_start=t0, matched=True, false_alarm=False, clear=True,
             start_covered=True, end_covered=True)  # fmt: skip
    check = stress_targets.target_check(scores, _one_family_timings()).set_index("target")
    end = check.loc["median |end error| (min)"]
    assert end["limit"] == 3.0  # half of threshold's 6
    assert end["verdict"] == "not met"
    start = check.loc["median |start error| (min)"]
    assert start["limit"] == 6.0
    assert start["verdict"] == "met"


def _one_family_timings() -> pd.DataFrame:
    return pd.DataFrame({"family": ["a"], "method": "estimate", "rows": 1, "seconds": 1.0,
                         "series_days": 1.0})  # fmt: skip


def _end_errors(per_case: dict[str, list[list[float]]]) -> pd.DataFrame:
    """Scores of family ``a`` whose end errors (minutes) are given per method and case."""
    rows = [{"method": method, "case": case, "end_error_min": e}
            for method, cases in per_case.items() for case, errors in enumerate(cases)
            for e in errors]  # fmt: skip
    return pd.DataFrame(rows).assign(
        family="a", true_start=pd.Timestamp("2024-01-01", tz="UTC"), matched=True,
        false_alarm=False, clear=True, start_error_min=1.0, start_covered=True, end_covered=True,
    )  # fmt: skip


def test_end_errors_are_judged_with_a_bootstrap_over_cases():
    """An estimator's median end error over the bar (half the peer's) is within the
    Monte-Carlo error where the peer's median rests on a few windows in two of six cases and
    the estimator's windows spread; it is not met where every case gives the same errors."""
    import stress_targets

    timings = _one_family_timings()
    spread = _end_errors({"estimate": [[2, 3], [9, 12], [4], [5, 6], [1, 8], [3]],
                          "binseg": [[6], [], [], [10], [], []]})  # fmt: skip
    row = stress_targets.target_check(spread, timings).set_index("target")
    end = row.loc["median |end error| (min)"]
    assert (end["value"], end["limit"]) == (4.5, 4.0)
    assert end["verdict"] == "within MC"
    same = _end_errors({"estimate": [[9, 10]] * 6, "binseg": [[6, 7]] * 6})
    end = stress_targets.target_check(same, timings).set_index("target")
    assert end.loc["median |end error| (min)", "verdict"] == "not met"
    # resampled medians: 9-10 min, against half of 6-7 min
    assert end.loc["median |end error| (min)", "mc"] == "+5.5 to +7.0"


@pytest.mark.parametrize("freq", ["1min", "1h"])
def test_the_end_oracle_told_the_background_counts_finds_every_end(freq):
    """Told the counts without outages, the shape and the lag, the oracle
    (benchmarks/oracle_end.py) puts clear flapping ends within a few minutes, even through
    hourly bins; told only the background's expected level, it does no better, and not told
    the outage's size either, it still finds them within 3 minutes in the median: the end of
    an hour-long outage is in hourly reports."""
    import oracle_end

    with oracle_end._capture({}) as store:
        case = _case("flapping", 66_001, freq)
    errors = case.truth.merge(oracle_end.oracle_case(case, store), left_on=["region", "start"],
                              right_on=["region", "true_start"], validate="1:1")  # fmt: skip
    clear = errors[errors["clear"]]
    assert len(errors) == len(case.truth)
    assert len(clear) >= 5
    told_counts = clear["counts_end_error_min"].abs()
    assert told_counts.median() <= 2.0
    assert clear["level_end_error_min"].abs().median() >= told_counts.median()
    assert clear["size_end_error_min"].abs().median() <= 3.0


def test_real_tweets(real_case):
    case = real_case
    analysis.validate_reports(case.reports)
    assert set(case.reports["region"]) == set(sf.TICKER_REGIONS.values())
    assert case.freq == pd.Timedelta("5min")
    lo, hi = case.scored_span
    first = case.reports["time"].min()
    assert (lo - first, hi - lo) == (pd.Timedelta("14D"), pd.Timedelta("3D"))
    assert pd.Timestamp("2015-02-26", tz="UTC") <= first
    assert hi <= pd.Timestamp("2015-04-23", tz="UTC")
    truth = case.truth
    assert 1 <= truth["event"].nunique() <= 3
    assert (truth["start"] >= lo).all()
    assert (truth["end"] <= hi).all()
    assert truth["stands_out"].notna().all()
    frame = _excess(case)
    for _, row in truth.iterrows():
        reports, background = _sums(frame, row, case.freq)
        assert row["clear"] == (reports >= 2 * background and reports > 0)
        if background > 0:
            assert row["ratio"] == pytest.approx(reports / background)
    # the background is the real series, read here independently
    raw = pd.read_csv(NAB / "realTweets" / "Twitter_volume_FB.csv")
    raw_time = pd.to_datetime(raw["timestamp"]).dt.tz_localize("UTC").dt.floor("5min")
    real = pd.Series(raw["value"].to_numpy(), index=raw_time.dt.as_unit("ns"))
    fb = case.background[case.background["region"] == sf.TICKER_REGIONS["FB"]]
    assert (fb["background"].to_numpy() == real.loc[fb["time"]].to_numpy()).all()
    labels = case.label_windows
    assert (labels["start"] >= first).all()
    assert (labels["end"] <= hi).all()
    assert set(labels["region"]) <= set(sf.TICKER_REGIONS.values())


def test_intervals_cover_ends_of_outages_whose_reports_fade():
    """A short outage with a slow report tail and a long one whose reports fade fit the same
    reports. The end interval used to follow the first reading alone: on fading outages at
    5-minute bins it held 14 of 34 visible true ends (0.41). Refitted with reports that lag
    little and fade as well, the interval covers both readings and holds 22 of 34 (0.65).
    The model still does not fit these outages; the bound guards the envelope, with room for
    one or two windows that move between machines."""
    import stress

    covered, visible = 0, 0
    for seed in range(90_000, 90_010):
        case = sf.make_case("peak_and_fade", seed, freq="5min")
        scored = stress.score_case(case, analysis.estimate_outages(case.reports))
        ends = scored[scored["matched"].astype(bool) & scored["end_visible"].eq(True)]
        covered += int(ends["end_covered"].sum())
        visible += len(ends)
    assert visible == 34
    assert covered / visible >= 0.55


def test_regions_whose_own_fit_collapses_still_borrow_the_pooled_window():
    """Held-out ``peak_and_fade`` case 5 (5-minute bins): two outages in ten regions whose
    reports spike and fade. Refitted from the pooled window, several regions' own windows
    collapsed to an instant (a spike with a slow report tail), and at bins under 15 minutes a
    collapse was taken for a burst: 3 and 5 of the ten regions had no window. Such a region
    now tests the pooled window, as a region with a weak own fit does; all twenty windows are
    found, and nine in ten of their end intervals reach the true ends."""
    import stress

    seed = sf.case_seed("peak_and_fade", 4, held_out=True)
    case = sf.make_case("peak_and_fade", seed, freq="5min")
    scored = stress.score_case(case, analysis.estimate_outages(case.reports))
    true = scored[scored["true_start"].notna()]
    assert len(true) == 20
    assert true["matched"].astype(bool).all()
    assert true["end_covered"].astype(bool).mean() >= 0.9
    assert not scored["false_alarm"].astype(bool).any()


def test_a_service_that_recovers_partly_keeps_its_final_recovery_as_the_end():
    """Held-out ``flapping`` case 1 (5-minute bins): a 4-hour outage in three regions at 8-10
    times their level, back to a third of that for its last 1 h 50 min. The fit read the
    partial recovery's reports as a report tail that lags 49 minutes on average, and ended
    the outage where they fell: 100-124 minutes early in all three regions. Refitted with a
    partial recovery before the end, which is clearly likelier, the ends come within 12
    minutes, the windows say when the reports fell (about 17:35) and to what share, and no
    window of the case is lost or false."""
    import stress

    seed = sf.case_seed("flapping", 1, held_out=True)
    case = sf.make_case("flapping", seed, freq=sf.case_freq("flapping", 1))
    scored = stress.score_case(case, analysis.estimate_outages(case.reports))
    true = scored[scored["true_start"].notna()]
    assert len(true) == 7
    assert true["matched"].astype(bool).all()
    assert not scored["false_alarm"].astype(bool).any()
    late = true[true["true_start"] > pd.Timestamp("2023-04-09", tz="UTC")]
    assert sorted(late["region"]) == ["BRA", "DEU", "FRA"]
    errors = (late["end"] - late["true_end"]).abs()
    assert errors.max() <= pd.Timedelta("15min")
    assert late["end_covered"].astype(bool).all()
    found = analysis.estimate_outages(case.reports)
    partly = found[found["start"] > pd.Timestamp("2023-04-09", tz="UTC")]
    fell = pd.Timestamp("2023-04-09 17:35", tz="UTC")
    assert ((partly["partial_from"] - fell).abs() <= pd.Timedelta("15min")).all()
    assert partly["partial_severity"].between(0.2, 0.6).all()


def test_detect_prints_when_the_service_came_back_partly(tmp_path, capsys):
    """The command line's table shows the partial recovery of held-out ``flapping`` case 1
    (time of day and the share of reports left), and its JSON the time and share."""
    import json

    from analysis.__main__ import main

    case = sf.make_case("flapping", sf.case_seed("flapping", 1, held_out=True), freq="5min")
    path = tmp_path / "flapping.csv"
    case.reports.to_csv(path, index=False)
    assert main(["detect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert "partly_back" in header
    bra = next(line for line in lines if line.split()[0] == "BRA")
    assert "17:37 (31%)" in bra
    assert main(["detect", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["windows"]
    partly = {r["region"]: r for r in rows if r["partial_from"] is not None}
    assert partly["BRA"]["partial_from"].startswith("2023-04-09T17:3")
    assert partly["BRA"]["partial_severity"] == pytest.approx(0.31, abs=0.01)
    assert all(r["partial_severity"] is None for r in rows if r["partial_from"] is None)


@pytest.mark.parametrize(("family", "number", "windows"), [("powerlaw_tail", 0, 4),
                                                           ("weibull_delay", 4, 10)])  # fmt: skip
def test_hourly_end_intervals_span_hours_not_days(family, number, windows):
    """Held-out hourly cases: regions refitted from a pooled window whose ends lie on a bin's
    edge, where the likelihood is kinked. Their end intervals came from its curvature and
    spanned 5 to 75 hours (standard errors of 45 to 920 minutes, where the likelihood fell by
    1/2 within 5 to 11); read from the likelihood's own reach they span two bins at most and
    still hold nine in ten true ends."""
    import stress

    seed = sf.case_seed(family, number, held_out=True)
    case = sf.make_case(family, seed, freq=sf.case_freq(family, number))
    assert case.freq == pd.Timedelta("1h")
    scored = stress.score_case(case, analysis.estimate_outages(case.reports))
    true = scored[scored["true_start"].notna()]
    assert len(true) == windows
    assert true["matched"].astype(bool).all()
    assert true["end_width_min"].max() <= 120
    assert true["end_covered"].astype(bool).mean() >= 0.9


def test_weekend_shape_scores_the_only_weekend_which_wakes_later():
    """``weekend_shape``: its one weekend is scored (no Saturday in the history, at most one
    Sunday), and each region's weekend follows its weekday shape 2-4 hours late (local)."""
    for seed in range(4):
        case = _case("weekend_shape", seed, "1h", quiet=True)
        start, end = case.scored_span
        days = pd.date_range(case.reports["time"].min(), end, freq="1D", inclusive="left")
        history = days[days < start]
        assert start.day_of_week == 5
        assert (history.day_of_week == 5).sum() == 0
        assert (history.day_of_week == 6).sum() <= 1
        back = case.background
        for region in back.groupby("region")["background"].sum().sort_values().index[::-1]:
            mine = back[back["region"] == region]
            local = mine["time"].dt.tz_convert(sf.REGION_ZONES[region])
            by_day = mine["background"].astype(float).groupby(local.dt.date.to_numpy())
            whole = {pd.Timestamp(d).day_of_week: v.to_numpy() for d, v in by_day if len(v) == 24}
            if 2 in whole and (5 in whole or 6 in whole):
                break
        weekday, weekend = whole[2], whole.get(5, whole.get(6))
        fit = [np.corrcoef(np.roll(weekday, lag), weekend)[0, 1] for lag in range(7)]
        assert 2 <= int(np.argmax(fit)) <= 4, fit


@pytest.mark.parametrize(("family", "number"), [("powerlaw_tail", 7), ("flapping", 0)])
def test_a_long_outage_is_not_cut_where_regions_flagged_only_by_pooling_fall_quiet(family, number):
    """A 4-5 hour outage in two or three regions was cut in two where regions that the
    screen flagged only by pooling (a few reports each, in gaps between their stretches or in
    noise) fell quiet at once (development cases, ``benchmarks/stress.py --dev``): two false
    windows each, the true ones starting 1.5 hours late."""
    seed = sf.case_seed(family, number, held_out=False)
    case = sf.make_case(family, seed, freq=sf.case_freq(family, number))
    found = analysis.estimate_outages(case.reports)
    found = found[found["region"] != "WLD"]
    long = case.truth[case.truth["end"] - case.truth["start"] > pd.Timedelta("4h")]
    assert len(long) >= 2
    for row in long.itertuples():
        mine = found[(found["region"] == row.region) & (found["end"] > row.start)
                     & (found["start"] < row.end)]  # fmt: skip
        assert len(mine) == 1
        assert abs(mine["start"].iloc[0] - row.start) < pd.Timedelta("10min")
