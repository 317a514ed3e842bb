"""Downdetector counts the press quoted for real outages: what point counts can say.

Outage trackers publish no report series, but news reports quote single per-country counts
for the same outage (``data/collected/downdetector_press_counts.csv``, each row with its
source: 25 October 2022 and 3 April 2024). :func:`press_count_table` puts them per million
internet users and per million WhatsApp users (2017 country table; the users' plausible
range carried into the per-user interval), and :func:`press_conclusion` says what they
allow.

A count per user is the product of how many users were hit, how much they rely on the
service and how many of them report to the tracker at all (its reach in the country). One
count per country cannot separate these. The excess ratio of :func:`~analysis.regional_impact`
divides by each country's own normal reports and so cancels the tracker's reach, but it
needs each country's series (its normal volume), which a quoted count does not give. The
counts are also taken at different times (often unstated) and may be cumulative or
15-minute peaks.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io import countries_by_iso3, load_countries, read_small_table, reference_dir
from analysis.schema import parse_counts, raise_rows
from analysis.users import service_users

__all__ = [
    "PRESS_COLUMNS",
    "SHOWN_COLUMNS",
    "load_press_counts",
    "press_conclusion",
    "press_count_table",
]

#: Columns of ``downdetector_press_counts.csv``.
PRESS_COLUMNS = ("event", "region", "reports", "qualifier", "time_utc", "scope_stated",
                 "source", "url")  # fmt: skip
#: The columns of :func:`press_count_table` shown first: which count, where, how large, and
#: per million internet users and per million WhatsApp users with the users' range.
SHOWN_COLUMNS = [
    "event", "region", "market", "reports", "qualifier", "per_million_internet_users",
    "per_million_users", "per_million_users_low", "per_million_users_high", "penetration_source",
]  # fmt: skip


def load_press_counts(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The per-country Downdetector counts quoted by the press, with their sources.

    Parameters
    ----------
    path : str or path-like, optional
        Another file with the columns :data:`PRESS_COLUMNS` (default: the shipped one).

    Returns
    -------
    DataFrame
        One row per quoted count: ``event``, ``region`` (ISO-3), ``reports`` (int, as
        quoted), ``qualifier`` ('more than', 'over', 'at least' or ''), ``time_utc`` (UTC;
        NaT where the source gives none), ``scope_stated``, ``source``, ``url``.

    Raises
    ------
    ReportDataError
        For a missing column, a count that is not a non-negative integer, or a region code
        not in the country table, naming the file, column and line.

    Examples
    --------
    >>> counts = load_press_counts()
    >>> counts.loc[counts["region"] == "GBR", "reports"].tolist()
    [68000, 46000]
    """
    shipped = reference_dir("collected") / "downdetector_press_counts.csv"
    path = shipped if path is None else Path(path)
    source = str(path)
    frame = read_small_table(path, PRESS_COLUMNS)
    frame["reports"] = parse_counts(frame["reports"], source=source, frame=frame,
                                    row_name="line", show=["event", "region"])  # fmt: skip
    unknown = ~frame["region"].isin(load_countries()["iso3"])
    if unknown.any():
        raise_rows(source, "region codes not in the country table", frame, unknown,
                   column="region", show=["region"], row_name="line")  # fmt: skip
    frame["time_utc"] = pd.to_datetime(frame["time_utc"].replace("", None), utc=True)
    return frame.reset_index(drop=True)


def press_count_table(counts: pd.DataFrame, countries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The quoted counts per million internet users and per million WhatsApp users.

    Parameters
    ----------
    counts : DataFrame
        :func:`load_press_counts`'s table.
    countries : DataFrame, optional
        The country table (default :func:`~analysis.load_countries`; 2017 figures, so the
        users of a later outage are those of 2017).

    Returns
    -------
    DataFrame
        ``counts``' columns with ``market``, ``internet_users``, ``users`` (WhatsApp,
        persons), ``users_low``, ``users_high``, ``penetration_source``,
        ``per_million_internet_users`` and ``per_million_users`` with
        ``per_million_users_low``..``per_million_users_high`` (the users' range; the count
        itself is taken as exact, though it is a lower bound where ``qualifier`` says so).

    Examples
    --------
    >>> table = press_count_table(load_press_counts())
    >>> bool((table["per_million_users_low"] <= table["per_million_users"]).all())
    True
    """
    table = countries_by_iso3(countries)
    users = service_users(counts["region"].unique(), table.reset_index())
    out = counts.join(users[["market", "internet_users", "users", "users_low", "users_high",
                             "penetration_source"]], on="region")  # fmt: skip
    reports = out["reports"].astype(float)
    out["per_million_internet_users"] = reports / out["internet_users"] * 1e6
    for suffix, column in (("", "users"), ("_low", "users_high"), ("_high", "users_low")):
        out[f"per_million_users{suffix}"] = reports / out[column] * 1e6
    return out


def press_conclusion(table: pd.DataFrame) -> str:
    """What the quoted counts allow, from :func:`press_count_table`'s numbers.

    For each outage, the country with the most reports per million WhatsApp users and its
    market; then why that does not rank reliance.

    Examples
    --------
    >>> text = press_conclusion(press_count_table(load_press_counts()))
    >>> text.split(" (")[0]
    'On 2022-10-25 WhatsApp the most reports per million WhatsApp users came from SGP'
    """
    lines = []
    for event, rows in table.groupby("event", sort=True):
        top = rows.loc[rows["per_million_users"].idxmax()]
        lines.append(f"On {event} the most reports per million WhatsApp users came from "
                     f"{top['region']} ({top['market']}, {top['per_million_users']:,.0f} per "
                     f"million; {len(rows)} countries quoted).")  # fmt: skip
    developed_first = all(
        rows.loc[rows["per_million_users"].idxmax(), "market"] == "developed"
        for _, rows in table.groupby("event")
    )
    lines.append(
        ("Both times a developed market leads, " if developed_first else "")
        + "but a count per user (here with the 2017 user bases; users grew since, unevenly) "
        "multiplies reliance by the share of users who report to "
        "Downdetector at all, which differs between countries and which one quoted count "
        "cannot separate. The excess ratio would cancel it by dividing by each country's "
        "normal reports, which the press does not give. These counts show that the outages "
        "were reported in every country quoted; they cannot rank the countries' reliance."
    )
    return " ".join(lines) if np.isfinite(table["per_million_users"]).any() else lines[-1]
