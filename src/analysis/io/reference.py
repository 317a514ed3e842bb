"""The reference tables: the country table and the catalogue of real outages, shipped in
``data/reference/`` (or inside an installed wheel)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.countries import iso3_codes
from analysis.io.files import _check_path, _read_csv, _read_text, _require_columns
from analysis.schema import parse_counts, parse_times, raise_rows

__all__ = [
    "CONTINENTS",
    "COUNTRY_COLUMNS",
    "EVENT_COLUMNS",
    "INCOME_GROUPS",
    "MARKETS",
    "countries_by_iso3",
    "load_countries",
    "load_events",
    "reference_dir",
]


def reference_dir(kind: str = "reference") -> Path:
    """Folder of the reference tables (``countries.csv``, ``events.csv``), or with
    ``kind="collected"`` of the collected counts.

    In a source checkout this is ``data/<kind>/``; an installed wheel carries a copy inside
    the package.
    """
    package = Path(__file__).resolve().parents[1]  # analysis/
    packaged = package / "_data" / kind
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "data" / kind  # the checkout: src/analysis/ -> data/


#: Columns of ``events.csv``.
EVENT_COLUMNS: tuple[str, ...] = (
    "service", "start_utc", "end_utc", "start_utc_low", "start_utc_high", "duration_min",
    "scope", "reported", "source",
)  # fmt: skip


def load_events(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The catalogue of real outages (``data/reference/events.csv``).

    Parameters
    ----------
    path : str or path-like, optional
        Another catalogue with the same columns (default: the shipped one).

    Returns
    -------
    DataFrame
        One row per outage: ``service``, ``start_utc``, ``end_utc`` (``NaT`` where no
        source gives an end), ``start_utc_low``, ``start_utc_high`` (the range of reported
        starts, UTC), ``duration`` (Timedelta, as reported in the file's ``duration_min``;
        ``NaT`` if none), ``scope``,
        ``reported``, ``source``.

    Examples
    --------
    >>> events = load_events()
    >>> row = events[events["start_utc"].dt.date.astype(str) == "2017-05-03"].iloc[0]
    >>> row["service"], row["duration"]
    ('whatsapp', Timedelta('0 days 01:30:00'))
    """
    path = reference_dir() / "events.csv" if path is None else Path(path)
    _check_path(path)
    source = str(path)
    frame = _read_csv(_read_text(path), source, ",", first_line=1)
    _require_columns(frame, EVENT_COLUMNS, source)
    for column in ("start_utc", "start_utc_low", "start_utc_high"):
        frame[column] = parse_times(
            frame[column],
            source=source,
            column=column,
            frame=frame,
            row_name="line",
            show=["service", column],
        )
    has_end = frame["end_utc"] != ""
    end = pd.Series(pd.NaT, index=frame.index, dtype=frame["start_utc"].dtype)
    end[has_end] = parse_times(
        frame.loc[has_end, "end_utc"],
        source=source,
        column="end_utc",
        frame=frame.loc[has_end],
        row_name="line",
    )
    frame["end_utc"] = end
    has_duration = frame["duration_min"] != ""
    duration = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    duration[has_duration] = parse_counts(
        frame.loc[has_duration, "duration_min"],
        source=source,
        column="duration_min",
        row_name="line",
    )
    frame["duration_min"] = pd.to_timedelta(duration.astype("Float64"), unit="min")
    frame = frame.rename(columns={"duration_min": "duration"})
    before = (frame["end_utc"] < frame["start_utc"]).fillna(False).to_numpy(dtype=bool)
    if before.any():
        raise_rows(source, "end before start", frame, before, column="end_utc",
                   show=["service", "start_utc", "end_utc"], row_name="line")  # fmt: skip
    return frame.reset_index(drop=True)


#: Columns of ``countries.csv`` and the dtype :func:`load_countries` gives each.
COUNTRY_COLUMNS: dict[str, str] = {
    "iso3": "str",
    "iso2": "str",
    "name": "str",
    "continent": "str",
    "un_region": "str",
    "timezone": "str",
    "timezones": "str",
    "population": "Int64",
    "population_year": "Int64",
    "internet_share": "Float64",
    "internet_share_year": "Int64",
    "income_group": "str",
    "gni_per_capita_usd": "Float64",
    "gni_year": "Int64",
    "imf_advanced": "boolean",
    "market": "str",
    "oecd": "boolean",
}
CONTINENTS: tuple[str, ...] = (
    "Africa", "Asia", "Europe", "North America", "South America", "Oceania",
)  # fmt: skip
INCOME_GROUPS: tuple[str, ...] = (
    "Low income", "Lower middle income", "Upper middle income", "High income",
)  # fmt: skip
MARKETS: tuple[str, ...] = ("developed", "developing")


def load_countries(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The country reference table (``data/reference/countries.csv``).

    One row per country or territory of at least about one million people in 2017. Every
    column's source, year and definition is in ``data/reference/SOURCES.md``. Unknown values
    are missing (``<NA>``), never guessed: every consumer must handle them explicitly.

    Parameters
    ----------
    path : str or path-like, optional
        Another table with the same columns (default: the shipped one).

    Returns
    -------
    DataFrame
        Indexed by nothing (a ``RangeIndex``), with the columns of :data:`COUNTRY_COLUMNS`
        (nullable ``Int64`` / ``Float64`` / ``boolean`` where values can be missing; shares
        in percent) plus ``internet_users`` (people, ``population x internet_share / 100``,
        missing where either is) and ``zones`` (tuple of IANA zones: ``timezones`` split, or
        the one ``timezone``).

    Raises
    ------
    ReportDataError
        If a column is missing, a code is unknown or repeated, a zone is not an IANA zone,
        or a value is out of its domain; the message names the file, column and line.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.set_index("iso3").loc["BRA", ["market", "timezone"]].tolist()
    ['developing', 'America/Sao_Paulo']
    """
    path = reference_dir() / "countries.csv" if path is None else Path(path)
    _check_path(path)
    source = str(path)
    frame = _read_csv(_read_text(path), source, ",", first_line=1)
    _require_columns(frame, COUNTRY_COLUMNS, source)

    def refuse(column: str, problem: str, mask: pd.Series) -> None:
        raise_rows(source, problem, frame, mask, column=column, show=[column], row_name="line")

    _check_country_codes(frame, refuse)
    frame["zones"] = _country_zones(frame, refuse)
    for column, dtype in COUNTRY_COLUMNS.items():
        if dtype != "str":
            frame[column] = _country_values(frame[column], dtype, refuse)
    over = (frame["internet_share"] > 100).fillna(False)
    if over.any():
        refuse("internet_share", "a percentage above 100", over)
    inconsistent = frame["market"].eq("developed") != frame["imf_advanced"].fillna(False)
    if inconsistent.any():
        refuse("market", "market must be 'developed' exactly when imf_advanced", inconsistent)
    frame["internet_users"] = frame["population"].astype("Float64") * frame["internet_share"] / 100
    return frame.reset_index(drop=True)


def _check_country_codes(frame: pd.DataFrame, refuse: Callable) -> None:
    """Refuse blank required text, repeated or unknown ISO-3 codes and categories outside
    :data:`CONTINENTS`, :data:`INCOME_GROUPS` and :data:`MARKETS` (``refuse(column,
    problem, mask)`` raises, naming the lines)."""
    for column in ("iso3", "iso2", "name", "continent", "timezone", "market", "income_group"):
        blank = frame[column].str.strip() == ""
        if blank.any():
            refuse(column, "missing values", blank)
    duplicated = frame["iso3"].duplicated(keep=False)
    if duplicated.any():
        refuse("iso3", "repeated codes", duplicated)
    unknown = ~frame["iso3"].isin(list(iso3_codes() - {"WLD"}))
    if unknown.any():
        refuse("iso3", "not an ISO 3166-1 alpha-3 code", unknown)
    for column, allowed in (
        ("continent", CONTINENTS),
        ("income_group", INCOME_GROUPS),
        ("market", MARKETS),
    ):
        outside = ~frame[column].isin(list(allowed))
        if outside.any():
            refuse(column, f"values outside {list(allowed)}", outside)


def _country_zones(frame: pd.DataFrame, refuse: Callable) -> list[tuple[str, ...]]:
    """Each country's IANA zones (``timezones`` split on ``;``, else its one ``timezone``);
    refuses a name that is not an IANA zone."""
    from zoneinfo import available_timezones

    known = available_timezones()
    listed = frame["timezones"].str.split(";")
    zones = [tuple(z) if z != [""] else (one,)
             for z, one in zip(listed, frame["timezone"], strict=True)]  # fmt: skip
    bad = pd.Series([any(z not in known for z in zs) for zs in zones], index=frame.index)
    bad |= ~frame["timezone"].isin(list(known))
    if bad.any():
        refuse("timezone", "not an IANA time zone", bad)
    return zones


def _country_values(text: pd.Series, dtype: str, refuse: Callable) -> pd.Series:
    """A column of the country table's text as ``dtype`` (``boolean``, ``Int64`` or
    ``Float64``; blank: missing); refuses what is not of that type or is negative."""
    column = str(text.name)
    text = text.str.strip()
    if dtype == "boolean":
        outside = ~text.str.lower().isin(["true", "false", ""])
        if outside.any():
            refuse(column, "not true/false", outside)
        return text.str.lower().map({"true": True, "false": False}).astype(dtype)
    numbers = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = numbers.isna() & (text != "")
    if bad.any():
        refuse(column, "not a number", bad)
    if (numbers < 0).any():
        refuse(column, "negative", numbers < 0)
    if dtype == "Int64" and (numbers.dropna() % 1 != 0).any():
        refuse(column, "not a whole number", numbers.notna() & (numbers % 1 != 0))
    return numbers.astype(dtype)


def countries_by_iso3(countries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The country table indexed by ISO-3 code: ``countries`` if given (with an ``iso3``
    column), else :func:`load_countries`.

    Examples
    --------
    >>> countries_by_iso3().loc["BRA", "market"]
    'developing'
    """
    return (load_countries() if countries is None else countries).set_index("iso3")
