"""One file analysed step by step (analysis.study)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.examples import OUTAGE
from analysis.study import Study, open_study

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOURS = (OUTAGE[1] - OUTAGE[0]) / pd.Timedelta("1h")


def test_each_step_is_computed_once_and_handed_on():
    study = Study.from_file(FIXTURES / "ioda_drop.json")
    assert study.windows is study.windows
    assert study.impact is study.impact
    row = study.to_frame().iloc[0]
    assert row["kind"] == "level"
    assert abs(row["start"] - OUTAGE[0]) <= pd.Timedelta("5min")
    assert abs(row["lost_share_hours"] - 0.6 * HOURS) < 0.1
    assert np.isnan(row["reliance_index"])


def test_the_baselines_are_fitted_once_and_handed_to_each_step(monkeypatch):
    """expected_reports, estimate_outages and regional_impact each fitted their own baselines
    (three fits of every series for one study); the study now fits them once and hands them
    on, with the same results as each step fitting its own."""
    import analysis.baseline.frames as baseline  # where series_baselines calls it
    from analysis import estimate_outages, expected_reports, regional_impact
    from analysis.schema import group_keys

    reports = Study.from_file(FIXTURES / "counts_90s.csv").reports
    fits = []
    fit = baseline.series_baseline
    monkeypatch.setattr(baseline, "series_baseline", lambda *a, **k: fits.append(1) or fit(*a, **k))
    study = Study(reports)
    study.expected, study.windows, study.impact  # noqa: B018 (each step, computed)
    assert len(fits) == reports.groupby(group_keys(reports)).ngroups
    monkeypatch.setattr(baseline, "series_baseline", fit)
    pd.testing.assert_frame_equal(study.windows, estimate_outages(reports))
    pd.testing.assert_frame_equal(study.expected, expected_reports(reports))
    pd.testing.assert_frame_equal(study.impact, regional_impact(reports, study.windows))


def test_a_study_validates_its_reports_once(monkeypatch):
    """Each step validated the report frame again (four checks of every row for a study,
    about a second each at 3.7 million rows); the study checks it once, at its boundary,
    and hands the checked frame on, with the same results."""
    import analysis.schema as schema
    from analysis import estimate_outages, expected_reports, regional_impact

    reports = Study.from_file(FIXTURES / "counts_90s.csv").reports
    checks = []
    check = schema.validate_reports
    for module in ("baseline.frames", "detect.estimate", "impact.regional", "study"):
        monkeypatch.setattr(f"analysis.{module}.validate_reports",
                            lambda *a, **k: checks.append(1) or check(*a, **k))  # fmt: skip
    study = Study(reports)
    study.expected, study.windows, study.impact  # noqa: B018 (each step, computed)
    assert len(checks) == 1
    monkeypatch.undo()
    pd.testing.assert_frame_equal(study.windows, estimate_outages(reports))
    pd.testing.assert_frame_equal(study.expected, expected_reports(reports))
    pd.testing.assert_frame_equal(study.impact, regional_impact(reports, study.windows))


def test_baselines_of_other_data_are_refused():
    from analysis import estimate_outages
    from analysis.baseline import series_baselines

    reports = Study.from_file(FIXTURES / "counts_90s.csv").reports
    bases = series_baselines(reports)
    later = reports.assign(time=reports["time"] + pd.Timedelta("90s"))
    with pytest.raises(ValueError, match=r"not fitted to these reports: .* on another grid"):
        estimate_outages(later, baselines=bases)
    with pytest.raises(ValueError, match=r"not fitted to these reports: .* missing"):
        estimate_outages(reports, baselines={})


def test_notes_flag_a_weak_baseline_only_where_history_is_short():
    short = Study.from_file(FIXTURES / "downdetector_15min.csv", tz="America/Sao_Paulo")
    long = Study.from_file(FIXTURES / "counts_30s.csv")
    assert "Weak baseline in BRA: 2 day(s) of data" in short.notes()
    assert "Weak baseline" not in long.notes()
    assert bool(short.windows["weak_baseline"].iloc[0])
    assert not long.windows["weak_baseline"].any()


def test_notes_give_each_window_with_its_intervals_and_the_kinds_omissions():
    notes = Study.from_file(FIXTURES / "ioda_drop.json").notes()
    assert "- **BRA** (level): 2017-05-03 20:05 to 2017-05-03 22:00 UTC, 1h55m" in notes
    assert "60% (" in notes
    assert "Not estimated for a level: users, per-user figures" in notes
    counts = Study.from_file(FIXTURES / "counts_90s.csv").notes()
    assert "MEX" not in counts.split("\n\n", 1)[1]  # Mexico had no outage
    assert "Not estimated" not in counts


def test_a_study_without_a_window_says_so_and_still_draws_the_signal():
    times = pd.date_range("2017-05-01", periods=4 * 288, freq="5min", tz="UTC")
    rng = np.random.default_rng(3)
    quiet = pd.DataFrame({"time": times, "region": "BRA", "reports": rng.poisson(30, len(times))})
    study = Study(quiet, source="quiet.csv")
    assert study.impact.empty
    assert "No outage found." in study.notes()
    assert len(study.timeline().data) == 3


def test_open_study_writes_and_reads_an_example_or_refuses_an_unknown_one(tmp_path):
    study = open_study(example="counts_90s.csv", examples_dir=tmp_path)
    assert (tmp_path / "counts_90s.csv").exists()
    assert study.windows.loc[study.windows["region"] == "BRA", "kind"].tolist() == ["reports"]
    with pytest.raises(ValueError, match="example must be one of"):
        open_study(example="nope.csv", examples_dir=tmp_path)


def test_a_study_keeps_one_region_alone_when_asked(one_region_hit):
    reports, truth = one_region_hit
    assert Study(reports).windows.empty
    alone = Study(reports, min_regions=1).windows
    assert set(alone["region"]) - {"WLD"} == {"IND"}
    row = alone[alone["region"] == "IND"].iloc[0]
    assert abs(row["start"] - truth["start"]) < pd.Timedelta("10min")


def test_a_studys_repr_names_what_it_computed_not_its_frames():
    """A study's repr was the dataclass's, the whole report frame printed inside it; it now
    gives the source, the rows and the products computed so far."""
    study = Study.from_file(FIXTURES / "counts_90s.csv")
    rows = len(study.reports)
    assert repr(study) == f"Study(counts_90s.csv: {rows:,} rows, level 0.9; computed: nothing yet)"
    study.windows  # noqa: B018
    assert repr(study).endswith("computed: bases, measured, windows)")
