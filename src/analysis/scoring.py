"""Scoring estimated outage windows against the truth of a simulation.

:func:`score_outages` matches estimated windows to true ones region by region and measures
the errors; :func:`summarize_scores` turns the matches into recall, precision, error
quantiles and interval coverage (a :class:`ScoreSummary`); :func:`score_methods` sets several
methods' scores side by side. Used by the benchmark, the notebooks and users alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

__all__ = ["ScoreSummary", "score_methods", "score_outages", "summarize_scores"]

MINUTE = pd.Timedelta("1min")
SCORE_COLUMNS = [
    "region", "true_start", "true_end", "start", "end", "matched", "false_alarm",
    "start_error", "end_error", "duration_error_rel", "start_covered", "end_covered",
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
        signed errors ``start_error`` and ``end_error`` (estimate minus truth,
        Timedelta), ``duration_error_rel`` ((estimated - true) / true duration), and
        ``start_covered`` / ``end_covered`` / ``duration_covered`` (the interval contains the
        truth; ``<NA>`` without intervals).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03T20:00Z")
    >>> truth = pd.DataFrame({"region": ["BRA"], "start": [t], "end": [t + pd.Timedelta("2h")]})
    >>> est = truth.assign(start=t + pd.Timedelta("3min"))
    >>> row = score_outages(est, truth).iloc[0]
    >>> bool(row["matched"]), row["start_error"]
    (True, Timedelta('0 days 00:03:00'))
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
    for column in ("start_error", "end_error"):  # Timedelta even where nothing matched
        out[column] = pd.to_timedelta(out[column])
    return out


def _errors(t: pd.Series, e: pd.Series, has_intervals: bool) -> dict:
    true_duration = (t.end - t.start) / MINUTE
    row = {
        "start": e.start,
        "end": e.end,
        "matched": True,
        "false_alarm": False,
        "start_error": e.start - t.start,
        "end_error": e.end - t.end,
        "duration_error_rel": ((e.end - e.start) / MINUTE - true_duration) / true_duration,
    }
    if has_intervals:
        row["start_covered"] = bool(e.start_low <= t.start <= e.start_high)
        row["end_covered"] = bool(e.end_low <= t.end <= e.end_high)
    if pd.notna(e.get("duration_low", pd.NaT)):
        row["duration_covered"] = bool(e.duration_low <= t.end - t.start <= e.duration_high)
    return row


@dataclass(frozen=True)
class ScoreSummary:
    """Recall, precision, error quantiles and interval coverage of estimated windows
    (:func:`summarize_scores`).

    Errors are absolute (estimate minus truth, sign dropped) and ``Timedelta``; the
    duration's is relative to the true duration. Coverage is the share of matched windows
    whose interval holds the truth (NaN without intervals). Error quantiles are ``NaT`` and
    rates NaN when nothing was matched or estimated.
    """

    true_windows: int
    estimated_windows: int
    recall: float
    precision: float
    false_alarms: int
    start_error_median: pd.Timedelta
    start_error_p90: pd.Timedelta
    end_error_median: pd.Timedelta
    end_error_p90: pd.Timedelta
    duration_error_rel_median: float
    start_coverage: float
    end_coverage: float
    duration_coverage: float

    def to_frame(self) -> pd.DataFrame:
        """One row per measure, its value in column ``value`` (object dtype)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return pd.DataFrame.from_dict(values, orient="index", columns=["value"], dtype=object)

    def __str__(self) -> str:
        def rate(x: float) -> str:
            return "n/a" if np.isnan(x) else f"{x:.2f}"

        def minutes(x: pd.Timedelta) -> str:
            return "n/a" if pd.isna(x) else f"{x / MINUTE:.1f} min"

        return "\n".join(
            [
                f"{self.true_windows} true windows, {self.estimated_windows} estimated, "
                f"{self.false_alarms} false",
                f"recall {rate(self.recall)}, precision {rate(self.precision)}",
                f"start error median {minutes(self.start_error_median)}, "
                f"90% {minutes(self.start_error_p90)}",
                f"end error median {minutes(self.end_error_median)}, "
                f"90% {minutes(self.end_error_p90)}",
                f"interval coverage: start {rate(self.start_coverage)}, "
                f"end {rate(self.end_coverage)}, duration {rate(self.duration_coverage)}",
            ]
        )


def summarize_scores(scores: pd.DataFrame) -> ScoreSummary:
    """Recall, precision, error quantiles and coverage from :func:`score_outages`.

    Parameters
    ----------
    scores : DataFrame
        As returned by :func:`score_outages`.

    Returns
    -------
    ScoreSummary
        Window counts, recall, precision, false alarms, the median and 90th percentile of
        the absolute start and end errors (``Timedelta``), the median absolute relative
        duration error and the coverage of the start, end and duration intervals.

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03T20:00Z")
    >>> truth = pd.DataFrame({"region": ["BRA"], "start": [t], "end": [t + pd.Timedelta("2h")]})
    >>> est = truth.assign(start=t + pd.Timedelta("3min"))
    >>> summary = summarize_scores(score_outages(est, truth))
    >>> summary.recall, summary.start_error_median
    (1.0, Timedelta('0 days 00:03:00'))
    """
    true = scores[scores["true_start"].notna()]
    matched = scores[scores["matched"]]
    n_est = int(scores["matched"].sum() + scores["false_alarm"].sum())

    def q(column: str, p: float) -> float:
        values = matched[column].abs()
        return float(np.quantile(values, p)) if len(values) else np.nan

    def error(column: str, p: float) -> pd.Timedelta:
        minutes = matched[column].abs() / MINUTE
        return pd.Timedelta(np.quantile(minutes, p), "min").round("ms") if len(minutes) else pd.NaT

    def share(column: str) -> float:
        values = matched[column].dropna()
        return float(values.mean()) if len(values) else np.nan

    return ScoreSummary(
        true_windows=len(true),
        estimated_windows=n_est,
        recall=len(matched) / len(true) if len(true) else np.nan,
        precision=len(matched) / n_est if n_est else np.nan,
        false_alarms=int(scores["false_alarm"].sum()),
        start_error_median=error("start_error", 0.5),
        start_error_p90=error("start_error", 0.9),
        end_error_median=error("end_error", 0.5),
        end_error_p90=error("end_error", 0.9),
        duration_error_rel_median=q("duration_error_rel", 0.5),
        start_coverage=share("start_covered"),
        end_coverage=share("end_covered"),
        duration_coverage=share("duration_covered"),
    )


def score_methods(
    found: Mapping[str, pd.DataFrame], truth: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Several methods' windows side by side, scored against ``truth`` where it is known.

    Parameters
    ----------
    found : mapping of str to DataFrame
        Each method's name and its windows (``region, start, end``, with intervals where
        the method gives them), as from :func:`~analysis.estimate_outages` or a peer.
    truth : DataFrame, optional
        ``region, start, end`` (UTC) of the true outages, as from a simulation.

    Returns
    -------
    DataFrame
        Indexed by method: ``windows`` (how many it found) and, with ``truth``, ``recall``,
        ``precision``, ``start_error_median`` and ``end_error_median`` (absolute,
        ``Timedelta``), ``start_coverage`` and ``end_coverage`` (NaN without intervals).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03T20:00Z")
    >>> truth = pd.DataFrame({"region": ["BRA"], "start": [t], "end": [t + pd.Timedelta("2h")]})
    >>> late = truth.assign(end=t + pd.Timedelta("150min"))
    >>> table = score_methods({"exact": truth, "late": late}, truth)
    >>> table["end_error_median"].dt.total_seconds().div(60).to_dict()
    {'exact': 0.0, 'late': 30.0}
    """
    windows = pd.Series({name: len(f) for name, f in found.items()}, name="windows", dtype=int)
    if truth is None:
        return windows.rename_axis("method").to_frame()
    columns = ["recall", "precision", "start_error_median", "end_error_median",
               "start_coverage", "end_coverage"]  # fmt: skip
    summaries = {name: summarize_scores(score_outages(f, truth)) for name, f in found.items()}
    table = pd.DataFrame({c: [getattr(summaries[m], c) for m in found] for c in columns},
                         index=pd.Index(list(found), name="method"))  # fmt: skip
    for column in ("start_error_median", "end_error_median"):
        table[column] = pd.to_timedelta(table[column])
    return table.join(windows)[["windows", *columns]]
