"""Time the main job: each notebook (papermill) and each figure (build, HTML, PNG).

Runs what ``make figures`` runs, step by step, and prints the seconds of each step and the
total (target: under 3 minutes on 2 cores from a set-up environment).

    .venv/bin/python benchmarks/figures.py [--out /tmp/figures] [--reports /tmp/reports]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis.case import whatsapp_2017_case
from analysis.figures import figure_specs, run_notebooks, write_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/outage-reliance-figures"))
    parser.add_argument("--reports", type=Path, default=Path("/tmp/outage-reliance-reports"))
    args = parser.parse_args()
    began = time.perf_counter()
    for name, seconds in run_notebooks("notebooks", args.reports).items():
        print(f"notebook {name:<28} {seconds:6.1f} s")
    start = time.perf_counter()
    case = whatsapp_2017_case()
    print(f"{'analysis of the case (figures)':<37} {time.perf_counter() - start:6.1f} s")
    for spec in figure_specs():
        start = time.perf_counter()
        fig = spec.build(case)
        built = time.perf_counter()
        write_figure(fig, args.out, spec.name, png=False)
        html = time.perf_counter()
        write_figure(fig, args.out, spec.name, png=True)
        done = time.perf_counter()
        print(f"figure {spec.name:<30} {built - start:6.1f} s build, {html - built:4.1f} s "
              f"HTML, {done - html - (html - built):4.1f} s PNG")  # fmt: skip
    print(f"{'total':<37} {time.perf_counter() - began:6.1f} s (target < 180 s)")


if __name__ == "__main__":
    main()
