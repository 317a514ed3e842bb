"""Benchmark the drop search (series of kind ``level``) against IODA's rule, side by side.

Draws level signals written here, not by the project's simulator: a daily wave of 2-20%,
relative noise of 0.5-5% (Gaussian, or Student-t with 3 degrees of freedom in a third of the
series), 10 days of history and one scored day, at 5-minute, 10-minute and hourly bins;
half of the series hold one drop on the scored day (depth 0.1-0.9 of normal, 15 minutes to
6 hours; a quarter of them recover in two steps, half way first). Runs
``estimate_outages`` (its drop search) and :func:`~analysis.detect.peers.history_rule_drops`
(below 0.8 of the trailing 7-day median) on the same series and prints per method: recall
(all drops, and drops of depth 0.3 or more), precision, false windows per 100 series-days,
median absolute start and end errors (minutes), 90% interval coverage of start and end, and
throughput.

    .venv/bin/python benchmarks/drops.py [--series 120] [--seed 90000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analysis import score_outages
from analysis.detect import estimate_outages
from analysis.detect.peers import history_rule_drops

REGIONS = ["BRA", "IND", "IDN", "NGA", "USA", "DEU", "MEX", "TUR", "KEN", "ZAF", "GBR", "FRA"]
WIDTHS = ["5min", "10min", "1h"]
DAY = pd.Timedelta("1D")


def draw_series(rng: np.random.Generator, width: str) -> tuple[pd.DataFrame, dict | None]:
    """One level series (11 days, the last scored) and its drop (None for a quiet one)."""
    t = pd.date_range("2023-03-01", periods=int(11 * DAY / pd.Timedelta(width)), freq=width,
                      tz="UTC")  # fmt: skip
    hour = (t.hour + t.minute / 60).to_numpy()
    wave = rng.uniform(0.02, 0.2) * np.cos(2 * np.pi * (hour - rng.uniform(0, 24)) / 24)
    normal = 5000 * (1 + wave)
    sd = rng.uniform(0.005, 0.05)
    heavy = rng.random() < 1 / 3
    noise = rng.standard_t(3, len(t)) / np.sqrt(3) if heavy else rng.standard_normal(len(t))
    factor = np.ones(len(t))
    truth = None
    if rng.random() < 0.5:
        start = t[0] + 10 * DAY + pd.Timedelta(minutes=float(rng.uniform(60, 1440 - 420)))
        length = pd.Timedelta(minutes=float(np.exp(rng.uniform(np.log(15), np.log(360)))))
        depth = rng.uniform(0.1, 0.9)
        minutes = ((t - start) / pd.Timedelta("1min")).to_numpy()
        span = length / pd.Timedelta("1min")
        w = pd.Timedelta(width) / pd.Timedelta("1min")
        covered = np.clip(np.minimum(minutes + w, span) - np.maximum(minutes, 0), 0, w) / w
        two_steps = rng.random() < 0.25
        halfway = np.clip(np.minimum(minutes + w, span) - np.maximum(minutes, span / 2), 0, w) / w
        lost = depth * (covered - (0.5 * halfway if two_steps else 0))
        factor = 1 - lost
        truth = {"start": start, "end": start + length, "depth": depth}
    values = np.maximum(normal * factor * (1 + sd * noise), 0)
    return pd.DataFrame({"time": t, "reports": values, "kind": "level"}), truth


def run(n_series: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    results = []
    for i in range(n_series):
        width = WIDTHS[i % len(WIDTHS)]
        frame, drop = draw_series(rng, width)
        region = REGIONS[i % len(REGIONS)]
        frame = frame.assign(region=region)
        truth = pd.DataFrame([{"region": region, **drop}] if drop else [],
                             columns=["region", "start", "end", "depth"])  # fmt: skip
        scored_from = frame["time"].iloc[0] + 10 * DAY
        for method, find in (("estimate (drops)", estimate_outages),
                             ("IODA rule (0.8 x 7-day median)", history_rule_drops)):  # fmt: skip
            began = time.perf_counter()
            found = find(frame)
            seconds = time.perf_counter() - began
            found = found[found["end"] > scored_from]
            columns = [c for c in ("region", "start", "end", "start_low", "start_high",
                                   "end_low", "end_high") if c in found.columns]  # fmt: skip
            scores = score_outages(found[columns], truth[["region", "start", "end"]])
            depths = truth[["region", "start", "depth"]].rename(columns={"start": "true_start"})
            if len(truth):
                scores = scores.merge(depths, on=["region", "true_start"], how="left")
            results.append(scores.assign(method=method, width=width, seconds=seconds,
                                         rows=len(frame), series=i))  # fmt: skip
    return pd.concat(results, ignore_index=True)


def summarize(scores: pd.DataFrame, n_series: int) -> pd.DataFrame:
    rows = []
    for method, s in scores.groupby("method", sort=False):
        true = s[s["true_start"].notna()]
        matched = s[s["matched"].astype(bool)]
        false = s[s["false_alarm"].astype(bool)]
        per_series = s.drop_duplicates("series")
        deep = true[true["depth"] >= 0.3]
        rows.append({
            "method": method,
            "drops": len(true),
            "recall": true["matched"].mean(),
            "recall (depth >= 0.3)": deep["matched"].mean(),
            "precision": len(matched) / max(len(matched) + len(false), 1),
            "false / 100 series-days": 100 * len(false) / n_series,
            "|start| med (min)": matched["start_error"].abs().median() / pd.Timedelta("1min"),
            "|end| med (min)": matched["end_error"].abs().median() / pd.Timedelta("1min"),
            "cov start": _coverage(matched, "start_covered"),
            "cov end": _coverage(matched, "end_covered"),
            "rows/s": per_series["rows"].sum() / per_series["seconds"].sum(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _coverage(matched: pd.DataFrame, column: str) -> float:
    """Share of matched windows whose interval holds the truth (NaN without intervals)."""
    values = matched[column] if column in matched.columns else pd.Series(dtype=float)
    return float(values.astype(float).mean()) if values.notna().any() else np.nan


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=120)
    parser.add_argument("--seed", type=int, default=90_000)
    args = parser.parse_args(argv)
    scores = run(args.series, args.seed)
    table = summarize(scores, args.series)
    print(f"{args.series} level series (seeds from {args.seed}), one scored day each")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


if __name__ == "__main__":
    main()
