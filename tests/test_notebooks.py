"""Every notebook executes (small parameters) and shows its figures; stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.figures import NOTEBOOKS
from analysis.study import Study

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_without_outputs_and_with_a_parameters_cell(name):
    notebook = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_draws_its_figures(executed, name):
    notebook = json.loads((executed / f"{name}.ipynb").read_text())
    outputs = [o for c in notebook["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "warnings in the notebook"
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert figures, "no plotly figure shown"
    for figure in figures:
        assert figure["data"]["application/vnd.plotly.v1+json"]["data"], "an empty figure"


@pytest.mark.slow
def test_the_case_notebook_shows_each_claim_checked(executed):
    """The notebook once held its claims as literals, so a test of their presence could not
    fail; it now shows CaseStudy.claims(): each claim's estimate and whether it holds. With
    the small parameters (10 countries, none in Oceania, users not scaled) every claim holds
    but the continents and the users."""
    notebook = json.loads((executed / "05_case_whatsapp_2017.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if "".join(c["source"]) == "case.claims()")
    text = "".join(cell["outputs"][0]["data"]["text/plain"])
    holds = _last_column(text, "holds")
    assert holds == ["True", "True", "True", "False", "False", "True"]


def _last_column(text: str, name: str) -> list[str]:
    """The values of a frame's last column ``name`` from its text repr (wrapped or not)."""
    lines = text.splitlines()
    header = max(i for i, line in enumerate(lines) if line.rstrip().endswith(name))
    return [line.split()[-1] for line in lines[header + 1 :] if line.strip()]


def _figure_titles(notebook: dict) -> list[str]:
    """The title (with its caption) of every plotly figure the notebook shows."""
    outputs = [o for c in notebook["cells"] for o in c.get("outputs", [])]
    figures = [o["data"]["application/vnd.plotly.v1+json"] for o in outputs
               if "application/vnd.plotly.v1+json" in o.get("data", {})]  # fmt: skip
    return [f["layout"].get("title", {}).get("text", "") for f in figures]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_figures_shown_in_notebooks_say_when_their_data_are_simulated(executed, name):
    """The figures that make figures writes said so; the same figures shown in the notebooks
    did not, so one copied out of a notebook read as real reports. The catalogue of real
    outages is the one figure of real data; the market figures name the assumption that
    sets their ratio."""
    titles = _figure_titles(json.loads((executed / f"{name}.ipynb").read_text()))
    real = [t for t in titles if t.startswith("Reported outages of WhatsApp")]
    simulated = [t for t in titles if t not in real]
    assert simulated
    said = "Simulated example" if name == "06_your_data" else "Simulated data (whatsapp_2017"
    assert all(said in t for t in simulated), titles
    if name == "04_reliance_by_market":
        assert all("assumed reliance (developing 1.5, developed 1)" in t for t in simulated)


@pytest.mark.slow
def test_notebooks_02_and_03_read_a_file_with_its_format_zone_and_kind(tmp_path):
    """A Trends export (naive local times) once could not go through the notebooks, and
    notebook 03 scaled any file's users to 1.2 billion."""
    from analysis.figures import run_notebooks

    fixture = ROOT / "tests" / "fixtures" / "counts_90s.csv"
    trends = ROOT / "tests" / "fixtures" / "trends_hourly.csv"
    run_notebooks(ROOT / "notebooks", tmp_path, names=("02_estimate_duration",),
                  parameters={"reports_path": str(trends), "format": "trends",
                              "tz": "America/Sao_Paulo", "kind": "index"})  # fmt: skip
    text = (tmp_path / "02_estimate_duration.ipynb").read_text()
    assert "2017-05-03 20:0" in text  # the Trends window's start, 20:00-20:09 UTC
    titles = _figure_titles(json.loads(text))
    assert titles
    assert not any("Simulated" in t for t in titles)  # the user's file is not simulated
    run_notebooks(ROOT / "notebooks", tmp_path, names=("03_regional_impact",),
                  parameters={"reports_path": str(fixture)})  # fmt: skip
    notebook = json.loads((tmp_path / "03_regional_impact.ipynb").read_text())
    tags = [c["metadata"].get("tags", []) for c in notebook["cells"]]
    params = [c for c, t in zip(notebook["cells"], tags, strict=True) if "injected-parameters" in t]
    assert params
    assert "1.2e9" not in "".join(params[0]["source"])
    printed = "".join("".join(o.get("text", "")) for c in notebook["cells"]
                      for o in c.get("outputs", []))  # fmt: skip
    own = Study.from_file(fixture).world
    assert str(own) in printed  # each country's own users, not scaled to 1.2 billion
    assert str(Study.from_file(fixture, users_total=1.2e9).world) not in printed


@pytest.mark.slow
def test_your_data_notebook_states_a_weak_baseline_only_when_history_is_short(tmp_path):
    from analysis.figures import run_notebooks

    def markdown(example: str) -> str:
        run_notebooks(ROOT / "notebooks", tmp_path / example, names=("06_your_data",),
                      parameters={"example": example})  # fmt: skip
        notebook = json.loads((tmp_path / example / "06_your_data.ipynb").read_text())
        return "".join("".join(o.get("data", {}).get("text/markdown", ""))
                       for c in notebook["cells"] for o in c.get("outputs", []))  # fmt: skip

    short, long = markdown("downdetector_15min.csv"), markdown("counts_30s.csv")
    assert "Weak baseline in BRA" in short
    assert "Weak baseline" not in long
    assert "**BRA** (reports): 2017-05-03 20:0" in long  # the outage starts at 20:05
