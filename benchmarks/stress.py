"""Stress benchmark: outage-window estimators on families the estimator does not assume.

Draws cases from :mod:`stress_families` (log-normal, Weibull and power-law reporting lags,
peak-and-fade and flapping outages, big non-outage bursts, level shifts, heavy-tailed noise,
and outages put on the real NAB Twitter-volume series) and runs, side by side in one process:

* ``estimate_outages`` (this project's reporting-process model),
* ``threshold_outages`` (tracker-style thresholds),
* ``changepoint_outages`` (ruptures binary segmentation, its defaults),
* :func:`pelt_outages` (a PELT peer defined here),

and, on request, ``estimate_one_region`` (``estimate_outages`` keeping events seen in one
region only, ``min_regions=1``), whose price and gain the ``one_region`` family (every
outage hits one region; in neither set) measures.

Estimated windows are kept where they overlap a case's scored span and are matched to the
truth by ``score_outages``. Per family and method it prints: cases, true windows, recall (all
windows, clear windows, and for ``real_tweets`` windows that stand out), precision, false
windows per 100 series-days (for ``real_tweets``, only those not overlapping a labelled NAB
anomaly), median absolute start and end errors (minutes), 90 % interval coverage of start and
end with the median interval width (minutes), the end's error and coverage where the end is
visible (reports still stand out over the outage's last 30 minutes:
``stress_families.common.end_visible``), throughput (report rows per second); then the same
over all families; the estimator's coverage with its Monte-Carlo interval and each family's
measures against issue 12's targets (:mod:`stress_targets`); the errors paired with each
peer's; and the total time per method.

Dev families (``lognormal_delay``, ``big_bursts``, ``heavy_noise``, ``real_tweets``) use
seeds from 20,000; held-out families (``weibull_delay``, ``powerlaw_tail``, ``peak_and_fade``,
``level_shift``, ``flapping``, ``real_tweets``) seeds from 60,000.

    .venv/bin/python benchmarks/stress.py [--dev | --held-out] [--families a,b] [--cases N]
        [--methods estimate,threshold,binseg,pelt,estimate_one_region] [--shared PATH]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

import analysis
from analysis.detect.peers import high_segments

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stress_families as sf
from stress_targets import (  # REFERENCE: the method whose errors are paired with each peer's
    COVERAGE_TARGET,
    REFERENCE,
    coverage_check,
    format_targets,
    target_check,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "realdata" / "nab"
INTERVALS = ["start_low", "start_high", "end_low", "end_high"]
MINUTE = pd.Timedelta("1min")
DAY = pd.Timedelta("1D")
SCORE_COLUMNS = [
    "region",
    "true_start",
    "start",
    "end",
    "matched",
    "false_alarm",
    "start_error_min",
    "end_error_min",
    "start_covered",
    "end_covered",
    "clear",
    "stands_out",
    "end_visible",
    "labelled",
    "start_width_min",
    "end_width_min",
]


# ------------------------------------------------------------------------- PELT peer
def _pelt_l2(r: np.ndarray, pen: float, min_size: int = 2) -> list[int]:
    """Exact PELT with the ``l2`` cost: the breakpoints of ``ruptures.Pelt(model="l2",
    min_size=min_size, jump=1).fit(r).predict(pen=pen)``, vectorised over the admissible set.

    ruptures' own loop is pure Python with a cost that sums the segment afresh each time
    (17 s for 3,000 points); this gives the same breakpoints (same recursion, pruning and
    ties to the earliest change) in well under a second for a week of 1-minute bins;
    :func:`check_pelt` compares the two.
    """
    n = len(r)
    s1 = np.concatenate([[0.0], np.cumsum(r)])
    s2 = np.concatenate([[0.0], np.cumsum(r * r)])
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    last = np.zeros(n + 1, dtype=np.int64)
    admissible = np.zeros(0, dtype=np.int64)
    for end in range(min_size, n + 1):
        new = end - min_size
        if new == 0 or new >= min_size:  # [0, new) must itself be segmentable
            admissible = np.append(admissible, new)
        sums = s1[end] - s1[admissible]
        cost = (s2[end] - s2[admissible]) - sums * sums / (end - admissible)
        total = best[admissible] + cost + pen
        i = int(np.argmin(total))
        best[end] = total[i]
        last[end] = admissible[i]
        admissible = admissible[total <= best[end] + pen]
    breaks, t = [], n
    while t > 0:
        breaks.append(int(t))
        t = int(last[t])
    return sorted(breaks)


def check_pelt(trials: int = 3, seed: int = 0) -> None:
    """Raise if :func:`_pelt_l2` and ruptures' Pelt disagree on small random signals."""
    import ruptures

    rng = np.random.default_rng(seed)
    for _ in range(trials):
        n = int(rng.integers(120, 300))
        r = rng.normal(size=n)
        a = int(rng.integers(0, n - 40))
        r[a : a + int(rng.integers(3, 40))] += rng.uniform(1, 6)
        for pen in (10 * np.log(n), 2.0):
            ours = _pelt_l2(r, pen)
            theirs = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(r).predict(pen=pen)
            if ours != theirs:
                raise AssertionError(f"PELT mismatch (n={n}, pen={pen}): {ours} != {theirs}")


def _residual(y: np.ndarray, per_day: int) -> np.ndarray:
    """Robust z-score of sqrt(y + 3/8) against the clock-time median (NaN where missing)."""
    clock = np.arange(len(y)) % per_day
    median = pd.Series(y).groupby(clock).median().reindex(range(per_day))
    expected = median.fillna(np.nanmedian(y)).to_numpy()[clock]
    r = np.sqrt(y + 0.375) - np.sqrt(expected + 0.375)
    seen = r[~np.isnan(r)]
    sd = 1.4826 * np.median(np.abs(seen - np.median(seen))) if len(seen) else 0.0
    if not sd > 0:
        sd = float(np.std(seen)) if len(seen) else 0.0
    return r / sd if sd > 0 else np.full_like(r, np.nan)


def pelt_outages(
    reports: pd.DataFrame, *, penalty: float | None = None, threshold: float = 3.0
) -> pd.DataFrame:
    """PELT peer: exact ``l2`` PELT (min_size 2, jump 1) on a variance-stabilised residual.

    Per region, the expected count of a bin is the median of the same UTC clock-time bin over
    all days of the frame (outages cover a minority of days); ``r = sqrt(y + 3/8) -
    sqrt(expected + 3/8)`` over the present bins, divided by its robust standard deviation
    (1.4826 x MAD; the plain one where the MAD is 0), is segmented with penalty ``penalty``
    (default ``10 log n``). Segments with mean above ``threshold`` are outages; adjacent ones
    are merged. No uncertainty.

    Parameters
    ----------
    reports : DataFrame
        A report frame (``time`` UTC, ``region``, ``reports``), bins regular per region.
    penalty : float, optional
        PELT penalty per change point.
    threshold : float
        Mean residual (robust sd units) a segment needs to count as an outage.

    Returns
    -------
    DataFrame
        ``region, start, end, duration`` (UTC; ``end`` is the end of the last bin).
    """
    rows = []
    for region, series in reports.groupby("region", sort=True):
        series = series.sort_values("time")
        times = pd.DatetimeIndex(series["time"])
        if len(times) < 8:
            continue
        width = times.to_series().diff().min()
        first = times[0].floor("D")
        index = ((times - first) // width).to_numpy()
        y = np.full(int(index[-1]) + 1, np.nan)
        y[index] = series["reports"].to_numpy(float)
        r = _residual(y, int(DAY // width))
        seen = np.flatnonzero(~np.isnan(r))
        if len(seen) < 8:
            continue
        z = r[seen]
        breaks = _pelt_l2(z, penalty if penalty is not None else 10 * np.log(len(z)))
        windows = high_segments(z, breaks, threshold)
        bin_start = first + seen * width
        rows += [
            {"region": region, "start": bin_start[a], "end": bin_start[b - 1] + width}
            for a, b in windows
        ]
    out = pd.DataFrame(rows, columns=["region", "start", "end"])
    out["duration"] = out["end"] - out["start"]
    return out


METHODS: Mapping[str, Callable[[pd.DataFrame], pd.DataFrame]] = MappingProxyType(
    {
        "estimate": analysis.estimate_outages,
        "threshold": analysis.threshold_outages,
        "binseg": analysis.changepoint_outages,
        "pelt": pelt_outages,
        # the estimator keeping events seen in one region only (run on request)
        "estimate_one_region": partial(analysis.estimate_outages, min_regions=1),
    }
)
#: The methods run by default: the estimator and its peers.
DEFAULT_METHODS = ("estimate", "threshold", "binseg", "pelt")


# ---------------------------------------------------------------------------- scoring
def _overlaps_label(scores: pd.DataFrame, labels: pd.DataFrame) -> np.ndarray:
    """Which score rows' estimated windows overlap a labelled window of their region."""
    out = np.zeros(len(scores), dtype=bool)
    if labels.empty:
        return out
    for i, (region, start, end) in enumerate(
        zip(scores["region"], scores["start"], scores["end"], strict=True)
    ):
        if pd.isna(start):
            continue
        mine = labels[labels["region"] == region]
        out[i] = bool(((mine["start"] < end) & (mine["end"] > start)).any())
    return out


def score_case(case: sf.StressCase, found: pd.DataFrame) -> pd.DataFrame:
    """Per-window scores of one method on one case, with the truth's flags joined back.

    Estimated windows are kept where they overlap the scored span. Adds to the rows of
    ``score_outages``: ``clear``, ``stands_out``, ``end_visible``, ``ratio``,
    ``design_ratio``, ``kind``, ``lag``, ``shape`` (by region and true start),
    ``start_width_min`` / ``end_width_min``
    (interval widths, minutes, where the method gives intervals) and ``labelled`` (a false
    window overlapping a labelled real anomaly).
    """
    lo, hi = case.scored_span
    found = found[(found["end"] > lo) & (found["start"] < hi)]
    columns = [c for c in ["region", "start", "end", *INTERVALS] if c in found.columns]
    scores = analysis.score_outages(found[columns], case.truth[["region", "start", "end"]])
    for what in ("start", "end"):  # float minutes, as every table here is in minutes
        scores[f"{what}_error_min"] = scores.pop(f"{what}_error") / MINUTE
    for column in ("true_start", "true_end", "start", "end"):
        scores[column] = pd.to_datetime(scores[column], utc=True).dt.as_unit("ns")
    flags = ["clear", "stands_out", "end_visible", "ratio", "design_ratio", "kind", "lag", "shape"]
    truth = case.truth[["region", "start", *flags]].rename(columns={"start": "true_start"})
    scores = scores.merge(truth, on=["region", "true_start"], how="left")
    scores["clear"] = scores["clear"].astype("boolean")
    scores["stands_out"] = scores["stands_out"].astype("boolean")
    if set(INTERVALS) <= set(found.columns) and len(found):
        widths = found.drop_duplicates(["region", "start", "end"]).assign(
            start_width_min=lambda d: (d["start_high"] - d["start_low"]) / MINUTE,
            end_width_min=lambda d: (d["end_high"] - d["end_low"]) / MINUTE,
        )[["region", "start", "end", "start_width_min", "end_width_min"]]
        widths["start"] = widths["start"].dt.as_unit("ns")
        widths["end"] = widths["end"].dt.as_unit("ns")
        scores = scores.merge(widths, on=["region", "start", "end"], how="left")
    else:
        scores["start_width_min"] = scores["end_width_min"] = np.nan
    scores["labelled"] = scores["false_alarm"].to_numpy() & _overlaps_label(
        scores, case.label_windows
    )
    return scores


# ---------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Settings:
    """What to run: families, cases per family, seed set, methods and the NAB folder."""

    families: tuple[str, ...]
    cases_simulated: int
    cases_real: int
    held_out: bool
    methods: tuple[str, ...]
    shared: Path


def tag(family: str, held_out: bool) -> str:
    """``dev`` or ``held out`` (and a warning when a family runs on the other seed set)."""
    if held_out:
        return "held out" if family in sf.HELD_OUT_FAMILIES else "not a held-out family"
    return "dev" if family in sf.DEV_FAMILIES else "not a dev family"


def run_case(family: str, number: int, settings: Settings) -> tuple[list[pd.DataFrame], list[dict]]:
    """Generate one case, run every method on it and score them; print a progress line."""
    seed = sf.case_seed(family, number, held_out=settings.held_out)
    freq = sf.case_freq(family, number)
    began = time.perf_counter()
    case = sf.make_case(family, seed, freq=freq, root=settings.shared)
    made = time.perf_counter() - began
    meta = {"family": family, "case": number, "seed": seed, "freq": freq}
    scores, timings, notes = [], [], []
    for method in settings.methods:
        began = time.perf_counter()
        try:
            found = METHODS[method](case.reports)
            error = ""
        except Exception as exc:  # a failing method is reported, not fatal
            found, error = None, f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - began
        timings.append(
            {
                **meta,
                "method": method,
                "seconds": seconds,
                "rows": len(case.reports),
                "series_days": case.series_days,
                "error": error,
            }
        )
        if found is None:
            notes.append(f"{method} FAILED ({error[:80]})")
            continue
        scored = score_case(case, found).assign(**meta, method=method)
        scores.append(scored)
        hits = int(scored["matched"].sum())
        notes.append(
            f"{method} {hits}/{len(case.truth)} hit, "
            f"{int(scored['false_alarm'].sum())} false, {seconds:.1f}s"
        )
    print(
        f"  [{family} {number + 1}] seed={seed} freq={freq} rows={len(case.reports):,} "
        f"regions={case.reports['region'].nunique()} true={len(case.truth)} "
        f"(made in {made:.2f}s) | " + "; ".join(notes),
        flush=True,
    )
    return scores, timings


# -------------------------------------------------------------------------- summaries
def _recall(true: pd.DataFrame, flag: str | None = None) -> float:
    if flag is not None:
        true = true[true[flag].fillna(False).astype(bool)]
    return float(true["matched"].mean()) if len(true) else np.nan


def summarize(scores: pd.DataFrame, timings: pd.DataFrame) -> pd.DataFrame:
    """One row per method: the benchmark's measures over the given scores and timings."""
    if scores.empty:  # every method failed on every case
        scores = pd.DataFrame(columns=[*SCORE_COLUMNS, "method"])
    rows = []
    for method, runs in timings.groupby("method", sort=False):
        s = scores[scores["method"] == method]
        true = s[s["true_start"].notna()]
        matched = s[s["matched"]]
        visible = matched[matched["end_visible"].fillna(False).astype(bool)]
        false = s[s["false_alarm"] & ~s["labelled"].astype(bool)]
        estimated = len(matched) + int(s["false_alarm"].sum())
        has_intervals = bool(matched["start_covered"].notna().any()) if len(matched) else False
        rows.append(
            {
                "method": method,
                "cases": len(runs),
                "true": len(true),
                "recall": _recall(true),
                "rec_clear": _recall(true, "clear"),
                "rec_stand": _recall(true, "stands_out"),
                "precision": len(matched) / estimated if estimated else np.nan,
                "false_per_100sd": 100 * len(false) / runs["series_days"].sum(),
                "excused": int(s["labelled"].sum()),
                "start_err_med": float(matched["start_error_min"].abs().median()),
                "end_err_med": float(matched["end_error_min"].abs().median()),
                "start_cov": matched["start_covered"].astype(float).mean()
                if has_intervals
                else np.nan,
                "start_width": matched["start_width_min"].median() if has_intervals else np.nan,
                "end_cov": matched["end_covered"].astype(float).mean() if has_intervals else np.nan,
                "end_width": matched["end_width_min"].median() if has_intervals else np.nan,
                "end_err_vis": float(visible["end_error_min"].abs().median()),
                "end_cov_vis": visible["end_covered"].astype(float).mean()
                if has_intervals
                else np.nan,
                "rows_per_s": runs["rows"].sum() / runs["seconds"].sum(),
                "seconds": runs["seconds"].sum(),
                "errors": int((runs["error"] != "").sum()),
            }
        )
    return pd.DataFrame(rows)


def paired_errors(scores: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Median absolute start and end errors (minutes) of ``reference`` and of each other
    method over the true windows that both found, per family and over all: a method that
    finds only the easy windows is not credited with their small errors.

    Examples
    --------
    >>> rows = [("a", 0, "estimate", 1.0, 2.0), ("a", 0, "pelt", 3.0, 6.0),
    ...         ("a", 1, "estimate", 5.0, 5.0)]  # the second window: the estimator's only
    >>> scores = pd.DataFrame(rows, columns=["family", "case", "method", "start_error_min",
    ...                                      "end_error_min"]).assign(
    ...     region="BRA", true_start=pd.Timestamp("2024-01-01", tz="UTC"), matched=True)
    >>> print(paired_errors(scores).to_string(index=False))
    family peer  windows  start  end  peer_start  peer_end
         a pelt        1    1.0  2.0         3.0       6.0
       all pelt        1    1.0  2.0         3.0       6.0
    """
    key = ["family", "case", "region", "true_start"]
    found = scores[scores["true_start"].notna() & scores["matched"].astype(bool)]
    errors = found[[*key, "method", "start_error_min", "end_error_min"]].copy()
    errors[["start_error_min", "end_error_min"]] = errors[
        ["start_error_min", "end_error_min"]
    ].abs()
    own = errors[errors["method"] == reference].drop(columns="method")
    rows = []
    for peer, theirs in errors[errors["method"] != reference].groupby("method", sort=False):
        both = own.merge(theirs.drop(columns="method"), on=key, suffixes=("", "_peer"))
        for family, g in [*both.groupby("family", sort=False), ("all", both)]:
            rows.append({"family": family, "peer": peer, "windows": len(g),
                         "start": g["start_error_min"].median(),
                         "end": g["end_error_min"].median(),
                         "peer_start": g["start_error_min_peer"].median(),
                         "peer_end": g["end_error_min_peer"].median()})  # fmt: skip
    return pd.DataFrame(rows)


def _fmt(value: float, spec: str = ".2f") -> str:
    return "-" if pd.isna(value) else format(value, spec)


def format_table(summary: pd.DataFrame, *, real: bool) -> str:
    """The summary as a fixed-width text table."""
    out = pd.DataFrame(
        {
            "method": summary["method"],
            "cases": summary["cases"],
            "true": summary["true"],
            "recall": summary["recall"].map(_fmt),
            "rec.clear": summary["rec_clear"].map(_fmt),
            "rec.stand": summary["rec_stand"].map(_fmt) if real else "-",
            "precision": summary["precision"].map(_fmt),
            "false/100sd": summary["false_per_100sd"].map(lambda v: _fmt(v, ".1f")),
            "|start|med": summary["start_err_med"].map(lambda v: _fmt(v, ".1f")),
            "|end|med": summary["end_err_med"].map(lambda v: _fmt(v, ".1f")),
            "start cov (width)": [
                "-" if pd.isna(c) else f"{c:.2f} ({w:.0f})"
                for c, w in zip(summary["start_cov"], summary["start_width"], strict=True)
            ],
            "end cov (width)": [
                "-" if pd.isna(c) else f"{c:.2f} ({w:.0f})"
                for c, w in zip(summary["end_cov"], summary["end_width"], strict=True)
            ],
            "|end|vis": summary["end_err_vis"].map(lambda v: _fmt(v, ".1f")),
            "end cov vis": summary["end_cov_vis"].map(_fmt),
            "rows/s": summary["rows_per_s"].map(lambda v: _fmt(v, ",.0f")),
        }
    )
    if real:
        out.insert(8, "excused", summary["excused"])
    if summary["errors"].any():
        out["errors"] = summary["errors"]
    return out.to_string(index=False)


def _write(scores: pd.DataFrame, path: Path) -> None:
    """All per-window scores: Parquet (``.parquet``), JSON lines (``.json``) or CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        scores.to_parquet(path, index=False)
    elif path.suffix in (".json", ".jsonl"):
        scores.to_json(path, orient="records", lines=True, date_format="iso")
    else:
        scores.to_csv(path, index=False)


# ------------------------------------------------------------------------------- main
def _parse(argv: list[str] | None) -> tuple[Settings, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--dev", action="store_true", help="dev families and seeds (20,000+)")
    seeds.add_argument(
        "--held-out", action="store_true", help="held-out families and seeds (60,000+; the default)"
    )
    parser.add_argument("--families", help="comma-separated family names (default: the set's)")
    parser.add_argument("--cases", type=int, help="cases per family (default 8 simulated, 6 real)")
    parser.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated, from {','.join(METHODS)}",
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the NAB folder (realTweets/, labels/)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="OUT",
        help="write all per-window scores (.parquet, .json or .csv)",
    )
    args = parser.parse_args(argv)
    held_out = not args.dev
    default = sf.HELD_OUT_FAMILIES if held_out else sf.DEV_FAMILIES
    families = tuple(args.families.split(",")) if args.families else default
    methods = tuple(args.methods.split(","))
    for name, known in (("family", sf.FAMILIES), ("method", METHODS)):
        bad = [x for x in (families if name == "family" else methods) if x not in known]
        if bad:
            parser.error(f"unknown {name} {bad}; choose from {', '.join(known)}")
    settings = Settings(families, args.cases or 8, args.cases or 6, held_out, methods, args.shared)
    return settings, args.json


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its tables (see the module docstring)."""
    settings, out = _parse(argv)
    if "pelt" in settings.methods:
        check_pelt()
    all_scores, all_timings = [], []
    for family in settings.families:
        if family == "real_tweets" and not (settings.shared / "realTweets").is_dir():
            print(f"\n== real_tweets: skipped, no {settings.shared / 'realTweets'}", flush=True)
            continue
        real = family == "real_tweets"
        n = settings.cases_real if real else settings.cases_simulated
        print(f"\n== {family} [{tag(family, settings.held_out)}], {n} cases", flush=True)
        scores, timings = [], []
        for number in range(n):
            s, t = run_case(family, number, settings)
            scores += s
            timings += t
        scores_frame = pd.concat(scores, ignore_index=True) if scores else pd.DataFrame()
        timings_frame = pd.DataFrame(timings)
        print(format_table(summarize(scores_frame, timings_frame), real=real), flush=True)
        all_scores.append(scores_frame)
        all_timings.append(timings_frame)
    if not all_timings:
        return
    scores = pd.concat(all_scores, ignore_index=True)
    timings = pd.concat(all_timings, ignore_index=True)
    seeds = "held-out" if settings.held_out else "dev"
    print(f"\n== overall ({seeds} seeds; {', '.join(settings.families)})")
    print(format_table(summarize(scores, timings), real="real_tweets" in settings.families))
    if REFERENCE in settings.methods and len(scores):
        print(f"\n== {REFERENCE}: 90% interval coverage, with its 90% Monte-Carlo interval, "
              f"against {COVERAGE_TARGET[0]:.2f}-{COVERAGE_TARGET[1]:.2f}")  # fmt: skip
        print(coverage_check(scores).to_string(index=False))
        print(f"\n== {REFERENCE} against issue 12's targets (~: within the Monte-Carlo error)")
        print(format_targets(target_check(scores, timings, REFERENCE)))
    paired = paired_errors(scores)
    if not paired.empty:
        print(f"\n== median |error| (min) on the true windows both found: {REFERENCE} / peer")
        print(paired.round(1).to_string(index=False))
    print(
        "\ntotal wall time per method (s): "
        + ", ".join(
            f"{m} {s:.1f}"
            for m, s in timings.groupby("method", sort=False)["seconds"].sum().items()
        )
    )
    if out is not None:
        _write(scores, out)
        print(f"wrote {len(scores):,} score rows to {out}")


if __name__ == "__main__":
    main()
