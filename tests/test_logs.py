"""Raw report logs: aggregation from pandas and Dask (in-process and on a real scheduler)."""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd
import pytest

from analysis import ReportDataError, scenarios, simulate
from analysis.logs import aggregate_reports, read_log, write_log


@pytest.fixture(scope="module")
def sim():
    scenario = scenarios.whatsapp_2017(days_before=1, freq="5min", regions=("BRA", "IND", "DEU"))
    return simulate(scenario, seed=3)


@pytest.fixture(scope="module")
def log_dir(sim, tmp_path_factory):
    out = tmp_path_factory.mktemp("log")
    write_log(sim, out, seed=1, reports_per_file=20_000)
    return out


def _same_counts(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["service", "region", "time"]
    a, b = a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
    assert (a["time"] == b["time"]).all()
    assert (a[["region", "service"]].to_numpy() == b[["region", "service"]].to_numpy()).all()
    assert (a["reports"].to_numpy() == b["reports"].to_numpy()).all()


def test_log_round_trip_gives_back_the_simulated_counts(sim, log_dir):
    log = read_log(log_dir)
    assert log.npartitions > 5
    counted = aggregate_reports(log, "5min", per_user="5min")
    _same_counts(counted, sim.reports)
    every = aggregate_reports(log, "5min")
    assert every["reports"].sum() == len(log.compute()) > counted["reports"].sum()


def test_pandas_and_dask_give_identical_frames(log_dir):
    log = read_log(log_dir)
    whole = log.compute()
    for options in ({"freq": "15min"}, {"freq": "1min", "per_user": "1h"}):
        with dask.config.set(scheduler="threads"):
            from_dask = aggregate_reports(log, **options)
        pd.testing.assert_frame_equal(from_dask, aggregate_reports(whole, **options))


@pytest.mark.slow
def test_a_real_scheduler_gives_the_same_frame(log_dir):
    """Through a scheduler address, with worker processes started here."""
    from distributed import Client, LocalCluster

    expected = aggregate_reports(read_log(log_dir).compute(), "5min", per_user="1h")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=":0") as cluster,
        Client(cluster.scheduler_address) as client,
    ):  # fmt: skip
        assert len(client.scheduler_info()["workers"]) == 2
        got = aggregate_reports(read_log(log_dir), "5min", per_user="1h")
    pd.testing.assert_frame_equal(got, expected)


def test_a_malformed_partition_names_its_file(log_dir, tmp_path):
    for i, path in enumerate(sorted(log_dir.glob("*.parquet"))[:3]):
        (tmp_path / path.name).write_bytes(path.read_bytes())
        last = i
    broken = tmp_path / "part-99999.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(ReportDataError, match=r"part-99999\.parquet: not a readable Parquet"):
        aggregate_reports(read_log(tmp_path), "5min")
    broken.unlink()
    bad = pd.read_parquet(sorted(log_dir.glob("*.parquet"))[last])
    bad.loc[3, "region"] = "XXX"
    bad.to_parquet(tmp_path / "part-77777.parquet", index=False)
    with pytest.raises(ReportDataError, match=r"part-77777.parquet: column 'region': unknown "
                       r"region codes \['XXX'\].*row 3"):  # fmt: skip
        aggregate_reports(read_log(tmp_path), "5min")


def _log(**columns) -> pd.DataFrame:
    times = pd.to_datetime(["2017-05-03 20:00:10", "2017-05-03 20:03:00"], utc=True)
    base = {"time": times, "region": ["BRA", "BRA"], "service": "whatsapp", "user": [1, 2]}
    return pd.DataFrame({**base, **columns})


def test_bad_logs_are_refused_clearly():
    with pytest.raises(ReportDataError, match=r"missing columns \['service'\]"):
        aggregate_reports(_log().drop(columns="service"))
    naive = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:01"])
    with pytest.raises(ReportDataError, match="times must be tz-aware"):
        aggregate_reports(_log(time=naive))
    with pytest.raises(ReportDataError, match=r"column 'region': missing values.*row 1"):
        aggregate_reports(_log(region=["BRA", None]))
    with pytest.raises(ReportDataError, match="per_user needs a 'user' column"):
        aggregate_reports(_log().drop(columns="user"), per_user="1h")
    with pytest.raises(ReportDataError, match="1 reports fall outside"):
        aggregate_reports(_log(), end="2017-05-03 20:02Z")


def test_every_bin_of_the_period_is_a_count():
    frame = aggregate_reports(_log(), "1min", start="2017-05-03 19:58Z", end="2017-05-03 20:05Z")
    assert frame["reports"].tolist() == [0, 0, 1, 0, 0, 1, 0]
    assert frame["reports"].sum() == 2  # counts that go in come out
    assert np.all(frame["time"].diff().dropna() == pd.Timedelta("1min"))
