"""Timestamps and counts parsed from what analysts' files hold, with a
:class:`~analysis.schema.ReportDataError` naming the first rows that cannot be read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.schema.errors import ReportDataError, raise_rows

_INT64_MAX = np.iinfo(np.int64).max
# a UTC offset after a time of day ("T20:00Z", " 20:00:00+02:00"); a date alone has none
_OFFSET_RE = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"
_UNPARSEABLE = "unparseable timestamps (expected ISO 8601, e.g. 2017-05-03T20:00Z)"
_NAIVE = (
    "naive timestamps (no time zone); pass tz='UTC' or the zone they were recorded in, "
    "or write them with an offset such as 'Z' or '+00:00'"
)


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
        expand = expand_factory(~is_int)
        rest = pd.Series(numeric[~is_int], index=values.index[~is_int])
        out[~is_int] = _from_float(rest, lambda problem, mask: fail(problem, expand(mask)))
    return pd.Series(out, index=values.index)


def expand_factory(outer: np.ndarray):
    """Map a mask over the ``outer`` subset back onto the whole frame."""

    def expand(inner: np.ndarray) -> np.ndarray:
        full = np.zeros(len(outer), dtype=bool)
        full[np.flatnonzero(outer)[inner]] = True
        return full

    return expand
