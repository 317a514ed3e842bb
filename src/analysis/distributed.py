"""The analysis on Dask: report frames too large for one machine.

The package's pandas functions run unchanged on each group of rows, and Dask moves the groups
to the workers (a shuffle), so no process holds more than one group:

* :func:`expected_reports` per (service, region) series;
* :func:`estimate_outages` per service (a service's regions are pooled, so its series go to
  one worker together; a frame without a ``service`` column is one group);
* :func:`regional_impact` per region (with every service of the region, for the rival).

Each takes a ``dask.dataframe`` report frame (a pandas one is split into partitions first)
and returns the pandas DataFrame that the pandas function gives on the same data.
:func:`connect` gives a client: a local cluster of worker processes by default, or an
existing cluster by its scheduler address (``--scheduler ADDRESS`` on the command line). With
no client, Dask's default scheduler (threads of this process) runs the groups.

Examples
--------
>>> from analysis import scenarios, simulate
>>> sim = simulate(scenarios.regional(days_before=3, freq="15min",
...                                   regions=("IND", "GBR", "BRA")), seed=1)
>>> sorted(estimate_outages(sim.reports)["region"])
['GBR', 'IND', 'WLD']
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from analysis import baseline, detect, impact
from analysis.logs import is_dask

__all__ = ["connect", "estimate_outages", "expected_reports", "regional_impact", "to_dask"]

_GROUP = "__group__"


@contextlib.contextmanager
def connect(scheduler: str | None = None, *, workers: int = 2, threads: int = 1) -> Iterator[Any]:
    """A ``distributed.Client`` for a ``with`` block: to the cluster at ``scheduler``
    (``"tcp://host:8786"``), or to a new local cluster of ``workers`` processes with
    ``threads`` threads each. The client (and a local cluster) close when the block ends;
    inside it, every Dask computation runs there (``with connect(): estimate_outages(...)``).
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                     dashboard_address=":0", silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client


def to_dask(frame: Any, npartitions: int = 8) -> tuple[Any, list]:
    """``frame`` as a Dask DataFrame (itself if it is one, else in ``npartitions`` pieces),
    and the futures of the pieces sent to the workers when a distributed client is running
    (so the data travel once, not inside the task graph; keep the futures until computed)."""
    import dask.dataframe as dd

    if is_dask(frame):
        return frame, []
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # no client: Dask's local scheduler
        return dd.from_pandas(frame, npartitions=npartitions, sort=False), []
    size = -(-len(frame) // npartitions)
    pieces = [frame.iloc[i : i + size] for i in range(0, len(frame), size)]
    futures = client.scatter(pieces, hash=False)  # fresh keys: never one being released
    return dd.from_delayed(futures, meta=frame.iloc[:0], verify_meta=False), futures


def _per_group(
    reports: Any,
    by: list[str],
    run: Callable[[pd.DataFrame], pd.DataFrame],
    columns: list[str],
) -> pd.DataFrame:
    """``run`` on the rows of each group (by the columns ``by``; all rows if empty), on the
    workers; the results concatenated."""
    frame, futures = to_dask(reports)  # the futures stay referenced until computed
    key = frame[by[0]].astype(str) if by else frame["region"].map(lambda _: "", meta=("", "str"))
    for column in by[1:]:
        key = key + "\x1f" + frame[column].astype(str)
    frame = frame.assign(**{_GROUP: key})
    meta = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})

    def apply(group: pd.DataFrame) -> pd.DataFrame:
        return run(group.drop(columns=_GROUP, errors="ignore"))

    parts = frame.groupby(_GROUP).apply(apply, meta=meta).compute()
    del futures
    return parts.reset_index(drop=True)


def expected_reports(reports: Any, **options: object) -> pd.DataFrame:
    """:func:`analysis.expected_reports` per (service, region) series, on the workers.

    Returns the pandas function's frame (rows sorted by service, region and time).
    """
    keys = ["service", "region"] if "service" in reports.columns else ["region"]
    columns = [*reports.columns, *baseline.EXPECTED_COLUMNS]
    out = _per_group(reports, keys, lambda g: baseline.expected_reports(g, **options), columns)
    return out.sort_values([*keys, "time"], ignore_index=True)


def estimate_outages(reports: Any, **options: object) -> pd.DataFrame:
    """:func:`analysis.estimate_outages` per service (its regions pooled), on the workers;
    the pandas function's windows."""
    keys = ["service"] if "service" in reports.columns else []
    columns = [*keys, *detect.WINDOW_COLUMNS]
    out = _per_group(reports, keys, lambda g: detect.estimate_outages(g, **options), columns)
    return out[columns].sort_values([*keys, "region", "start"], ignore_index=True)


def regional_impact(reports: Any, outages: pd.DataFrame, **options: object) -> pd.DataFrame:
    """:func:`analysis.regional_impact` per region (all its services), on the workers; the
    pandas function's table. ``outages`` (small) goes to every worker."""

    def run(group: pd.DataFrame) -> pd.DataFrame:
        mine = outages[outages["region"] == group["region"].iloc[0]]
        if mine.empty:
            return pd.DataFrame(columns=impact.IMPACT_COLUMNS)
        return impact.regional_impact(group, mine, **options)

    out = _per_group(reports, ["region"], run, impact.IMPACT_COLUMNS)
    return out.sort_values(["region", "start"], ignore_index=True)
