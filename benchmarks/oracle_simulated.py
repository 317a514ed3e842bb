"""Information limit on the simulated stress families: what an oracle could find, per bin width.

``benchmarks/oracle.py`` measures it on real backgrounds; this script does the same on a
simulated family (by default ``heavy_noise``, whose log-normal per-bin noise hides outages at
hourly bins). Per true outage the oracle is told which series it hit and when (from its true
start to 30 minutes, and at least one bin, after its true end) and that reports rise there in
proportion to the baseline. It applies the matched filter of that rise against the
estimator's own baseline (:func:`oracle.matched`, residuals capped at 3 standard deviations),
pooled over the series hit.

**Its threshold** comes from the case's own null twin: the same series without the outages
(``StressCase.background``: the counts there would have been, with the same noise), with
the baseline fitted to them. The same template is slid over every position of every day
after the first three; a Gumbel law fitted to the daily maxima (by moments) gives the level
exceeded on 2 days in 100 (issue 12's 2 false windows per 100 series-days, counting one
exceedance as one false window per series, as ``oracle.py`` does).

Prints recall (all and clear windows) per bin width for the oracle pooled, the oracle told
one series at a time and ``estimate_outages``.

    .venv/bin/python benchmarks/oracle_simulated.py [--family heavy_noise] [--cases 24]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stress
import stress_families as sf
from oracle import TARGET_RATE, grid_arrays, matched

import analysis

TAIL = pd.Timedelta("30min")
#: Days at the start of a case left out of the null (the baseline's warm-up).
WARM_UP_DAYS = 3


def gumbel_level(maxima: np.ndarray, rate: float) -> float:
    """The level a Gumbel law fitted to ``maxima`` (by moments) exceeds with probability
    ``rate``."""
    scale = np.std(maxima, ddof=1) * np.sqrt(6) / np.pi
    loc = np.mean(maxima) - 0.5772 * scale
    return float(loc - scale * np.log(-np.log(1 - rate)))


def null_level(null: dict, grid: pd.DatetimeIndex, template: dict, per_day: int) -> float:
    """The 2-in-100-days level of ``template``'s statistic on the null twin."""
    t = matched(null, template, len(grid))
    days = [d for d in t[WARM_UP_DAYS * per_day :].reshape(-1, per_day)
            if np.isfinite(d).sum() >= per_day / 2]  # fmt: skip
    return gumbel_level(np.array([np.nanmax(d) for d in days]), TARGET_RATE)


def oracle_case(case: sf.StressCase) -> pd.DataFrame:
    """Per true window: found by the oracle pooled over its outage's series, and alone."""
    width = case.freq
    lo = case.reports["time"].min()
    grid = pd.date_range(lo, case.reports["time"].max() + width, freq=width, inclusive="left")
    per_day = int(pd.Timedelta("1D") / width)
    grid = grid[: len(grid) // per_day * per_day]
    arrays = grid_arrays(case.reports, grid)
    null = grid_arrays(case.background.rename(columns={"background": "reports"}), grid)
    records = []
    for _, rows in case.truth.groupby("event"):
        template = {}
        for row in rows.itertuples():
            a = int((row.start.floor(width) - lo) / width)
            b = max(int(np.ceil((row.end + TAIL - lo) / width)), a + 2)
            template[row.region] = (a, arrays[row.region][2][a:b])
        first = min(o for o, _ in template.values())
        shifted = {r: (o - first, e) for r, (o, e) in template.items()}
        pooled = matched(arrays, shifted, len(grid))[first] > null_level(
            null, grid, shifted, per_day
        )
        for row in rows.itertuples():
            alone = {row.region: (0, template[row.region][1])}
            own = matched(arrays, alone, len(grid))[template[row.region][0]]
            own_found = bool(own > null_level(null, grid, alone, per_day))
            records.append({"region": row.region, "start": row.start, "clear": bool(row.clear),
                            "pooled": bool(pooled), "alone": own_found})  # fmt: skip
    return pd.DataFrame(records)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--family", default="heavy_noise", choices=sorted(set(sf.FAMILIES) - {"real_tweets"})
    )
    parser.add_argument("--cases", type=int, default=24, help="dev cases (seeds from 20,000)")
    args = parser.parse_args(argv)
    parts = []
    for number in range(args.cases):
        seed = sf.case_seed(args.family, number, held_out=False)
        freq = sf.case_freq(args.family, number)
        case = sf.make_case(args.family, seed, freq=freq)
        if case.truth.empty:
            continue
        told = oracle_case(case)
        scored = stress.score_case(case, analysis.estimate_outages(case.reports))
        found = scored[scored["true_start"].notna()][["region", "true_start", "matched"]]
        told = told.merge(found.rename(columns={"true_start": "start"}), on=["region", "start"])
        parts.append(told.assign(freq=freq))
    result = pd.concat(parts, ignore_index=True)
    print(f"{args.family}, dev seeds, {args.cases} cases: recall, all / clear (windows)")
    for freq, group in result.groupby("freq", sort=False):
        clear = group[group["clear"]]
        print(f"  {freq:>5} ({len(group)} windows, {len(clear)} clear)")
        for column, label in (("pooled", "oracle, told the window and every series hit"),
                              ("alone", "oracle, told the window, one series at a time"),
                              ("matched", "estimate_outages (told nothing)")):  # fmt: skip
            hits = group[column].astype(bool)
            print(f"    {label:<48} {hits.mean():.2f} / {hits[group['clear']].mean():.2f}")


if __name__ == "__main__":
    main()
