"""Regional impact of an outage: who was hurt, how much, and at what cost.

:func:`regional_impact` turns a report frame and its outage windows (from
:func:`~analysis.estimate_outages`, or a simulation's truth) into one tidy row per region;
:func:`summarize_impact` adds the rows up into a worldwide summary. Method, per region:

1. **Excess reports.** Observed minus expected reports (the baseline of
   :mod:`analysis.baseline`) over every bin that overlaps the outage window or its report tail
   (``delay_min + 5 decay_min`` of the fitted reporting kernel where the windows carry it,
   else ``tail``). Missing bins add nothing and are counted (``missing_bins``). Its interval
   at ``level`` combines (normal approximation) the spread of the same sum over the same
   clock hours on the other days of the history (the root mean square of observed minus
   expected there: baseline error and noise, bursts included; with fewer than three such
   days, the negative binomial's variance instead) with the negative-binomial variance of the
   excess counts themselves.
2. **Per user.** Users of the service come from :func:`~analysis.users.service_users`
   (internet users x penetration: published where found, else assumed by market; optional
   scaling to a known world total). ``excess_per_million_users`` is the naive figure.
3. **Awake and active.** Local time in each region's reference zone gives the share of
   people awake during the window (:func:`~analysis.activity.awake_share`) and the users'
   relative activity (:func:`~analysis.activity.activity`, 1 = a weekday's average).
   ``excess_per_million_awake`` divides by the users awake; ``reliance_index`` by the
   *active user-hours* cut off (users x mean activity x hours), so an outage at 3 a.m. and
   one at 9 p.m. are measured on the same footing: this is the activity-adjusted figure.
   Where the windows carry the reporting novelty (``novelty_floor``,
   ``novelty_decay_min``, as :func:`~analysis.estimate_outages` fits them: a long outage's
   reports settle after an early peak), each minute's activity is weighted by it, so that
   a region whose users wake up late in the window is not read as less reliant
   (``mean_activity`` is then novelty-weighted too).
   ``excess_ratio`` divides by the reports normally expected during the window: it needs
   neither user counts nor activity profiles (only that the usual reporting volume tracks
   the user base in each region).
4. **Users and hours.** ``affected_users`` are the region's service users (all were cut
   off; ``users_low``..``users_high`` the plausible range); ``awake_users`` those awake on
   average; ``user_hours_lost`` the awake user-hours without the service, from
   ``users_low`` over the window's shortest reading (``start_high``..``end_low``) to
   ``users_high`` over its longest (``start_low``..``end_high``).
5. **Rival.** Where the frame also holds a rival service's series (``telegram`` sign-ups),
   its excess over ``rival_tail`` after the start and the uplift relative to its expected
   count (``rival_uplift``: 0.5 = 50% more sign-ups than usual).
6. **Cost (an estimate, not a measurement).** In the style of published shutdown-cost
   tools (West 2016, Brookings; NetBlocks COST), ``cost_usd`` = a day's national income x the
   internet economy's share of it x the share of that depending on the service x the
   share of the day's waking hours lost; see :class:`CostModel` for every figure, its
   source and its range (``cost_usd_low``..``cost_usd_high``).

Reference values that are missing (a country outside the table, an unknown GNI) leave the
figures that need them missing and are named in ``missing_reference``; no region is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.activity import AWAKE_SHARE, activity, awake_share
from analysis.baseline import SeriesBaseline, region_zone, series_baselines
from analysis.io import countries_by_iso3
from analysis.schema import ReportDataError, validate_reports

__all__ = [
    "IMPACT_COLUMNS",
    "CostModel",
    "WorldImpact",
    "one_per_region",
    "regional_impact",
    "summarize_impact",
]

MINUTE = pd.Timedelta("1min")
HOUR = pd.Timedelta("1h")
DAY = pd.Timedelta("1D")
#: Awake person-hours in a day per person (the mean of the awake profile x 24 hours).
AWAKE_HOURS_PER_DAY = float(np.mean(AWAKE_SHARE) * 24)
#: Columns of :func:`regional_impact`'s table, in order.
IMPACT_COLUMNS = [
    "region", "name", "continent", "market", "income_group", "start", "end", "duration",
    "start_low", "start_high", "end_low", "end_high", "observed_reports", "expected_reports",
    "excess_reports", "excess_low", "excess_high", "excess_se", "missing_bins",
    "users", "users_low", "users_high", "penetration", "penetration_source",
    "excess_per_million_users", "excess_per_million_users_low",
    "excess_per_million_users_high", "awake_share", "mean_activity",
    "excess_per_million_awake", "reliance_index", "reliance_index_low", "reliance_index_high",
    "excess_ratio", "affected_users", "awake_users", "user_hours_lost",
    "user_hours_lost_low", "user_hours_lost_high", "rival_excess", "rival_uplift",
    "rival_uplift_low", "rival_uplift_high", "cost_usd", "cost_usd_low", "cost_usd_high",
    "weak_baseline", "missing_reference", "level",
]  # fmt: skip


@dataclass(frozen=True)
class CostModel:
    """How :func:`regional_impact` estimates the cost of an outage (US$), and its sources.

    ``cost = national income per day x internet_share x service_share x lost share of the
    waking day``, where national income is GNI per capita (World Bank, Atlas method, current
    US$; the country table has no GDP) x population, and the lost share of the waking day is
    the awake person-hours in the window over those of a whole day. The range multiplies the
    low (high) ends of both shares.

    Parameters
    ----------
    internet_share : mapping of str to float
        The internet economy's share of national income, by market. Developed 4.3%: Boston
        Consulting Group, *The Internet Economy in the G-20* (March 2012), developed markets'
        average share in 2010; developing 1.9%: McKinsey Global Institute, *Online and
        upcoming: the Internet's impact on aspiring countries* (January 2012), average of 30
        aspiring countries.
    internet_share_range : mapping of str to tuple of two floats
        Plausible range by market: developed 3.4% (McKinsey, *Internet matters*, 2011, 13
        countries) to 8.3% (BCG 2012, the United Kingdom); developing 1.4% (BCG 2012 via
        West 2016, Indonesia) to 5.5% (BCG 2012, China).
    service_share : float
        Share of the internet economy that stops with the service. No published per-app
        share was found; 0.4 makes this model give West's (Brookings, 2016) published cost
        of one day of WhatsApp blocked in Brazil (May 2016, US$39 million) from Brazil's
        GNI: a calibration on one published estimate, an assumption.
    service_share_range : tuple of two floats
        Its range (an assumption: half to twice the calibrated value).
    """

    internet_share: Mapping[str, float] = field(
        default_factory=lambda: {"developed": 0.043, "developing": 0.019}
    )
    internet_share_range: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {"developed": (0.034, 0.083), "developing": (0.014, 0.055)}
    )
    service_share: float = 0.4
    service_share_range: tuple[float, float] = (0.2, 0.8)


@dataclass(frozen=True)
class _Sum:
    """Observed and expected reports summed over a range of bins, and the excess's variance."""

    observed: float
    expected: float
    variance: float
    missing: int
    weak: bool

    @property
    def excess(self) -> float:
        return self.observed - self.expected


def _bins(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> slice:
    """Bins of ``base`` that overlap [lo, hi)."""
    n = len(base.times)
    a = int(np.floor((lo - base.times[0]) / base.width))
    b = int(np.ceil((hi - base.times[0]) / base.width))
    return slice(min(max(a, 0), n), min(max(b, 0), n))


def _window_sum(
    base: SeriesBaseline,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    avoid: list[tuple[pd.Timestamp, pd.Timestamp]],
) -> _Sum:
    """Observed, expected and the variance of their difference over the bins overlapping
    [lo, hi). ``avoid``: outage windows (with tails) that the other days' sums must miss."""
    cut = _bins(base, lo, hi)
    y, e = base.observed[cut], base.expected[cut]
    seen = ~np.isnan(y)
    y, e = y[seen], e[seen]
    k = base.dispersion
    # the other days: the same clock hours, fully collected, clear of any outage window
    others = []
    for days in range(-60, 61):
        if days == 0:
            continue
        shift = days * DAY
        a, b = lo + shift, hi + shift
        if a < base.times[0] or b > base.times[-1] + base.width:
            continue
        if any(a < w_hi and w_lo < b for w_lo, w_hi in avoid):
            continue
        other = _bins(base, a, b)
        oy = base.observed[other]
        if np.isnan(oy).mean() > 0.1:
            continue
        ok = ~np.isnan(oy)
        others.append(float(np.sum(oy[ok] - base.expected[other][ok])))
    null = float(np.mean(np.square(others))) if len(others) >= 3 else float(np.sum(e + e**2 / k))
    lift = np.maximum(y - e, 0)
    variance = null + float(np.sum(lift * (1 + (y + e) / k)))
    return _Sum(float(y.sum()), float(e.sum()), variance, int((~seen).sum()),
                base.weak or len(others) < 3)  # fmt: skip


def _expected_during(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Reports normally expected during [lo, hi), bins weighted by their overlap."""
    cut = _bins(base, lo, hi)
    starts = base.times[cut]
    overlap = (np.minimum(starts + base.width, hi) - np.maximum(starts, lo)) / base.width
    return float(np.sum(base.expected[cut] * np.clip(np.asarray(overlap, float), 0, 1)))


def _minutes(lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Minute midpoints of [lo, hi) (at least one)."""
    n = max(1, round((hi - lo) / MINUTE))
    step = (hi - lo) / n if hi > lo else MINUTE
    return pd.date_range(lo + step / 2, periods=n, freq=step)


def _awake_hours(lo: pd.Timestamp, hi: pd.Timestamp, zone: str) -> float:
    """Awake share integrated over [lo, hi), in hours (0 for an empty window)."""
    if hi <= lo:
        return 0.0
    return float(awake_share(_minutes(lo, hi), zone).mean() * ((hi - lo) / HOUR))


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


def _require_report_counts(reports: pd.DataFrame) -> None:
    """Refuse series that are not problem-report counts: per-user figures, affected users
    and costs are counts of people reporting, and a level or an index holds none."""
    if "kind" not in reports.columns:
        return
    other = reports.loc[reports["kind"] != "reports", ["region", "kind"]].drop_duplicates()
    if len(other):
        listed = ", ".join(f"{r.region} ({r.kind})" for r in other.head(5).itertuples())
        raise ReportDataError(
            reports.attrs.get("source", "<DataFrame>"),
            f"regional impact counts reports per user, affected users and costs, which need "
            f"problem-report counts; these series are not: {listed}. A level's drop has its "
            "depth and duration in estimate_outages; an index gives ratios only",
            column="kind",
        )


def regional_impact(
    reports: pd.DataFrame,
    outages: pd.DataFrame,
    countries: pd.DataFrame | None = None,
    *,
    service: str | None = None,
    rival: str | None = "telegram",
    users: Mapping[str, float] | pd.Series | None = None,
    users_total: float | None = None,
    level: float = 0.9,
    tail: str | pd.Timedelta = "1h",
    rival_tail: str | pd.Timedelta = "6h",
    cost: CostModel | None = None,
) -> pd.DataFrame:
    """Impact of an outage per region: excess reports, per-user figures, users, cost.

    See the module docstring for the method and its assumptions.

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here); may hold the service's and a rival's series.
    outages : DataFrame
        ``region, start, end`` per region (UTC), e.g. from
        :func:`~analysis.estimate_outages` or :attr:`Simulation.truth`; optional
        ``start_low, start_high, end_low, end_high`` (intervals), ``delay_min, decay_min``
        (the reporting kernel, minutes) and ``service``. A ``WLD`` row is the worldwide
        window (used by :func:`summarize_impact`), not a region, unless the reports hold a
        ``WLD`` series. A region with two windows gets two rows.
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
        Report tail counted after the end when ``outages`` has no ``delay_min``/``decay_min``.
    rival_tail : str or Timedelta
        How long after the start the rival's sign-ups are counted.
    cost : CostModel, optional
        The cost model (default :class:`CostModel`).

    Returns
    -------
    DataFrame
        One row per region and window, columns :data:`IMPACT_COLUMNS`: counts in reports;
        ``users*``, ``affected_users``, ``awake_users`` in persons;
        ``excess_per_million_users`` (reports per million users), ``excess_per_million_awake``
        (per million users awake), ``reliance_index`` (excess reports per million active
        user-hours), ``excess_ratio`` (excess over the reports expected in the window),
        ``user_hours_lost`` (awake person-hours), ``cost_usd`` (US$, an estimate);
        ``*_low``/``*_high`` bound intervals at ``level`` (the ``users`` range is a plausible
        range, not a confidence interval); ``missing_reference`` names the reference values
        that were missing ('' when none).

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
    reports = validate_reports(reports)
    missing = {"region", "start", "end"} - set(outages.columns)
    if missing:
        raise ValueError(f"outages lacks the columns {sorted(missing)} (need region, start, end)")
    service, rival = resolve_services(reports, service, rival, outages)
    if "service" in outages.columns and service is not None:
        outages = outages[outages["service"] == service]
    outages = outages.reset_index(drop=True)
    backwards = outages.index[outages["end"] <= outages["start"]].tolist()
    if backwards:
        raise ValueError(f"outages: end is not after start in rows {backwards[:5]}")
    main = reports if service is None else reports[reports["service"] == service]
    _require_report_counts(main)
    bases = {key[-1]: b for key, b in series_baselines(main).items()}
    rival_bases = (
        {key[-1]: b for key, b in series_baselines(reports[reports["service"] == rival]).items()}
        if rival
        else {}
    )
    has_world_series = "WLD" in bases
    rows_in = outages[(outages["region"] != "WLD") | has_world_series]
    absent = sorted(set(rows_in["region"]) - set(bases))
    if absent:
        raise ValueError(f"outages name regions without a series in the reports: {absent}")
    table = countries_by_iso3(countries)
    people = _users(rows_in["region"].unique(), table, users, users_total)
    zq = stats.norm.ppf(0.5 + level / 2)
    cost = cost or CostModel()
    avoid_by_region: dict[str, list] = {}
    for o in rows_in.itertuples():
        avoid_by_region.setdefault(o.region, []).append(
            (o.start - 2 * HOUR, o.end + _tail(o, tail) + 2 * HOUR)
        )
    rows = []
    for o in rows_in.itertuples():
        region = o.region
        base = bases[region]
        zone = region_zone(region)
        start, end = o.start, o.end
        s = _window_sum(base, start, end + _tail(o, tail), avoid_by_region[region])
        se = float(np.sqrt(s.variance))
        lo_e, hi_e = s.excess - zq * se, s.excess + zq * se
        expected_during = _expected_during(base, start, end)
        hours = (end - start) / HOUR
        minutes = _minutes(start, end)
        awake = float(awake_share(minutes, zone).mean())
        act = float(np.mean(activity(minutes, zone) * _novelty(o, minutes - start)))
        u = people.loc[region] if region in people.index else None
        n_users = float(u["users"]) if u is not None else np.nan
        per_million = n_users / 1e6
        active_hours = per_million * act * hours
        start_high = getattr(o, "start_high", start)
        end_low = getattr(o, "end_low", end)
        start_low = getattr(o, "start_low", start)
        end_high = getattr(o, "end_high", end)
        awake_hours = _awake_hours(start, end, zone)
        ref = table.loc[region] if region in table.index else None
        gaps = _missing_reference(region, u, ref)
        row = {
            "region": region,
            "name": ref["name"] if ref is not None else pd.NA,
            "continent": ref["continent"] if ref is not None else pd.NA,
            "market": ref["market"] if ref is not None else pd.NA,
            "income_group": ref["income_group"] if ref is not None else pd.NA,
            "start": start, "end": end, "duration": end - start,
            "start_low": start_low, "start_high": start_high,
            "end_low": end_low, "end_high": end_high,
            "observed_reports": s.observed, "expected_reports": s.expected,
            "excess_reports": s.excess, "excess_low": lo_e, "excess_high": hi_e,
            "excess_se": se, "missing_bins": s.missing,
            "users": n_users,
            "users_low": float(u["users_low"]) if u is not None else np.nan,
            "users_high": float(u["users_high"]) if u is not None else np.nan,
            "penetration": float(u["penetration"]) if u is not None else np.nan,
            "penetration_source": u["penetration_source"] if u is not None else "none",
            "excess_per_million_users": _per(s.excess, per_million),
            "excess_per_million_users_low": _per(lo_e, per_million),
            "excess_per_million_users_high": _per(hi_e, per_million),
            "awake_share": awake, "mean_activity": act,
            "excess_per_million_awake": _per(s.excess, per_million * awake),
            "reliance_index": _per(s.excess, active_hours),
            "reliance_index_low": _per(lo_e, active_hours),
            "reliance_index_high": _per(hi_e, active_hours),
            "excess_ratio": _per(s.excess, expected_during),
            "affected_users": n_users,
            "awake_users": n_users * awake,
            "user_hours_lost": n_users * awake_hours,
            "user_hours_lost_low": (float(u["users_low"]) if u is not None else np.nan)
            * _awake_hours(start_high, end_low, zone),
            "user_hours_lost_high": (float(u["users_high"]) if u is not None else np.nan)
            * _awake_hours(start_low, end_high, zone),
            **_rival(rival_bases.get(region), start, pd.Timedelta(rival_tail), zq),
            **_cost(ref, awake_hours / AWAKE_HOURS_PER_DAY, cost),
            "weak_baseline": s.weak,
            "missing_reference": gaps,
            "level": level,
        }  # fmt: skip
        rows.append(row)
    out = pd.DataFrame(rows, columns=IMPACT_COLUMNS)
    for column in ("name", "continent", "market", "income_group", "penetration_source",
                   "missing_reference"):  # fmt: skip
        out[column] = out[column].astype("str").where(out[column].notna(), None)
    return out.sort_values(["region", "start"], ignore_index=True)


def one_per_region(impact: pd.DataFrame) -> pd.DataFrame:
    """Keep each region's window with the most excess reports (for comparisons across
    regions, which take one value per region), sorted by region.

    Examples
    --------
    >>> t = pd.DataFrame({"region": ["BRA", "BRA", "IND"], "excess_reports": [5.0, 9.0, 1.0]})
    >>> one_per_region(t)["excess_reports"].tolist()
    [9.0, 1.0]
    """
    largest = impact.sort_values("excess_reports", ascending=False, kind="stable")
    return largest.drop_duplicates("region").sort_values("region", ignore_index=True)


def _per(value: float, per: float) -> float:
    """``value / per``, missing where ``per`` is missing or not positive (no users, nobody
    awake, no reports expected)."""
    return value / per if per > 0 else np.nan


def _novelty(o: object, since: pd.TimedeltaIndex) -> np.ndarray | float:
    """Reporting novelty at times ``since`` the start: reports settle from the onset rate
    towards ``novelty_floor`` of it with time constant ``novelty_decay_min`` (as
    :func:`~analysis.estimate_outages` fits them); 1 throughout where not given."""
    floor, eta = getattr(o, "novelty_floor", np.nan), getattr(o, "novelty_decay_min", np.nan)
    if pd.isna(floor) or pd.isna(eta):
        return 1.0
    t = np.asarray(since / MINUTE, dtype=float)
    return float(floor) + (1 - float(floor)) * np.exp(-t / max(float(eta), 1e-9))


def _tail(o: object, default: str | pd.Timedelta) -> pd.Timedelta:
    """The report tail after a window's end: from its fitted kernel where known."""
    delay, decay = getattr(o, "delay_min", np.nan), getattr(o, "decay_min", np.nan)
    if pd.notna(delay) and pd.notna(decay):
        return pd.Timedelta(float(delay) + 5 * float(decay), "min")
    return pd.Timedelta(default)


def _users(
    regions: np.ndarray,
    table: pd.DataFrame,
    users: Mapping[str, float] | pd.Series | None,
    users_total: float | None,
) -> pd.DataFrame:
    """Users per region (those the country ``table``, indexed by ISO-3, and ``users`` can
    give; others absent)."""
    from analysis.users import service_users

    given = dict(users.items()) if users is not None else {}
    out = service_users(None, table.reset_index(), users_total=users_total)
    known = [r for r in regions if r in out.index or r in given]
    out = out.reindex(known)
    for region, value in given.items():
        if region in out.index:
            out.loc[region, ["users", "users_low", "users_high"]] = float(value)
            out.loc[region, "penetration"] = float(value) / out.loc[region, "internet_users"]
            out.loc[region, "penetration_source"] = "given users"
    return out


def _missing_reference(region: str, users: pd.Series | None, ref: pd.Series | None) -> str:
    if ref is None:
        return "not in the country table" + ("" if users is not None else ": users")
    lacking = [c for c in ("income_group", "gni_per_capita_usd", "market") if pd.isna(ref[c])]
    if users is None or pd.isna(users["users"]):
        lacking.insert(0, "users")
    return "; ".join(lacking)


def _rival(base: SeriesBaseline | None, start: pd.Timestamp, span: pd.Timedelta,
           zq: float) -> dict:  # fmt: skip
    if base is None:
        return {"rival_excess": np.nan, "rival_uplift": np.nan, "rival_uplift_low": np.nan,
                "rival_uplift_high": np.nan}  # fmt: skip
    s = _window_sum(base, start, start + span, [(start - 2 * HOUR, start + span + 2 * HOUR)])
    half = zq * np.sqrt(s.variance)
    return {
        "rival_excess": s.excess,
        "rival_uplift": _per(s.excess, s.expected),
        "rival_uplift_low": _per(s.excess - half, s.expected),
        "rival_uplift_high": _per(s.excess + half, s.expected),
    }


def _cost(ref: pd.Series | None, day_share: float, model: CostModel) -> dict:
    nan = {"cost_usd": np.nan, "cost_usd_low": np.nan, "cost_usd_high": np.nan}
    if ref is None or pd.isna(ref["gni_per_capita_usd"]) or pd.isna(ref["market"]):
        return nan
    daily = float(ref["gni_per_capita_usd"]) * float(ref["population"]) / 365.25
    market = str(ref["market"])
    low, high = model.internet_share_range[market]
    s_low, s_high = model.service_share_range
    base = daily * day_share
    return {
        "cost_usd": base * model.internet_share[market] * model.service_share,
        "cost_usd_low": base * low * s_low,
        "cost_usd_high": base * high * s_high,
    }


@dataclass(frozen=True)
class WorldImpact:
    """Worldwide summary of an outage (:func:`summarize_impact`).

    Times are UTC; durations Timedeltas; ``*_low``/``*_high`` bound intervals at ``level``
    (users: the plausible range).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    duration: pd.Timedelta
    duration_low: pd.Timedelta
    duration_high: pd.Timedelta
    regions: int
    continents: tuple[str, ...]
    affected_users: float
    affected_users_low: float
    affected_users_high: float
    user_hours_lost: float
    user_hours_lost_low: float
    user_hours_lost_high: float
    excess_reports: float
    excess_low: float
    excess_high: float
    cost_usd: float
    cost_usd_low: float
    cost_usd_high: float
    missing_reference: tuple[str, ...]
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: ``estimate``, ``low``, ``high``."""
        rows = {
            "start (UTC)": (self.start, None, None),
            "end (UTC)": (self.end, None, None),
            "duration": (self.duration, self.duration_low, self.duration_high),
            "regions": (self.regions, None, None),
            "continents": (len(self.continents), None, None),
            "affected users": (self.affected_users, self.affected_users_low,
                               self.affected_users_high),
            "user-hours lost (awake)": (self.user_hours_lost, self.user_hours_lost_low,
                                        self.user_hours_lost_high),
            "excess reports": (self.excess_reports, self.excess_low, self.excess_high),
            "cost (US$, estimate)": (self.cost_usd, self.cost_usd_low, self.cost_usd_high),
        }  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "low", "high"])

    def __str__(self) -> str:
        def num(x: float) -> str:
            return f"{x / 1e9:.2f} bn" if abs(x) >= 1e9 else f"{x / 1e6:.1f} M"

        def hm(d: pd.Timedelta) -> str:
            minutes = round(d / MINUTE)
            return f"{minutes // 60}h{minutes % 60:02d}"

        lines = [
            f"Outage {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M} UTC: {hm(self.duration)} "
            f"({self.level:.0%} interval {hm(self.duration_low)}-{hm(self.duration_high)})",
            f"  regions        {self.regions} on {len(self.continents)} continents "
            f"({', '.join(self.continents)})",
            f"  affected users {num(self.affected_users)} (range "
            f"{num(self.affected_users_low)}-{num(self.affected_users_high)})",
            f"  user-hours     {num(self.user_hours_lost)} awake hours without the service "
            f"({num(self.user_hours_lost_low)}-{num(self.user_hours_lost_high)})",
            f"  excess reports {self.excess_reports:,.0f} ({self.excess_low:,.0f}-"
            f"{self.excess_high:,.0f})",
            f"  cost estimate  US$ {num(self.cost_usd)} (US$ {num(self.cost_usd_low)}-"
            f"{num(self.cost_usd_high)}; an estimate, see CostModel)",
        ]
        if self.missing_reference:
            lines.append(f"  incomplete     {', '.join(self.missing_reference)}")
        return "\n".join(lines)


def summarize_impact(impact: pd.DataFrame, outages: pd.DataFrame | None = None) -> WorldImpact:
    """Add up a :func:`regional_impact` table into a worldwide summary.

    The window is the pooled worldwide one (``region == 'WLD'`` in ``outages``, as
    :func:`~analysis.estimate_outages` gives it) when present, else from the first start to
    the last end over the regions, with the duration's interval from the regions' earliest
    ``start_high`` / latest ``end_low`` to their ``start_low`` / ``end_high``. Users, user-hours
    and costs are sums (their ranges: sums of the ends, as if fully correlated); the excess
    interval treats regions as independent. Figures missing for some regions (no users, no
    GNI) count as zero in the sums and the regions are listed in ``missing_reference``.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA", "IND", "DEU")), seed=1)
    >>> world = summarize_impact(regional_impact(sim.reports, sim.truth))
    >>> world.continents
    ('Asia', 'Europe', 'South America')
    """
    if impact.empty:
        raise ValueError("the impact table is empty: no outage window to summarise")
    world = None
    if outages is not None and "region" in outages.columns:
        pooled = outages[outages["region"] == "WLD"]
        world = pooled.iloc[0] if len(pooled) else None
    if world is not None:
        start, end = world["start"], world["end"]
        low = world.get("end_low", end) - world.get("start_high", start)
        high = world.get("end_high", end) - world.get("start_low", start)
    else:
        start, end = impact["start"].min(), impact["end"].max()
        low = impact["end_low"].max() - impact["start_high"].min()
        high = impact["end_high"].max() - impact["start_low"].min()
    level = float(impact["level"].iloc[0])
    zq = stats.norm.ppf(0.5 + level / 2)
    excess = float(impact["excess_reports"].sum())
    half = zq * float(np.sqrt(np.sum(np.square(impact["excess_se"]))))
    incomplete = impact.loc[impact["missing_reference"].fillna("") != "", "region"]

    def total(column: str) -> float:
        return float(impact[column].fillna(0).sum())

    return WorldImpact(
        start=start, end=end, duration=end - start, duration_low=max(low, pd.Timedelta(0)),
        duration_high=high, regions=int(impact["region"].nunique()),
        continents=tuple(sorted(impact["continent"].dropna().unique())),
        affected_users=total("affected_users"), affected_users_low=total("users_low"),
        affected_users_high=total("users_high"), user_hours_lost=total("user_hours_lost"),
        user_hours_lost_low=total("user_hours_lost_low"),
        user_hours_lost_high=total("user_hours_lost_high"), excess_reports=excess,
        excess_low=excess - half, excess_high=excess + half, cost_usd=total("cost_usd"),
        cost_usd_low=total("cost_usd_low"), cost_usd_high=total("cost_usd_high"),
        missing_reference=tuple(sorted(set(incomplete))), level=level,
    )  # fmt: skip
