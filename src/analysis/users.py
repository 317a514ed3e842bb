"""How many people use the service in each country: the user base behind every per-user figure.

``users = internet users x penetration`` (internet users = population x internet share, from
:func:`~analysis.load_countries`). Penetration, the share of internet users who use the
service, is the caller's value where given, else the published figures of
``data/reference/whatsapp_use.csv`` (:func:`published_penetration`: every survey share or
user count found, each with its base and source, converted to a share of internet users),
else an assumption: 5% where another messenger leads (:data:`OTHER_MESSENGER_LEADS`), else
a model of the published figures by market (:func:`market_penetration`: their mean on the
logit scale, with a 90% prediction interval). Each row says which (``penetration_source``),
and carries a plausible range (``users_low``..``users_high``): for published figures, the
spread of the figures near the year, at least +-:data:`PUBLISHED_SPREAD`; for the others the
model's interval (:data:`OTHER_MESSENGER_RANGE` where another messenger leads), raised to any
published lower bound (news use, daily use).
A known world total (``users_total``, e.g. 1.2 billion monthly WhatsApp users in May 2017)
rescales every derived figure by one factor, capped at the country's internet users.

Used by the simulator (who reports) and by the impact step (per-user figures), so that both
read the same user base.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.schema import LEVEL, raise_rows

__all__ = [
    "MODEL_LEVEL",
    "OTHER_MESSENGER_LEADS",
    "OTHER_MESSENGER_PENETRATION",
    "OTHER_MESSENGER_RANGE",
    "PUBLISHED_SPREAD",
    "USE_BASES",
    "USE_COLUMNS",
    "USE_ROLES",
    "YEAR_WINDOW",
    "is_assumed",
    "load_service_use",
    "market_penetration",
    "published_penetration",
    "service_users",
]

#: Markets where another messenger leads (WeChat, LINE, KakaoTalk, Zalo, Telegram), given a
#: low penetration of 5% of internet users (1-10%) where no figure is published: an
#: assumption, so that the service's users sit where it is the usual messenger (Viet Nam's
#: published 2-3% falls in it).
OTHER_MESSENGER_LEADS: Mapping[str, str] = {
    "CHN": "WeChat", "JPN": "LINE", "KOR": "KakaoTalk", "TWN": "LINE", "THA": "LINE",
    "VNM": "Zalo", "IRN": "Telegram", "PRK": "none (no public internet)",
}  # fmt: skip
OTHER_MESSENGER_PENETRATION = 0.05
OTHER_MESSENGER_RANGE = (0.01, 0.10)
#: Level of the market model's prediction interval (:func:`market_penetration`).
MODEL_LEVEL = LEVEL
#: Relative range of a published penetration: surveys of different years and definitions
#: (mobile internet users, internet users aged 16-64) differ by about this much.
PUBLISHED_SPREAD = 0.2
#: Columns of ``whatsapp_use.csv``.
USE_COLUMNS = ("iso3", "year", "value", "base", "role", "definition", "note", "publisher",
               "title", "date", "url", "quote")  # fmt: skip
#: What a figure's ``value`` is a share of ('internet users', 'population': percent), or
#: 'persons' for a count of users.
USE_BASES = ("internet users", "population", "persons")
#: How a figure is used: 'estimate' (of use), 'lower bound' (a narrower use, such as news or
#: daily use: at least this many use the service) or 'not used' (kept with the reason).
USE_ROLES = ("estimate", "lower bound", "not used")
#: Figures within this many years of the year asked for make a country's range (older or
#: newer ones only where there are none nearer).
YEAR_WINDOW = 2
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
    use: pd.DataFrame | None = None,
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
    use : DataFrame, optional
        The published figures (default :func:`load_service_use`), read by
        :func:`published_penetration` for 2017.

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``name, continent, market, income_group, timezone,
        population, internet_users, penetration, penetration_source`` (``'given'``,
        ``'published'``, ``'assumed: another messenger leads'``, ``'assumed by market'``:
        the market model of :func:`market_penetration`), ``penetration_shared`` (the part of
        the user base's log-scale uncertainty common to every region resting on the same
        assumption: the model's ``shared`` by market, 1 where another messenger leads, 0
        for published or given figures), ``users``, ``users_low``, ``users_high`` (persons).

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
    shares = _penetrations(rows, table, use, penetration)
    share, source = shares["share"], shares["source"]
    low_share, high_share = shares["low"], shares["high"]
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
    out["penetration_shared"] = shares["shared"].mask(explicit.notna(), 0.0)
    out["users"] = point
    out["users_low"] = explicit.fillna(out["internet_users"] * low_share * factor).clip(upper=cap)
    out["users_high"] = explicit.fillna(out["internet_users"] * high_share * factor)
    out["users_high"] = out["users_high"].clip(upper=cap).combine(point, max)
    out["users_low"] = out["users_low"].combine(point, min)
    return out


def _penetrations(
    rows: pd.DataFrame,
    table: pd.DataFrame,
    use: pd.DataFrame | None,
    penetration: Mapping[str, float] | None,
) -> pd.DataFrame:
    """Per region of ``rows``: the penetration (``share``), its ``source`` and its plausible
    range (``low``..``high``): given, else published, else assumed (raised to any published
    lower bound)."""
    every = published_penetration(use, table.reset_index())
    model = market_penetration(every, table.reset_index())
    found = every.reindex(rows.index)
    published = found["penetration"].astype("float64")
    floor = found["lower_bound"].astype("float64").fillna(0.0)
    other = rows.index.isin(list(OTHER_MESSENGER_LEADS))
    shares = ["penetration", "penetration_low", "penetration_high", "shared"]
    by_market = model[shares].reindex(rows["market"]).set_axis(rows.index).astype("float64")
    default = by_market["penetration"].mask(other, OTHER_MESSENGER_PENETRATION).clip(lower=floor)
    override = pd.Series(dict(penetration or {}), dtype="float64").reindex(rows.index)
    share = override.fillna(published).fillna(default)
    source = pd.Series(
        np.select(
            [override.notna(), published.notna(), other & default.notna(), default.notna()],
            ["given", "published", "assumed: another messenger leads", "assumed by market"],
            "none",
        ),
        index=rows.index,
    )
    low = by_market["penetration_low"].mask(other, OTHER_MESSENGER_RANGE[0]).clip(lower=floor)
    high = by_market["penetration_high"].mask(other, OTHER_MESSENGER_RANGE[1]).clip(lower=floor)
    is_published = source == "published"
    low = low.mask(is_published, found["penetration_low"].astype("float64"))
    high = high.mask(is_published, found["penetration_high"].astype("float64"))
    low = low.mask(source == "given", share)
    high = high.mask(source == "given", share).clip(upper=1.0)
    shared = by_market["shared"].where(source == "assumed by market", 0.0)
    shared = shared.mask(source == "assumed: another messenger leads", 1.0)
    return pd.DataFrame({"share": share, "source": source, "low": low, "high": high,
                         "shared": shared})  # fmt: skip


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


def load_service_use(
    path: str | os.PathLike[str] | None = None, countries: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every published figure of WhatsApp use found (``data/reference/whatsapp_use.csv``).

    Parameters
    ----------
    path : str or path-like, optional
        Another file with the columns :data:`USE_COLUMNS` (default: the shipped one).
    countries : DataFrame, optional
        The country table its codes must be in (default :func:`~analysis.load_countries`;
        a caller that holds it already passes it, so that it is not read again).

    Returns
    -------
    DataFrame
        One row per figure: ``iso3``, ``year`` (int, the survey's), ``value`` (float: percent
        of the ``base``, or persons), ``base`` (:data:`USE_BASES`), ``role``
        (:data:`USE_ROLES`), ``definition`` (who was asked what), ``note`` (how it is read),
        ``publisher``, ``title``, ``date``, ``url``, ``quote``.

    Raises
    ------
    ReportDataError
        For a missing column, an unknown base or role, a year or value that is not a number,
        a percentage outside 0-100, or a code not in the country table, naming the file,
        column and line.

    Examples
    --------
    >>> use = load_service_use()
    >>> use.query("iso3 == 'IND' and year == 2017")[["value", "base"]].values.tolist()
    [[200000000.0, 'persons']]
    """
    from analysis.io import load_countries, read_small_table, reference_dir

    path = reference_dir() / "whatsapp_use.csv" if path is None else Path(path)
    source = str(path)
    codes = tuple((load_countries() if countries is None else countries)["iso3"])
    frame = read_small_table(path, USE_COLUMNS)

    def refuse(column: str, problem: str, mask: pd.Series) -> None:
        raise_rows(source, problem, frame, mask, column=column,
                   show=["iso3", "year", column], row_name="line")  # fmt: skip

    for column, allowed in (("base", USE_BASES), ("role", USE_ROLES),
                            ("iso3", codes)):  # fmt: skip
        outside = ~frame[column].isin(list(allowed))
        if outside.any():
            refuse(column, f"values outside the {len(allowed)} allowed", outside)
    for column in ("year", "value"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.isna().any() or (numbers < 0).any():
            refuse(column, "not a non-negative number", numbers.isna() | (numbers < 0))
        frame[column] = numbers.astype("int64" if column == "year" else "float64")
    over = (frame["base"] != "persons") & (frame["value"] > 100)
    if over.any():
        refuse("value", "a percentage above 100", over)
    return frame.reset_index(drop=True)


def _figure_shares(use: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Each figure as a share of the country's internet users, with the range its base
    allows (``share_low``..``share_high``) and whether it was capped at 1.

    A share of internet users is taken as it is (surveys of mobile internet users or of ages
    16-64 included). A share ``p`` of a population (often adults) is between ``p`` (were all
    of them online) and ``p / internet share`` (were the surveyed base the whole population;
    capped at 1) of internet users: the point is the geometric middle of the two. A count of
    users is divided by the country's internet users (capped at 1).
    """
    internet = table["internet_users"].astype("float64").reindex(use["iso3"]).to_numpy()
    internet_share = internet / table["population"].astype("float64").reindex(use["iso3"])
    value = use["value"].to_numpy(dtype="float64")
    base = use["base"].to_numpy()
    raw = np.select(
        [base == "internet users", base == "population", base == "persons"],
        [value / 100, value / 100 / internet_share.to_numpy(), value / internet],
        np.nan,
    )
    high = np.minimum(raw, 1.0)
    low = np.where(base == "population", value / 100, high)
    return use.assign(share=np.sqrt(low * high), share_low=low, share_high=high, capped=raw > 1)


def published_penetration(
    use: pd.DataFrame | None = None,
    countries: pd.DataFrame | None = None,
    *,
    year: int = 2017,
) -> pd.DataFrame:
    """The share of internet users who use the service, per country, from published figures.

    Each figure becomes a share of internet users by its base (see :func:`load_service_use`
    and ``data/reference/SOURCES.md``): a share of internet users as it is; a share of the
    population ``p`` as the geometric middle of ``p`` and ``p / internet share`` (capped at
    1), which are its range; a count of users divided by the internet users (capped at 1).
    The estimates within :data:`YEAR_WINDOW` years of ``year`` (all of them where none is)
    make the range, and those of the nearest year the point (their median). The range is at
    least +-:data:`PUBLISHED_SPREAD` of the point. Lower bounds within the window (news or daily
    use) raise the point and the low end.

    Parameters
    ----------
    use : DataFrame, optional
        :func:`load_service_use`'s table (default: the shipped figures).
    countries : DataFrame, optional
        The country table (default :func:`~analysis.load_countries`).
    year : int, default 2017
        The year the user base is wanted for.

    Returns
    -------
    DataFrame
        Indexed by ``region`` (every country with a figure used): ``penetration``,
        ``penetration_low``, ``penetration_high`` (shares 0-1; NaN where a country has only a
        lower bound), ``lower_bound`` (0-1 or NaN), ``figures`` (estimates in the range),
        ``years`` (their span, e.g. '2016-2018') and ``capped`` (a figure exceeded the
        internet users and was capped at 1).

    Examples
    --------
    >>> p = published_penetration()
    >>> round(float(p.loc["IND", "penetration"]), 2), p.loc["IND", "years"]
    (0.81, '2016-2019')
    """
    from analysis.io import countries_by_iso3

    table = countries_by_iso3(countries)
    use = load_service_use(countries=table.reset_index()) if use is None else use
    shares = _figure_shares(use, table)
    shares = shares[shares["role"] != "not used"]
    rows = {code: _country_penetration(group, year) for code, group in shares.groupby("iso3")}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "region"
    return out


def _country_penetration(figures: pd.DataFrame, year: int) -> dict[str, object]:
    """One country's point, range and lower bound from its figures (see
    :func:`published_penetration`)."""
    near = (figures["year"] - year).abs() <= YEAR_WINDOW
    bounds = figures.loc[near & (figures["role"] == "lower bound"), "share_low"]
    floor = float(bounds.max()) if len(bounds) else np.nan
    estimates = figures[figures["role"] == "estimate"]
    pool = estimates[near.loc[estimates.index]]
    pool = estimates if pool.empty else pool
    row: dict[str, object] = {"penetration": np.nan, "penetration_low": np.nan,
                              "penetration_high": np.nan, "lower_bound": floor, "figures": 0,
                              "years": "", "capped": False}  # fmt: skip
    if pool.empty:
        return row
    gap = (pool["year"] - year).abs()
    point = max(float(pool.loc[gap == gap.min(), "share"].median()), np.nan_to_num(floor))
    low = min(float(pool["share_low"].min()), point * (1 - PUBLISHED_SPREAD))
    high = max(float(pool["share_high"].max()), point * (1 + PUBLISHED_SPREAD))
    row.update(penetration=point, penetration_low=max(low, np.nan_to_num(floor)),
               penetration_high=min(high, 1.0), figures=len(pool),
               years=f"{pool['year'].min()}-{pool['year'].max()}",
               capped=bool(pool["capped"].any()))  # fmt: skip
    return row


def market_penetration(
    published: pd.DataFrame | None = None,
    countries: pd.DataFrame | None = None,
    *,
    level: float = MODEL_LEVEL,
) -> pd.DataFrame:
    """The model for a country without a published figure: like the published countries of its
    market.

    The published penetrations (:func:`published_penetration`; those where another messenger
    leads left out) are taken on the logit scale (clipped to 2-98%), one normal per market
    (all published countries together for a market with fewer than 3). A country of that
    market gets the back-transformed mean, and the ``level`` prediction interval for one new
    country (Student's t with ``n - 1`` degrees of freedom, scale ``sd * sqrt(1 + 1 / n)``);
    missing where fewer than 2 countries are published.

    Parameters
    ----------
    published : DataFrame, optional
        :func:`published_penetration`'s table (default: the shipped figures).
    countries : DataFrame, optional
        The country table (default :func:`~analysis.load_countries`), for each market.
    level : float, default :data:`~analysis.schema.LEVEL` (0.9)
        Coverage of the prediction interval.

    Returns
    -------
    DataFrame
        Indexed by ``market``: ``penetration``, ``penetration_low``, ``penetration_high``
        (shares 0-1), ``countries`` (published countries fitted, ``n``), ``sd_logit``,
        ``shared`` (the part of a country's prediction variance that is the uncertainty of the
        market's mean, ``1 / (n + 1)``, common to all its modelled countries; the rest is the
        country's own) and ``fit`` ('market', or 'all published' for a market with fewer
        than 3).

    Examples
    --------
    >>> model = market_penetration()
    >>> model["countries"].to_dict()
    {'developed': 10, 'developing': 18}
    >>> bool((model["penetration_high"] - model["penetration_low"] > 0.6).all())  # wide
    True
    """
    from scipy import special, stats

    from analysis.io import countries_by_iso3

    table = countries_by_iso3(countries)
    published = published_penetration(countries=countries) if published is None else published
    fitted = published["penetration"].dropna()
    fitted = fitted[~fitted.index.isin(list(OTHER_MESSENGER_LEADS))].clip(0.02, 0.98)
    logit = pd.Series(special.logit(fitted), index=fitted.index)
    markets = table["market"].reindex(logit.index)
    rows = {}
    for market in sorted(table["market"].dropna().unique()):
        x = logit[markets == market]
        fit = "market" if len(x) >= 3 else "all published"
        x = x if fit == "market" else logit
        n, mean, sd = len(x), float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else np.nan
        half = stats.t.ppf(0.5 + level / 2, max(n - 1, 1)) * sd * np.sqrt(1 + 1 / max(n, 1))
        ends = special.expit([mean, mean - half, mean + half])
        rows[market] = dict(zip(("penetration", "penetration_low", "penetration_high"),
                                ends.tolist(), strict=True), countries=n, sd_logit=sd,
                            shared=1 / (n + 1), fit=fit)  # fmt: skip
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "market"
    return out
