"""The 3 May 2017 case (analysis.case): the story's claims against the estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.case import load_or_simulate, open_case, whatsapp_2017_case

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGIONS = ("BRA", "IND", "NGA", "DEU", "USA", "FRA", "AUS", "MEX")


@pytest.fixture(scope="module")
def claims():
    case = whatsapp_2017_case(days_before=3, freq="15min", regions=REGIONS)
    return case.claims().set_index("claim")


def test_the_estimated_window_meets_the_story(claims):
    """Simulated from about 20:00 to 22:00 UTC (Brazil 30 minutes longer): the estimates
    must come back within half an hour of it, with the duration inside its interval."""
    row = claims.loc["about two hours"]
    assert 1.5 <= row["estimate"] <= 2.5
    assert row["low"] <= row["estimate"] <= row["high"]
    assert abs(claims.loc["from about 20:00 UTC", "estimate"] - 20) <= 0.5
    assert abs(claims.loc["to about 22:00 UTC", "estimate"] - 22) <= 0.5
    assert claims.loc["every continent but Antarctica", "estimate"] == 6  # AUS: Oceania
    assert claims.loc[["about two hours", "every continent but Antarctica"], "holds"].all()


def test_brazil_switching_rests_on_the_rivals_interval(claims):
    row = claims.loc["Brazil switched to Telegram"]
    assert 0 < row["low"] < row["estimate"] < row["high"]
    assert bool(row["holds"])


def test_users_are_called_an_input_and_a_subset_falls_short(claims):
    """Eight countries keep their own users (no scaling to 1.2 billion): the claim then
    fails, and the basis says the figure is an input, not evidence."""
    row = claims.loc["over a billion users"]
    assert row["estimate"] < 1
    assert not row["holds"]
    assert row["basis"].startswith("input")
    assert np.isfinite(claims["estimate"]).all()


def test_only_the_simulated_case_is_scaled_to_whatsapps_users():
    assert load_or_simulate(days_before=1, freq="1h").users_total == 1.2e9
    assert load_or_simulate(FIXTURES / "counts_90s.csv").users_total is None
    assert load_or_simulate(FIXTURES / "counts_90s.csv", users_total=5e8).users_total == 5e8
    with pytest.raises(ValueError, match=r"service='signal' apply to a file"):
        load_or_simulate(days_before=1, freq="1h", service="signal")


def test_a_saved_case_keeps_what_it_computed_and_must_be_the_one_asked_for(tmp_path):
    """Notebooks 01-05 each simulated and estimated 3 May 2017 again; make figures now saves
    its case and hands it to them. A saved case made otherwise is refused, naming both."""
    small = {"days_before": 2, "freq": "1h", "regions": ("BRA", "IND", "DEU", "USA")}
    case = whatsapp_2017_case(**small)
    path = case.save(tmp_path / "case.pkl")  # nothing computed yet
    assert case.compute() is case  # every product, computed after the first save
    case.save(path)
    loaded = open_case(path, **small)
    assert {"bases", "expected", "windows", "impact", "world", "one"} <= set(vars(loaded))
    assert sorted(vars(loaded)["_comparisons"]) == sorted(
        ["reliance_index", "excess_per_million_users", "excess_ratio"]
    )
    pd.testing.assert_frame_equal(loaded.impact, case.impact)
    assert loaded.comparison.ratio == case.comparison.ratio
    assert loaded.compare("excess_ratio") is loaded.compare("excess_ratio")
    with pytest.raises(ValueError, match=r"bins of 1h, BRA, IND, DEU, USA.*bins of 15min"):
        open_case(path, **{**small, "freq": "15min"})
    pd.to_pickle({"study": "something else"}, tmp_path / "other.pkl")
    with pytest.raises(ValueError, match="not a CaseStudy saved by analysis"):
        open_case(tmp_path / "other.pkl", **small)


def test_readme_case_table_is_the_scripts_output():
    """The README's case table was typed in by hand and no test checked it. It is now the
    output of ``python -m analysis case`` (seed 7, every country, 1-minute bins, 7 days of
    history), pasted between two markers; this rebuilds it and compares."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    begin, end = "<!-- python -m analysis case -->\n", "\n<!-- end of python -m analysis case -->"
    assert readme.count(begin) == 1
    assert readme.count(end) == 1
    pasted = readme.split(begin)[1].split(end)[0]
    assert pasted == whatsapp_2017_case(7, days_before=7, freq="1min").markdown()
