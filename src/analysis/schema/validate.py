"""The report-frame contract's checks: :func:`validate_reports` and :func:`describe_reports`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.countries import to_iso3, unknown_region_codes
from analysis.schema.errors import ReportDataError, raise_rows, suggest
from analysis.schema.parse import expand_factory, parse_counts, parse_times
from analysis.schema.series import bin_widths, group_keys

REQUIRED_COLUMNS: tuple[str, ...] = ("time", "region", "reports")
OPTIONAL_COLUMNS: tuple[str, ...] = ("service", "kind")
#: What a series can measure (the ``kind`` column).
KINDS: tuple[str, ...] = ("reports", "level", "index")


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
            expand = expand_factory(~counts)
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
