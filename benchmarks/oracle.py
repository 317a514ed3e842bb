"""Information limit on real backgrounds: how many added outages an oracle could find.

Issue 12 asks, on the ``real_tweets`` stress family, for recall 0.95 on windows that stand
out and 0.75 on clear windows, with at most 2 false windows per 100 series-days. This script
measures what a detector told far more than any real one could reach at that false-alarm
rate, and the estimator's own false-alarm rate on the real series with nothing added.

**The oracle** knows, for each outage, which series it hit and when (from its true start to
30 minutes after its true end, per series), and that reports rise there in proportion to the
baseline. With that, it applies the matched filter of that rise against negative-binomial
noise around the estimator's own baseline ``b`` (:func:`analysis.baseline.series_baselines`,
size ``k``, ``sd = sqrt(b + b**2 / k)``):

    T = sum_t (b_t / sd_t) r_t  /  sqrt(sum_t b_t**2 / sd_t**2),

summed over the series hit, each residual ``r = (y - b) / sd`` capped at 3 standard deviations
(as the screen's matched score: uncapped, one news spike in the null sets the threshold). Its
threshold is set on the real NAB series with nothing added: the same template slid over every
5-minute position of 14 back-to-back three-day spans (each after 14 days of history, as in a
case), outside NAB's labelled anomalies; it is the level that the daily maxima exceed on at
most the given share of days. One exceedance is one false event, one false window per series
of the set, so the rate per series-day equals that per day. The oracle pays nothing for not
knowing where, how long or in which series an outage is: its recall bounds what a detector
using this baseline can reach at that false-alarm rate, unless it models the background
better. "Each series alone" is the same oracle told only one series at a time.

**The blind oracle** is told only each outage's length and that reports rise in proportion
to the baseline. At every time it pools the subset of series with the largest matched-filter
statistic (:func:`subset_scan`), and its threshold is set on the same scan of the null spans.
It measures what not knowing where and in which series costs.

**The estimator's null rate**: ``estimate_outages`` on the same 14 spans of the real series,
windows outside the labelled anomalies per 100 series-days.

    .venv/bin/python benchmarks/oracle.py [--cases N] [--shared PATH] [--no-estimate]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stress
import stress_families as sf
from stress_families.real import REAL_HISTORY_DAYS, REAL_SCORED_DAYS, REAL_WIDTH, load_tweets

import analysis
from analysis.baseline import series_baselines

WIDTH = pd.Timedelta(minutes=REAL_WIDTH)
BINS_PER_DAY = int(pd.Timedelta("1D") / WIDTH)
#: The template runs this long past the true end (reports lag).
TAIL = pd.Timedelta("30min")
#: Largest residual (standard deviations) one bin adds, as in the screen's matched score.
RESIDUAL_CAP = 3.0
#: False windows per series-day at which the oracle is set (issue 12's target: 2 per 100).
TARGET_RATE = 0.02


def nab_frame(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NAB's ten series as one report frame (regions as in the stress cases) and their
    labelled anomaly windows (UTC)."""
    series = load_tweets(root)
    frame = pd.concat(
        [pd.DataFrame({"time": s.index, "region": r, "reports": s.to_numpy()})
         for r, s in series.items()], ignore_index=True,
    )  # fmt: skip
    labels = json.loads((root / "labels" / "combined_windows.json").read_text(encoding="utf-8"))
    rows = [
        {"region": region, "start": pd.Timestamp(a, tz="UTC"), "end": pd.Timestamp(b, tz="UTC")}
        for ticker, region in sf.TICKER_REGIONS.items()
        for a, b in labels.get(f"realTweets/Twitter_volume_{ticker}.csv", [])
    ]
    return frame, pd.DataFrame(rows, columns=["region", "start", "end"])


def null_spans(frame: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.DataFrame]]:
    """Every 3-day span of the real series after 14 days of history (back to back), with
    the 17 days of reports each is read from."""
    first = frame["time"].min().ceil("D")
    last = frame["time"].max() + WIDTH
    out = []
    span = first + pd.Timedelta(days=REAL_HISTORY_DAYS)
    while span + pd.Timedelta(days=REAL_SCORED_DAYS) <= last:
        lo = span - pd.Timedelta(days=REAL_HISTORY_DAYS)
        hi = span + pd.Timedelta(days=REAL_SCORED_DAYS)
        out.append((span, frame[(frame["time"] >= lo) & (frame["time"] < hi)]))
        span = hi
    return out


def scored_arrays(
    reports: pd.DataFrame, span: pd.Timestamp
) -> tuple[pd.DatetimeIndex, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """:func:`grid_arrays` over the scored days from ``span``."""
    grid = pd.date_range(span, periods=REAL_SCORED_DAYS * BINS_PER_DAY, freq=WIDTH)
    return grid, grid_arrays(reports, grid)


def grid_arrays(reports: pd.DataFrame, grid: pd.DatetimeIndex) -> dict:
    """Per region on ``grid``: the capped residual over its standard deviation, ``r / sd``,
    and ``1 / sd**2`` (both 0 where missing), and the baseline ``b``, from the estimator's
    baseline fitted to all of ``reports``."""
    out = {}
    for key, base in series_baselines(reports).items():
        at = base.times.get_indexer(grid)
        y = np.where(at >= 0, base.observed[at], np.nan)
        b = np.where(at >= 0, base.expected[at], np.nan)
        v = b + b**2 / base.dispersion
        seen = ~np.isnan(y) & (v > 0)
        sd = np.sqrt(np.where(seen, v, 1.0))
        r = np.clip(np.where(seen, y - b, 0.0) / sd, -RESIDUAL_CAP, RESIDUAL_CAP)
        out[key[-1]] = (np.where(seen, r / sd, 0.0), np.where(seen, 1 / sd**2, 0.0),
                        np.nan_to_num(b))  # fmt: skip
    return out


def matched(arrays: dict, template: dict[str, tuple[int, np.ndarray]], n: int) -> np.ndarray:
    """The matched-filter statistic of ``template`` (region: (offset in bins, excess per
    bin)) at every start position 0..n-1 (NaN where the template leaves the span)."""
    num, den = np.zeros(n), np.zeros(n)
    ok = np.ones(n, bool)
    for region, (offset, e) in template.items():
        z, inv, _ = arrays[region]
        a = signal.correlate(z, e, mode="full")[len(e) - 1 :]
        d = signal.correlate(inv, e**2, mode="full")[len(e) - 1 :]
        pos = np.arange(n) + offset
        inside = (pos >= 0) & (pos + len(e) <= len(z))
        ok &= inside
        num[inside] += a[pos[inside]]
        den[inside] += d[pos[inside]]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (den > 0), num / np.sqrt(den), np.nan)


def labelled_positions(
    grid: pd.DatetimeIndex, labels: pd.DataFrame, template: dict[str, tuple[int, np.ndarray]]
) -> np.ndarray:
    """Start positions where the template overlaps a labelled anomaly of its series."""
    bad = np.zeros(len(grid), bool)
    for region, (offset, e) in template.items():
        for lab in labels[labels["region"] == region].itertuples():
            a = grid.searchsorted(lab.start) - offset - len(e) + 1
            b = grid.searchsorted(lab.end) - offset
            bad[max(a, 0) : max(b, 0)] = True
    return bad


def null_daily_maxima(null: list, labels: pd.DataFrame, template: dict) -> np.ndarray:
    """Daily maxima of the template's statistic over the null spans, outside labels."""
    out = []
    for grid, arrays in null:
        t = matched(arrays, template, len(grid))
        t[labelled_positions(grid, labels, template)] = np.nan
        for day in t.reshape(REAL_SCORED_DAYS, BINS_PER_DAY):
            if np.isfinite(day).sum() >= BINS_PER_DAY / 2:
                out.append(np.nanmax(day))
    return np.asarray(out)


def threshold(maxima: np.ndarray, rate: float) -> float:
    """The lowest level that at most ``rate`` of the daily ``maxima`` exceed."""
    k = int(np.floor(rate * len(maxima)))
    return float(np.sort(maxima)[::-1][k]) if k < len(maxima) else -np.inf


def event_templates(case: sf.StressCase, arrays: dict) -> list[tuple[pd.DataFrame, int, dict]]:
    """Per outage of a case: its truth rows, its first bin (from the scored span's first) and
    its template, region: (offset from that bin, the baseline from the true start to TAIL
    after the true end: a rise in proportion to it)."""
    out = []
    for _, rows in case.truth.groupby("event"):
        template = {}
        for row in rows.itertuples():
            a = int((row.start.floor(WIDTH) - case.scored_span[0]) / WIDTH)
            b = int(np.ceil((row.end + TAIL - case.scored_span[0]) / WIDTH))
            template[row.region] = (a, arrays[row.region][2][a:b])
        first = min(o for o, _ in template.values())
        out.append((rows, first, {r: (o - first, e) for r, (o, e) in template.items()}))
    return out


def oracle_case(case: sf.StressCase, null: list, labels: pd.DataFrame, rates: list[float]):
    """Per true window: whether the oracle finds it at each false-alarm rate, pooled over the
    outage's series and for its series alone."""
    grid, arrays = scored_arrays(case.reports, case.scored_span[0])
    records = []
    for rows, first, template in event_templates(case, arrays):
        pooled = matched(arrays, template, len(grid))[first]
        pooled_max = null_daily_maxima(null, labels, template)
        for row in rows.itertuples():
            alone = {row.region: (0, template[row.region][1])}
            own = matched(arrays, alone, len(grid))[first + template[row.region][0]]
            own_max = null_daily_maxima(null, labels, alone)
            record = {"region": row.region, "clear": row.clear,
                      "stands_out": bool(row.stands_out)}  # fmt: skip
            for rate in rates:
                record[f"pooled@{rate}"] = pooled > threshold(pooled_max, rate)
                record[f"alone@{rate}"] = own > threshold(own_max, rate)
            records.append(record)
    return pd.DataFrame(records)


def filter_terms(arrays: dict, template: dict[str, tuple[int, np.ndarray]], n: int):
    """Per series of ``arrays`` (all of them, hit or not), the matched filter's numerator and
    denominator at every start position for a rise in proportion to that series' own
    baseline over the outage's length (``template``'s span, in bins) from there (zero where
    it leaves the span)."""
    length = max(offset + len(e) for offset, e in template.values())
    regions = sorted(arrays)
    num, den = np.zeros((len(regions), n)), np.zeros((len(regions), n))
    window = np.ones(length)
    for i, region in enumerate(regions):  # sums over the length from each position
        z, inv, b = arrays[region]
        num[i, : n - length + 1] = np.convolve(z * b, window, mode="valid")
        den[i, : n - length + 1] = np.convolve(inv * b * b, window, mode="valid")
    return regions, num, den


def subset_scan(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At every position, the best subset of series for the pooled matched filter
    ``sum(num) / sqrt(sum(den))`` (the series taken in order of ``num / den``, every prefix
    tried): its statistic and a mask of the series in it."""
    with np.errstate(invalid="ignore", divide="ignore"):
        priority = np.where(den > 0, num / den, -np.inf)
    order = np.argsort(-priority, axis=0)
    a = np.cumsum(np.take_along_axis(num, order, 0), axis=0)
    d = np.cumsum(np.take_along_axis(den, order, 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(d > 0, a / np.sqrt(d), -np.inf)
    best = np.argmax(stat, axis=0)
    chosen = np.zeros_like(num, dtype=bool)
    rank = np.argsort(order, axis=0)
    chosen[:] = rank <= best[None, :]
    return stat[best, np.arange(num.shape[1])], chosen


def blind_case(case: sf.StressCase, null: list, labels: pd.DataFrame, rate: float):
    """Per true window: whether an oracle told only each outage's length (from its true start
    to TAIL after its true end) and that reports rise in proportion to the baseline finds it
    by scanning every subset of series (:func:`subset_scan`), with its threshold set on the
    null spans' daily maxima of the same scan (labelled anomalies left out)."""
    grid, arrays = scored_arrays(case.reports, case.scored_span[0])
    records = []
    for rows, first, template in event_templates(case, arrays):
        length = max(offset + len(e) for offset, e in template.values())
        maxima = []
        for null_grid, null_arrays in null:
            regions, num, den = filter_terms(null_arrays, template, len(null_grid))
            for i, region in enumerate(regions):  # a labelled anomaly: that series sits out
                bad = labelled_positions(null_grid, labels, {region: (0, np.zeros(length))})
                num[i, bad], den[i, bad] = 0.0, 0.0
            stat, _ = subset_scan(num, den)
            stat[len(null_grid) - length + 1 :] = np.nan
            for day in stat.reshape(REAL_SCORED_DAYS, BINS_PER_DAY):
                if np.isfinite(day).sum() >= BINS_PER_DAY / 2:
                    maxima.append(np.nanmax(day))
        level = threshold(np.asarray(maxima), rate)
        regions, num, den = filter_terms(arrays, template, len(grid))
        stat, chosen = subset_scan(num, den)
        for row in rows.itertuples():
            hit = stat[first] > level and chosen[regions.index(row.region), first]
            records.append({"region": row.region, "clear": row.clear,
                            "stands_out": bool(row.stands_out), f"blind@{rate}": hit})  # fmt: skip
    return pd.DataFrame(records)


def estimator_null_rate(spans: list, labels: pd.DataFrame) -> float:
    """``estimate_outages``'s windows outside the labels per series-day on the null spans."""
    false, series_days = 0, 0
    for span, part in spans:
        found = analysis.estimate_outages(part)
        found = found[(found["region"] != "WLD") & (found["end"] > span)]
        for w in found.itertuples():
            mine = labels[labels["region"] == w.region]
            false += not ((mine["start"] < w.end) & (mine["end"] > w.start)).any()
        series_days += part["region"].nunique() * REAL_SCORED_DAYS
    return false / series_days


def _recalls(found: pd.Series, frame: pd.DataFrame) -> str:
    parts = [found.mean(), found[frame["clear"]].mean(), found[frame["stands_out"]].mean()]
    return " / ".join(f"{x:.2f}" for x in parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6, help="held-out real_tweets cases")
    parser.add_argument("--shared", type=Path, default=stress.DEFAULT_SHARED)
    parser.add_argument("--no-estimate", action="store_true", help="skip the estimator")
    args = parser.parse_args(argv)
    if not (args.shared / "realTweets").is_dir():
        print(f"skipped: no {args.shared / 'realTweets'}")
        return
    frame, labels = nab_frame(args.shared)
    spans = null_spans(frame)
    null = [scored_arrays(part, span) for span, part in spans]
    rates = [TARGET_RATE]
    if not args.no_estimate:
        rate = estimator_null_rate(spans, labels)
        print(
            f"estimate_outages on the real series with nothing added: {100 * rate:.1f} false "
            f"windows per 100 series-days ({len(spans)} spans of {REAL_SCORED_DAYS} days)"
        )
        rates.append(round(rate, 4))
    oracles, estimated = [], []
    for number in range(args.cases):
        case = sf.make_case("real_tweets", sf.case_seed("real_tweets", number, held_out=True),
                            root=args.shared)  # fmt: skip
        told = oracle_case(case, null, labels, rates)
        blind = blind_case(case, null, labels, TARGET_RATE)
        oracles.append(told.assign(**{f"blind@{TARGET_RATE}": blind[f"blind@{TARGET_RATE}"]}))
        if not args.no_estimate:
            scored = stress.score_case(case, analysis.estimate_outages(case.reports))
            estimated.append(scored[scored["true_start"].notna()])
    result = pd.concat(oracles, ignore_index=True)
    print(
        f"real_tweets, held-out seeds: {args.cases} cases, {len(result)} true windows "
        f"({int(result['clear'].sum())} clear, {int(result['stands_out'].sum())} stand out)"
    )
    print("recall, all / clear / stand out:")
    for rate in rates:
        for who, what in (("pooled", "its series pooled"), ("alone", "each series alone")):
            label = f"oracle at {100 * rate:.1f} false per 100 series-days, {what}"
            print(f"  {label:<62} {_recalls(result[f'{who}@{rate}'], result)}")
    label = f"oracle at {100 * TARGET_RATE:.1f}, told only each outage's length (subset scan)"
    print(f"  {label:<62} {_recalls(result[f'blind@{TARGET_RATE}'], result)}")
    if estimated:
        est = pd.concat(estimated, ignore_index=True)
        found = est["matched"].astype(bool)
        label = f"estimate_outages (at {100 * rates[-1]:.1f})"
        print(f"  {label:<62} {_recalls(found, est.astype({'clear': bool, 'stands_out': bool}))}")


if __name__ == "__main__":
    main()
