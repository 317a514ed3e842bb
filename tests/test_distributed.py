"""The Dask path gives exactly the pandas path's results, in-process and on a real cluster."""

from __future__ import annotations

import pandas as pd
import pytest

import analysis
from analysis import distributed, scenarios, simulate


@pytest.fixture(scope="module")
def reports():
    regions = ("BRA", "IND", "DEU", "USA", "NGA", "FRA")
    return simulate(scenarios.whatsapp_2017(days_before=3, freq="15min", regions=regions),
                    seed=2).reports  # fmt: skip


@pytest.fixture(scope="module")
def expected(reports):
    windows = analysis.estimate_outages(reports)
    main = windows[windows["service"] == "whatsapp"]
    return {
        "expected": analysis.expected_reports(reports).sort_values(
            ["service", "region", "time"], ignore_index=True
        ),
        "windows": windows,
        "impact": analysis.regional_impact(reports, main, users_total=1.2e9),
    }


def _run_all(reports: pd.DataFrame, windows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    main = windows[windows["service"] == "whatsapp"]
    return {
        "expected": distributed.expected_reports(reports),
        "windows": distributed.estimate_outages(reports),
        "impact": distributed.regional_impact(reports, main, users_total=1.2e9),
    }


def _assert_same(got: dict, expected: dict) -> None:
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)


def test_in_process_dask_matches_pandas(reports, expected):
    _assert_same(_run_all(reports, expected["windows"]), expected)


@pytest.mark.slow
def test_a_cluster_reached_by_its_address_matches_pandas(reports, expected):
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=":0") as cluster,
        distributed.connect(cluster.scheduler_address) as client,
    ):  # fmt: skip
        assert len(client.scheduler_info()["workers"]) == 2
        got = _run_all(reports, expected["windows"])
    _assert_same(got, expected)


@pytest.mark.slow
def test_a_local_cluster_starts_while_the_dashboard_port_is_taken():
    """With another Dask dashboard on port 8787 (a second test run, a notebook's cluster),
    connect() failed: "Port 8787 is already in use" (an error under this suite's warnings
    filter). The local cluster's dashboard now takes a free port."""
    import socket

    with socket.socket() as taken:
        try:
            taken.bind(("", 8787))
            taken.listen()
        except OSError:  # already taken by something else: the case under test
            pass
        with distributed.connect(workers=1) as client:
            assert client.submit(sum, [1, 2]).result() == 3
