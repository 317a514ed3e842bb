"""Project files agree with each other: pyproject.toml and environment.yml, README commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_NAMES = {"kaleido": "python-kaleido"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    pip_names |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    conda = (ROOT / "environment.yml").read_text()
    section = conda.split("dependencies:", 1)[1]
    listed = {_name(m) for m in re.findall(r"^  - ([A-Za-z][^\n]*)$", section, re.M)}
    expected = {CONDA_NAMES.get(n, n) for n in pip_names}
    assert expected - listed == set(), "in pyproject.toml but not in environment.yml"
    extra = listed - expected - {"python", "pip:", "pip"}
    assert extra == set(), "in environment.yml but not in pyproject.toml"
    assert "-e ." in conda


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("\n## ", 1)[0]
    assert "make figures" in head
    assert "make test" in head


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
