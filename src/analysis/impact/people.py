"""Who an outage reached: users per region, who was awake and active, and a cost estimate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.activity import AWAKE_SHARE, awake_share

MINUTE = pd.Timedelta("1min")
HOUR = pd.Timedelta("1h")
#: Awake person-hours in a day per person (the mean of the awake profile x 24 hours).
AWAKE_HOURS_PER_DAY = float(np.mean(AWAKE_SHARE) * 24)


@dataclass(frozen=True)
class CostModel:
    """How :func:`~analysis.regional_impact` estimates the cost of an outage (US$), and its
    sources.

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


def cost(ref: pd.Series | None, day_share: float, model: CostModel) -> dict:
    """``cost_usd_exposed`` and its range for a country (a row of the country table) whose
    every user lost ``day_share`` of the waking day; missing without GNI or market."""
    nan = dict.fromkeys(
        ["cost_usd_exposed", "cost_usd_exposed_low", "cost_usd_exposed_high"], np.nan
    )
    if ref is None or pd.isna(ref["gni_per_capita_usd"]) or pd.isna(ref["market"]):
        return nan
    daily = float(ref["gni_per_capita_usd"]) * float(ref["population"]) / 365.25
    market = str(ref["market"])
    low, high = model.internet_share_range[market]
    s_low, s_high = model.service_share_range
    base = daily * day_share
    return {
        "cost_usd_exposed": base * model.internet_share[market] * model.service_share,
        "cost_usd_exposed_low": base * low * s_low,
        "cost_usd_exposed_high": base * high * s_high,
    }


def minute_midpoints(lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Minute midpoints of [lo, hi) (at least one).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    >>> minute_midpoints(t, t + pd.Timedelta("2min")).strftime("%H:%M:%S").tolist()
    ['20:00:30', '20:01:30']
    """
    n = max(1, round((hi - lo) / MINUTE))
    step = (hi - lo) / n if hi > lo else MINUTE
    return pd.date_range(lo + step / 2, periods=n, freq=step)


def awake_hours(lo: pd.Timestamp, hi: pd.Timestamp, zone: str) -> float:
    """Awake share integrated over [lo, hi), in hours (0 for an empty window)."""
    if hi <= lo:
        return 0.0
    return float(awake_share(minute_midpoints(lo, hi), zone).mean() * ((hi - lo) / HOUR))


def novelty(o: object, since: pd.TimedeltaIndex) -> np.ndarray | float:
    """Reporting novelty at times ``since`` the start: reports settle from the onset rate
    towards ``novelty_floor`` of it with time constant ``novelty_decay`` (as
    :func:`~analysis.estimate_outages` fits them), and from ``partial_from`` on, where the
    service came back for some, at ``partial_severity`` of that; 1 throughout where not
    given.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> o = SimpleNamespace(start=pd.Timestamp("2017-05-03 20:00", tz="UTC"), novelty_floor=0.5,
    ...                     novelty_decay=pd.Timedelta("1h"),
    ...                     partial_from=pd.Timestamp("2017-05-03 21:00", tz="UTC"),
    ...                     partial_severity=0.4)
    >>> novelty(o, pd.to_timedelta([0, 30, 90], unit="min")).round(3)
    array([1.   , 0.803, 0.245])
    """
    floor, eta = getattr(o, "novelty_floor", np.nan), getattr(o, "novelty_decay", pd.NaT)
    if pd.isna(floor) or pd.isna(eta):
        return 1.0
    t = np.asarray(since / MINUTE, dtype=float)
    out = float(floor) + (1 - float(floor)) * np.exp(-t / max(pd.Timedelta(eta) / MINUTE, 1e-9))
    partly, severity = getattr(o, "partial_from", pd.NaT), getattr(o, "partial_severity", np.nan)
    if pd.isna(partly) or pd.isna(severity):
        return out
    return np.where(t >= (partly - o.start) / MINUTE, float(severity) * out, out)


def users_by_region(
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
            out.loc[region, "penetration_shared"] = 0.0
    return out


def missing_reference(region: str, users: pd.Series | None, ref: pd.Series | None) -> str:
    """The reference values a region lacks ('' when none)."""
    if ref is None:
        return "not in the country table" + ("" if users is not None else ": users")
    lacking = [c for c in ("income_group", "gni_per_capita_usd", "market") if pd.isna(ref[c])]
    if users is None or pd.isna(users["users"]):
        lacking.insert(0, "users")
    return "; ".join(lacking)
