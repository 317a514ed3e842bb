"""Writing a simulation to a folder, with its seed and parameters."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "write_simulation",
]


def write_simulation(simulation, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a :class:`~analysis.simulate.Simulation` to a folder.

    Files: ``reports.parquet`` and ``reports.csv`` (the report frame, times as ISO 8601 with
    ``+00:00``), ``truth.csv``, ``inputs.csv``, ``bursts.csv``, ``gaps.csv`` and
    ``scenario.json`` (the scenario's parameters and the seed). Same simulation, same bytes.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    def put(name: str, frame: pd.DataFrame, index: bool = False) -> None:
        path = out / name
        if name.endswith(".parquet"):
            frame.to_parquet(path, index=index)
        else:
            frame.to_csv(path, index=index)
        paths.append(path)

    put("reports.parquet", simulation.reports)
    put("reports.csv", simulation.reports)
    put("truth.csv", simulation.truth.assign(duration=simulation.truth["duration"].astype(str)))
    put("inputs.csv", simulation.inputs, index=True)
    put("bursts.csv", simulation.bursts)
    put("gaps.csv", simulation.gaps)
    meta = {"seed": simulation.seed, "scenario": _plain(dataclasses.asdict(simulation.scenario))}
    path = out / "scenario.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    paths.append(path)
    return paths


def _plain(value: Any) -> Any:
    """JSON-ready copy of a scenario's fields (timestamps and durations as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value
