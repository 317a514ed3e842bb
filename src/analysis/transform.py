"""Reshaping report frames without losing a report: coarser bins, regional totals, filled gaps.

Every function here conserves the total of ``reports``: what goes in comes out.
"""

from __future__ import annotations

import pandas as pd

from analysis.schema import ReportDataError, bin_widths, group_keys, iter_series

__all__ = ["aggregate_regions", "fill_gaps", "resample_reports"]


def _report_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in ("time", "region", "reports", "service") if c in df.columns]


def resample_reports(df: pd.DataFrame, freq: str | pd.Timedelta) -> pd.DataFrame:
    """Sum a report frame into coarser bins.

    Bins start at multiples of ``freq`` counted from the Unix epoch (so 1-hour bins start on
    the hour, UTC). A coarse bin holds the sum of the fine bins observed in it; a coarse bin
    with no observed fine bin is absent (a gap stays a gap).

    Parameters
    ----------
    df : DataFrame
        A valid report frame (see :func:`~analysis.schema.validate_reports`).
    freq : str or Timedelta
        New bin width (``"15min"``, ``"1h"``); a whole multiple of every series' bin width.

    Returns
    -------
    DataFrame
        A report frame with the columns ``time, region, reports`` (and ``service``); other
        columns are not carried over. ``reports.sum()`` is unchanged.

    Raises
    ------
    ReportDataError
        If ``freq`` is not a whole multiple of a series' bin width.

    Examples
    --------
    >>> t = pd.date_range("2017-05-03 20:00", periods=4, freq="15min", tz="UTC")
    >>> df = pd.DataFrame({"time": t, "region": "BRA", "reports": [1, 2, 3, 4]})
    >>> resample_reports(df, "1h")["reports"].tolist()
    [10]
    """
    width = pd.Timedelta(freq)
    if width <= pd.Timedelta(0):
        raise ValueError(f"freq must be positive, got {freq!r}")
    widths = bin_widths(df).dropna()
    bad = widths[(width.value % widths.astype("int64")) != 0]
    if not bad.empty:
        raise ReportDataError(
            "<DataFrame>",
            f"cannot resample to {width}: not a whole multiple of the bin width of "
            f"{list(bad.index[:5])} ({list(bad.astype(str)[:5])})",
            column="time",
        )
    keys = group_keys(df)
    binned = df.assign(time=df["time"].dt.floor(width))
    out = binned.groupby([*keys, "time"], sort=True, as_index=False)["reports"].sum()
    return out[_report_columns(out)]


def aggregate_regions(
    df: pd.DataFrame, *, regions: list[str] | None = None, to: str = "WLD"
) -> pd.DataFrame:
    """Sum regions into one series per service (the worldwide total by default).

    At a time bin where some regions have no data, the total is the sum of those observed.

    Parameters
    ----------
    df : DataFrame
        A valid report frame whose series share one bin width.
    regions : list of str, optional
        The regions to add up (default: all but ``to``).
    to : str
        Region code of the total.

    Returns
    -------
    DataFrame
        A report frame with only region ``to``.

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    >>> df = pd.DataFrame({"time": [t, t], "region": ["BRA", "IND"], "reports": [3, 4]})
    >>> aggregate_regions(df)["reports"].tolist()
    [7]
    """
    chosen = df[df["region"] != to] if regions is None else df[df["region"].isin(regions)]
    if regions is not None:
        absent = sorted(set(regions) - set(chosen["region"]))
        if absent:
            raise KeyError(f"regions not in the frame: {absent}")
    widths = bin_widths(chosen).dropna().unique()
    if len(widths) > 1:
        raise ReportDataError(
            "<DataFrame>",
            f"regions have different bin widths {sorted(map(str, widths))}; "
            "resample_reports() them to a common width first",
            column="time",
        )
    by = ["service", "time"] if "service" in df.columns else ["time"]
    out = chosen.groupby(by, sort=True, as_index=False)["reports"].sum().assign(region=to)
    return out[_report_columns(out)]


def fill_gaps(df: pd.DataFrame, *, value: int = 0) -> pd.DataFrame:
    """Insert the missing bins of every series, with ``value`` reports.

    Only bins between a series' first and last bin are inserted. Use it only when a missing
    bin truly means ``value`` reports; by default the package keeps gaps as gaps.

    Parameters
    ----------
    df : DataFrame
        A valid report frame.
    value : int
        Reports given to each inserted bin (>= 0).

    Returns
    -------
    DataFrame
        A report frame with regular, gap-free series, sorted.

    Examples
    --------
    >>> t = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:01", "2017-05-03 20:03"],
    ...                    utc=True)
    >>> df = pd.DataFrame({"time": t, "region": "BRA", "reports": [2, 5, 1]})
    >>> fill_gaps(df)["reports"].tolist()  # 1-minute bins: 20:02 was missing
    [2, 5, 0, 1]
    """
    if value < 0:
        raise ValueError("value must be >= 0")
    keys = group_keys(df)
    parts = []
    for key, series, width in iter_series(df):
        if pd.isna(width):
            parts.append(series)
            continue
        full = pd.date_range(series["time"].min(), series["time"].max(), freq=width)
        filled = series.set_index("time").reindex(full)
        filled.index.name = "time"
        filled["reports"] = filled["reports"].fillna(value).astype("int64")
        for k, v in zip(keys, key, strict=True):
            filled[k] = v
        parts.append(filled.reset_index())
    out = pd.concat(parts, ignore_index=True)
    return out[_report_columns(out) + [c for c in out.columns if c not in _report_columns(out)]]
