"""The benchmark scripts' own plumbing (their figures are printed, not asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import duration


def test_duration_table_of_a_short_run_without_quiet_or_hourly_scenarios():
    """``benchmarks/duration.py --scenarios 1`` stopped with "No objects to concatenate":
    one scenario (a short outage at 1-minute bins) has no quiet scenario to count false
    alarms on. The table now prints with 0 of them, and the 1-minute rows filled."""
    records, oracle = duration.run(1)
    table = duration.table(records)
    assert list(records["kind"].unique()) == ["short"]
    assert (table["false alarms (quiet)"] == 0).all()
    assert table.loc["estimate_outages", "recall"] > 0.9
    assert np.isfinite(table.loc["estimate_outages", "1-min bins: end err median"])
    assert len(oracle) > 0
