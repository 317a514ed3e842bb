"""Reading report series from files: the only module of the package that reads data files.

:func:`load_reports` reads four formats into a validated report frame (see
:mod:`analysis.schema`):

``csv``
    The canonical long CSV: columns ``time, region, reports`` and optionally ``service``.
``parquet``
    The same columns in a Parquet file.
``wide``
    A CSV with a time column followed by one column of counts per region
    (``time,BRA,IND,...``). An empty cell is a missing bin (a gap), not a zero.
``trends``
    A Google-Trends-style export: preamble lines (``Category: All categories``), a blank
    line, then a header such as ``Time,whatsapp down: (Brazil)``. Country names become
    ISO-3 codes, ``Worldwide`` becomes ``WLD``; the value ``<1`` is read as ``less_than_one``
    (0 by default). Trends values are a 0-100 interest index, not report counts: they keep
    their scale.
``ioda``
    IODA-style signal JSON: a list of series (or IODA's ``{"data": [[...]]}`` envelope),
    each with ``entityCode`` (ISO-2 country code), ``from`` (Unix seconds), ``step``
    (seconds) and ``values`` (``null`` is a missing bin).

Every error is a :class:`~analysis.schema.ReportDataError` naming the file and, where it
applies, the column and the first offending lines.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import json
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.countries import iso3_codes, to_iso3
from analysis.schema import (
    KINDS,
    ReportDataError,
    parse_counts,
    parse_times,
    raise_rows,
    suggest,
    validate_reports,
)

__all__ = [
    "CONTINENTS",
    "COUNTRY_COLUMNS",
    "FORMATS",
    "INCOME_GROUPS",
    "MARKETS",
    "countries_by_iso3",
    "load_countries",
    "load_events",
    "load_reports",
    "reference_dir",
    "sniff_format",
    "write_simulation",
]

FORMATS: tuple[str, ...] = ("csv", "parquet", "wide", "trends", "ioda")
#: The kind of signal a format implies (others: the file's ``kind`` column, or reports).
FORMAT_KINDS = {"ioda": "level", "trends": "index"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
_TRENDS_HEADER = re.compile(r"^(?P<term>.*?):\s*\((?P<place>[^()]*(?:\([^()]*\))?[^()]*)\)\s*$")
_OTHER_DELIMITERS = {";": "';'", "\t": "a tab", "|": "'|'"}


def load_reports(
    path: str | os.PathLike[str],
    format: str = "auto",
    *,
    tz: str | None = None,
    freq: str | pd.Timedelta | None = None,
    sep: str | None = None,
    service: str | None = None,
    time_column: str | None = None,
    less_than_one: int = 0,
    kind: str | None = None,
) -> pd.DataFrame:
    """Load a file of outage reports or signals as a validated report frame.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    format : {"auto", "csv", "parquet", "wide", "trends", "ioda"}
        ``"auto"`` sniffs the format from the suffix and the first bytes (see
        :func:`sniff_format`).
    tz : str, optional
        IANA zone in which naive timestamps are read (``"UTC"``, ``"America/Sao_Paulo"``).
        Without it naive timestamps are refused; aware ones are converted to UTC.
    freq : str or Timedelta, optional
        Bin width, where gaps leave it ambiguous (see
        :func:`~analysis.schema.validate_reports`).
    sep : str, optional
        CSV delimiter; ``","`` by default (a tab for ``.tsv`` files).
    service : str, optional
        Service name to record in a ``service`` column, for files that carry none.
    time_column : str, optional
        Name of the time column of a wide CSV (default: its first column).
    less_than_one : int
        Value given to ``<1`` in a Google-Trends export (default 0).
    kind : {"reports", "level", "index"}, optional
        What the file's series measure (see :data:`~analysis.schema.KINDS`). By default the
        format says: IODA signals are ``level`` (an outage is a drop), Google-Trends exports
        ``index`` (relative, rescaled per export), a file's own ``kind`` column is kept, and
        anything else is ``reports``.

    Returns
    -------
    DataFrame
        A report frame accepted by :func:`~analysis.schema.validate_reports`: ``time``
        (UTC), ``region`` (ISO-3), ``reports`` (int64; float64 where a series is a
        ``level`` or an ``index``), optionally ``service``, and ``kind`` where the format
        or ``kind=`` sets one.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        If ``path`` is missing or a directory.
    ReportDataError
        If the content is not a valid report series; the message names the file, the
        column and the first offending lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = f.write_text("time,region,reports\\n2017-05-03T20:00Z,BRA,5\\n")
    >>> load_reports(f)["reports"].sum()
    np.int64(5)
    """
    path = Path(path)
    _check_path(path)
    fmt = sniff_format(path) if format == "auto" else format
    if fmt not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {FORMATS}, got {format!r}")
    source = str(path)
    if fmt == "parquet":
        frame, row_name = _read_parquet(path), "row"
    elif fmt == "ioda":
        frame, row_name = _read_ioda(path), "at"
    else:
        text = _read_text(path)
        if sep is None:
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
        if fmt == "csv":
            frame = _read_csv(text, source, sep, first_line=1)  # columns: validate_reports
        elif fmt == "wide":
            frame = _read_wide_csv(text, source, sep, time_column)
        else:
            frame = _read_trends(text, source, sep, less_than_one)
        row_name = "line"
    if service is not None:
        if "service" in frame.columns:
            raise ReportDataError(source, "the file has a 'service' column; do not pass service=")
        frame = frame.assign(service=service)
    kind = kind if kind is not None else FORMAT_KINDS.get(fmt)
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        frame = frame.assign(kind=kind)
    return validate_reports(frame, source=source, tz=tz, freq=freq, row_name=row_name)


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a report file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of a report file from its suffix and first bytes.

    Parquet (by suffix or the ``PAR1`` magic bytes) and JSON (by suffix or a leading ``[``
    or ``{``) are recognised first. A text file whose first line is a lone
    ``Category: ...`` preamble is a Google-Trends export; a CSV whose header names (or
    nearly names) ``region`` or ``reports`` is the canonical long form; any other CSV is
    read as wide.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = f.write_text("time,BRA,IND\\n2017-05-03T20:00Z,1,2\\n")
    >>> sniff_format(f)
    'wide'
    """
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(4096)
    if suffix in _PARQUET_SUFFIXES or head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".json" or stripped[:1] in (b"[", b"{"):
        return "ioda"
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    if not lines:
        return "csv"  # empty: the CSV reader gives the clear error
    first = lines[0].strip()
    if first.lower().startswith("category:"):
        return "trends"
    fields = [f.strip().strip('"').lower() for f in re.split(r"[,;\t|]", first)]
    for name in ("region", "reports"):
        if difflib.get_close_matches(name, fields, n=1, cutoff=0.75):
            return "csv"
    return "wide"


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise ReportDataError(str(path), "empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReportDataError(
            str(path),
            f"not UTF-8 text: byte {raw[exc.start]:#04x} at offset {exc.start} (line {line}); "
            "re-save the file as UTF-8",
        ) from exc
    return text.rstrip("\r\n\t ") + "\n"


def _read_csv(text: str, source: str, sep: str, first_line: int) -> pd.DataFrame:
    """Read CSV text with every cell as a string, indexed by file line number."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError as exc:
        raise ReportDataError(source, "empty file") from exc
    except pd.errors.ParserError as exc:
        raise ReportDataError(source, f"malformed CSV: {exc}") from exc
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        for delimiter, name in _OTHER_DELIMITERS.items():
            if delimiter in header and delimiter != sep:
                raise ReportDataError(
                    source,
                    f"the header {header!r} looks delimited by {name}, not {sep!r}; "
                    f"pass sep={delimiter!r}",
                )
    frame.index = pd.RangeIndex(first_line + 1, first_line + 1 + len(frame))
    if frame.empty:
        raise ReportDataError(source, "header only: no data rows")
    return frame


def _header_fields(text: str, sep: str) -> list[str]:
    first = text.split("\n", 1)[0]
    return [f.strip() for f in next(csv.reader([first], delimiter=sep))]


def _melt_wide(
    frame: pd.DataFrame,
    time_column: str,
    regions: dict[str, str],
    source: str,
    services: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Long frame from wide count columns; an empty cell is a missing bin."""
    parts = []
    for column, region in regions.items():
        cells = frame[column].astype(str).str.strip()
        present = cells != ""
        counts = parse_counts(
            cells[present],
            source=source,
            column=column,
            frame=frame.loc[present, [time_column, column]],
            row_name="line",
            show=[time_column, column],
        )
        part = pd.DataFrame(
            {"time": frame.loc[present, time_column], "region": region, "reports": counts}
        )
        if services is not None:
            part["service"] = services[column]
        parts.append(part)
    long = pd.concat(parts)
    if long.empty:
        raise ReportDataError(source, "every count cell is empty: no data")
    return long


def _read_wide_csv(text: str, source: str, sep: str, time_column: str | None) -> pd.DataFrame:
    fields = _header_fields(text, sep)
    frame = _read_csv(text, source, sep, first_line=1)
    if len(fields) != len(set(fields)):
        dup = sorted({f for f in fields if fields.count(f) > 1})
        raise ReportDataError(source, f"duplicate region columns {dup} in the header")
    columns = list(frame.columns)
    time_column = columns[0] if time_column is None else time_column
    if time_column not in columns:
        raise ReportDataError(
            source,
            f"no time column {time_column!r}{suggest(time_column, columns)}",
            column=time_column,
        )
    regions: dict[str, str] = {}
    for column in columns:
        if column == time_column:
            continue
        try:
            regions[column] = to_iso3(str(column))
        except KeyError:
            raise ReportDataError(
                source,
                f"column {column!r} is not a region (expected ISO-3 codes such as 'BRA' as "
                "the column names of a wide CSV, after the time column)",
                column=str(column),
            ) from None
    _refuse_duplicate_regions(regions, source)
    if not regions:
        raise ReportDataError(source, "a wide CSV needs at least one region column")
    return _melt_wide(frame, time_column, regions, source)


def _refuse_duplicate_regions(regions: dict[str, str], source: str, by: dict | None = None) -> None:
    seen: dict[tuple, str] = {}
    for column, region in regions.items():
        key = (region, by[column] if by else None)
        if key in seen:
            raise ReportDataError(
                source,
                f"columns {seen[key]!r} and {column!r} are both region {region}",
                column=column,
            )
        seen[key] = column


def _read_trends(text: str, source: str, sep: str, less_than_one: int) -> pd.DataFrame:
    lines = text.split("\n")
    blank = next((i for i, line in enumerate(lines) if not line.strip()), None)
    if blank is None or blank + 1 >= len(lines) or not lines[blank + 1].strip():
        raise ReportDataError(
            source,
            "not a Google-Trends export: expected preamble lines, a blank line, then a "
            "header such as 'Time,whatsapp down: (Brazil)'",
        )
    body = "\n".join(lines[blank + 1 :])
    frame = _read_csv(body, source, sep, first_line=blank + 2)
    columns = list(frame.columns)
    time_column = columns[0]
    regions: dict[str, str] = {}
    terms: dict[str, str] = {}
    for column in columns[1:]:
        match = _TRENDS_HEADER.match(str(column))
        if match is None:
            raise ReportDataError(
                source,
                f"header {column!r} is not of the form 'term: (Place)'",
                column=str(column),
            )
        place = match["place"].strip()
        try:
            regions[column] = to_iso3(place)
        except KeyError:
            raise ReportDataError(
                source, f"unknown place {place!r} in header {column!r}", column=str(column)
            ) from None
        terms[column] = match["term"].strip()
    if not regions:
        raise ReportDataError(source, "a Google-Trends export needs at least one value column")
    several_terms = len(set(terms.values())) > 1
    _refuse_duplicate_regions(regions, source, by=terms if several_terms else None)
    for column in regions:
        frame[column] = frame[column].str.strip().replace("<1", str(less_than_one))
    return _melt_wide(frame, time_column, regions, source, terms if several_terms else None)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise ReportDataError(str(path), f"not a readable Parquet file ({exc})") from exc


_IODA_SHAPE = (
    "expected a JSON list of series objects with 'entityCode', 'from', 'step' and 'values' "
    "(or IODA's {'data': [[...]]} envelope)"
)


def _ioda_series(doc: Any, source: str) -> list[dict]:
    if isinstance(doc, dict) and "data" in doc:
        doc = doc["data"]
    if isinstance(doc, list) and doc and all(isinstance(x, list) for x in doc):
        doc = [s for group in doc for s in group]
    if not isinstance(doc, list) or not doc or not all(isinstance(s, dict) for s in doc):
        raise ReportDataError(source, f"JSON of the wrong shape: {_IODA_SHAPE}")
    return doc


def _read_ioda(path: Path) -> pd.DataFrame:
    source = str(path)
    text = _read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportDataError(
            source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    series = _ioda_series(doc, source)
    datasources = {s.get("datasource") for s in series}
    if len(datasources) > 1 and None in datasources:
        lacking = [i for i, s in enumerate(series) if s.get("datasource") is None]
        raise ReportDataError(
            source,
            f"series {lacking[:5]} lack 'datasource' while others have one: the "
            "service of their values is unknown",
            column="datasource",
        )
    parts = []
    for i, s in enumerate(series):
        lacking = [k for k in ("entityCode", "from", "step", "values") if k not in s]
        if lacking:
            raise ReportDataError(source, f"series {i} lacks {lacking}: {_IODA_SHAPE}")
        if s.get("entityType", "country") != "country":
            raise ReportDataError(
                source,
                f"series {i} is of entityType {s['entityType']!r}; only countries can be read",
                column="entityType",
            )
        try:
            region = to_iso3(str(s["entityCode"]))
        except KeyError:
            raise ReportDataError(
                source,
                f"series {i}: unknown country code {s['entityCode']!r}",
                column="entityCode",
            ) from None
        start, step, values = s["from"], s["step"], s["values"]
        if not isinstance(values, list):
            raise ReportDataError(source, f"series {i}: 'values' is not a list", column="values")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, step)) or (
            step <= 0
        ):
            raise ReportDataError(
                source,
                f"series {i}: 'from' and 'step' must be whole seconds (step > 0), got "
                f"from={start!r}, step={step!r}",
                column="step",
            )
        try:
            times = pd.to_datetime(start + step * np.arange(len(values)), unit="s", utc=True)
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime) as exc:
            raise ReportDataError(
                source,
                f"series {i}: 'from' and 'step' give times outside the supported range ({exc})",
                column="from",
            ) from None
        part = pd.DataFrame(
            {"time": times, "region": region, "reports": np.array(values, dtype=object)},
            index=[f"series {i} value {j}" for j in range(len(values))],
        )
        if len(datasources) > 1:
            part["service"] = str(s.get("datasource"))
        parts.append(part[part["reports"].notna()])
    frame = pd.concat(parts)
    if frame.empty:
        raise ReportDataError(source, "every value is null: no data", column="values")
    return frame


def reference_dir(kind: str = "reference") -> Path:
    """Folder of the reference tables (``countries.csv``, ``events.csv``), or with
    ``kind="collected"`` of the collected counts.

    In a source checkout this is ``data/<kind>/``; an installed wheel carries a copy inside
    the package.
    """
    packaged = Path(__file__).resolve().parent / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / kind


#: Columns of ``events.csv``.
EVENT_COLUMNS: tuple[str, ...] = (
    "service", "start_utc", "end_utc", "start_utc_low", "start_utc_high", "duration_min",
    "scope", "reported", "source",
)  # fmt: skip


def read_small_table(path: Path, columns: Collection[str]) -> pd.DataFrame:
    """A small reference CSV read as text, indexed by file line (the header is line 1), so
    that errors can name the line; a missing column is refused, naming the file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.index = frame.index + 2
    _require_columns(frame, columns, str(path))
    return frame


def _require_columns(frame: pd.DataFrame, required: Collection[str], source: str) -> None:
    """Refuse a reference table that lacks a column, suggesting a near miss."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hint = suggest(missing[0], [c for c in frame.columns if c not in required])
        raise ReportDataError(source, f"missing columns {missing}{hint}", column=missing[0])


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
        starts, UTC), ``duration_min`` (minutes, as reported; ``<NA>`` if none), ``scope``,
        ``reported``, ``source``.

    Examples
    --------
    >>> events = load_events()
    >>> row = events[events["start_utc"].dt.date.astype(str) == "2017-05-03"].iloc[0]
    >>> row["service"], int(row["duration_min"])
    ('whatsapp', 90)
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
    frame["duration_min"] = duration
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
    from zoneinfo import available_timezones

    path = reference_dir() / "countries.csv" if path is None else Path(path)
    _check_path(path)
    source = str(path)
    frame = _read_csv(_read_text(path), source, ",", first_line=1)
    _require_columns(frame, COUNTRY_COLUMNS, source)

    def refuse(column: str, problem: str, mask: pd.Series) -> None:
        raise_rows(source, problem, frame, mask, column=column, show=[column], row_name="line")

    for column in ("iso3", "iso2", "name", "continent", "timezone", "market", "income_group"):
        blank = frame[column].str.strip() == ""
        if blank.any():
            refuse(column, "missing values", blank)
    duplicated = frame["iso3"].duplicated(keep=False)
    if duplicated.any():
        refuse("iso3", "repeated codes", duplicated)
    codes = iso3_codes()
    unknown = ~frame["iso3"].isin(list(codes - {"WLD"}))
    if unknown.any():
        refuse("iso3", "not an ISO 3166-1 alpha-3 code", unknown)
    zones = available_timezones()
    listed = frame["timezones"].str.split(";")
    frame["zones"] = [
        tuple(z) if z != [""] else (one,) for z, one in zip(listed, frame["timezone"], strict=True)
    ]
    bad_zone = frame["zones"].map(lambda zs: any(z not in zones for z in zs)) | ~frame[
        "timezone"
    ].isin(list(zones))
    if bad_zone.any():
        refuse("timezone", "not an IANA time zone", bad_zone)
    for column, allowed in (
        ("continent", CONTINENTS),
        ("income_group", INCOME_GROUPS),
        ("market", MARKETS),
    ):
        outside = ~frame[column].isin(list(allowed))
        if outside.any():
            refuse(column, f"values outside {list(allowed)}", outside)
    for column, dtype in COUNTRY_COLUMNS.items():
        if dtype == "str":
            continue
        text = frame[column].str.strip()
        if dtype == "boolean":
            outside = ~text.str.lower().isin(["true", "false", ""])
            if outside.any():
                refuse(column, "not true/false", outside)
            frame[column] = text.str.lower().map({"true": True, "false": False}).astype(dtype)
            continue
        numbers = pd.to_numeric(text.replace("", None), errors="coerce")
        bad = numbers.isna() & (text != "")
        if bad.any():
            refuse(column, "not a number", bad)
        if (numbers < 0).any():
            refuse(column, "negative", numbers < 0)
        if dtype == "Int64" and (numbers.dropna() % 1 != 0).any():
            refuse(column, "not a whole number", numbers.notna() & (numbers % 1 != 0))
        frame[column] = numbers.astype(dtype)
    over = (frame["internet_share"] > 100).fillna(False)
    if over.any():
        refuse("internet_share", "a percentage above 100", over)
    inconsistent = frame["market"].eq("developed") != frame["imf_advanced"].fillna(False)
    if inconsistent.any():
        refuse("market", "market must be 'developed' exactly when imf_advanced", inconsistent)
    frame["internet_users"] = frame["population"].astype("Float64") * frame["internet_share"] / 100
    return frame.reset_index(drop=True)


def countries_by_iso3(countries: pd.DataFrame | None = None) -> pd.DataFrame:
    """The country table indexed by ISO-3 code: ``countries`` if given (with an ``iso3``
    column), else :func:`load_countries`.

    Examples
    --------
    >>> countries_by_iso3().loc["BRA", "market"]
    'developing'
    """
    return (load_countries() if countries is None else countries).set_index("iso3")


def write_simulation(simulation, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a :class:`~analysis.simulate.Simulation` to a folder.

    Files: ``reports.parquet`` and ``reports.csv`` (the report frame, times as ISO 8601 with
    ``+00:00``), ``truth.csv``, ``inputs.csv``, ``bursts.csv``, ``gaps.csv`` and
    ``scenario.json`` (the scenario's parameters and the seed). Same simulation, same bytes.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    def put(name: str, frame: pd.DataFrame, index: bool = False) -> None:
        path = out / name
        if name.endswith(".parquet"):
            frame.to_parquet(path, index=index)
        else:
            frame.to_csv(path, index=index)
        paths.append(path)

    put("reports.parquet", simulation.reports)
    put("reports.csv", simulation.reports)
    put("truth.csv", simulation.truth.assign(duration=simulation.truth["duration"].astype(str)))
    put("inputs.csv", simulation.inputs, index=True)
    put("bursts.csv", simulation.bursts)
    put("gaps.csv", simulation.gaps)
    meta = {"seed": simulation.seed, "scenario": _plain(dataclasses.asdict(simulation.scenario))}
    path = out / "scenario.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    paths.append(path)
    return paths


def _plain(value: Any) -> Any:
    """JSON-ready copy of a scenario's fields (timestamps and durations as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value
