"""The report frame: the one canonical input of every analysis step.

A report frame is a long :class:`pandas.DataFrame`, one row per region and time bin:

========  ==========================  ==================================================
column    dtype                       meaning
========  ==========================  ==================================================
time      ``datetime64[*, UTC]``      start of the bin (UTC); bins regular per region
region    ``str``                     ISO 3166-1 alpha-3 code, or ``WLD`` (worldwide)
reports   ``int64`` (>= 0)            problem reports received in the bin (the signal's
                                      value for kinds ``level`` and ``index``: ``float64``)
service   ``str`` (optional)          e.g. ``whatsapp``; absent means one service
kind      ``str`` (optional)          what the series measures (:data:`KINDS`); absent
                                      means ``reports``
========  ==========================  ==================================================

Signal kinds: ``reports`` (problem reports, tweets: an outage is a rise), ``level``
(traffic, reachability, usage: an outage is a drop; values need not be whole) and ``index``
(a relative index such as a Google-Trends export, rescaled in every export: only ratios
mean anything). A series has one kind.

:func:`validate_reports` checks a frame against this contract and returns it sorted by
(``service``, ``region``, ``time``), or raises :class:`ReportDataError` naming the source,
the column and the first offending rows. Nothing is dropped or altered silently: missing
bins stay missing (a gap is not a zero) and extra columns are kept as they are.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from analysis.countries import to_iso3, unknown_region_codes

#: The level of every interval the package gives (detection, baseline band, impact, market
#: comparison) unless a call asks for another.
LEVEL = 0.9

__all__ = [
    "KINDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ReportDataError",
    "bin_widths",
    "describe_reports",
    "group_keys",
    "iter_series",
    "parse_counts",
    "parse_times",
    "series_kinds",
    "validate_reports",
    "width_text",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("time", "region", "reports")
OPTIONAL_COLUMNS: tuple[str, ...] = ("service", "kind")
#: What a series can measure (the ``kind`` column).
KINDS: tuple[str, ...] = ("reports", "level", "index")
#: How many offending rows an error message shows.
MAX_SHOWN = 5
_INT64_MAX = np.iinfo(np.int64).max
# a UTC offset after a time of day ("T20:00Z", " 20:00:00+02:00"); a date alone has none
_OFFSET_RE = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"
_UNPARSEABLE = "unparseable timestamps (expected ISO 8601, e.g. 2017-05-03T20:00Z)"
_NAIVE = (
    "naive timestamps (no time zone); pass tz='UTC' or the zone they were recorded in, "
    "or write them with an offset such as 'Z' or '+00:00'"
)


class ReportDataError(ValueError):
    """Input that does not meet the report-frame contract.

    Parameters
    ----------
    source : str
        Where the data came from: a file path, or ``"<DataFrame>"``.
    problem : str
        What is wrong, in words.
    column : str, optional
        The offending column, where one applies.
    rows : sequence of str, optional
        Descriptions of the first offending rows (``"line 7: region='XXX'"``).
    n_rows : int, optional
        How many rows are affected in all (defaults to ``len(rows)``).

    Examples
    --------
    >>> err = ReportDataError("a.csv", "negative counts", column="reports", rows=["line 3: -1"])
    >>> print(err)
    a.csv: column 'reports': negative counts (1 row; first: line 3: -1)
    """

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        column: str | None = None,
        rows: Sequence[str] = (),
        n_rows: int | None = None,
    ) -> None:
        self.source = source
        self.problem = problem
        self.column = column
        self.rows = list(rows)
        self.n_rows = len(self.rows) if n_rows is None else n_rows
        where = f"column {column!r}: " if column is not None else ""
        message = f"{source}: {where}{problem}"
        if self.rows:
            plural = "row" if self.n_rows == 1 else "rows"
            message += f" ({self.n_rows} {plural}; first: {'; '.join(self.rows)})"
        super().__init__(message)


def _describe_rows(
    df: pd.DataFrame, mask: np.ndarray | pd.Series, columns: Iterable[str], row_name: str
) -> tuple[list[str], int]:
    """Describe the first rows selected by ``mask`` as ``"<row_name> <label>: col=value"``."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    shown = df.loc[mask].head(MAX_SHOWN)
    cols = [c for c in columns if c in df.columns]
    out = []
    for label, row in shown.iterrows():
        values = ", ".join(f"{c}={_show(row[c])}" for c in cols)
        out.append(f"{row_name} {label}: {values}")
    return out, n


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<missing>"
    return str(value)


def raise_rows(
    source: str,
    problem: str,
    df: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    *,
    column: str,
    show: Iterable[str],
    row_name: str,
) -> None:
    """Raise :class:`ReportDataError` describing the first rows of ``df`` selected by ``mask``.

    Rows are described as ``"<row_name> <index label>: col=value, ..."`` for the ``show``
    columns, so a frame indexed by file line number gives ``"line 7: ..."``.
    """
    rows, n = _describe_rows(df, mask, show, row_name)
    raise ReportDataError(source, problem, column=column, rows=rows, n_rows=n)


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    lowered = {str(c).strip().lower(): str(c) for c in choices}
    match = difflib.get_close_matches(name.strip().lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


def parse_times(
    values: pd.Series,
    *,
    source: str,
    column: str = "time",
    tz: str | None = None,
    frame: pd.DataFrame | None = None,
    row_name: str = "row",
    show: Sequence[str] | None = None,
) -> pd.Series:
    """Parse timestamps to tz-aware UTC, refusing naive ones unless ``tz`` is given.

    Parameters
    ----------
    values : Series
        Strings (ISO 8601, with ``Z`` or a UTC offset), datetimes or ``Timestamp`` objects.
    source : str
        Named in error messages.
    column : str
        Named in error messages.
    tz : str, optional
        IANA time zone (``"America/Sao_Paulo"``) in which naive timestamps are read.
        Without it naive timestamps are refused. Aware timestamps ignore it.
    frame : DataFrame, optional
        The frame the values come from, so that errors show whole rows.
    row_name : str
        Word used for row labels in errors (``"row"`` or ``"line"``).
    show : sequence of str, optional
        Columns of ``frame`` shown for offending rows (default: ``column`` only).

    Returns
    -------
    Series
        ``datetime64[*, UTC]`` with the same index.

    Examples
    --------
    >>> s = pd.Series(["2017-05-03T20:00Z", "2017-05-03T22:00:00+02:00"])
    >>> parse_times(s, source="example").dt.hour.tolist()
    [20, 20]
    """
    frame = values.to_frame(column) if frame is None else frame
    show = list(show) if show is not None else [column]
    missing = values.isna().to_numpy().copy()  # pandas may hand back a read-only view
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        missing |= (values.astype(str).str.strip() == "").to_numpy()
    if missing.any():
        raise_rows(source, "missing timestamps", frame, missing, column=column, show=show,
                   row_name=row_name)  # fmt: skip
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        if tz is None:
            raise_rows(
                source,
                _NAIVE,
                frame,
                np.ones(len(values), dtype=bool),
                column=column,
                show=show,
                row_name=row_name,
            )
        return _localize(values, tz, source=source, column=column, frame=frame, row_name=row_name)
    text = values.astype(str).str.strip()
    # ISO 8601 starts with the year; this also refuses words pandas would read ("now", "NaT")
    not_iso = ~text.str.match(r"[+-]?\d{4}-\d{2}").to_numpy()
    if not_iso.any():
        raise_rows(source, _UNPARSEABLE, frame, not_iso, column=column, show=show,
                   row_name=row_name)  # fmt: skip
    try:
        parsed = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        parsed = None
    if parsed is not None and isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC")
    # Slow path: tell unparseable, naive and aware values apart, one by one.
    aware = text.str.contains(_OFFSET_RE, regex=True).to_numpy()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    naive = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
    if (~aware).any():
        naive[~aware] = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
    bad = (out.isna() & naive.isna()).to_numpy()
    if bad.any():
        raise_rows(
            source,
            _UNPARSEABLE,
            frame,
            bad,
            column=column,
            show=show,
            row_name=row_name,
        )
    if (~aware).any():
        if tz is None:
            raise_rows(source, _NAIVE, frame, ~aware, column=column, show=show, row_name=row_name)
        out[~aware] = _localize(
            naive[~aware], tz, source=source, column=column, frame=frame, row_name=row_name
        )
    return out


def _localize(
    values: pd.Series, tz: str, *, source: str, column: str, frame: pd.DataFrame, row_name: str
) -> pd.Series:
    try:
        local = values.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # unknown zone name
        raise ReportDataError(source, f"cannot use time zone {tz!r}: {exc}", column=column) from exc
    bad = local.isna().to_numpy() & values.notna().to_numpy()
    if bad.any():
        raise_rows(
            source,
            f"local times that are ambiguous or do not exist in {tz} (daylight-saving change); "
            "write them with a UTC offset",
            frame,
            bad,
            column=column,
            show=[column],
            row_name=row_name,
        )
    return local.dt.tz_convert("UTC")


def parse_counts(
    values: pd.Series,
    *,
    source: str,
    column: str = "reports",
    frame: pd.DataFrame | None = None,
    row_name: str = "row",
    show: Sequence[str] | None = None,
) -> pd.Series:
    """Parse report counts to ``int64``, refusing anything that is not a count.

    Integers and integral floats (``3.0``) are accepted; missing, non-numeric, fractional,
    negative and int64-overflowing values raise :class:`ReportDataError`.

    Parameters
    ----------
    values : Series
        Numbers or strings.
    source, column, frame, row_name, show
        As for :func:`parse_times`; ``show`` lists the columns shown for offending rows.

    Returns
    -------
    Series
        ``int64`` with the same index.

    Examples
    --------
    >>> parse_counts(pd.Series(["3", "4.0", " 5 "]), source="example").tolist()
    [3, 4, 5]
    """
    frame = values.to_frame(column) if frame is None else frame
    show = list(show) if show is not None else [column]

    def fail(problem: str, mask: np.ndarray) -> None:
        raise_rows(source, problem, frame, mask, column=column, show=show, row_name=row_name)

    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        fail("booleans are not report counts", np.ones(len(values), dtype=bool))
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        if values.isna().any():  # nullable integer dtype
            fail(
                "missing counts (a bin without data is a gap: leave its row out)",
                values.isna().to_numpy(),
            )
        if pd.api.types.is_unsigned_integer_dtype(dtype):
            too_big = (values > _INT64_MAX).to_numpy()
            if too_big.any():
                fail(f"counts larger than int64 allows ({_INT64_MAX})", too_big)
        counts = values.astype("int64")
    elif pd.api.types.is_float_dtype(dtype):
        counts = _from_float(values.astype("float64"), fail)
    else:
        counts = _from_text(values, fail)
    negative = (counts < 0).to_numpy()
    if negative.any():
        fail("negative counts", negative)
    return counts


def _from_float(values: pd.Series, fail) -> pd.Series:
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(arr)
    if missing.any():
        fail("missing counts (a bin without data is a gap: leave its row out)", missing)
    infinite = np.isinf(arr)
    if infinite.any():
        fail("infinite counts", infinite)
    fractional = arr != np.round(arr)
    if fractional.any():
        fail("fractional counts (reports are whole numbers)", fractional)
    too_big = np.abs(arr) >= 2.0**63
    if too_big.any():
        fail(f"counts larger than int64 allows ({_INT64_MAX})", too_big)
    return pd.Series(arr.astype("int64"), index=values.index)


def _from_text(values: pd.Series, fail) -> pd.Series:
    text = values.astype("str").str.strip()
    missing = (values.isna() | (text == "")).to_numpy()
    if missing.any():
        fail("missing counts (a bin without data is a gap: leave its row out)", missing)
    is_int = text.str.fullmatch(r"[+-]?\d+").to_numpy()
    numeric = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    not_number = np.isnan(numeric) & ~is_int
    if not_number.any():
        fail("non-numeric counts", not_number)
    # Whole-number strings are converted exactly, including values beyond float precision.
    long = is_int & (text.str.lstrip("+-").str.lstrip("0").str.len() > 18).to_numpy()
    if long.any():
        big = np.array([abs(int(s)) > _INT64_MAX for s in text[long]])
        overflow = np.zeros(len(text), dtype=bool)
        overflow[np.flatnonzero(long)[big]] = True
        if overflow.any():
            fail(f"counts larger than int64 allows ({_INT64_MAX})", overflow)
    out = np.zeros(len(text), dtype="int64")
    if is_int.any():
        ints = text[is_int]
        out[is_int] = [int(v) for v in ints] if long.any() else ints.astype("int64").to_numpy()
    if (~is_int).any():
        expand = _expand_factory(~is_int)
        rest = pd.Series(numeric[~is_int], index=values.index[~is_int])
        out[~is_int] = _from_float(rest, lambda problem, mask: fail(problem, expand(mask)))
    return pd.Series(out, index=values.index)


def _expand_factory(outer: np.ndarray):
    """Map a mask over the ``outer`` subset back onto the whole frame."""

    def expand(inner: np.ndarray) -> np.ndarray:
        full = np.zeros(len(outer), dtype=bool)
        full[np.flatnonzero(outer)[inner]] = True
        return full

    return expand


def width_text(width: pd.Timedelta) -> str:
    """A bin width in words, for messages.

    Examples
    --------
    >>> [width_text(pd.Timedelta(w)) for w in ("30s", "90s", "15min", "1h", "2D")]
    ['30 s', '90 s', '15 min', '1 h', '2 days']
    """
    seconds = int(width.total_seconds())
    if seconds != width.total_seconds():
        return str(width)
    for unit, size in (("day", 86_400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n != 1 else ''}"
    return f"{seconds} s"


def hours_minutes(d: pd.Timedelta) -> str:
    """A duration as hours and minutes, to the nearest minute.

    Examples
    --------
    >>> hours_minutes(pd.Timedelta("115min")), hours_minutes(pd.Timedelta("124min 50s"))
    ('1h55m', '2h05m')
    """
    minutes = round(d / pd.Timedelta("1min"))
    return f"{minutes // 60}h{minutes % 60:02d}m"


def group_keys(df: pd.DataFrame) -> list[str]:
    """The columns that identify one series: ``["service", "region"]`` or ``["region"]``."""
    return ["service", "region"] if "service" in df.columns else ["region"]


def series_kinds(reports: pd.DataFrame) -> dict[tuple, str]:
    """The kind of each series of a valid report frame, by series key (``reports`` where
    the frame has no ``kind`` column).

    Examples
    --------
    >>> t = pd.date_range("2017-05-03", periods=2, freq="h", tz="UTC")
    >>> frame = pd.DataFrame({"time": t, "region": "BRA", "reports": 1.0, "kind": "level"})
    >>> series_kinds(frame)
    {('BRA',): 'level'}
    """
    keys = group_keys(reports)
    if "kind" in reports.columns:
        kind = reports["kind"]
    else:
        kind = pd.Series("reports", index=reports.index)
    first = kind.groupby([reports[k] for k in keys], sort=True).first()
    return {k if isinstance(k, tuple) else (k,): str(v) for k, v in first.items()}


def iter_series(df: pd.DataFrame) -> Iterator[tuple[tuple[str, ...], pd.DataFrame, pd.Timedelta]]:
    """Each series of a valid report frame: its key, its rows and its bin width.

    The key is ``(region,)`` or ``(service, region)``; the width is ``NaT`` for a series
    with a single bin (see :func:`bin_widths`).

    Examples
    --------
    >>> t = pd.date_range("2017-05-03", periods=2, freq="5min", tz="UTC")
    >>> frame = pd.DataFrame({"time": t, "region": "BRA", "reports": 1})
    >>> [(key, str(width)) for key, _, width in iter_series(frame)]
    [(('BRA',), '0 days 00:05:00')]
    """
    keys = group_keys(df)
    widths = bin_widths(df)
    for key, series in df.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        yield key, series, widths.loc[key if len(key) > 1 else key[0]]


def bin_widths(df: pd.DataFrame) -> pd.Series:
    """Bin width of every series of a valid report frame.

    The width is the smallest step between consecutive bins (larger steps are gaps of whole
    bins); a series with a single bin has width ``NaT``.

    Parameters
    ----------
    df : DataFrame
        A report frame that :func:`validate_reports` accepts.

    Returns
    -------
    Series
        ``timedelta64`` indexed by region (or by service and region).

    Examples
    --------
    >>> t = pd.date_range("2017-05-03", periods=3, freq="5min", tz="UTC")
    >>> bin_widths(pd.DataFrame({"time": t, "region": "BRA", "reports": 1})).tolist()
    [Timedelta('0 days 00:05:00')]
    """
    keys = group_keys(df)
    ordered = df.sort_values([*keys, "time"])
    step = ordered.groupby(keys, sort=True)["time"].diff()
    return step.groupby([ordered[k] for k in keys], sort=True).min()


def validate_reports(
    df: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    tz: str | None = None,
    freq: str | pd.Timedelta | None = None,
    row_name: str = "row",
) -> pd.DataFrame:
    """Check a report frame and return it sorted by (``service``, ``region``, ``time``).

    The checks: the columns ``time``, ``region`` and ``reports`` exist (a misspelled name
    gets a suggestion); times parse to UTC (naive times are refused unless ``tz`` is given);
    regions are ISO 3166-1 alpha-3 codes or ``WLD``; counts are whole numbers in
    ``[0, 2**63)``; no (service, region, time) appears twice; and within each series the
    bins are regular: every step between consecutive bins is a whole multiple of the most
    smallest step, the bin width (larger multiples are gaps, which stay gaps).

    Parameters
    ----------
    df : DataFrame
        The frame to check. It is not modified.
    source : str
        Where the frame came from, named in error messages (a loader passes the file path).
    tz : str, optional
        IANA zone in which naive timestamps are read; without it they are refused.
    freq : str or Timedelta, optional
        The bin width, where the data alone leave it ambiguous (a series so gappy that no
        two of its bins are adjacent). Every step must then be a whole multiple of it.
        By default the width of each series is its smallest step.
    row_name : str
        Word for row labels in errors: ``"row"`` (the frame's index label) or ``"line"``
        (loaders index frames by file line number).

    Returns
    -------
    DataFrame
        A new frame: ``time`` as ``datetime64[*, UTC]``, ``region`` and ``service`` as
        ``str``, ``reports`` as ``int64``, other columns kept as they were, sorted, with a
        fresh ``RangeIndex``; ``attrs["source"]`` names where it came from (kept from the
        input frame when ``source`` is not given), for later steps' errors.

    Raises
    ------
    ReportDataError
        Naming the source, the column and the first offending rows.

    Examples
    --------
    >>> raw = pd.DataFrame({"time": ["2017-05-03T20:05Z", "2017-05-03T20:00Z"],
    ...                     "region": ["BRA", "BRA"], "reports": [12, 7]})
    >>> validate_reports(raw)["reports"].tolist()
    [7, 12]
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    if freq is not None and pd.Timedelta(freq) <= pd.Timedelta(0):
        raise ValueError(f"freq must be a positive duration, got {freq!r}")
    columns = [str(c) for c in df.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ReportDataError(source, f"duplicate column names {duplicated}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        extra = [c for c in columns if c not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
        hints = "; ".join(f"{m!r} is missing{suggest(m, extra)}" for m in missing)
        raise ReportDataError(
            source,
            f"{hints}. A report frame has columns {list(REQUIRED_COLUMNS)} (and optionally "
            f"'service'); found {columns}",
            column=missing[0],
        )
    if len(df) == 0:
        raise ReportDataError(source, "no data rows")
    out = df.copy()
    out.columns = columns
    shown = [c for c in ("service", "region", "kind", "time", "reports") if c in columns]

    for key in ("region", "service", "kind"):
        if key in out.columns:
            out[key] = _parse_labels(out, key, source=source, row_name=row_name, show=shown)
    if "kind" in out.columns:
        _check_kinds(out, source=source, row_name=row_name, show=shown)
    unknown = unknown_region_codes(out["region"].unique())
    if unknown:
        mask = out["region"].isin(unknown).to_numpy()
        hint = _region_hint(unknown)
        raise_rows(
            source,
            f"unknown region codes {sorted(unknown)[:10]} (expected ISO 3166-1 "
            f"alpha-3 such as 'BRA', or 'WLD'){hint}",
            out,
            mask,
            column="region",
            show=shown,
            row_name=row_name,
        )

    out["time"] = parse_times(
        out["time"], source=source, tz=tz, frame=out, row_name=row_name, show=shown
    )
    out["reports"] = _parse_reports(out, source=source, row_name=row_name, show=shown)

    keys = group_keys(out)
    codes = out.groupby(keys, sort=True).ngroup().to_numpy()
    ticks = out["time"].dt.tz_localize(None).to_numpy().view("int64")  # in the frame's unit
    order = np.lexsort((ticks, codes))  # stable: by series, then time
    out = out.take(order)
    _check_bins(out, codes[order], ticks[order], freq, source=source, row_name=row_name,
                show=shown)  # fmt: skip
    front = [c for c in ("time", "region", "reports", "service", "kind") if c in out.columns]
    out = out[front + [c for c in out.columns if c not in front]].reset_index(drop=True)
    if source != "<DataFrame>" or "source" not in out.attrs:
        out.attrs["source"] = source  # later steps name the file in their errors
    return out


def _check_kinds(out: pd.DataFrame, *, source: str, row_name: str, show: Sequence[str]) -> None:
    """Every ``kind`` is one of :data:`KINDS`, and one per series."""
    unknown = ~out["kind"].isin(KINDS).to_numpy()
    if unknown.any():
        bad = out["kind"][unknown].iloc[0]
        raise_rows(source, f"unknown kind {bad!r} (expected one of {list(KINDS)})"
                   f"{suggest(bad, KINDS)}", out, unknown, column="kind", show=show,
                   row_name=row_name)  # fmt: skip
    mixed = out.groupby(group_keys(out))["kind"].transform("nunique").to_numpy() > 1
    if mixed.any():
        raise_rows(source, "mixed kinds within one series (a series measures one thing)",
                   out, mixed, column="kind", show=show, row_name=row_name)  # fmt: skip


def _parse_reports(
    out: pd.DataFrame, *, source: str, row_name: str, show: Sequence[str]
) -> pd.Series:
    """Whole counts for series of kind ``reports``; non-negative finite values (float64)
    where a frame holds ``level`` or ``index`` series."""
    values = out["reports"]
    if "kind" not in out.columns or (out["kind"] == "reports").all():
        return parse_counts(values, source=source, frame=out, row_name=row_name, show=show)
    counts = out["kind"].to_numpy() == "reports"
    result = pd.Series(np.zeros(len(out)), index=out.index)
    if counts.any():
        result[counts] = parse_counts(values[counts], source=source, frame=out[counts],
                                      row_name=row_name, show=show).astype(float)  # fmt: skip
    number = pd.to_numeric(values[~counts].astype("str").str.strip(), errors="coerce")
    number = number.to_numpy(dtype="float64", na_value=np.nan)
    for problem, bad in (
        ("missing or non-numeric values (a bin without data is a gap: leave its row out)",
         ~np.isfinite(number) & ~np.isinf(number)),
        ("infinite values", np.isinf(number)),
        ("negative values", number < 0),
    ):  # fmt: skip
        if bad.any():
            expand = _expand_factory(~counts)
            raise_rows(source, problem, out, expand(bad), column="reports", show=show,
                       row_name=row_name)  # fmt: skip
    result[~counts] = number
    return result


def _parse_labels(
    df: pd.DataFrame, column: str, *, source: str, row_name: str, show: Sequence[str]
) -> pd.Series:
    values = df[column]
    # check the distinct labels only: a report frame has few regions and many rows
    try:
        labels = pd.Series(pd.unique(values), dtype=object)
    except TypeError:  # lists, dicts ... in the cells
        odd = values.map(lambda v: not isinstance(v, str | float | int) or isinstance(v, bool))
        raise_rows(source, f"{column} values must be text", df, odd.to_numpy(bool),
                   column=column, show=show, row_name=row_name)  # fmt: skip
    text = labels.astype("str")
    for problem, bad in (
        (f"missing {column} values", labels.isna() | (text.str.strip() == "")),
        (f"{column} values with surrounding spaces", text != text.str.strip()),
    ):
        if bad.any():
            mask = values.isin(labels[bad].tolist()).to_numpy() | (
                values.isna().to_numpy() & bool(labels[bad].isna().any())
            )
            raise_rows(source, problem, df, mask, column=column, show=show, row_name=row_name)
    return values.astype("str")


def _region_hint(unknown: Iterable[str]) -> str:
    hints = []
    for code in sorted(unknown)[:3]:
        try:
            hints.append(f"{code!r} -> {to_iso3(code)!r}")
        except KeyError:
            continue
    return f"; perhaps {', '.join(hints)}" if hints else ""


def _check_bins(
    df: pd.DataFrame,
    codes: np.ndarray,
    ticks: np.ndarray,
    freq: str | pd.Timedelta | None,
    *,
    source: str,
    row_name: str,
    show: Sequence[str],
) -> None:
    """On a frame sorted by series then time: no bin twice, and every step within a series a
    whole multiple of its width (``freq``, or else its smallest step)."""
    same = np.flatnonzero(codes[1:] == codes[:-1]) + 1  # rows with a predecessor in-series
    step = ticks[same] - ticks[same - 1]
    repeated = step == 0
    if repeated.any():
        mask = np.zeros(len(df), dtype=bool)
        mask[same[repeated]] = mask[same[repeated] - 1] = True
        keys = ", ".join(group_keys(df))
        raise_rows(source, f"duplicate ({keys}, time) bins", df, mask, column="time",
                   show=show, row_name=row_name)  # fmt: skip
    if not len(same):
        return
    unit = df["time"].dt.unit
    if freq is None:
        width = pd.Series(step).groupby(codes[same]).transform("min").to_numpy()
        what = "smallest step"
    else:
        width = np.full(len(step), pd.Timedelta(freq) // pd.Timedelta(1, unit))
        what = "freq"
    off = step % np.maximum(width, 1) != 0
    if off.any():
        mask = np.zeros(len(df), dtype=bool)
        mask[same[off]] = True
        first = df.iloc[same[off][0]]
        where = ", ".join(f"{k}={first[k]}" for k in group_keys(df))
        usual = pd.Timedelta(int(width[off][0]), unit)
        raise_rows(
            source,
            f"mixed bin widths within one series ({where}: {what} {usual}); bins must be "
            "regular per region (a gap must be a whole number of bins; if the bins are "
            "regular but so gappy that few are adjacent, pass freq=, e.g. freq='1min')",
            df,
            mask,
            column="time",
            show=show,
            row_name=row_name,
        )


def describe_reports(df: pd.DataFrame) -> pd.DataFrame:
    """One row per series of a valid report frame: span, bin width, coverage and total.

    Parameters
    ----------
    df : DataFrame
        A report frame accepted by :func:`validate_reports`.

    Returns
    -------
    DataFrame
        Indexed by region (or service and region), with columns ``start``, ``end`` (UTC bin
        starts), ``bin_width`` (Timedelta), ``bins`` (rows present), ``missing_bins`` (bins
        absent between start and end), ``largest_gap`` (Timedelta, longest stretch without
        data, 0 without gaps) and ``reports`` (total).

    Examples
    --------
    >>> t = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:01", "2017-05-03 20:04"],
    ...                    utc=True)
    >>> d = describe_reports(pd.DataFrame({"time": t, "region": "BRA", "reports": 1}))
    >>> int(d.loc["BRA", "missing_bins"]), str(d.loc["BRA", "largest_gap"])
    (2, '0 days 00:02:00')
    """
    keys = group_keys(df)
    ordered = df.sort_values([*keys, "time"])
    grouped = ordered.groupby(keys, sort=True)
    out = grouped.agg(
        start=("time", "min"),
        end=("time", "max"),
        bins=("time", "size"),
        reports=("reports", "sum"),
    )
    out["bin_width"] = bin_widths(ordered)
    step = grouped["time"].diff()
    biggest = step.groupby([ordered[k] for k in keys], sort=True).max()
    width = out["bin_width"]
    span_bins = ((out["end"] - out["start"]) / width).fillna(0).round().astype("int64") + 1
    out["missing_bins"] = span_bins - out["bins"]
    out["largest_gap"] = (biggest - width).fillna(pd.Timedelta(0))
    return out[["start", "end", "bin_width", "bins", "missing_bins", "largest_gap", "reports"]]
