"""Scoring estimated windows against the truth (analysis.scoring): matching and summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.scoring import score_methods, score_outages, summarize_scores

T = pd.Timestamp("2017-05-03T20:00Z")
MIN = pd.Timedelta("1min")


def _windows(*rows: tuple[str, int, int]) -> pd.DataFrame:
    """``(region, start, end)`` in minutes after 20:00 UTC."""
    return pd.DataFrame([{"region": r, "start": T + a * MIN, "end": T + b * MIN}
                         for r, a, b in rows])  # fmt: skip


def test_the_largest_overlap_is_matched_and_the_rest_are_false_alarms():
    """One true window (0-120 min) and two estimates in the same region: 5-118 overlaps by
    113 minutes, 110-200 by 10. The first is matched, with signed errors +5 and -2 minutes
    and a duration error of -7/120; the second is a false alarm."""
    truth = _windows(("BRA", 0, 120))
    scores = score_outages(_windows(("BRA", 110, 200), ("BRA", 5, 118)), truth)
    matched = scores[scores["matched"]].iloc[0]
    assert (matched["start_error"], matched["end_error"]) == (5 * MIN, -2 * MIN)
    assert matched["duration_error_rel"] == pytest.approx(-7 / 120)
    alarm = scores[scores["false_alarm"]].iloc[0]
    assert alarm["start"] == T + 110 * MIN
    summary = summarize_scores(scores)
    assert (summary.recall, summary.precision, summary.false_alarms) == (1.0, 0.5, 1)


def test_an_estimate_is_matched_once_and_regions_are_kept_apart():
    """An estimate spanning two true windows matches the one it overlaps most; the other is
    missed. An estimate in a region without any truth is a false alarm, but the pooled WLD
    row is ignored when the truth is per country. A true window in India is not matched by
    Brazil's estimate, however close in time."""
    truth = _windows(("BRA", 0, 30), ("BRA", 60, 150), ("IND", 0, 120))
    estimated = _windows(("BRA", 10, 140), ("DEU", 0, 100), ("WLD", 0, 120))
    scores = score_outages(estimated, truth)
    bra = scores[scores["region"] == "BRA"].set_index("true_start")
    assert bool(bra.loc[T + 60 * MIN, "matched"])
    assert not bool(bra.loc[T, "matched"])
    assert not scores.loc[scores["region"] == "IND", "matched"].any()
    assert scores.loc[scores["region"] == "DEU", "false_alarm"].tolist() == [True]
    assert "WLD" not in set(scores["region"])
    summary = summarize_scores(scores)
    assert summary.recall == pytest.approx(1 / 3)
    assert summary.precision == pytest.approx(1 / 2)


def test_coverage_needs_intervals_and_errors_are_summarised_as_absolute():
    """Without intervals the coverage columns are missing, not False; with them, each says
    whether its interval holds the truth. Error quantiles are of absolute errors."""
    truth = _windows(("BRA", 0, 60), ("IND", 0, 60), ("DEU", 0, 60))
    estimated = _windows(("BRA", -4, 62), ("IND", 2, 50), ("DEU", 6, 60))
    bare = score_outages(estimated, truth)
    assert bare["start_covered"].isna().all()
    assert np.isnan(summarize_scores(bare).start_coverage)
    intervals = estimated.assign(start_low=estimated["start"] - 3 * MIN,
                                 start_high=estimated["start"] + 3 * MIN,
                                 end_low=estimated["end"] - 3 * MIN,
                                 end_high=estimated["end"] + 3 * MIN)  # fmt: skip
    scores = score_outages(intervals, truth).set_index("region")
    assert scores["start_covered"].to_dict() == {"BRA": False, "DEU": False, "IND": True}
    assert scores["end_covered"].to_dict() == {"BRA": True, "DEU": True, "IND": False}
    summary = summarize_scores(scores.reset_index())
    assert summary.start_error_median == pd.Timedelta("4min")  # |-4|, |2|, |6|
    assert summary.end_error_median == pd.Timedelta("2min")  # |2|, |-10|, |0|
    assert summary.start_coverage == pytest.approx(1 / 3)


def test_the_summary_holds_timedelta_errors_and_prints_them_in_minutes():
    """Three matched windows with absolute start errors 4, 2 and 6 minutes: the median is
    4 minutes and the 90th percentile 5.6 (linear interpolation), as Timedeltas; the table
    and the text carry the same figures."""
    truth = _windows(("BRA", 0, 60), ("IND", 0, 60), ("DEU", 0, 60))
    summary = summarize_scores(score_outages(_windows(("BRA", -4, 62), ("IND", 2, 50),
                                                      ("DEU", 6, 60)), truth))  # fmt: skip
    assert summary.start_error_median == pd.Timedelta("4min")
    assert summary.start_error_p90 == pd.Timedelta("5min 36s")
    assert summary.end_error_p90 == pd.Timedelta("8min 24s")  # |2|, |-10|, |0|
    frame = summary.to_frame()["value"]
    assert frame["start_error_p90"] == pd.Timedelta("5min 36s")
    assert (frame["true_windows"], frame["estimated_windows"]) == (3, 3)
    assert "start error median 4.0 min, 90% 5.6 min" in str(summary).splitlines()
    assert "interval coverage: start n/a, end n/a, duration n/a" in str(summary).splitlines()


def test_methods_are_scored_side_by_side_and_counted_without_truth():
    """Two methods against one true window (0-120 min): one exact, one ending 30 minutes
    late and raising a false window elsewhere. Without the truth only the counts remain."""
    truth = _windows(("BRA", 0, 120))
    late = _windows(("BRA", 0, 150), ("IND", 0, 10))
    table = score_methods({"exact": truth, "late": late}, truth)
    assert table.index.tolist() == ["exact", "late"]
    assert table["windows"].tolist() == [1, 2]
    assert table["precision"].tolist() == [1.0, 0.5]
    assert table["end_error_median"].tolist() == [pd.Timedelta(0), pd.Timedelta("30min")]
    assert table["start_coverage"].isna().all()
    counts = score_methods({"exact": truth, "late": late})
    assert counts.columns.tolist() == ["windows"]
    assert counts["windows"].to_dict() == {"exact": 1, "late": 2}


def test_errors_are_timedeltas_even_when_nothing_matched():
    """A true window with no estimate overlapping it: the error columns are still Timedelta
    (all missing), so that they can be divided by a minute like any other."""
    scores = score_outages(_windows(("BRA", 200, 230)), _windows(("BRA", 0, 60)))
    assert scores["start_error"].dtype.kind == "m"
    assert scores["end_error"].isna().all()
    assert (scores["end_error"] / MIN).isna().all()
