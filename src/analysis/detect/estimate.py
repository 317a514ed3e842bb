"""The estimator: candidates, then one pooled reporting-model fit per event."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from tqdm import tqdm

from analysis.baseline import SeriesBaseline, fitted_baselines
from analysis.detect.candidates import (
    Candidate,
    companions,
    fit_limits,
    flag_candidates,
    group_events,
    loose_candidates,
    split_event,
)
from analysis.detect.drops import drop_windows
from analysis.detect.pooling import estimate_event
from analysis.detect.screen import (
    calibrated_scores,
    is_unusual,
    pooled_scores,
    screened_stretches,
)
from analysis.schema import LEVEL, group_keys, series_kinds, validate_reports

__all__ = ["WINDOW_COLUMNS", "data_ends", "estimate_outages", "open_ends"]

#: Columns of the windows table, in order.
WINDOW_COLUMNS = [
    "region", "start", "end", "duration", "duration_low", "duration_high", "start_low",
    "start_high", "end_low", "end_high",
    "level", "peak_time", "peak_reports", "excess_reports", "estimate", "delay",
    "decay", "novelty_floor", "novelty_decay", "partial_from", "partial_severity", "lr_stat",
    "weak_baseline", "ongoing", "kind", "depth", "depth_low", "depth_high",
]  # fmt: skip

#: Series a service needs before an event seen in one region only is dropped (see the
#: ``min_regions`` option of :func:`estimate_outages`).
ISOLATION_SERIES = 3

_TIME = "datetime64[ns, UTC]"
_WINDOW_DTYPES = {
    "start": _TIME, "end": _TIME, "start_low": _TIME, "start_high": _TIME, "end_low": _TIME,
    "end_high": _TIME, "peak_time": _TIME, "duration": "timedelta64[ns]",
    "duration_low": "timedelta64[ns]", "duration_high": "timedelta64[ns]", "level": "float64",
    "peak_reports": "float64", "excess_reports": "float64", "delay": "timedelta64[ns]",
    "decay": "timedelta64[ns]", "novelty_floor": "float64", "novelty_decay": "timedelta64[ns]",
    "partial_from": _TIME, "partial_severity": "float64", "lr_stat": "float64",
    "weak_baseline": "bool", "ongoing": "bool", "depth": "float64", "depth_low": "float64",
    "depth_high": "float64",
}  # fmt: skip


def estimate_outages(
    reports: pd.DataFrame,
    *,
    level: float = LEVEL,
    min_ratio: float = 3.0,
    min_excess: float = 20,
    z: float = 5.0,
    window: str | pd.Timedelta = "15min",
    merge_gap: str | pd.Timedelta = "30min",
    min_lr: float = 30.0,
    own_fit_excess: float = 300,
    pooled: bool = True,
    max_pooled_regions: int = 12,
    min_regions: int = 2,
    before: str | pd.Timedelta = "2h",
    after: str | pd.Timedelta = "4h",
    progress: bool = False,
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    check_input: bool = True,
) -> pd.DataFrame:
    """Estimate each outage's start, end and duration per region, with intervals.

    See the module docstring for the method (a reporting-process model fitted by maximum
    likelihood, pooled across regions).

    Series of kind ``level`` (a ``kind`` column, see :data:`~analysis.schema.KINDS`) are
    searched for drops instead (:mod:`analysis.detect.drops`): their rows give the depth,
    the share of the normal signal lost, with its interval. Series of kind ``index`` are
    searched for rises like report counts.

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here), any bin width from 10 seconds to 1 day that divides
        a day.
    level : float
        Confidence level of the intervals (``start_low``..``start_high``,
        ``end_low``..``end_high``).
    min_ratio, min_excess, z : float
        Candidate thresholds (see :func:`threshold_outages`).
    window, merge_gap : str or Timedelta
        The trailing window over which candidates are flagged, and the gap below which
        flagged stretches are joined (as in :func:`threshold_outages`).
    min_lr : float
        Likelihood-ratio statistic a window needs to be kept.
    own_fit_excess : float
        Excess reports a region needs for its own fit; sparser regions borrow the pooled
        window.
    pooled : bool
        Pool regions whose candidates overlap (and add the ``WLD`` pooled rows), and add the
        candidates that the screen finds by pooling regions (:mod:`analysis.detect.screen`).
    max_pooled_regions : int
        Regions (those with most excess) used to fit the pooled window.
    min_regions : int
        Regions an event must be seen in (own or borrowed windows) for its windows to be
        kept, where the service has at least :data:`ISOLATION_SERIES` series (with fewer,
        one region's silence says little about another's rise, and every window is kept).
        A rise in one region while the others show nothing is mostly a burst of news or
        bots: in 30 development cases of real tweets (``benchmarks/stress.py``) such windows
        were 17 of the 20 false own-fit windows and 2 of the 127 true ones. Pass 1 to
        keep them (an outage of one country, such as a block ordered there), at the cost
        measured by ``benchmarks/stress.py --families one_region --methods
        estimate,estimate_one_region``.
    before, after : str or Timedelta
        Data kept before a candidate and after it for the fit.
    progress : bool
        Show a progress bar.
    baselines : mapping, optional
        The series' baselines, fitted once (:func:`~analysis.baseline.series_baselines`)
        and handed along (default: fitted here).
    check_input : bool
        Validate ``reports`` (:func:`~analysis.validate_reports`). ``False`` skips it, for
        a frame that has just been validated, as :class:`~analysis.study.Study` hands its
        own to each step (as scikit-learn's ``check_input``); a frame that is not valid then
        gives wrong results or obscure errors.

    Returns
    -------
    DataFrame
        One row per window per region (and per service where there is a ``service``
        column): ``region``, ``start``, ``end`` (UTC), ``duration`` (Timedelta) and its
        interval ``duration_low``..``duration_high`` (from the joint variance of start and
        end, not the ends of their intervals), ``start_low``, ``start_high``, ``end_low``,
        ``end_high`` (intervals at ``level``),
        ``level``, ``peak_time``, ``peak_reports``, ``excess_reports`` (observed minus
        expected from start to the end of the report tail), ``estimate`` (``'region'``: own
        fit; ``'pooled'``: the event's pooled window), ``delay``, ``decay`` (fitted
        reporting kernel: mean noticing delay and report decay, Timedelta),
        ``novelty_floor`` and ``novelty_decay`` (reports settle from the onset rate towards
        this share of it, with this time constant), ``partial_from`` and
        ``partial_severity`` (where the reports read as a partial recovery before the end:
        the service partly back from then, reports at this share of the outage's; ``NaT``
        and NaN elsewhere), ``lr_stat``, ``weak_baseline``,
        ``ongoing`` (the series' data stop too soon after the window's end to show the
        reports back to normal, see :func:`open_ends`: the end is then at most the data's
        end, and ``end_high`` and ``duration_high`` are ``NaT``),
        ``kind`` (of the series) and, for drops, ``depth``, ``depth_low`` and
        ``depth_high`` (NaN for rises). No row for a region
        without an outage.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.regional(days_before=3, regions=("IND", "ITA", "BRA")), 3)
    >>> found = estimate_outages(sim.reports)
    >>> sorted(found.loc[found["estimate"] == "region", "region"])
    ['IND', 'ITA']
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if min_regions < 1:
        raise ValueError(f"min_regions must be at least 1, got {min_regions}")
    reports = validate_reports(reports) if check_input else reports
    key_names = group_keys(reports)
    bases = fitted_baselines(reports, baselines)
    kinds = series_kinds(reports)
    rows = [
        {**dict(zip(key_names, key, strict=True)), **row, "kind": "level"}
        for key in bases if kinds[key] == "level"
        for row in drop_windows(bases[key], level=level)
    ]  # fmt: skip
    groups: dict[tuple[str | None, str], list[tuple]] = {}  # pooled: one service, one kind
    for key in bases:
        if kinds[key] != "level":
            groups.setdefault((key[0] if len(key) > 1 else None, kinds[key]), []).append(key)
    before, after = pd.Timedelta(before), pd.Timedelta(after)
    bar = tqdm(total=len(bases), desc="estimate", unit="series", disable=not progress)
    for (service, kind), keys in groups.items():
        rules = {"min_ratio": min_ratio, "min_excess": min_excess, "z": z,
                 "window": pd.Timedelta(window), "merge_gap": pd.Timedelta(merge_gap)}  # fmt: skip
        mine = {key: bases[key] for key in keys}
        candidates = _candidates(mine, screen=pooled, rules=rules)
        required = min_regions if len(keys) >= ISOLATION_SERIES else 1
        found, loose = [], None
        events = [part for e in group_events(candidates, before) for part in split_event(e, mine)]
        limits = fit_limits(events, before, after, min_keys=required)
        for event, limit in zip(events, limits, strict=True):
            if required > 1 and len({c.key for c in event}) == 1 and not event[0].calibrated:
                loose = loose_candidates(mine, rules) if loose is None else loose
                event = event + companions(event, loose, before)
            if required > 1 and len({c.key for c in event}) == 1:
                continue  # no pooled fit, so no other region borrows: no fit is worth making
            event_rows = estimate_event(
                event, keys, bases, service, key_names,
                level=level, min_lr=min_lr, own_fit_excess=own_fit_excess, pooled=pooled,
                max_pooled_regions=max_pooled_regions, before=before, after=after,
                limits=limit,
            )  # fmt: skip
            if _regions_seen(event_rows) >= required:
                found += event_rows
        rows += [{**row, "kind": kind} for row in without_overlaps(found)]
        bar.update(len(keys))
    bar.close()
    out = pd.DataFrame(rows).reindex(columns=[*key_names[:-1], *WINDOW_COLUMNS])
    # all NaT where no window recovered partly: typed as the other times all the same
    out["partial_from"] = pd.to_datetime(out["partial_from"], utc=True).astype(_TIME)
    out = open_ends(ordered_intervals(out), data_ends(bases), key_names)
    if out.empty:  # no outage: still the columns' types, so that callers can filter and join
        out = out.astype({c: _WINDOW_DTYPES.get(c, "str") for c in out.columns})
    return out.sort_values([*key_names, "start"], ignore_index=True)


def ordered_intervals(windows: pd.DataFrame) -> pd.DataFrame:
    """``windows`` with each end interval starting no earlier than its start interval and each
    start interval ending no later than its end interval: an outage ends after it starts. The
    end's interval of a short window read at coarse bins reached up to two hours before the
    earliest start its own interval allowed (80 of 3,853 rows over six simulations of the 2017
    scenario at hourly and 15-minute bins). Where the true start lies in its interval, no
    true end is lost by the bound.

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    >>> w = pd.DataFrame({"start_low": [t], "start_high": [t + pd.Timedelta("50min")],
    ...                   "end_low": [t - pd.Timedelta("40min")],
    ...                   "end_high": [t + pd.Timedelta("30min")]})
    >>> ordered_intervals(w).iloc[0].dt.strftime("%H:%M").tolist()
    ['20:00', '20:30', '20:00', '20:30']
    """
    early, late = (
        windows["end_low"] < windows["start_low"],
        windows["start_high"] > windows["end_high"],
    )
    return windows.assign(
        end_low=windows["end_low"].mask(early, windows["start_low"]),
        start_high=windows["start_high"].mask(late, windows["end_high"]),
    )


def data_ends(
    bases: Mapping[tuple, SeriesBaseline],
) -> dict[tuple, tuple[pd.Timestamp, pd.Timedelta]]:
    """Each series' data end (the end of its last bin seen, UTC) and its bin width, by key."""
    out = {}
    for key, base in bases.items():
        seen = np.flatnonzero(~np.isnan(base.observed))
        out[key] = (base.times[seen[-1] if len(seen) else 0] + base.width, base.width)
    return out


#: Data a window's end needs after it to be read as an end: a whole bin, and as long as the
#: window's mean report lag (``delay + decay``), up to this long (a slow report tail read
#: at coarse bins, 90 minutes at 15-minute bins, still shows where the reports fell).
OPEN_END_TAIL = pd.Timedelta("1h")


def open_ends(
    windows: pd.DataFrame,
    ends: Mapping[tuple, tuple[pd.Timestamp, pd.Timedelta]],
    key_names: list[str],
) -> pd.DataFrame:
    """``windows`` with an ``ongoing`` column: its series' data (``ends``, from
    :func:`data_ends`; a pooled ``WLD`` row: the latest of its service's series) stop less
    than a bin, or less than the window's mean report lag (up to :data:`OPEN_END_TAIL`),
    after the window's end, so the reports cannot tell whether the outage ended there. The
    end is then at most the data's end, and its upper bounds (``end_high``,
    ``duration_high``) are ``NaT``, as is a partial recovery read from there on. A report
    frame that stops while an outage goes on (data pulled during it) had its end placed up
    to half an hour past the data, with an interval reaching months beyond them.

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    >>> m = pd.Timedelta("1min")
    >>> w = pd.DataFrame({"region": ["BRA", "WLD"], "start": t, "end": t + 58 * m,
    ...                   "end_low": t + 20 * m, "end_high": t + 300 * m,
    ...                   "duration_high": 300 * m, "delay": 8 * m, "decay": 8 * m})
    >>> ends = {("BRA",): (t + 30 * m, m), ("IND",): (t + 90 * m, m)}
    >>> out = open_ends(w, ends, ["region"])
    >>> out["end"].dt.strftime("%H:%M").tolist(), out["end_high"].isna().tolist()
    (['20:30', '20:58'], [True, False])
    """
    if windows.empty:
        return windows.assign(ongoing=pd.Series(dtype=bool))
    latest: dict[tuple, tuple[pd.Timestamp, pd.Timedelta]] = {}
    for key, end in ends.items():
        latest[key[:-1]] = max(latest.get(key[:-1], end), end)
    keys = zip(*(windows[name] for name in key_names), strict=True)
    last = [ends.get(k, latest.get(k[:-1], (pd.NaT, pd.NaT))) for k in keys]
    until = pd.Series([u for u, _ in last], index=windows.index, dtype=windows["end"].dtype)
    width = pd.to_timedelta(pd.Series([w for _, w in last], index=windows.index))
    lag = pd.to_timedelta(windows["delay"]) + pd.to_timedelta(windows["decay"])
    need = np.maximum(width, lag.fillna(pd.Timedelta(0)).clip(upper=OPEN_END_TAIL))
    ongoing = (until - windows["end"] < need).fillna(False).astype(bool)
    end = windows["end"].mask(ongoing & (windows["end"] > until), until)
    if "partial_from" in windows:  # a partial recovery read past the data's end: not seen
        unseen = windows["partial_from"] >= end
        windows = windows.assign(
            partial_from=windows["partial_from"].mask(unseen),
            partial_severity=windows["partial_severity"].mask(unseen),
        )
    return windows.assign(
        end=end,
        duration=end - windows["start"],
        end_low=windows["end_low"].mask(ongoing & (windows["end_low"] > end), end),
        end_high=windows["end_high"].mask(ongoing),
        duration_high=windows["duration_high"].mask(ongoing),
        ongoing=ongoing,
    )


def without_overlaps(rows: list[dict]) -> list[dict]:
    """Window rows of one service without a region's window that lies mostly (over half its
    length) inside a stronger window of the region (one event's pooled window reaching over
    the next event's): the window with the larger likelihood-ratio statistic stands. A region
    is down or not, and such a pair would count its excess reports twice in the impact. Two
    windows that overlap a little (two outages close together, each read in full) both
    stand.

    Examples
    --------
    >>> t = pd.Timestamp("2024-08-10 09:00", tz="UTC")
    >>> rows = [{"region": "GBR", "start": t, "end": t + pd.Timedelta("6h"), "lr_stat": 16.5},
    ...         {"region": "GBR", "start": t + pd.Timedelta("3h"), "end": t + pd.Timedelta("5h"),
    ...          "lr_stat": 4.6},
    ...         {"region": "ITA", "start": t + pd.Timedelta("3h"), "end": t + pd.Timedelta("5h"),
    ...          "lr_stat": 4.6},
    ...         {"region": "GBR", "start": t + pd.Timedelta("5h"), "end": t + pd.Timedelta("8h"),
    ...          "lr_stat": 3.0}]  # the last overlaps the first by an hour of its three
    >>> [(r["region"], r["lr_stat"]) for r in without_overlaps(rows)]
    [('GBR', 16.5), ('GBR', 3.0), ('ITA', 4.6)]
    """
    kept: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: -r["lr_stat"]):
        mine = kept.setdefault(row["region"], [])
        inside = [min(row["end"], o["end"]) - max(row["start"], o["start"]) for o in mine]
        if all(2 * overlap <= row["end"] - row["start"] for overlap in inside):
            mine.append(row)
    return [row for mine in kept.values() for row in mine]


def _regions_seen(rows: list[dict]) -> int:
    """Regions with a window among an event's rows (the pooled ``WLD`` row aside)."""
    return len({row["region"] for row in rows} - {"WLD"})


def _candidates(
    bases: dict[tuple, SeriesBaseline], *, screen: bool, rules: dict[str, object]
) -> list[Candidate]:
    """Candidates of one service's series (see :mod:`analysis.detect.screen`).

    The ``rules`` of :func:`~analysis.detect.candidates.flag_candidates` flag stretches
    of each series; where the history allows a calibration, those usual for the series are
    dropped, and stretches found by pooling the regions (``screen``) are added where the
    fixed rules found nothing.
    """
    scores = {key: calibrated_scores(base) for key, base in bases.items()}
    calibrated = {key: s for key, s in scores.items() if s is not None}
    pooled = pooled_scores(calibrated, bases) if screen else {}
    out = []
    for key, base in bases.items():
        own, pool = scores[key], pooled.get(key)
        fixed = flag_candidates(base, **rules)  # type: ignore[arg-type]
        if own is not None:
            fixed = [(a, b) for a, b in fixed if is_unusual(own, pool, a, b)]
        taken = np.zeros(len(base.times), dtype=bool)
        for a, b in fixed:
            taken[a : b + 1] = True
        extra = [] if own is None else screened_stretches(base, own, pool,
                                                          merge_gap=rules["merge_gap"])  # fmt: skip
        extra = [(a, b) for a, b in extra if not taken[a : b + 1].any()]
        out += [Candidate.of(key, base, a, b, screened=(a, b) in extra, calibrated=own is not None)
                for a, b in fixed + extra]  # fmt: skip
    return out
