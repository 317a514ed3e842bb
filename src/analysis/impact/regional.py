"""Regional impact rows: one per region and window, with the figures its signal kind allows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.activity import activity, awake_share
from analysis.baseline import SeriesBaseline, fitted_baselines, region_zone
from analysis.impact.people import (
    AWAKE_HOURS_PER_DAY,
    HOUR,
    CostModel,
    awake_hours,
    cost,
    minute_midpoints,
    missing_reference,
    novelty,
    users_by_region,
)
from analysis.impact.sums import WindowSum, excess_between, expected_during, per, window_sum
from analysis.io import countries_by_iso3
from analysis.schema import LEVEL, series_kinds, validate_reports

#: The columns a reader looks at first in :func:`regional_impact`'s table: how long, how
#: many reports over normal, per user and per awake user-hour, how many users were exposed,
#: the rival's uplift and the cost.
HEADLINE_COLUMNS = [
    "region", "name", "duration", "excess_reports", "excess_per_million_users", "awake_share",
    "reliance_index", "user_hours_exposed", "rival_uplift", "cost_usd_exposed",
]  # fmt: skip

#: Columns of :func:`regional_impact`'s table, in order.
IMPACT_COLUMNS = [
    "region", "kind", "name", "continent", "market", "income_group", "start", "end",
    "duration", "duration_low", "duration_high", "start_low", "start_high", "end_low",
    "end_high", "observed_reports", "expected_reports", "excess_reports", "excess_low",
    "excess_high", "excess_se", "excess_se_window", "missing_bins", "imputed_excess", "users",
    "users_low", "users_high", "penetration", "penetration_source", "penetration_shared",
    "excess_per_million_users", "excess_per_million_users_low",
    "excess_per_million_users_high", "awake_share", "mean_activity",
    "excess_per_million_awake", "reliance_index", "reliance_index_low", "reliance_index_high",
    "excess_ratio", "excess_ratio_low", "excess_ratio_high", "depth", "depth_low",
    "depth_high", "lost_share_hours", "lost_share_hours_low", "lost_share_hours_high",
    "awake_users", "user_hours_exposed", "user_hours_exposed_low",
    "user_hours_exposed_high", "rival_excess", "rival_uplift", "rival_uplift_low",
    "rival_uplift_high", "cost_usd_exposed", "cost_usd_exposed_low", "cost_usd_exposed_high",
    "weak_baseline", "missing_reference", "omitted", "level",
]  # fmt: skip

#: What a window still going on when the data end (``ongoing``, see
#: :func:`~analysis.detect.estimate_outages`) leaves out of its row (``omitted``).
ONGOING = ("upper bounds past the data: the outage was still going on when the data end, so "
           "the figures and their upper bounds count it up to there")  # fmt: skip

#: What each signal kind leaves out of its rows, and why (``omitted``).
OMITTED = {
    "reports": "",
    "level": "users, per-user figures, user-hours and cost: a level (traffic, reachability) "
    "counts no people; its loss is the depth times the duration (lost_share_hours)",
    "index": "users, per-user figures, user-hours and cost: an index is rescaled in every "
    "export and counts no people; only its ratio to its own baseline (excess_ratio) is given",
}


def resolve_services(
    reports: pd.DataFrame,
    service: str | None = None,
    rival: str | None = None,
    outages: pd.DataFrame | None = None,
) -> tuple[str | None, str | None]:
    """Which service's outage to measure and which rival's sign-ups, in a report frame.

    ``service`` defaults to the only service of ``outages`` (when it has a ``service``
    column), else the only service of the reports, else the only one that is not ``rival``.
    The rival is kept only if its series are present. ``(None, None)`` for a frame without a
    ``service`` column.

    Raises
    ------
    ValueError
        When the service is ambiguous or absent.

    Examples
    --------
    >>> t = pd.date_range("2017-05-03", periods=2, freq="h", tz="UTC")
    >>> frame = pd.DataFrame({"time": t.repeat(2), "region": "BRA", "reports": 1,
    ...                       "service": ["whatsapp", "telegram"] * 2})
    >>> resolve_services(frame, rival="telegram")
    ('whatsapp', 'telegram')
    """
    if "service" not in reports.columns:
        return None, None
    present = sorted(reports["service"].unique())
    if service is None:
        services = (
            outages["service"].unique()
            if outages is not None and "service" in outages.columns
            else []
        )
        if len(services) == 1:
            service = str(services[0])
        elif len(present) == 1:
            service = present[0]
        elif rival in present and len(present) == 2:
            service = next(s for s in present if s != rival)
        else:
            raise ValueError(
                f"the reports hold several services {present}: pass service= to say which "
                "one's outage to measure"
            )
    if service not in present:
        raise ValueError(f"service {service!r} is not in the reports (services: {present})")
    rival = rival if rival in present and rival != service else None
    return service, rival


@dataclass(frozen=True)
class _Context:
    """What every row of one call shares: reference tables, options and the rival's series."""

    table: pd.DataFrame
    people: pd.DataFrame
    rival_bases: dict[str, SeriesBaseline]
    cost: CostModel
    level: float
    tail: pd.Timedelta
    rival_tail: pd.Timedelta

    @property
    def zq(self) -> float:
        return float(stats.norm.ppf(0.5 + self.level / 2))


def service_reports(
    reports: pd.DataFrame, service: str | None = None, rival: str | None = None
) -> tuple[pd.DataFrame, str | None]:
    """The series of the service whose outage is measured (:func:`resolve_services`) and its
    name: the whole frame and ``None`` for a frame without a ``service`` column.

    Raises
    ------
    ValueError
        When the service is ambiguous or not in the reports.

    Examples
    --------
    >>> t = pd.date_range("2017-05-03", periods=2, freq="h", tz="UTC")
    >>> frame = pd.DataFrame({"time": t.repeat(2), "region": "BRA", "reports": [5, 1, 6, 2],
    ...                       "service": ["whatsapp", "telegram"] * 2})
    >>> main, service = service_reports(frame, rival="telegram")
    >>> service, main["reports"].tolist()
    ('whatsapp', [5, 6])
    >>> service_reports(frame.drop(columns="service"))[1] is None
    True
    """
    service, _ = resolve_services(reports, service, rival)
    return (reports if service is None else reports[reports["service"] == service]), service


def regional_impact(
    reports: pd.DataFrame,
    outages: pd.DataFrame,
    countries: pd.DataFrame | None = None,
    *,
    service: str | None = None,
    rival: str | None = "telegram",
    users: Mapping[str, float] | pd.Series | None = None,
    users_total: float | None = None,
    level: float = LEVEL,
    tail: str | pd.Timedelta = "1h",
    rival_tail: str | pd.Timedelta = "6h",
    cost: CostModel | None = None,
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    check_input: bool = True,
) -> pd.DataFrame:
    """Impact of an outage per region: excess reports, per-user figures, users, cost.

    See the :mod:`analysis.impact` docstring for the method and its assumptions. Each row
    gives what its series' kind allows (the ``kind`` column of the reports,
    :data:`~analysis.schema.KINDS`): problem-report counts (``reports``) every figure; a
    ``level`` (traffic, reachability) the share of its normal signal lost (``depth``) and
    that share times the duration (``lost_share_hours``); an ``index`` its ratio to its own
    baseline only. Figures left out are NaN and ``omitted`` says which and why.

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here); may hold the service's and a rival's series.
    outages : DataFrame
        ``region, start, end`` per region (UTC), e.g. from
        :func:`~analysis.estimate_outages` or :attr:`Simulation.truth`; optional
        ``start_low, start_high, end_low, end_high`` (intervals), ``delay, decay``
        (the reporting kernel, Timedelta) and ``service``. A ``WLD`` row is the worldwide
        window (used by :func:`~analysis.summarize_impact`), not a region, unless the
        reports hold a ``WLD`` series. A region with two windows gets two rows.
    countries : DataFrame, optional
        The country table (default :func:`~analysis.load_countries`).
    service : str, optional
        The service whose outage is measured, when the reports hold several.
    rival : str, optional
        The rival service whose sign-ups are measured, if its series are present.
    users : mapping or Series of float, optional
        Users per region, overriding the derived ones (e.g. ``sim.inputs["users"]``).
    users_total : float, optional
        Scale the derived users of every country of the table so they add up to this many
        (e.g. 1.2e9 monthly WhatsApp users in May 2017).
    level : float
        Level of every interval, in (0, 1).
    tail : str or Timedelta
        Report tail counted after the end when ``outages`` has no ``delay``/``decay``
        (none for a level: the signal is back when the outage ends).
    rival_tail : str or Timedelta
        How long after the start the rival's sign-ups are counted.
    cost : CostModel, optional
        The cost model (default :class:`~analysis.CostModel`).
    baselines : mapping, optional
        The series' baselines (of the service and the rival), fitted once
        (:func:`~analysis.baseline.series_baselines`) and handed along (default: fitted
        here).
    check_input : bool
        Validate ``reports`` (:func:`~analysis.validate_reports`). ``False`` skips it, for
        a frame that has just been validated, as :class:`~analysis.study.Study` hands its
        own to each step (as scikit-learn's ``check_input``); a frame that is not valid then
        gives wrong results or obscure errors.

    Returns
    -------
    DataFrame
        One row per region and window, columns :data:`IMPACT_COLUMNS`: counts in reports
        (in the signal's units for a level or an index); ``excess_se`` (reports) and the
        part of it from the window's uncertainty (``excess_se_window``); ``users*`` and
        ``awake_users`` in persons; ``excess_per_million_users`` (reports per million users),
        ``excess_per_million_awake`` (per million users awake), ``reliance_index`` (excess
        reports per million active user-hours), ``excess_ratio`` (excess, report tail
        included, over the reports expected during the window), ``depth`` (share of a level
        lost), ``lost_share_hours`` (depth x hours), ``user_hours_exposed`` (awake
        person-hours in the window: everyone there, not only those cut off),
        ``cost_usd_exposed`` (US$, an estimate, if every user there was cut off);
        ``*_low``/``*_high`` bound intervals at ``level`` (the ``users`` range is a
        plausible range, not a confidence interval); ``missing_reference`` names the
        reference values that were missing and ``omitted`` the figures the kind leaves out
        ('' when none).

    Raises
    ------
    ValueError
        If ``outages`` lacks ``region``/``start``/``end``, has a window that ends before it
        starts, names a region without a series in the reports, or the service is ambiguous.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA", "IND", "DEU")), seed=1)
    >>> impact = regional_impact(sim.reports, sim.truth)
    >>> impact.set_index("region").loc["BRA", "awake_share"].round(2)  # 17:00-19:30 local
    np.float64(0.97)
    >>> bool((impact["excess_low"] > 0).all())
    True
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    reports = validate_reports(reports) if check_input else reports
    service, rival = resolve_services(reports, service, rival, outages)
    outages = _checked_outages(outages, service)
    main = reports if service is None else reports[reports["service"] == service]
    bases = {key[-1]: b for key, b in fitted_baselines(main, baselines).items()}
    kinds = {key[-1]: k for key, k in series_kinds(main).items()}
    rows_in = outages[(outages["region"] != "WLD") | ("WLD" in bases)]
    absent = sorted(set(rows_in["region"]) - set(bases))
    if absent:
        raise ValueError(f"outages name regions without a series in the reports: {absent}")
    table = countries_by_iso3(countries)
    counted = [r for r in rows_in["region"].unique() if kinds[r] == "reports"]
    rival_reports = reports[reports["service"] == rival] if rival else None
    context = _Context(
        table, users_by_region(np.array(counted), table, users, users_total),
        {} if rival_reports is None
        else {key[-1]: b for key, b in fitted_baselines(rival_reports, baselines).items()},
        cost or CostModel(), level, pd.Timedelta(tail), pd.Timedelta(rival_tail),
    )  # fmt: skip
    avoid: dict[str, list] = {}
    for o in rows_in.itertuples():
        o_tail = pd.Timedelta(0) if kinds[o.region] == "level" else _tail(o, context.tail)
        avoid.setdefault(o.region, []).append((o.start - 2 * HOUR, o.end + o_tail + 2 * HOUR))
    rows = [_row(o, bases[o.region], kinds[o.region], avoid[o.region], context)
            for o in rows_in.itertuples()]  # fmt: skip
    out = pd.DataFrame(rows, columns=IMPACT_COLUMNS)
    for column in ("kind", "name", "continent", "market", "income_group",
                   "penetration_source", "missing_reference", "omitted"):  # fmt: skip
        out[column] = out[column].astype("str").where(out[column].notna(), None)
    return out.sort_values(["region", "start"], ignore_index=True)


def _checked_outages(outages: pd.DataFrame, service: str | None) -> pd.DataFrame:
    """The outage windows of ``service``, numbered from 0, after checking their columns and
    that each ends after it starts."""
    missing = {"region", "start", "end"} - set(outages.columns)
    if missing:
        raise ValueError(f"outages lacks the columns {sorted(missing)} (need region, start, end)")
    if "service" in outages.columns and service is not None:
        outages = outages[outages["service"] == service]
    outages = outages.reset_index(drop=True)
    backwards = outages.index[outages["end"] <= outages["start"]].tolist()
    if backwards:
        raise ValueError(f"outages: end is not after start in rows {backwards[:5]}")
    return outages


def _row(o: object, base: SeriesBaseline, kind: str, avoid: list, context: _Context) -> dict:
    """One region's row for window ``o`` (a row of the outages table)."""
    start, end = o.start, o.end
    bounds = {name: given(getattr(o, name, None), default) for name, default in
              (("start_low", start), ("start_high", start), ("end_low", end),
               ("end_high", end), ("duration_low", end - start),
               ("duration_high", end - start))}  # fmt: skip
    z_window = float(stats.norm.ppf(0.5 + given(getattr(o, "level", None), context.level) / 2))
    tail = pd.Timedelta(0) if kind == "level" else _tail(o, context.tail)
    s = window_sum(base, start, end + tail, avoid)
    se_window = _window_se(base, bounds, start, end, tail, z_window)
    se = float(np.hypot(np.sqrt(s.variance), se_window))
    log_se_duration = _log_se(bounds["duration_low"] / HOUR, (end - start) / HOUR,
                              bounds["duration_high"] / HOUR, z_window)  # fmt: skip
    during = expected_during(base, start, end)
    zone = region_zone(o.region)
    minutes = minute_midpoints(start, end)
    ref = context.table.loc[o.region] if o.region in context.table.index else None
    row = {
        "region": o.region, "kind": kind,
        **{c: (ref[c] if ref is not None else pd.NA)
           for c in ("name", "continent", "market", "income_group")},
        "start": start, "end": end, "duration": end - start, **bounds,
        "observed_reports": s.observed, "expected_reports": s.expected,
        "excess_reports": s.excess, "excess_low": s.excess - context.zq * se,
        "excess_high": s.excess + context.zq * se, "excess_se": se,
        "excess_se_window": se_window,
        "missing_bins": s.missing, "imputed_excess": s.imputed,
        "awake_share": float(awake_share(minutes, zone).mean()),
        "mean_activity": float(np.mean(activity(minutes, zone) * novelty(o, minutes - start))),
        **_scaled("excess_ratio", s.excess, se, during, log_se_duration, context.zq),
        **_rival(context.rival_bases.get(o.region), start, context.rival_tail, context.zq),
        "weak_baseline": s.weak, "omitted": OMITTED[kind], "level": context.level,
    }  # fmt: skip
    if given(getattr(o, "ongoing", None), False):
        row["omitted"] = "; ".join(x for x in (row["omitted"], ONGOING) if x)
    if kind == "reports":
        return {**row, **_people_figures(row, ref, zone, context, log_se_duration)}
    if kind == "level":
        return {**row, **_lost_share(s, se, bounds, context.zq, end - start)}
    return row


def _window_se(base: SeriesBaseline, bounds: dict, start: pd.Timestamp, end: pd.Timestamp,
               tail: pd.Timedelta, zq: float) -> float:  # fmt: skip
    """Standard error of the excess (reports) from the window's own uncertainty: how far the
    excess moves as the start and the end each cross their interval (``zq`` standard errors
    either side), combined as independent (0 for a window given without intervals)."""
    by_start = excess_between(base, bounds["start_low"], end + tail) - excess_between(
        base, bounds["start_high"], end + tail
    )
    by_end = excess_between(base, start, bounds["end_high"] + tail) - excess_between(
        base, start, bounds["end_low"] + tail
    )
    return float(np.hypot(by_start, by_end)) / (2 * zq)


def given(value: object, default: object) -> object:
    """``value``, or ``default`` where it is absent or missing."""
    return default if value is None or pd.isna(value) else value


def _log_se(low: float, mid: float, high: float, zq: float) -> np.ndarray:
    """Standard errors on the log scale, below and above ``mid``, of a quantity whose
    interval (or plausible range, read as one at the same level) is ``low``..``high``,
    ``zq`` standard errors either side: a range need not be symmetric about its estimate.
    Ends are taken as within a factor of 1000 of ``mid``."""
    if pd.isna(low) or pd.isna(high) or not mid > 0:
        return np.full(2, np.nan)
    below, above = mid / max(low, mid / 1000), min(high, mid * 1000) / mid
    return np.log([below, above]) / zq


def _scaled(name: str, value: float, se: float, denominator: float, log_se: np.ndarray,
            zq: float) -> dict[str, float]:  # fmt: skip
    """``name``, ``name_low``, ``name_high``: ``value / denominator`` and its interval, with
    ``se`` (``value``'s standard error) and ``log_se`` (the denominator's below and above
    it, on the log scale, see :func:`_log_se`) combined as independent by the delta method:
    on the log scale where the value's own interval is above 0 (a ratio's uncertainty is
    relative), else on the linear scale. A small denominator makes the figure large, so
    the high end takes the denominator's spread below it."""
    mid = per(value, denominator)
    if not np.isfinite(mid):
        return {name: mid, f"{name}_low": np.nan, f"{name}_high": np.nan}
    above, below = log_se  # of the figure: the denominator's other side
    if value - zq * se > 0:
        relative = se / value
        return {name: mid, f"{name}_low": mid * np.exp(-zq * np.hypot(relative, below)),
                f"{name}_high": mid * np.exp(zq * np.hypot(relative, above))}  # fmt: skip
    half = zq * np.hypot(se, abs(value) * np.array([below, above])) / denominator
    return {name: mid, f"{name}_low": mid - half[0], f"{name}_high": mid + half[1]}


def _people_figures(row: dict, ref: pd.Series | None, zone: str, context: _Context,
                    log_se_duration: np.ndarray) -> dict:  # fmt: skip
    """Users, per-user figures, user-hours and cost of a report-count row (``log_se_duration``:
    the duration's standard errors on the log scale, see :func:`_log_se`)."""
    region, start, end = row["region"], row["start"], row["end"]
    u = context.people.loc[region] if region in context.people.index else None
    n_users, low, high = (
        (np.nan, np.nan, np.nan) if u is None
        else (float(u["users"]), float(u["users_low"]), float(u["users_high"]))
    )  # fmt: skip
    millions = n_users / 1e6
    active_hours = millions * row["mean_activity"] * ((end - start) / HOUR)
    hours = awake_hours(start, end, zone)
    excess, se, zq = row["excess_reports"], row["excess_se"], context.zq
    log_se_users = _log_se(low, n_users, high, zq)
    log_se_hours = np.hypot(log_se_users, log_se_duration)
    return {
        "users": n_users, "users_low": low, "users_high": high,
        "penetration": float(u["penetration"]) if u is not None else np.nan,
        "penetration_source": u["penetration_source"] if u is not None else "none",
        "penetration_shared": float(u["penetration_shared"]) if u is not None else np.nan,
        **_scaled("excess_per_million_users", excess, se, millions, log_se_users, zq),
        "excess_per_million_awake": per(excess, millions * row["awake_share"]),
        **_scaled("reliance_index", excess, se, active_hours, log_se_hours, zq),
        "awake_users": n_users * row["awake_share"],
        "user_hours_exposed": n_users * hours,
        "user_hours_exposed_low": low * awake_hours(row["start_high"], row["end_low"], zone),
        "user_hours_exposed_high": high * awake_hours(row["start_low"], row["end_high"], zone),
        **cost(ref, hours / AWAKE_HOURS_PER_DAY, context.cost),
        "missing_reference": missing_reference(region, u, ref),
    }  # fmt: skip


def _lost_share(s: WindowSum, se: float, bounds: dict, zq: float, duration: pd.Timedelta) -> dict:
    """A level's ``depth`` (share of the normal signal lost over the window) and
    ``lost_share_hours`` (depth x hours), with intervals: the depth's from the excess's, the
    hours' from the duration's interval (``duration_low``..``duration_high``)."""
    depth = {x: per(-(s.excess - k * zq * se), s.expected)
             for x, k in (("", 0), ("_low", -1), ("_high", 1))}  # fmt: skip
    shortest, longest = bounds["duration_low"] / HOUR, bounds["duration_high"] / HOUR
    return {
        **{f"depth{x}": v for x, v in depth.items()},
        "lost_share_hours": depth[""] * (duration / HOUR),
        "lost_share_hours_low": depth["_low"] * shortest,
        "lost_share_hours_high": depth["_high"] * longest,
    }


def one_per_region(impact: pd.DataFrame) -> pd.DataFrame:
    """Keep each region's largest window (for comparisons across regions, which take one
    value per region), sorted by region: the most excess reports, or for a level the
    deepest loss (the most negative excess).

    Examples
    --------
    >>> t = pd.DataFrame({"region": ["BRA", "BRA", "IND"], "excess_reports": [5.0, 9.0, 1.0]})
    >>> one_per_region(t)["excess_reports"].tolist()
    [9.0, 1.0]
    """
    size = impact["excess_reports"]
    if "kind" in impact.columns:
        size = size.where(impact["kind"] != "level", -size)
    largest = impact.iloc[np.argsort(-size.to_numpy(float), kind="stable")]
    return largest.drop_duplicates("region").sort_values("region", ignore_index=True)


def _tail(o: object, default: pd.Timedelta) -> pd.Timedelta:
    """The report tail after a window's end: from its fitted kernel where known."""
    delay, decay = getattr(o, "delay", pd.NaT), getattr(o, "decay", pd.NaT)
    if pd.notna(delay) and pd.notna(decay):
        return pd.Timedelta(delay) + 5 * pd.Timedelta(decay)
    return pd.Timedelta(default)


def _rival(base: SeriesBaseline | None, start: pd.Timestamp, span: pd.Timedelta,
           zq: float) -> dict:  # fmt: skip
    """The rival's excess sign-ups over ``span`` from ``start`` and their uplift over the
    expected count, with its interval (NaN without a rival series)."""
    if base is None:
        return {"rival_excess": np.nan, "rival_uplift": np.nan, "rival_uplift_low": np.nan,
                "rival_uplift_high": np.nan}  # fmt: skip
    s = window_sum(base, start, start + span, [(start - 2 * HOUR, start + span + 2 * HOUR)])
    half = zq * np.sqrt(s.variance)
    return {
        "rival_excess": s.excess,
        "rival_uplift": per(s.excess, s.expected),
        "rival_uplift_low": per(s.excess - half, s.expected),
        "rival_uplift_high": per(s.excess + half, s.expected),
    }
