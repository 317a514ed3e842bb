"""Every notebook executes (small parameters) and shows its figures; stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.figures import NOTEBOOKS

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
def test_the_case_notebook_checks_every_claim(executed):
    notebook = json.loads((executed / "05_case_whatsapp_2017.ipynb").read_text())
    text = json.dumps(notebook)
    for claim in ("about two hours", "every continent but Antarctica", "over a billion users",
                  "Brazil switched to Telegram"):  # fmt: skip
        assert claim in text
