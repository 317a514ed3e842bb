"""Benchmark the simulator: every country x 14 days at 1-minute bins (about 3.2 million rows).

Target (issue 4): under 10 s and under 2 GB peak memory on 2 cores. Prints the wall time of
each run and the process's peak resident memory (which includes Python, pandas and the
country table, so it is an upper bound on what the simulation itself needs).

    .venv/bin/python benchmarks/simulate.py [--repeat 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import time

from analysis import scenarios, simulate


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    scenario = scenarios.whatsapp_2017(days_before=13, days_after=1).replace(rival=None)
    print(f"scenario: {scenario.name}, {scenario.start:%Y-%m-%d} to {scenario.end:%Y-%m-%d}, "
          f"freq {scenario.freq}, one service")  # fmt: skip
    before = peak_rss_mb()
    times = []
    for i in range(args.repeat):
        start = time.perf_counter()
        sim = simulate(scenario, seed=args.seed + i)
        times.append(time.perf_counter() - start)
        rows, regions = len(sim.reports), sim.reports["region"].nunique()
        print(f"run {i + 1}: {rows:,} rows, {regions} regions, {times[-1]:.2f} s "
              f"({rows / times[-1] / 1e6:.2f} M rows/s)")  # fmt: skip
        del sim
    print(f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
          f"(target < 10 s)")  # fmt: skip
    print(f"peak RSS {peak_rss_mb():,.0f} MB (after imports {before:,.0f} MB; target < 2048 MB)")


if __name__ == "__main__":
    main()
