"""The series of a valid report frame: their keys, kinds and bin widths, and widths and
durations in words."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd


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
    """A duration as hours and minutes, to the nearest minute; ``open`` where it is missing
    (the upper bound of an outage still going on when the data end).

    Examples
    --------
    >>> hours_minutes(pd.Timedelta("115min")), hours_minutes(pd.Timedelta("124min 50s"))
    ('1h55m', '2h05m')
    >>> hours_minutes(pd.NaT)
    'open'
    """
    if pd.isna(d):
        return "open"
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
