"""Outage windows on real backgrounds: NAB's Twitter-volume series with outages added on top.

Reads the ten real Twitter-mention series (5-minute bins, Feb-Apr 2015) from
``../shared/realdata/nab/realTweets`` (never copied into this repository; see the
``SOURCE.md`` there). Each case takes 14 days of history and a 3-day scored span of all ten
series (each given a country code, so a time zone), and adds 1-2 outages to 1, 3 or all 10
series at once: 10 minutes to 4 hours, reports raised by a ratio of 1.3-10 over the series'
usual level at that clock time (the median of the same clock time over the history), each
user reporting after a log-normal lag (median 2-8 minutes), counts Poisson on top of the
real ones. Nothing here comes from the project's simulator.

Per method (``estimate_outages``, the tracker-style threshold, ruptures Binseg), side by
side in one run: recall on all windows, on *clear* ones (reports at least double over the
window) and on those that *stand out* (the window's ratio of reports to the same clock time
of the history beats every other window of the same length in its series' scored span);
false windows per 100 series-days outside NAB's labelled real anomalies; median start and
end errors; 90% interval coverage with the median interval width; rows per second.

    python benchmarks/real_backgrounds.py [--cases 12] [--first-seed 60000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis import changepoint_outages, estimate_outages, score_outages, threshold_outages

ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "nab"
REGIONS = {"AAPL": "USA", "AMZN": "GBR", "CRM": "DEU", "CVS": "FRA", "FB": "BRA",
           "GOOG": "IND", "IBM": "JPN", "KO": "MEX", "PFE": "ZAF", "UPS": "KEN"}  # fmt: skip
WIDTH = pd.Timedelta("5min")
PER_DAY = 288
METHODS = {"estimate_outages": estimate_outages, "threshold (tracker)": threshold_outages,
           "ruptures Binseg": changepoint_outages}  # fmt: skip


def load_series(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ten series as one wide frame (UTC index, one column per region) and the labels."""
    columns = {}
    for ticker, region in REGIONS.items():
        raw = pd.read_csv(root / "realTweets" / f"Twitter_volume_{ticker}.csv")
        times = pd.to_datetime(raw["timestamp"]).dt.tz_localize("UTC").dt.floor("5min")
        columns[region] = pd.Series(raw["value"].to_numpy(), index=times)
    wide = pd.DataFrame(columns).sort_index()
    labels = json.loads((root / "labels" / "combined_windows.json").read_text())
    rows = [{"region": region, "start": pd.Timestamp(a, tz="UTC"), "end": pd.Timestamp(b, tz="UTC")}
            for ticker, region in REGIONS.items()
            for a, b in labels[f"realTweets/Twitter_volume_{ticker}.csv"]]  # fmt: skip
    return wide, pd.DataFrame(rows)


def _lag_pmf(rng: np.random.Generator) -> np.ndarray:
    """Share of reports 0, 1, 2, ... bins after the minute a user is hit (log-normal lag)."""
    lag = stats.lognorm(s=rng.uniform(0.5, 1.2), scale=rng.uniform(2, 8))
    edges = np.arange(0, 25) * 5.0
    return np.diff(lag.cdf(edges))


def draw_case(wide: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """One case: the report frame, the truth (with ``clear`` and ``stands_out``) and the
    start of the scored span."""
    rng = np.random.default_rng(seed)
    first = wide.index[0].ceil("D")
    days = int((wide.index[-1] - first) / pd.Timedelta("1D"))
    span0 = first + pd.Timedelta(days=int(rng.integers(14, days - 3)))
    part = wide.loc[span0 - pd.Timedelta("14D") : span0 + pd.Timedelta("3D") - WIDTH]
    values = part.to_numpy(float)
    clock = np.arange(len(part)) % PER_DAY
    history = values[: 14 * PER_DAY].reshape(14, PER_DAY, -1)
    usual = np.nanmedian(history, axis=0)[clock]  # same clock time over the history
    added = np.zeros_like(values)
    truth = []
    for _ in range(int(rng.integers(1, 3))):
        hit = rng.choice(len(REGIONS), [1, 3, 10][int(rng.integers(0, 3))], replace=False)
        at = 14 * PER_DAY + int(rng.integers(12, 3 * PER_DAY - 60))
        length = max(2, round(rng.uniform(10, 240) / 5))
        ratio = float(np.exp(rng.uniform(np.log(1.3), np.log(10))))
        down = np.zeros(len(part))
        down[at : at + length] = 1.0
        echo = np.convolve(down, _lag_pmf(rng))[: len(part)]
        for j in hit:
            added[:, j] += rng.poisson((ratio - 1) * np.maximum(usual[:, j], 0.5) * echo)
            truth.append({"region": part.columns[j], "start": part.index[at],
                          "end": part.index[at] + length * WIDTH, "at": at, "length": length,
                          "column": j})  # fmt: skip
    observed = values + added
    truth = pd.DataFrame(truth)
    truth["clear"] = [observed[r.at : r.at + r.length, r.column].sum()
                      >= 2 * usual[r.at : r.at + r.length, r.column].sum()
                      for r in truth.itertuples()]  # fmt: skip
    truth["stands_out"] = [_stands_out(observed[:, r.column], usual[:, r.column], r.at, r.length)
                           for r in truth.itertuples()]  # fmt: skip
    wide_out = pd.DataFrame(observed, index=part.index.rename("time"), columns=part.columns)
    frame = wide_out.reset_index().melt(id_vars="time", var_name="region", value_name="reports")
    frame = frame.dropna(subset=["reports"])  # a missing bin stays a gap
    frame["reports"] = frame["reports"].astype("int64")
    return frame, truth.drop(columns=["at", "length", "column"]), span0


def _stands_out(y: np.ndarray, usual: np.ndarray, at: int, length: int) -> bool:
    """The window's ratio to the usual beats every other window of its length in the span."""
    span = slice(14 * PER_DAY, len(y))
    ratio = (pd.Series(np.nan_to_num(y[span])).rolling(length).sum()
             / pd.Series(usual[span] + 1e-9).rolling(length).sum()).to_numpy()  # fmt: skip
    end = at - 14 * PER_DAY + length - 1
    others = np.abs(np.arange(len(ratio)) - end) >= length
    return bool(ratio[end] > np.nanmax(np.where(others, ratio, -np.inf)))


def run(cases: int, first_seed: int) -> pd.DataFrame:
    wide, labels = load_series(ROOT)
    rows = []
    for i in range(cases):
        frame, truth, span0 = draw_case(wide, first_seed + i)
        span1 = span0 + pd.Timedelta("3D")
        for name, method in METHODS.items():
            began = time.perf_counter()
            found = method(frame)
            seconds = time.perf_counter() - began
            found = found[(found["end"] > span0) & (found["start"] < span1)]
            scores = score_outages(found, truth).merge(
                truth.rename(columns={"start": "true_start"})[["region", "true_start", "clear",
                                                               "stands_out"]],
                on=["region", "true_start"], how="left")  # fmt: skip
            scores["labelled"] = [_overlaps(labels, r.region, r.start, r.end)
                                  for r in scores.itertuples()]  # fmt: skip
            rows.append({"case": i, "method": name, "seconds": seconds, "rows": len(frame),
                         "scores": scores, "found": found})  # fmt: skip
        print(f"case {i + 1:>3}/{cases}: {len(truth)} windows, {len(frame):,} rows", flush=True)
    return pd.DataFrame(rows)


def _overlaps(labels: pd.DataFrame, region: str, start: pd.Timestamp, end: pd.Timestamp) -> bool:
    if pd.isna(start):
        return False
    mine = labels[labels["region"] == region]
    return bool(((mine["start"] < end) & (mine["end"] > start)).any())


def table(records: pd.DataFrame, cases: int) -> pd.DataFrame:
    series_days = cases * len(REGIONS) * 3
    out = {}
    for name, group in records.groupby("method", sort=False):
        s = pd.concat(list(group["scores"]), ignore_index=True)
        true = s[s["true_start"].notna()]
        found = pd.concat(list(group["found"]), ignore_index=True)
        matched = s[s["matched"]]
        false = s[s["false_alarm"] & ~s["labelled"]]
        width = (found["end_high"] - found["end_low"]) if "end_high" in found else pd.Series()
        out[name] = {
            "true windows": len(true),
            "recall": true["matched"].mean(),
            "recall, clear": true.loc[true["clear"].astype(bool), "matched"].mean(),
            "recall, stand out": true.loc[true["stands_out"].astype(bool), "matched"].mean(),
            "precision": len(matched) / max(len(matched) + s["false_alarm"].sum(), 1),
            "false / 100 series-days": 100 * len(false) / series_days,
            "start err median (min)": matched["start_error_min"].abs().median(),
            "end err median (min)": matched["end_error_min"].abs().median(),
            "coverage start": matched["start_covered"].astype(float).mean(),
            "coverage end": matched["end_covered"].astype(float).mean(),
            "end interval width (min)": (width / pd.Timedelta("1min")).median(),
            "rows/s": group["rows"].sum() / group["seconds"].sum(),
        }
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--first-seed", type=int, default=60_000)
    args = parser.parse_args()
    if not ROOT.exists():
        raise SystemExit(f"{ROOT} is absent: the real series are read from ../shared")
    records = run(args.cases, args.first_seed)
    print()
    print(table(records, args.cases).to_string(float_format=lambda v: f"{v:,.3g}"))


if __name__ == "__main__":
    main()
