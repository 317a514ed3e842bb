"""Shared test helpers: small report frames and files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


def make_frame(
    regions: tuple[str, ...] = ("BRA", "IND"),
    periods: int = 6,
    freq: str = "1min",
    start: str = "2017-05-03 20:00",
    service: str | None = None,
) -> pd.DataFrame:
    """A small valid report frame with distinct counts per row."""
    times = pd.date_range(start, periods=periods, freq=freq, tz="UTC")
    parts = [
        pd.DataFrame({"time": times, "region": r, "reports": range(i, i + periods)})
        for i, r in enumerate(regions)
    ]
    frame = pd.concat(parts, ignore_index=True)
    if service is not None:
        frame["service"] = service
    return frame


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in a temporary folder and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def one_region_hit():
    """A simulated regional outage seen in one region of three (IND; BRA and DEU untouched):
    ``(reports, IND's true window)``."""
    from analysis import scenarios, simulate

    sim = simulate(scenarios.regional(days_before=4, regions=("IND", "ITA", "BRA", "DEU")), 3)
    truth = sim.truth[sim.truth["region"] == "IND"].iloc[0]
    return sim.reports[sim.reports["region"] != "ITA"], truth


@pytest.fixture(scope="session")
def small_case():
    """The 3 May 2017 case on twelve countries, 15-minute bins, 3 days of history."""
    from analysis.case import whatsapp_2017_case

    regions = ("BRA", "IND", "IDN", "NGA", "USA", "MEX", "DEU", "GBR", "ZAF", "FRA", "JPN", "KEN")
    return whatsapp_2017_case(days_before=3, freq="15min", regions=regions)


@pytest.fixture(scope="session")
def built(tmp_path_factory, small_case):
    """Every figure of the small case written (HTML and PNG): (folder, paths written)."""
    from analysis.figures import build_all

    out = tmp_path_factory.mktemp("figures")
    return out, build_all(out, case=small_case, notebooks_dir=None)


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """Every notebook executed with small parameters, sharing one saved case as make figures
    has them do: the folder of executed copies."""
    from analysis.case import whatsapp_2017_case
    from analysis.figures import run_notebooks

    out = tmp_path_factory.mktemp("reports")
    regions = ["BRA", "IND", "NGA", "DEU", "USA", "FRA", "MEX", "IDN", "GBR", "KEN"]
    small = {"days_before": 3, "freq": "15min", "regions": regions}
    shared = whatsapp_2017_case(**{**small, "regions": tuple(regions)}).save(out / "case.pkl")
    run_notebooks(Path(__file__).resolve().parents[1] / "notebooks", out,
                  parameters={**small, "case_path": str(shared)})  # fmt: skip
    return out
