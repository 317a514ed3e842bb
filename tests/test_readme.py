"""The README's Python examples run as written, in order, in one namespace, on small files
standing in for the user's (``my_reports.csv``, ``my_signal.json``, ``reports-log/``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import scenarios, simulate, write_log
from analysis.examples import write_examples

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
REGIONS = ("BRA", "IND", "NGA", "MEX", "IDN", "DEU", "USA", "GBR", "FRA", "JPN")


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every README block run in turn in a folder holding the files they read: a simulated
    3 May 2017 over ten countries as ``my_reports.csv`` and as a raw log, and the shipped
    IODA example as ``my_signal.json``."""
    folder = tmp_path_factory.mktemp("readme")
    sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min", regions=REGIONS),
                   seed=2)  # fmt: skip
    sim.reports.to_csv(folder / "my_reports.csv", index=False)
    write_log(sim, folder / "reports-log", seed=2)
    shutil.copy(write_examples(folder / "examples")["ioda_drop.json"], folder / "my_signal.json")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        names: dict = {}
        for number, block in enumerate(BLOCKS):
            exec(compile(block, f"README.md python block {number + 1}", "exec"), names)
    return names


@pytest.mark.slow
def test_the_readme_has_its_examples():
    assert len(BLOCKS) == 7
    assert "estimate_outages" in BLOCKS[4]
    assert "compare_markets" in BLOCKS[5]


@pytest.mark.slow
def test_the_readme_examples_run_and_find_the_outage(namespace):
    """The file read back is the simulation written; the outage is found in Brazil within
    15 minutes of its start; the market comparison and the Dask path ran on it."""
    reports = namespace["reports"]
    assert reports["region"].nunique() == len(REGIONS)
    brazil = namespace["windows"].query("region == 'BRA' and service == 'whatsapp'")
    start = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    assert abs(brazil["start"] - start).min() <= pd.Timedelta("15min")
    assert namespace["result"].ratio > 0
    assert len(namespace["impact"]) >= 8
    assert namespace["study"].windows["region"].tolist() == ["BRA"]
