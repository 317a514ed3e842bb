"""One series' baseline: its regular grid, smoothed rate, expected reports and dispersion
(the method is in :mod:`analysis.baseline`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.baseline.profile import DAY, by_time_of_day, within_days

#: Fewest days of history for a profile of the day (the default ``min_days``); below it the
#: baseline is a rolling median, flagged ``weak_baseline``.
PROFILE_DAYS = 3


@dataclass(frozen=True)
class SeriesBaseline:
    """The baseline of one series on its full regular grid.

    Attributes
    ----------
    times : DatetimeIndex
        Every bin start (UTC) from the series' first to its last bin.
    observed : ndarray of float
        Reports per bin, ``NaN`` where the bin is missing.
    expected : ndarray of float
        Expected reports per bin.
    dispersion : float
        Negative-binomial size of counts around ``expected``.
    width : Timedelta
        Bin width.
    history_days : int
        Days of data the baseline was built from.
    weak : bool
        True when the baseline fell back to the rolling median (too little history).
    level_clipped : ndarray of bool, optional
        Per bin: its day's level (the median ratio of the day's rate to the profile) lay
        outside :data:`LEVEL_RANGE` and was clipped to it, so the expected count there is
        not the day's own (``None``: no bin was).
    """

    times: pd.DatetimeIndex
    observed: np.ndarray
    expected: np.ndarray
    dispersion: float
    width: pd.Timedelta
    history_days: int
    weak: bool
    level_clipped: np.ndarray | None = None

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` prediction interval of the counts, per bin."""
        tail = (1 - level) / 2
        # evaluate the quantiles once per distinct mean, means rounded to 0.5% (a far finer
        # step than the quantiles of a count distribution can resolve)
        step = np.round(np.log(np.maximum(self.expected, 1e-12)) * 200)
        keys, where = np.unique(step, return_inverse=True)
        mu = np.exp(keys / 200)
        p = self.dispersion / (self.dispersion + mu)
        lower = stats.nbinom.ppf(tail, self.dispersion, p)
        upper = stats.nbinom.ppf(1 - tail, self.dispersion, p)
        return lower[where], upper[where]


def series_baseline(
    times: pd.Series | pd.DatetimeIndex,
    counts: np.ndarray,
    width: pd.Timedelta,
    *,
    zone: str = "UTC",
    smooth: str | pd.Timedelta = "1h",
    trim: float = 0.2,
    min_days: int = PROFILE_DAYS,
    fallback_window: str | pd.Timedelta = "12h",
    share: np.ndarray | None = None,
) -> SeriesBaseline:
    """Baseline of one regular series (the method is in :mod:`analysis.baseline`).

    Parameters
    ----------
    times : Series or DatetimeIndex
        Bin starts (UTC, sorted, on a grid of ``width``; gaps allowed).
    counts : ndarray
        Reports per bin.
    width : Timedelta
        Bin width; must divide one day.
    zone : str
        IANA zone whose local weekday decides weekday vs weekend.
    smooth, trim, min_days, fallback_window
        As in :func:`expected_reports`.
    share : ndarray, optional
        The observed share of each bin, in (0, 1] (``observed_share`` of a resampled or
        aggregated frame): the rates are built from ``counts / share`` and the expected
        reports of a bin are its share of the full bin's.

    Returns
    -------
    SeriesBaseline
    """
    width = pd.Timedelta(width)
    if DAY % width:
        raise ValueError(f"the bin width {width} must divide one day for a daily baseline")
    times = pd.DatetimeIndex(times)
    # the grid keeps the bins' own phase (NAB stamps fall at :x2:53; an hourly export in
    # India's time at half past each UTC hour): whole days from the bin starting in the first
    # day's first ``width`` after midnight
    phase = (times[0] - times[0].floor("D")) % width
    first = times[0].floor("D") + phase
    last = (times[-1] - phase).floor("D") + DAY + phase
    grid = pd.date_range(first, last, freq=width, inclusive="left")
    per_day = int(DAY / width)
    at = ((times - first) // width).to_numpy()
    y = np.full(len(grid), np.nan)
    y[at] = counts
    observed_share = np.ones(len(grid))
    if share is not None:
        observed_share[at] = share
        y = y / observed_share  # the full bin's reports, for the rates
    # at least ``smooth``, and long enough to hold about 10 reports on average, so that sparse
    # series (small countries) get a usable rate rather than a trimmed mean of zeros
    mean_rate = np.nanmean(y) if np.any(y > 0) else 0.0
    span = max(1, int(pd.Timedelta(smooth) / width))
    if mean_rate > 0:
        span = max(span, min(int(np.ceil(10 / mean_rate)), len(y)))
    filled = pd.Series(y)
    rate = (
        filled.rolling(span, center=True, min_periods=1).sum()
        / filled.notna().astype(float).rolling(span, center=True, min_periods=1).sum()
    ).to_numpy()
    days = y.reshape(-1, per_day)
    observed_days = int((~np.isnan(days)).any(axis=1).sum())
    # a profile needs ``min_days`` days at a typical time of day: a stray bin before two
    # whole days does not make three, which would leave the trimmed mean untrimmed
    weak = float(np.median((~np.isnan(days)).sum(axis=0))) < min_days
    clipped = np.zeros(len(rate), dtype=bool)
    if weak:
        window = max(3, round(pd.Timedelta(fallback_window) / width))
        expected = pd.Series(rate).rolling(window, center=True, min_periods=1).median()
        expected = within_days(expected.to_numpy(), rate, per_day)
    else:
        with_level = span * width <= pd.Timedelta("2h")  # counts dense enough for a level
        expected, clipped = by_time_of_day(rate, grid, width, zone, trim, with_level)
    expected = np.where(np.isnan(expected), np.nanmean(rate), expected)
    expected = np.maximum(expected, 1e-9)
    k = _dispersion(y, rate, expected)
    y, expected = y * observed_share, expected * observed_share
    start = int((times[0] - first) // width)
    stop = int((times[-1] - first) // width) + 1
    return SeriesBaseline(
        times=grid[start:stop],
        observed=y[start:stop],
        expected=expected[start:stop],
        dispersion=k,
        width=width,
        history_days=observed_days,
        weak=weak,
        level_clipped=clipped[start:stop] if clipped[start:stop].any() else None,
    )


def _dispersion(y: np.ndarray, rate: np.ndarray, expected: np.ndarray) -> float:
    """Negative-binomial size by moments, from bins whose smoothed rate looks normal and whose
    expected count is at least 2. Below that the negative binomial is Poisson for any size,
    and in sparse series the moments would measure the baseline's coarseness instead: with
    fewer than 100 such bins the counts are taken as Poisson (size 1000)."""
    ok = ~np.isnan(y) & (rate < 2 * expected + 3 * np.sqrt(expected) + 1) & (expected >= 2)
    if ok.sum() < 100:
        return 1000.0
    mu = expected[ok]
    extra = np.sum((y[ok] - mu) ** 2 - mu) / np.sum(mu**2)
    return float(np.clip(1 / extra if extra > 0 else 1000.0, 0.5, 1000.0))
