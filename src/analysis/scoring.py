"""Scoring estimated outage windows against the truth of a simulation.

:func:`score_outages` matches estimated windows to true ones region by region and measures
the errors; :func:`summarize_scores` turns the matches into recall, precision, error
quantiles and interval coverage. Used by the benchmark, the notebooks and users alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["score_outages", "summarize_scores"]

MINUTE = pd.Timedelta("1min")
SCORE_COLUMNS = [
    "region", "true_start", "true_end", "start", "end", "matched", "false_alarm",
    "start_error_min", "end_error_min", "duration_error_rel", "start_covered", "end_covered",
    "duration_covered",
]  # fmt: skip


def _overlap(a0: pd.Timestamp, a1: pd.Timestamp, b0: pd.Timestamp, b1: pd.Timestamp) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)) / MINUTE)


def score_outages(estimated: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Match estimated outage windows to true ones and measure the errors.

    Within each region, an estimated window and a true one that overlap in time may be
    matched; pairs are taken greedily by largest overlap, each window at most once. Rows of
    ``estimated`` for regions that ``truth`` does not cover at all (such as the pooled
    ``WLD`` row when the truth is per country) are ignored unless the truth has that region.

    Parameters
    ----------
    estimated : DataFrame
        ``region, start, end`` and optionally ``start_low, start_high, end_low, end_high``
        (as from :func:`~analysis.estimate_outages` or a peer detector).
    truth : DataFrame
        ``region, start, end`` (as :attr:`Simulation.truth`).

    Returns
    -------
    DataFrame
        One row per true window (matched or missed) and per unmatched estimate (a false
        alarm): ``region, true_start, true_end, start, end, matched, false_alarm``, the
        signed errors ``start_error_min`` and ``end_error_min`` (estimate minus truth,
        minutes), ``duration_error_rel`` ((estimated - true) / true duration), and
        ``start_covered`` / ``end_covered`` / ``duration_covered`` (the interval contains the
        truth; ``<NA>`` without intervals).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03T20:00Z")
    >>> truth = pd.DataFrame({"region": ["BRA"], "start": [t], "end": [t + pd.Timedelta("2h")]})
    >>> est = truth.assign(start=t + pd.Timedelta("3min"))
    >>> row = score_outages(est, truth).iloc[0]
    >>> bool(row["matched"]), float(row["start_error_min"])
    (True, 3.0)
    """
    has_intervals = {"start_low", "start_high", "end_low", "end_high"} <= set(estimated.columns)
    rows = []
    regions = sorted(set(truth["region"]))
    covered = set(regions)
    others = sorted(set(estimated["region"]) - covered - {"WLD"})
    for region in regions + others:
        true = truth[truth["region"] == region].reset_index(drop=True)
        est = estimated[estimated["region"] == region].reset_index(drop=True)
        pairs = sorted(
            (
                (_overlap(t.start, t.end, e.start, e.end), i, j)
                for i, t in true.iterrows()
                for j, e in est.iterrows()
            ),
            reverse=True,
        )
        used_t, used_e, matches = set(), set(), {}
        for overlap, i, j in pairs:
            if overlap <= 0 or i in used_t or j in used_e:
                continue
            used_t.add(i)
            used_e.add(j)
            matches[i] = j
        for i, t in true.iterrows():
            row = {"region": region, "true_start": t.start, "true_end": t.end}
            if i in matches:
                e = est.loc[matches[i]]
                row |= _errors(t, e, has_intervals)
            else:
                row |= {"matched": False, "false_alarm": False}
            rows.append(row)
        for j, e in est.iterrows():
            if j not in used_e:
                rows.append({"region": region, "start": e.start, "end": e.end,
                             "matched": False, "false_alarm": True})  # fmt: skip
    out = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    for column in ("start_covered", "end_covered", "duration_covered"):
        out[column] = out[column].astype("boolean")
    for column in ("matched", "false_alarm"):
        out[column] = out[column].astype(bool)
    return out


def _errors(t: pd.Series, e: pd.Series, has_intervals: bool) -> dict:
    true_duration = (t.end - t.start) / MINUTE
    row = {
        "start": e.start,
        "end": e.end,
        "matched": True,
        "false_alarm": False,
        "start_error_min": (e.start - t.start) / MINUTE,
        "end_error_min": (e.end - t.end) / MINUTE,
        "duration_error_rel": ((e.end - e.start) / MINUTE - true_duration) / true_duration,
    }
    if has_intervals:
        row["start_covered"] = bool(e.start_low <= t.start <= e.start_high)
        row["end_covered"] = bool(e.end_low <= t.end <= e.end_high)
    if pd.notna(e.get("duration_low", pd.NaT)):
        row["duration_covered"] = bool(e.duration_low <= t.end - t.start <= e.duration_high)
    return row


def summarize_scores(scores: pd.DataFrame) -> pd.Series:
    """Recall, precision, error quantiles and coverage from :func:`score_outages`.

    Returns
    -------
    Series
        ``true_windows``, ``estimated_windows``, ``recall``, ``precision``,
        ``false_alarms``, ``start_error_median_min`` / ``start_error_p90_min`` and the same
        for ``end`` (absolute errors, minutes), ``duration_error_rel_median`` (absolute),
        ``start_coverage``, ``end_coverage``, ``duration_coverage`` (share of matched windows
        whose interval holds the truth; NaN without intervals).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03T20:00Z")
    >>> truth = pd.DataFrame({"region": ["BRA"], "start": [t], "end": [t + pd.Timedelta("2h")]})
    >>> float(summarize_scores(score_outages(truth, truth))["recall"])
    1.0
    """
    true = scores[scores["true_start"].notna()]
    matched = scores[scores["matched"]]
    n_est = int(scores["matched"].sum() + scores["false_alarm"].sum())

    def q(column: str, p: float) -> float:
        values = matched[column].abs()
        return float(np.quantile(values, p)) if len(values) else np.nan

    def share(column: str) -> float:
        values = matched[column].dropna()
        return float(values.mean()) if len(values) else np.nan

    return pd.Series(
        {
            "true_windows": len(true),
            "estimated_windows": n_est,
            "recall": len(matched) / len(true) if len(true) else np.nan,
            "precision": len(matched) / n_est if n_est else np.nan,
            "false_alarms": int(scores["false_alarm"].sum()),
            "start_error_median_min": q("start_error_min", 0.5),
            "start_error_p90_min": q("start_error_min", 0.9),
            "end_error_median_min": q("end_error_min", 0.5),
            "end_error_p90_min": q("end_error_min", 0.9),
            "duration_error_rel_median": q("duration_error_rel", 0.5),
            "start_coverage": share("start_covered"),
            "end_coverage": share("end_covered"),
            "duration_coverage": share("duration_covered"),
        }
    )
