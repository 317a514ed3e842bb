"""Outages that show as drops: traffic, reachability and usage signals (kind ``level``).

An IODA active-probing or BGP signal, a Cloudflare-Radar traffic series or an app's own usage
metric *falls* while a service or a network is down, at once (no reporting lag) and by a
share of its normal value. Per series:

1. **Baseline and noise.** The expected value ``b`` per bin is the series' baseline
   (:func:`analysis.baseline.series_baselines`, time of day x day kind). The noise is
   relative: ``r = y / b`` scatters around 1 with a standard deviation ``sigma`` estimated
   robustly (1.4826 x the median absolute deviation of ``r``) over the whole series, outages
   and all.
2. **Candidates.** Stretches where ``r`` stays below ``1 - DROP_Z * sigma`` and below
   ``1 - MIN_DEPTH`` (bins closer than ``MERGE_BINS`` joined).
3. **Fit.** Around each candidate, ``r_t = 1 - d c_t + noise``, where ``c_t`` is the share of
   bin ``t`` inside the outage ``[start, end)``; ``d`` (the depth: the share of the normal
   signal lost) is profiled out by least squares, and start and end are searched on a grid
   of a tenth of a bin, so both are placed within bins.
4. **Intervals and test.** Start and end intervals are the profile-likelihood intervals
   (Gaussian noise of ``sigma``: the times where twice the log-likelihood stays within the
   chi-square quantile of the best), never narrower than a uniform position within a bin;
   the depth's is ``d +- z sigma / sqrt(sum c**2)``. A window is kept where the likelihood
   ratio against no drop reaches ``min_lr``.

Assumptions: the signal's daily pattern repeats (as for report counts), the drop is a step
(down at once, back at once, constant depth in between) and the noise is independent
between bins. A partial recovery widens the end interval rather than biasing the start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.baseline import SeriesBaseline
from analysis.detect.candidates import merge_flags
from analysis.schema import LEVEL

__all__ = ["DROP_COLUMNS", "MIN_DEPTH", "DropFit", "drop_windows"]

#: Shallowest drop (share of the normal signal) that a candidate needs.
MIN_DEPTH = 0.1
#: Robust standard deviations below normal that a candidate needs.
DROP_Z = 4.0
#: Bins of normal signal between two low stretches that still make one candidate.
MERGE_BINS = 2
#: Sub-steps per bin of the start and end grid.
SUBSTEPS = 10
#: Bins searched on each side of a candidate for its start and end.
SEARCH_BINS = 4
#: Columns a drop adds to the windows table.
DROP_COLUMNS = ["depth", "depth_low", "depth_high"]


def relative_noise(base: SeriesBaseline) -> float:
    """Robust standard deviation of ``observed / expected`` over the series (at least 1e-3).

    Examples
    --------
    >>> t = pd.date_range("2017-05-01", periods=4, freq="1h", tz="UTC")
    >>> base = SeriesBaseline(t, np.array([99.0, 101, 100, 102]), np.full(4, 100.0), 1e3,
    ...                       pd.Timedelta("1h"), 3, False)
    >>> round(relative_noise(base), 4)
    0.0148
    """
    r = base.observed / base.expected
    r = r[np.isfinite(r)]
    mad = np.median(np.abs(r - np.median(r))) if len(r) else 0.0
    return max(1.4826 * float(mad), 1e-3)


def drop_candidates(base: SeriesBaseline, sigma: float) -> list[tuple[int, int]]:
    """(first, last) bin indices of stretches low enough to be a drop."""
    r = base.observed / base.expected
    low = np.nan_to_num(r, nan=1.0) < min(1 - DROP_Z * sigma, 1 - MIN_DEPTH)
    return merge_flags(low, MERGE_BINS * base.width, base.width)


def _coverage(edges: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Share of each bin [edges[i], edges[i+1]) inside [start, end), for every pair (start,
    end) given (arrays of one shape; result has that shape plus one axis of bins)."""
    lo, hi = edges[:-1], edges[1:]
    inside = np.minimum(hi, ends[..., None]) - np.maximum(lo, starts[..., None])
    return np.clip(inside / (hi - lo), 0.0, 1.0)


@dataclass(frozen=True)
class DropFit:
    """A step fitted to a drop; times in bins from the fitted range's first bin."""

    start: float
    end: float
    depth: float
    depth_se: float
    lr: float
    offset: int  # the fitted range's first bin, as an index into the series
    grid_s: np.ndarray  # the start grid (bins)
    grid_e: np.ndarray  # the end grid (bins)
    loglik: np.ndarray  # log-likelihood over (start, end) on the grids

    def to_frame(self) -> pd.DataFrame:
        """The fit's scalars as a one-row frame."""
        names = ("start", "end", "depth", "depth_se", "lr", "offset")
        return pd.DataFrame([{k: getattr(self, k) for k in names}])


def fit_drop(base: SeriesBaseline, first: int, last: int, sigma: float) -> DropFit | None:
    """Least-squares step fit around bins ``first..last`` (see the module notes); None where
    the range holds too few observed bins."""
    a = max(0, first - SEARCH_BINS - 2)
    b = min(len(base.times), last + SEARCH_BINS + 3)
    r = base.observed[a:b] / base.expected[a:b]
    seen = np.isfinite(r)
    if seen.sum() < 4:
        return None
    deficit = np.where(seen, 1 - r, 0.0)
    edges = np.arange(b - a + 1, dtype=float)
    grid_s = np.arange((first - a - SEARCH_BINS) * SUBSTEPS, (first - a + 1) * SUBSTEPS + 1)
    grid_e = np.arange((last - a) * SUBSTEPS, (last - a + SEARCH_BINS + 1) * SUBSTEPS + 1)
    s, e = np.meshgrid(grid_s / SUBSTEPS, grid_e / SUBSTEPS, indexing="ij")
    c = _coverage(edges, s, e) * seen
    cc = np.einsum("...i,...i->...", c, c)
    depth = np.where(cc > 0, np.einsum("...i,i->...", c, deficit) / np.where(cc > 0, cc, 1), 0)
    sse = np.sum((deficit - depth[..., None] * c) ** 2 * seen, axis=-1)
    sse = np.where((e > s) & (depth > 0), sse, np.inf)
    i, j = np.unravel_index(np.argmin(sse), sse.shape)
    loglik = -sse / (2 * sigma**2)
    null = -float(np.sum(deficit**2 * seen)) / (2 * sigma**2)
    return DropFit(
        start=float(s[i, j]), end=float(e[i, j]), depth=float(depth[i, j]),
        depth_se=float(sigma / np.sqrt(cc[i, j])), lr=float(2 * (loglik[i, j] - null)),
        offset=a, grid_s=s[:, 0], grid_e=e[0], loglik=loglik,
    )  # fmt: skip


def _profile_interval(grid: np.ndarray, profile: np.ndarray, top: float, cut: float) -> tuple:
    """The grid's span where the profile log-likelihood stays within ``cut`` of ``top``."""
    inside = grid[profile >= top - cut]
    return float(inside.min()), float(inside.max())


def drop_row(base: SeriesBaseline, fit: DropFit, *, level: float) -> dict:
    """The windows-table row of a fitted drop (times UTC; intervals at ``level``)."""
    zq = stats.norm.ppf(0.5 + level / 2)
    cut = stats.chi2.ppf(level, 1) / 2
    top = fit.loglik.max()  # the best fit's
    in_bin = zq / np.sqrt(12)  # bins: a uniform position within a bin, at ``level``
    s_lo, s_hi = _profile_interval(fit.grid_s, fit.loglik.max(axis=1), top, cut)
    e_lo, e_hi = _profile_interval(fit.grid_e, fit.loglik.max(axis=0), top, cut)
    # the duration's: over every (start, end) pair within the cut, not the intervals' ends
    durations = (fit.grid_e[None, :] - fit.grid_s[:, None])[fit.loglik >= top - cut]
    d_lo = min(durations.min(), fit.end - fit.start - np.sqrt(2) * in_bin)
    d_hi = max(durations.max(), fit.end - fit.start + np.sqrt(2) * in_bin)
    origin, width = base.times[fit.offset], base.width

    def at(x: float) -> pd.Timestamp:
        return (origin + x * width).round("s")

    start, end = at(fit.start), at(fit.end)
    inside = slice(fit.offset + int(fit.start), fit.offset + int(np.ceil(fit.end)))
    observed, expected = base.observed[inside], base.expected[inside]
    lowest = int(np.nanargmin(observed / expected))
    return {
        "start": start, "end": end, "duration": end - start,
        "duration_low": max(d_lo * width, pd.Timedelta(0)).round("s"),
        "duration_high": (d_hi * width).round("s"),
        "start_low": at(min(s_lo, fit.start - in_bin)),
        "start_high": at(max(s_hi, fit.start + in_bin)),
        "end_low": at(min(e_lo, fit.end - in_bin)),
        "end_high": at(max(e_hi, fit.end + in_bin)),
        "level": level, "peak_time": base.times[inside][lowest],
        "peak_reports": float(observed[lowest]),
        "excess_reports": float(np.nansum(observed - expected)), "estimate": "region",
        "lr_stat": fit.lr, "weak_baseline": base.weak, "depth": fit.depth,
        "depth_low": max(fit.depth - zq * fit.depth_se, 0.0),
        "depth_high": min(fit.depth + zq * fit.depth_se, 1.0),
    }  # fmt: skip


def drop_windows(base: SeriesBaseline, *, level: float = LEVEL, min_lr: float = 30.0) -> list[dict]:
    """The drops of one ``level`` series, as windows-table rows (without key columns).

    Parameters
    ----------
    base : SeriesBaseline
        The series and its baseline.
    level : float
        Confidence level of the intervals.
    min_lr : float
        Likelihood-ratio statistic a drop needs to be kept.

    Returns
    -------
    list of dict
        One row per drop (see :data:`DROP_COLUMNS` for what a drop adds).

    Examples
    --------
    >>> t = pd.date_range("2017-05-01", periods=96 * 4, freq="15min", tz="UTC")
    >>> y = 100 * (1 + 0.01 * np.random.default_rng(0).standard_normal(len(t)))
    >>> y[300:308] *= 0.4  # 2 hours at 40% of normal
    >>> base = SeriesBaseline(t, y, np.full(len(t), 100.0), 1e3, pd.Timedelta("15min"), 4,
    ...                       False)
    >>> [(str(w["start"]), round(w["depth"], 2)) for w in drop_windows(base)]
    [('2017-05-04 03:00:00+00:00', 0.6)]
    """
    sigma = relative_noise(base)
    rows = []
    for first, last in drop_candidates(base, sigma):
        fit = fit_drop(base, first, last, sigma)
        if fit is not None and fit.lr >= min_lr:
            rows.append(drop_row(base, fit, level=level))
    return rows
