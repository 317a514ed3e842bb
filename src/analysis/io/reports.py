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
import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.countries import to_iso3
from analysis.io.files import _check_path, _read_csv, _read_text
from analysis.schema import (
    KINDS,
    ReportDataError,
    parse_counts,
    suggest,
    validate_reports,
)

__all__ = ["FORMATS", "FORMAT_KINDS", "load_reports", "sniff_format"]

FORMATS: tuple[str, ...] = ("csv", "parquet", "wide", "trends", "ioda")
#: The kind of signal a format implies (others: the file's ``kind`` column, or reports).
FORMAT_KINDS = {"ioda": "level", "trends": "index"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
_TRENDS_HEADER = re.compile(r"^(?P<term>.*?):\s*\((?P<place>[^()]*(?:\([^()]*\))?[^()]*)\)\s*$")


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
    """An IODA JSON export (a list of country series, or IODA's ``{'data': [[...]]}``
    envelope) as a report frame, one part per series; the ``service`` column names each
    series' datasource where there are several."""
    source = str(path)
    try:
        doc = json.loads(_read_text(path))
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
        part = _ioda_part(s, i, source)
        if len(datasources) > 1:
            part["service"] = str(s.get("datasource"))
        parts.append(part[part["reports"].notna()])
    frame = pd.concat(parts)
    if frame.empty:
        raise ReportDataError(source, "every value is null: no data", column="values")
    return frame


def _ioda_part(s: dict, i: int, source: str) -> pd.DataFrame:
    """Series number ``i`` of an IODA export: ``time, region, reports`` (values as given,
    nulls kept), indexed by where each value sits in the file."""
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
    values = s["values"]
    if not isinstance(values, list):
        raise ReportDataError(source, f"series {i}: 'values' is not a list", column="values")
    return pd.DataFrame(
        {"time": _ioda_times(s["from"], s["step"], len(values), i, source), "region": region,
         "reports": np.array(values, dtype=object)},
        index=[f"series {i} value {j}" for j in range(len(values))],
    )  # fmt: skip


def _ioda_times(start: object, step: object, n: int, i: int, source: str) -> pd.DatetimeIndex:
    """The ``n`` bin times (UTC) of series ``i`` from its ``from`` and ``step`` (seconds)."""
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, step))
    if not whole or step <= 0:
        raise ReportDataError(
            source,
            f"series {i}: 'from' and 'step' must be whole seconds (step > 0), got "
            f"from={start!r}, step={step!r}",
            column="step",
        )
    try:
        return pd.to_datetime(start + step * np.arange(n), unit="s", utc=True)
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime) as exc:
        raise ReportDataError(
            source,
            f"series {i}: 'from' and 'step' give times outside the supported range ({exc})",
            column="from",
        ) from None
