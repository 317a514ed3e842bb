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
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from analysis import baseline, detect, impact

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
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client


def to_dask(frame: Any, npartitions: int = 8) -> Any:
    """``frame`` if it is a Dask DataFrame, else split into ``npartitions``."""
    import dask.dataframe as dd

    if type(frame).__module__.startswith("dask"):
        return frame
    return dd.from_pandas(frame, npartitions=npartitions, sort=False)


def _per_group(
    reports: Any,
    by: list[str],
    run: Callable[[pd.DataFrame], pd.DataFrame],
    columns: list[str],
) -> pd.DataFrame:
    """``run`` on the rows of each group (by the columns ``by``; all rows if empty), on the
    workers; the results concatenated."""
    frame = to_dask(reports)
    key = frame[by[0]].astype(str) if by else frame["region"].map(lambda _: "", meta=("", "str"))
    for column in by[1:]:
        key = key + "\x1f" + frame[column].astype(str)
    frame = frame.assign(**{_GROUP: key})
    meta = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})

    def apply(group: pd.DataFrame) -> pd.DataFrame:
        return run(group.drop(columns=_GROUP, errors="ignore"))

    parts = frame.groupby(_GROUP).apply(apply, meta=meta).compute()
    return parts.reset_index(drop=True)


def expected_reports(reports: Any, **options: object) -> pd.DataFrame:
    """:func:`analysis.expected_reports` per (service, region) series, on the workers.

    Returns the pandas function's frame (rows sorted by service, region and time).
    """
    keys = ["service", "region"] if "service" in reports.columns else ["region"]
    columns = [*reports.columns, "expected", "lower", "upper", "history_days", "weak_baseline"]
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
