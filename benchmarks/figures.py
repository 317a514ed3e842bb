"""Time the main job step by step: the case, each figure (build, HTML, PNG), each notebook.

``make figures`` computes the 3 May 2017 case once, draws the figures from it, saves it and
hands it to notebooks 01-05 (``case_path``). This runs that job step by step and, side by
side in the same run, the notebooks as they ran before the case was shared: each making its
own case from its parameters. It prints the seconds of each step and both totals.

    .venv/bin/python benchmarks/figures.py [--out /tmp/figures] [--reports /tmp/reports]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from analysis.case import open_case
from analysis.figures import figure_specs, run_notebooks, write_figure


def shared_job(out: Path, reports: Path) -> dict[str, float]:
    """The main job as ``make figures`` runs it; the seconds of each step."""
    seconds = {}
    start = time.perf_counter()
    case = open_case().compute()
    seconds["the case (simulated and analysed once)"] = time.perf_counter() - start
    for spec in figure_specs():
        start = time.perf_counter()
        write_figure(spec.build(case), out, spec.name, png=True)
        seconds[f"figure {spec.name} (build, HTML, PNG)"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        path = case.save(Path(folder) / "case.pkl")
        seconds["saving the case for the notebooks"] = time.perf_counter() - start
        timed = run_notebooks("notebooks", reports, parameters={"case_path": str(path)})
    return seconds | {f"notebook {name}": s for name, s in timed.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/outage-reliance-figures"))
    parser.add_argument("--reports", type=Path, default=Path("/tmp/outage-reliance-reports"))
    args = parser.parse_args()
    shared = shared_job(args.out, args.reports)
    alone = run_notebooks("notebooks", args.reports / "alone")
    for step, seconds in shared.items():
        name = step.removeprefix("notebook ")
        before = f"{alone[name]:8.1f} s" if name in alone else ""
        print(f"{step:<52} {seconds:6.1f} s {before}")
    steps = sum(s for k, s in shared.items() if not k.startswith(("notebook ", "saving ")))
    print(f"{'total, case shared (make figures)':<52} {sum(shared.values()):6.1f} s")
    print(f"{'total, each notebook making its own case':<52} {steps + sum(alone.values()):6.1f} s")
    print("(right-hand column: the notebook making its own case from its parameters)")


if __name__ == "__main__":
    main()
