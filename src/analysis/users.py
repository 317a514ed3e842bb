"""How many people use the service in each country: the user base behind every per-user figure.

``users = internet users x penetration`` (internet users = population x internet share, from
:func:`~analysis.load_countries`). Penetration, the share of internet users who use the
service, is the caller's value where given, else the published WhatsApp figure of the country
table (whatever its survey's definition and year), else an assumption: 5% where another
messenger leads (:data:`OTHER_MESSENGER_LEADS`), else :data:`DEFAULT_PENETRATION` by market.
Each row says which (``penetration_source``), and carries a plausible range
(``users_low``..``users_high``): published figures +-:data:`PUBLISHED_SPREAD` (their surveys
differ in definition and year), assumed ones :data:`ASSUMED_PENETRATION_RANGE`. A known world
total (``users_total``, e.g. 1.2 billion monthly WhatsApp users in May 2017) rescales every
derived figure by one factor, capped at the country's internet users.

Used by the simulator (who reports) and by the impact step (per-user figures), so that both
read the same user base.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "ASSUMED_PENETRATION_RANGE",
    "DEFAULT_PENETRATION",
    "OTHER_MESSENGER_LEADS",
    "OTHER_MESSENGER_PENETRATION",
    "PUBLISHED_SPREAD",
    "is_assumed",
    "service_users",
]

#: Default penetration of the service among internet users, by market (an assumption used
#: where no published figure exists).
DEFAULT_PENETRATION: Mapping[str, float] = {"developing": 0.55, "developed": 0.30}
#: Markets where another messenger leads (WeChat, LINE, KakaoTalk, Zalo, Telegram), given a
#: low default penetration of 5% of internet users: an assumption, so that the service's
#: users sit where it is the usual messenger (no published per-country figure found).
OTHER_MESSENGER_LEADS: Mapping[str, str] = {
    "CHN": "WeChat", "JPN": "LINE", "KOR": "KakaoTalk", "TWN": "LINE", "THA": "LINE",
    "VNM": "Zalo", "IRN": "Telegram", "PRK": "none (no public internet)",
}  # fmt: skip
OTHER_MESSENGER_PENETRATION = 0.05
#: Range of an assumed penetration (an assumption as wide as the published figures of the
#: table spread within each market class).
ASSUMED_PENETRATION_RANGE: Mapping[str, tuple[float, float]] = {
    "developing": (0.35, 0.75),
    "developed": (0.15, 0.45),
    "other messenger": (0.01, 0.10),
}
#: Relative range of a published penetration: surveys of different years and definitions
#: (mobile internet users, internet users aged 16-64) differ by about this much.
PUBLISHED_SPREAD = 0.2
_COLUMNS = ("name", "continent", "market", "income_group", "timezone", "population")


def is_assumed(source: str) -> bool:
    """Whether a ``penetration_source`` (see :func:`service_users`) is an assumption rather
    than a published figure or one the caller gave (``'given'``, ``'given users'``).

    Examples
    --------
    >>> [is_assumed(s) for s in ("published", "given users", "assumed by market", "none")]
    [False, False, True, True]
    """
    return source not in ("published", "given", "given users")


def service_users(
    regions: Iterable[str] | None = None,
    countries: pd.DataFrame | None = None,
    *,
    penetration: Mapping[str, float] | None = None,
    users: Mapping[str, float] | None = None,
    users_total: float | None = None,
) -> pd.DataFrame:
    """Service users per region, with the source of each figure and a plausible range.

    Parameters
    ----------
    regions : iterable of str, optional
        ISO-3 codes (default: every country of the table).
    countries : DataFrame, optional
        The country table (default :func:`~analysis.load_countries`).
    penetration : mapping of str to float, optional
        Share (0-1) of internet users using the service, overriding the table.
    users : mapping of str to float, optional
        Users outright, for regions the table lacks or to override it.
    users_total : float, optional
        Scale the derived users (not those given in ``users``) by one factor so that all
        ``regions`` add up to this many, penetration capped at 1.

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``name, continent, market, income_group, timezone,
        population, internet_users, penetration, penetration_source`` (``'given'``,
        ``'published'``, ``'assumed: another messenger leads'``, ``'assumed by market'``),
        ``users``, ``users_low``, ``users_high`` (persons).

    Raises
    ------
    ValueError
        For a region missing from the table (unless in ``users``), a region whose users
        cannot be derived, or an unreachable ``users_total``.

    Examples
    --------
    >>> u = service_users(["BRA", "USA", "CHN"])
    >>> u["penetration_source"].tolist()
    ['published', 'published', 'assumed: another messenger leads']
    >>> bool((u["users_low"] <= u["users"]).all() and (u["users"] <= u["users_high"]).all())
    True
    """
    from analysis.io import countries_by_iso3

    table = countries_by_iso3(countries)
    given_users = dict(users or {})
    regions = list(table.index) if regions is None else list(regions)
    absent = sorted(set(regions) - set(table.index) - set(given_users))
    if absent:
        raise ValueError(f"regions not in the country table (pass users= for them): {absent}")
    rows = table.reindex(regions)
    out = pd.DataFrame(index=pd.Index(regions, name="region"))
    for column in _COLUMNS:
        out[column] = rows[column]
    out["internet_users"] = rows["internet_users"].astype("float64")
    published = rows["whatsapp_penetration"].astype("float64") / 100
    other = out.index.isin(list(OTHER_MESSENGER_LEADS))
    default = rows["market"].map(DEFAULT_PENETRATION).astype("float64")
    default = default.mask(other, OTHER_MESSENGER_PENETRATION)
    override = pd.Series(dict(penetration or {}), dtype="float64").reindex(out.index)
    share = override.fillna(published).fillna(default)
    source = pd.Series(
        np.select(
            [override.notna(), published.notna(), other & default.notna(), default.notna()],
            ["given", "published", "assumed: another messenger leads", "assumed by market"],
            "none",
        ),
        index=out.index,
    )
    range_class = rows["market"].where(~other, "other messenger")
    low_share = range_class.map(lambda c: ASSUMED_PENETRATION_RANGE.get(c, (np.nan,))[0])
    high_share = range_class.map(lambda c: ASSUMED_PENETRATION_RANGE.get(c, (0, np.nan))[1])
    is_published = source == "published"
    low_share = low_share.astype("float64").mask(is_published, share * (1 - PUBLISHED_SPREAD))
    high_share = high_share.astype("float64").mask(is_published, share * (1 + PUBLISHED_SPREAD))
    low_share = low_share.mask(source == "given", share)
    high_share = high_share.mask(source == "given", share).clip(upper=1.0)

    explicit = pd.Series(given_users, dtype="float64").reindex(out.index)
    derived = out["internet_users"] * share
    lacking = out.index[explicit.isna() & derived.isna()].tolist()
    if lacking:
        raise ValueError(
            f"cannot derive users for {lacking}: the country table lacks population, internet "
            "share or market; pass users= or penetration= for them"
        )
    point = explicit.fillna(derived)
    factor = pd.Series(1.0, index=out.index)
    if users_total is not None:
        scaled = _scale_users(point, out["internet_users"], explicit, users_total)
        factor = (scaled / point).where(point > 0, 1.0)
        point = scaled
    cap = out["internet_users"].where(explicit.isna(), np.inf).fillna(np.inf)
    out["penetration"] = (point / out["internet_users"]).where(explicit.isna(), np.nan)
    out["penetration_source"] = source.mask(explicit.notna(), "given users")
    out["users"] = point
    out["users_low"] = explicit.fillna(out["internet_users"] * low_share * factor).clip(upper=cap)
    out["users_high"] = explicit.fillna(out["internet_users"] * high_share * factor)
    out["users_high"] = out["users_high"].clip(upper=cap).combine(point, max)
    out["users_low"] = out["users_low"].combine(point, min)
    return out


def _scale_users(
    users: pd.Series, internet: pd.Series, explicit: pd.Series, total: float
) -> pd.Series:
    """Scale derived users by one factor to reach ``total``, capping at the internet users."""
    if total <= 0:
        raise ValueError(f"users_total must be > 0, got {total}")
    fixed = explicit.notna()
    free = users[~fixed]
    target = total - users[fixed].sum()
    cap = internet[~fixed].fillna(np.inf)
    if target <= 0 or cap.sum() < target:
        raise ValueError(f"users_total={total:.4g} cannot be reached with these regions")
    scaled = free.copy()
    for _ in range(50):  # a few rounds: regions at their cap stop growing
        capped = scaled >= cap
        room = target - scaled[capped].sum()
        factor = room / scaled[~capped].sum()
        scaled = (scaled.where(capped, scaled * factor)).clip(upper=cap)
        if abs(scaled.sum() - target) <= 1e-9 * target:
            break
    return pd.concat([scaled, users[fixed]]).reindex(users.index)
