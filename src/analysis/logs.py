"""Raw report logs: one row per individual problem report, and their report frame.

A tracker that follows thousands of services keeps billions of reports a year, one row each:

| column | dtype | meaning |
| --- | --- | --- |
| ``time`` | ``datetime64[*, UTC]`` | when the report was received |
| ``region`` | ``str`` | ISO-3 code (``WLD`` allowed) |
| ``service`` | ``str`` | e.g. ``whatsapp`` |
| ``user`` | ``int64`` or ``str``, optional | who reported (for the first-report-per-user rule) |

:func:`aggregate_reports` turns a log into a report frame, from a pandas DataFrame or from a
``dask.dataframe`` (e.g. :func:`read_log` of partitioned Parquet) with the same code and the
same result: the per-bin counts are reduced where the data are (Dask's tree reduction), and
only the small table of counts (services x regions x bins) comes back. :func:`write_log`
writes a simulation as such a log, for tests and benchmarks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.countries import unknown_region_codes
from analysis.schema import ReportDataError, raise_rows, validate_reports

if TYPE_CHECKING:
    from analysis.simulate import Simulation

__all__ = ["LOG_COLUMNS", "aggregate_reports", "read_log", "write_log"]

#: Columns every log has (``user`` is optional).
LOG_COLUMNS = ("time", "region", "service")


def is_dask(frame: Any) -> bool:
    """Whether ``frame`` is a Dask collection (not a pandas object)."""
    return type(frame).__module__.startswith("dask")


def check_log(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check one in-memory piece of a log; return it with ``region``/``service`` as ``str``.

    Raises
    ------
    ReportDataError
        Naming ``source``, the column and the first offending rows: a missing column,
        missing values, times that are not tz-aware, unknown region codes.
    """
    missing = [c for c in LOG_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportDataError(source, f"missing columns {missing} (a log needs time, region, "
                              f"service[, user]; found {list(frame.columns)})")  # fmt: skip
    show = [c for c in (*LOG_COLUMNS, "user") if c in frame.columns]
    for column in show:
        empty = frame[column].isna()
        if empty.any():
            raise_rows(source, "missing values", frame, empty, column=column, show=show,
                       row_name="row")  # fmt: skip
    if not isinstance(frame["time"].dtype, pd.DatetimeTZDtype):
        raise ReportDataError(source, f"times must be tz-aware (UTC), got {frame['time'].dtype}",
                              column="time")  # fmt: skip
    frame = frame.assign(
        time=frame["time"].dt.tz_convert("UTC"),
        region=frame["region"].astype("str"),
        service=frame["service"].astype("str"),
    )
    unknown = unknown_region_codes(frame["region"].unique())
    if unknown:
        problem = f"unknown region codes {sorted(unknown)[:5]} (expected ISO-3)"
        raise_rows(source, problem, frame, frame["region"].isin(unknown), column="region",
                   show=show, row_name="row")  # fmt: skip
    return frame


def _counts(log: Any, freq: pd.Timedelta, per_user: pd.Timedelta | None) -> pd.Series:
    """Reports per (service, region, bin): the same pandas/Dask expression for both."""
    keys = ["service", "region"]
    if per_user is not None:
        # a user counts once per service, region and period: their first report in it. On
        # Dask the (as many as reports) first reports stay spread over as many partitions
        # as the log has, so no worker holds them all.
        spread = {"split_out": log.npartitions} if is_dask(log) else {}
        first = log.assign(period=log["time"].dt.floor(per_user))
        log = first.groupby([*keys, "user", "period"])["time"].min(**spread).reset_index()
    binned = log.assign(bin=log["time"].dt.floor(freq))
    counts = binned.groupby([*keys, "bin"]).size()
    return counts.compute() if is_dask(counts) else counts


def aggregate_reports(
    log: Any,
    freq: str | pd.Timedelta = "1min",
    *,
    per_user: str | pd.Timedelta | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Count a raw report log into a report frame (pandas or Dask in, pandas out).

    Parameters
    ----------
    log : pandas.DataFrame or dask.dataframe.DataFrame
        ``time`` (tz-aware), ``region``, ``service`` and, for ``per_user``, ``user``.
    freq : str or Timedelta
        Bin width (bins start at multiples of it since the epoch, UTC).
    per_user : str or Timedelta, optional
        The first-report-per-user rule: a user counts at most once per service, region and
        period of this length (e.g. ``"1h"``), in the bin of their first report in it.
        Without it every report counts.
    start, end : Timestamp, optional
        The period the log covers, ``[start, end)`` (default: from the first report's bin to
        the last report's). Every bin of it is in the frame for every (service, region) of
        the log: a bin without reports is a zero, not a gap, since a log holds every report.

    Returns
    -------
    DataFrame
        A validated report frame ``time, region, reports, service``.

    Raises
    ------
    ReportDataError
        For an invalid log (see :func:`check_log`), or reports outside ``[start, end)``.

    Examples
    --------
    >>> t = pd.to_datetime(["2017-05-03 20:00:10", "2017-05-03 20:00:50",
    ...                     "2017-05-03 20:02:05"], utc=True)
    >>> log = pd.DataFrame({"time": t, "region": "BRA", "service": "whatsapp",
    ...                     "user": [1, 1, 2]})
    >>> aggregate_reports(log, "1min")["reports"].tolist()
    [2, 0, 1]
    >>> aggregate_reports(log, "1min", per_user="1h")["reports"].tolist()
    [1, 0, 1]
    """
    width = pd.Timedelta(freq)
    if width <= pd.Timedelta(0):
        raise ValueError(f"freq must be positive, got {freq!r}")
    period = None if per_user is None else pd.Timedelta(per_user)
    if period is not None and "user" not in log.columns:
        raise ReportDataError("<log>", "per_user needs a 'user' column", column="user")
    if not is_dask(log):
        log = check_log(log, "<DataFrame>")
    counts = _counts(log, width, period)
    if counts.empty:
        raise ReportDataError("<log>", "the log holds no report")
    bins = counts.index.get_level_values("bin")
    first = pd.Timestamp(start, tz="UTC").floor(width) if start is not None else bins.min()
    last = pd.Timestamp(end, tz="UTC") if end is not None else bins.max() + width
    outside = (bins < first) | (bins >= last)
    if outside.any():
        raise ReportDataError("<log>", f"{int(counts[outside].sum())} reports fall outside "
                              f"[{first}, {last})", column="time")  # fmt: skip
    grid = pd.date_range(first, last, freq=width, inclusive="left")
    pairs = counts.index.droplevel("bin").unique()
    full = pd.MultiIndex.from_tuples(
        [(s, r, t) for s, r in pairs for t in grid], names=["service", "region", "time"]
    )
    counts.index = counts.index.set_names(["service", "region", "time"])
    frame = counts.reindex(full, fill_value=0).rename("reports").reset_index()
    frame["reports"] = frame["reports"].astype("int64")
    return validate_reports(frame[["time", "region", "reports", "service"]], source="<log>")


def _read_log_file(path: str) -> pd.DataFrame:
    """One Parquet file of a log, checked; errors name the file."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise ReportDataError(path, f"not a readable Parquet file ({exc})") from exc
    frame = check_log(frame, path)
    columns = [*LOG_COLUMNS, *(["user"] if "user" in frame.columns else [])]
    return frame[columns].reset_index(drop=True)


def read_log(path: str | os.PathLike[str]) -> Any:
    """A partitioned Parquet log as a ``dask.dataframe``, one partition per file.

    Each file is read and checked (:func:`check_log`) when its partition is computed, so a
    malformed partition raises :class:`ReportDataError` naming its file. Nothing is read
    here but the first file's schema.

    Parameters
    ----------
    path : path-like
        A folder of ``*.parquet`` files (searched recursively) or one file.
    """
    import dask.dataframe as dd

    root = Path(path)
    files = sorted(root.rglob("*.parquet")) if root.is_dir() else [root]
    if not files or not files[0].exists():
        raise FileNotFoundError(f"{path}: no Parquet file found")
    meta = _read_log_file(str(files[0])).iloc[:0]
    return dd.from_map(_read_log_file, [str(f) for f in files], meta=meta, enforce_metadata=False)


def write_log(
    simulation: Simulation,
    out_dir: str | os.PathLike[str],
    *,
    seed: int,
    repeat_share: float = 0.1,
    reports_per_file: int = 2_000_000,
) -> list[Path]:
    """Write a simulation's reports as a raw log of individual reports (partitioned Parquet).

    Each report of a bin gets a time drawn uniformly in the bin and a user key of its own;
    ``repeat_share`` of the users report again later in the same bin (a repeat the
    first-report-per-user rule removes), so that
    ``aggregate_reports(read_log(out_dir), freq, per_user=freq)`` gives back the
    simulation's counts (for a simulation without collection gaps) and without ``per_user``
    every report counts. Files hold whole bins, about ``reports_per_file`` reports each.

    Returns
    -------
    list of Path
        The files written (``part-00000.parquet``, ...).
    """
    if not 0 <= repeat_share < 1:
        raise ValueError(f"repeat_share must be in [0, 1), got {repeat_share}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports = simulation.reports
    width = pd.Timedelta(simulation.scenario.freq)
    rng = np.random.default_rng(seed)
    cumulative = reports["reports"].cumsum().to_numpy()
    edges = np.searchsorted(cumulative, np.arange(reports_per_file, cumulative[-1],
                                                  reports_per_file))  # fmt: skip
    paths, next_user = [], 0
    for i, (a, b) in enumerate(zip([0, *edges + 1], [*edges + 1, len(reports)], strict=True)):
        part = reports.iloc[a:b]
        n = part["reports"].to_numpy()
        total = int(n.sum())
        naive = part["time"].dt.tz_convert("UTC").dt.tz_localize(None)
        source = np.repeat(np.arange(len(part)), n)  # the bin (row of ``part``) of each report
        starts = naive.to_numpy().astype("datetime64[ns]")[source]
        times = starts + (rng.random(total) * width.value).astype("timedelta64[ns]")
        users = np.arange(next_user, next_user + total, dtype="int64")
        next_user += total
        repeat = rng.random(total) < repeat_share  # these users report again later in the bin
        left = starts[repeat] + width.to_timedelta64() - times[repeat]
        later = times[repeat] + (left * rng.random(int(repeat.sum()))).astype("timedelta64[ns]")
        which = np.concatenate([source, source[repeat]])
        frame = pd.DataFrame({
            "time": pd.DatetimeIndex(np.concatenate([times, later])).tz_localize("UTC"),
            "region": pd.array(part["region"].to_numpy()[which], dtype="str"),
            "service": pd.array(part["service"].to_numpy()[which], dtype="str"),
            "user": np.concatenate([users, users[repeat]]),
        })  # fmt: skip
        path = out / f"part-{i:05d}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    return paths
