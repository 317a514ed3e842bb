"""The example files of every signal kind (analysis.examples)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import estimate_outages, load_reports
from analysis.examples import EXAMPLES, OUTAGE, write_examples

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_examples(tmp_path_factory.mktemp("examples"))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_package_writes_the_committed_fixtures_byte_for_byte(written, name):
    assert written[name].read_bytes() == (FIXTURES / name).read_bytes()


def test_another_seed_draws_other_noise_around_the_same_outage(tmp_path):
    other = write_examples(tmp_path, seed=1)
    assert other["counts_90s.csv"].read_bytes() != (FIXTURES / "counts_90s.csv").read_bytes()
    found = estimate_outages(load_reports(other["ioda_drop.json"]))
    assert len(found) == 1
    assert abs(found["start"].iloc[0] - OUTAGE[0]) <= pd.Timedelta("5min")
    assert abs(found["end"].iloc[0] - OUTAGE[1]) <= pd.Timedelta("5min")
