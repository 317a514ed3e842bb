"""What the estimator's false windows lie on, in the stress benchmark's simulated families.

For each false window of ``estimate_outages`` (one matching no true window, as scored by
``benchmarks/stress.py``), the generator's non-outage event under it (a burst, a level shift,
a spike, a gap; ``stress_families``' ``nuisance``) and, for a burst, whether the burst was
*held* (its background stays above half its peak over three quarters of the burst: a plateau
with sharp ends) or a spike that fades. Prints one line per false window and the counts.

    .venv/bin/python benchmarks/false_windows.py [--family big_bursts] [--cases 8] [--held-out]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stress
import stress_families as sf

import analysis

#: A burst is held when its background stays above this share of its peak ...
HELD_LEVEL = 0.5
#: ... over at least this share of its bins.
HELD_SHARE = 0.75


def burst_shape(background: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``held`` or ``spike``: the shape of one region's background over a burst."""
    inside = background[(background.index >= start) & (background.index < end)]
    if inside.empty:
        return "spike"
    held = (inside > HELD_LEVEL * inside.max()).mean()
    return "held" if held >= HELD_SHARE else "spike"


def under(case: sf.StressCase, window) -> dict:
    """The non-outage event under one false window (the first that overlaps it)."""
    events = case.nuisance[
        (case.nuisance["region"] == window.region)
        & (case.nuisance["start"] < window.end)
        & (case.nuisance["end"] > window.start)
    ]
    if events.empty:
        return {"under": "nothing", "factor": float("nan"), "minutes": float("nan")}
    event = events.iloc[0]
    kind = event["kind"]
    if kind == "burst":
        background = case.background[case.background["region"] == window.region]
        kind = "burst, " + burst_shape(
            background.set_index("time")["background"], event["start"], event["end"]
        )
    minutes = (event["end"] - event["start"]) / pd.Timedelta("1min")
    return {"under": kind, "factor": event.get("factor"), "minutes": minutes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="big_bursts", choices=sorted(sf.FAMILIES))
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--held-out", action="store_true", help="held-out seeds (60,000+)")
    args = parser.parse_args(argv)
    rows = []
    for number in range(args.cases):
        seed = sf.case_seed(args.family, number, held_out=args.held_out)
        freq = sf.case_freq(args.family, number)
        case = sf.make_case(args.family, seed, freq=freq)
        scored = stress.score_case(case, analysis.estimate_outages(case.reports))
        for window in scored[scored["false_alarm"].astype(bool)].itertuples():
            where = {"case": number, "freq": freq, "region": window.region}
            rows.append({**where, "start": window.start, "end": window.end, **under(case, window)})
    table = pd.DataFrame(rows)
    seeds = "held-out" if args.held_out else "dev"
    print(f"{args.family}, {args.cases} cases ({seeds} seeds): {len(table)} false windows")
    if len(table):
        print(table.to_string(index=False))
        print(table["under"].value_counts().to_string())


if __name__ == "__main__":
    main()
