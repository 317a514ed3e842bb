"""The expected number of reports per region and bin, with a prediction band.

Method (per series, i.e. per service and region):

1. The series is laid on its regular grid (missing bins stay missing) and smoothed with a
   centred moving average over ``smooth`` (1 hour by default), or over a longer window that
   holds about 10 reports on average where counts are sparse (small countries), ignoring
   missing bins.
2. The grid is cut into local days (the country's reference time zone, so daylight-saving
   changes are followed). For each local time of day, the expected rate is a *trimmed mean*
   across days of the same kind (weekday or weekend): the highest and lowest ``trim`` share
   of days (at least one each from three days up) are dropped, so one or two earlier
   outages, bursts or gaps in the history do not move the baseline.
   Each day is then scaled by its own level (the median over the day of the smoothed rate
   over the profile), which follows day-to-day and slow drifts in volume; an outage covering
   less than half of a day does not move it. A day whose level shifts for good within it
   (the days either side differ by 30% or more, its own level lies between theirs, and the
   medians either side of the day's best split match them within 5%) takes each side's
   level from its split: one level would leave the hours on the minority side standing out
   like an outage until the day ends. The level is kept within :data:`LEVEL_RANGE` (0.2-5),
   and rows whose level was clipped are flagged ``level_clipped``. Sparse series get no
   level.
3. With fewer than ``min_days`` days of history (down to one day; days observed at the
   median time of day, so that a stray bin does not count as a day), the baseline is instead a
   centred rolling median over ``fallback_window`` (12 hours) of the smoothed rate, which an
   outage shorter than half that window does not move, kept within the range of the days'
   rates at the same time of day where two days are seen (the median alone lies below a
   daily peak and above a trough); such rows are flagged ``weak_baseline``. Where a day kind
   has too few days, all days are pooled, except that a kind seen on two days (one weekend)
   takes a profile from those two days where they show a shape of their own: both lie beyond
   every day of the other kind over 30% of the day or more (a weekend that wakes later).
4. Counts around the expected rate are taken as negative binomial; its size (dispersion) is
   estimated per series by the method of moments from the residuals of bins whose smoothed
   rate is not anomalous and whose expected count is 2 or more (sparse series: Poisson), and
   the band is its central ``level`` interval.

Assumptions: the daily pattern repeats (up to a day-kind effect and a daily level) and
outages cover a minority of the days at any time of day and less than half of any day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

from analysis.schema import LEVEL, ReportDataError, iter_series, validate_reports, width_text

__all__ = [
    "PROFILE_DAYS",
    "WIDTHS",
    "SeriesBaseline",
    "check_width",
    "expected_reports",
    "fitted_baselines",
    "series_baseline",
    "series_baselines",
    "weak_baseline_note",
]

DAY = pd.Timedelta("1D")
#: Fewest days of history for a profile of the day (the default ``min_days``); below it the
#: baseline is a rolling median, flagged ``weak_baseline``.
PROFILE_DAYS = 3
#: Share of the times of day at which both days of a kind seen on two days must lie beyond
#: every day of the other kind for the kind to take a profile of its own (see
#: ``_two_day_kind``). Where the shapes do not differ, noise puts two days beyond five at
#: about 1 time of day in 20 (2/42); over 61 series of three stress families with one
#: weekend the share reached 0.23 at most, while weekends that wake 2-4 hours later
#: (``weekend_shape``, 65 series) had 0.33 and up.
KIND_SHARE = 0.3


@cache
def _zones() -> dict[str, str]:
    from analysis.io import load_countries

    countries = load_countries()
    return dict(zip(countries["iso3"], countries["timezone"], strict=True))


def region_zone(region: str) -> str:
    """The reference IANA zone of a region (``UTC`` for ``WLD`` and unknown regions)."""
    return _zones().get(region, "UTC")


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


def _trimmed_mean(matrix: np.ndarray, trim: float) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise mean after dropping the ``trim`` share of highest and lowest values, and at
    least one at each end from three values up (so a single outage day never counts); NaNs
    ignored. Also returns the number of values per column."""
    ordered = np.sort(matrix, axis=0)  # NaN sort last
    n = np.sum(~np.isnan(matrix), axis=0)
    cut = np.maximum(np.floor(trim * n), np.where(n >= 3, 1, 0)).astype(int)
    rank = np.arange(matrix.shape[0])[:, None]
    keep = (rank >= cut) & (rank < n - cut)
    total = np.where(keep, np.nan_to_num(ordered), 0.0).sum(axis=0)
    count = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), n


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
    """Baseline of one regular series (see the module docstring for the method).

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
        expected = _within_days(expected.to_numpy(), rate, per_day)
    else:
        with_level = span * width <= pd.Timedelta("2h")  # counts dense enough for a level
        expected, clipped = _by_time_of_day(rate, grid, width, zone, trim, with_level)
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


#: Columns :func:`expected_reports` adds to the report frame.
EXPECTED_COLUMNS = ("expected", "lower", "upper", "history_days", "weak_baseline", "level_clipped")

#: Range a day's level may take (its median rate over the profile). It never bound on the
#: ten NAB Twitter series (570 series-days) or on 3,336 series-days of five stress families;
#: it keeps an outage or a gap over most of a day from becoming the day's normal (and a day
#: of zeros from an expectation of 0); where it binds, ``level_clipped`` says so.
LEVEL_RANGE = (0.2, 5.0)


def _by_time_of_day(
    rates: np.ndarray,
    grid: pd.DatetimeIndex,
    width: pd.Timedelta,
    zone: str,
    trim: float,
    with_level: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Trimmed mean over local days of the same kind, for every local time of day, times the
    day's level (when ``with_level``), and per bin whether its day's level was clipped to
    :data:`LEVEL_RANGE`.

    Bins are placed by *local* wall-clock time, so the profile follows daylight-saving
    changes; a bin repeated when clocks go back keeps the later value in the profile table.
    A day's level is the median over its bins of the smoothed rate over the profile: an
    outage covering less than half of the day does not move it.
    """
    seconds = grid.tz_convert(zone).tz_localize(None).as_unit("s").asi8
    first_day = seconds.min() // 86_400
    day = seconds // 86_400 - first_day
    slot = (seconds % 86_400) // int(width.total_seconds())
    weekend_day = ((np.arange(day.max() + 1) + first_day + 3) % 7) >= 5
    table = np.full((day.max() + 1, int(DAY / width)), np.nan)
    level = np.ones(day.max() + 1)
    passes = 2 if with_level else 1
    for step in range(passes):
        table[day, slot] = rates / level[day]
        pooled, _ = _trimmed_mean(table, trim)
        profile = {}
        for kind in (False, True):
            mean, n = _trimmed_mean(np.where(weekend_day[:, None] == kind, table, np.nan), trim)
            profile[kind] = np.where(n >= 3, mean, pooled)  # 3+: robust to one outage day
            if step == passes - 1:  # on days scaled to their level: shapes, not volumes
                profile[kind] = _two_day_kind(table, weekend_day == kind, profile[kind])
        expected = np.where(weekend_day[day], profile[True][slot], profile[False][slot])
        if with_level:
            with np.errstate(invalid="ignore", divide="ignore"):
                by_day = pd.Series(rates / expected).groupby(day)
                ratio = by_day.median()
            # a day seen for less than half of it (the series' edges) takes its neighbour's
            # level: an outage would dominate the median of a few hours
            ratio[by_day.count() < table.shape[1] / 2] = np.nan
            ratio = ratio.reindex(range(day.max() + 1)).ffill().bfill().fillna(1.0)
            level = ratio.clip(*LEVEL_RANGE).to_numpy()
    if not with_level:
        return expected, np.zeros(len(day), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_bin = _shifted_levels(rates / expected, day, ratio.to_numpy())
    outside = (per_bin < LEVEL_RANGE[0]) | (per_bin > LEVEL_RANGE[1])
    return expected * per_bin.clip(*LEVEL_RANGE), outside


def _within_days(expected: np.ndarray, rate: np.ndarray, per_day: int) -> np.ndarray:
    """A short history's rolling median brought within the range of the days' smoothed
    rates at the same time of day (UTC), where two or more days are seen there.

    The rolling median of a short history lies below the day's peak and above its trough
    (at the peak of a daily cycle of +-50%, 10% below it), so with a day of history every
    region's afternoon stood over its baseline, and regions that no outage hit borrowed an
    outage's window. A day's value at the same time of day bounds it instead: an outage on
    one of the days does not move the bound past the other day's value.

    >>> rate = np.array([1.0, 3.0, 2.0, 1.2, 2.8, 6.0])  # two days of three bins
    >>> _within_days(np.array([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]), rate, 3)
    array([1.2, 2.8, 2. , 1.2, 2.8, 2. ])
    """
    low, high, seen = _day_range(rate.reshape(-1, per_day))
    by_day = expected.reshape(-1, per_day)
    return np.where(seen >= 2, np.clip(by_day, low, high), by_day).ravel()


def _day_range(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest and highest value at each time of day (column) over the days (rows) of
    ``table``, NaNs ignored, and how many days are seen there."""
    with np.errstate(invalid="ignore"):
        low, high = np.fmin.reduce(table, axis=0), np.fmax.reduce(table, axis=0)
    return low, high, np.sum(~np.isnan(table), axis=0)


def _two_day_kind(table: np.ndarray, mine: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """The profile of a day kind seen on exactly two days (one weekend of history), where the
    other kind has three or more.

    The kind has a shape of its own when, over at least :data:`KIND_SHARE` of the times of
    day (of half a day or more where it has two days), *both* its days lie beyond every day
    of the other kind: a weekend that wakes later. Then at each time of day its profile is
    the mean of its two days, or, where they differ by more than the other kind's days do
    (an outage on one), ``profile`` (the pooled one) brought within their range. Otherwise
    ``profile`` stands: noise puts two days beyond five others at about one time of day
    in twenty.

    Examples
    --------
    Three weekdays that rise through the day, and a weekend that falls, with an outage on
    Sunday at the fifth time of day (which takes the weekdays' profile, within the weekend's
    range):

    >>> rise = np.linspace(1, 2, 6)
    >>> sunday = [2.1, 1.9, 1.4, 1.3, 9.0, 1.0]
    >>> table = np.vstack([rise, rise + 0.1, rise - 0.1, rise[::-1], sunday])
    >>> weekend = np.array([False, False, False, True, True])
    >>> _two_day_kind(table, weekend, table[:3].mean(axis=0)).round(2)
    array([2.05, 1.85, 1.5 , 1.35, 1.8 , 1.  ])
    """
    low, high, seen = _day_range(np.where(mine[:, None], table, np.nan))
    other_low, other_high, other_seen = _day_range(np.where(mine[:, None], np.nan, table))
    usable = (seen == 2) & (other_seen >= 3)
    beyond = usable & ((low > other_high) | (high < other_low))
    if usable.mean() < 0.5 or beyond.sum() < KIND_SHARE * usable.sum():
        return profile
    agree = high - low <= other_high - other_low
    value = np.where(agree, (low + high) / 2, np.clip(profile, low, high))
    return np.where(usable, value, profile)


#: A day whose level shifts for good within it: its neighbours' levels differ by at least
#: ``SHIFT_MIN`` (30%), its own lies between theirs, and the median ratio to the profile on
#: either side of the day's best split lies within ``SHIFT_MATCH`` (5%) of the neighbour's
#: level on that side.
SHIFT_MIN = 0.3
SHIFT_MATCH = 0.05


def _shifted_levels(ratio: np.ndarray, day: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Per-bin level: its day's (``level``, before any clipping), except on a day whose level
    shifts for good within it (see :data:`SHIFT_MIN`), which takes the level of each side of
    its split. One level for such a day is the majority side's, and the other side would
    stand out as an outage (or a dip) until the day ends, or from its start.

    ``ratio``: per bin, the smoothed rate over the profile; ``day``: per bin, its day.

    Examples
    --------
    >>> day = np.repeat([0, 1, 2], 24)
    >>> ratio = np.r_[np.ones(24), np.ones(10), np.full(14, 1.5), np.full(24, 1.5)]
    >>> levels = _shifted_levels(ratio, day, np.array([1.0, 1.5, 1.5]))
    >>> levels[24:48].tolist() == [1.0] * 10 + [1.5] * 14
    True
    """
    out = level[day].astype(float)
    edges = np.searchsorted(day, np.arange(len(level) + 1))
    for d in range(1, len(level) - 1):
        before, after = level[d - 1], level[d + 1]
        low, high = sorted((before, after))
        between = low / (1 + SHIFT_MATCH) <= level[d] <= high * (1 + SHIFT_MATCH)  # a mix
        if not between or abs(np.log(after / before)) < np.log1p(SHIFT_MIN):
            continue
        split = _best_split(ratio[edges[d] : edges[d + 1]])
        if split is None:
            continue
        at, first, second = split
        if _near(first, before) and _near(second, after):
            out[edges[d] : edges[d] + at] = first
            out[edges[d] + at : edges[d + 1]] = second
    return out


def _near(value: float, level: float) -> bool:
    """Whether ``value`` lies within :data:`SHIFT_MATCH` of ``level`` (as a ratio)."""
    return value > 0 and abs(np.log(value / level)) < np.log1p(SHIFT_MATCH)


def _best_split(r: np.ndarray) -> tuple[int, float, float] | None:
    """The split of one day's ratios whose two medians leave the least absolute deviation:
    ``(bin, median before, median after)``, or None where fewer than half the bins are seen.
    The ratios (of rates smoothed over an hour) are read at about 96 points of the day, and
    each side keeps at least an hour of them.

    Examples
    --------
    >>> _best_split(np.r_[np.ones(40), np.full(56, 2.0)])
    (40, 1.0, 2.0)
    """
    n = len(r)
    if np.isfinite(r).sum() < n / 2:
        return None
    step = max(n // 96, 1)
    points = r[::step]
    m, hour = len(points), max(len(points) // 24, 1)
    places = np.arange(hour, m - hour + 1)
    seen = np.cumsum(np.isfinite(points))
    if len(places):  # each side needs 3 points seen
        places = places[(seen[places - 1] >= 3) & (seen[-1] - seen[places - 1] >= 3)]
    if not len(places):
        return None
    before = np.arange(m)[None, :] < places[:, None]  # one row per split
    sides = [np.where(mask, points[None, :], np.nan) for mask in (before, ~before)]
    medians = [np.nanmedian(side, axis=1) for side in sides]
    cost = sum(
        np.nansum(np.abs(side - med[:, None]), axis=1)
        for side, med in zip(sides, medians, strict=True)
    )
    best = int(np.argmin(cost))
    return int(places[best]) * step, float(medians[0][best]), float(medians[1][best])


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


def expected_reports(
    reports: pd.DataFrame,
    *,
    level: float = LEVEL,
    smooth: str | pd.Timedelta = "1h",
    trim: float = 0.2,
    min_days: int = PROFILE_DAYS,
    fallback_window: str | pd.Timedelta = "12h",
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    check_input: bool = True,
) -> pd.DataFrame:
    """Expected reports per region and bin, with a prediction band.

    See the module docstring for the method: a time-of-day x day-kind (local weekday or
    weekend) profile from a trimmed mean over the history, robust to earlier outages; with
    less than ``min_days`` days of history, a rolling median, flagged ``weak_baseline``.

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here).
    level : float
        Coverage of the prediction band, in (0, 1).
    smooth : str or Timedelta
        Width of the moving average applied before profiling (default 1 hour).
    trim : float
        Share of days dropped at each end of the trimmed mean, in [0, 0.5).
    min_days : int
        Fewest days of history for the time-of-day profile.
    fallback_window : str or Timedelta
        Rolling-median window when history is short.
    baselines : mapping, optional
        The series' baselines, fitted once (:func:`series_baselines`) and handed along;
        ``smooth``, ``trim``, ``min_days`` and ``fallback_window`` are then those they
        were fitted with.
    check_input : bool
        Validate ``reports`` (:func:`~analysis.validate_reports`). ``False`` skips it, for
        a frame that has just been validated, as :class:`~analysis.study.Study` hands its
        own to each step (as scikit-learn's ``check_input``); a frame that is not valid then
        gives wrong results or obscure errors.

    Returns
    -------
    DataFrame
        The rows of ``reports`` (``time, region[, service], reports``) with ``expected``
        (float, reports per bin), ``lower`` and ``upper`` (the band), ``history_days``,
        ``weak_baseline`` and ``level_clipped`` (the day's level was clipped to
        :data:`LEVEL_RANGE`, so ``expected`` is not that day's own).

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.quiet(days=7, regions=("BRA",), freq="15min"), seed=1)
    >>> base = expected_reports(sim.reports)
    >>> float((base["reports"].sum() / base["expected"].sum()).round(1))
    1.0
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim}")
    reports = validate_reports(reports) if check_input else reports
    bases = fitted_baselines(
        reports, baselines, smooth=smooth, trim=trim, min_days=min_days,
        fallback_window=fallback_window,
    )  # fmt: skip
    parts = []
    for key, series, width in iter_series(reports):
        base = bases[key]
        at = ((series["time"] - base.times[0]) // width).to_numpy()
        lower, upper = base.band(level)
        parts.append(
            series.assign(
                expected=base.expected[at],
                lower=lower[at],
                upper=upper[at],
                history_days=base.history_days,
                weak_baseline=base.weak,
                level_clipped=False if base.level_clipped is None else base.level_clipped[at],
            )
        )
    return pd.concat(parts, ignore_index=True)


#: Finest and coarsest bin widths the baseline and the estimators accept.
WIDTHS = (pd.Timedelta("10s"), DAY)


def check_width(width: pd.Timedelta, key: tuple, source: str = "<DataFrame>") -> None:
    """Refuse a bin width the baseline cannot use, with a :class:`ReportDataError` naming
    the source, the series and the width: a single bin (no width), widths outside
    :data:`WIDTHS` (10 seconds to 1 day), and widths that do not divide a day (the baseline
    follows the time of day).

    Examples
    --------
    >>> try:
    ...     check_width(pd.Timedelta("7min"), ("BRA",), "reports.csv")
    ... except ReportDataError as err:
    ...     print(str(err)[:60])
    reports.csv: column 'time': series BRA: bins of 7 min do not
    """
    name = "/".join(key)
    if pd.isna(width):
        raise ReportDataError(source, f"series {name} has a single bin: no baseline can be "
                              "built", column="time")  # fmt: skip
    low, high = WIDTHS
    shown = width_text(width)
    if width < low or width > high:
        raise ReportDataError(
            source,
            f"series {name}: bins of {shown} are outside the {width_text(low)} to "
            f"{width_text(high)} that the analysis handles; resample them "
            "(resample_reports) to a width in that range",
            column="time",
        )
    if DAY % width:
        raise ReportDataError(
            source,
            f"series {name}: bins of {shown} do not divide a day; resample them to a width "
            "that does (e.g. resample_reports(reports, '5min') or '10min')",
            column="time",
        )


def _share(series: pd.DataFrame, key: tuple, source: str) -> np.ndarray | None:
    """The series' ``observed_share`` column, checked to lie in (0, 1], or None."""
    if "observed_share" not in series.columns:
        return None
    share = pd.to_numeric(series["observed_share"], errors="coerce").to_numpy(float)
    bad = ~((share > 0) & (share <= 1))
    if bad.any():
        raise ReportDataError(
            source,
            f"series {'/'.join(key)}: observed_share must be in (0, 1] "
            f"(first bad value {series['observed_share'].iloc[np.argmax(bad)]!r})",
            column="observed_share",
        )
    return share


def series_baselines(reports: pd.DataFrame, **options: object) -> dict[tuple, SeriesBaseline]:
    """:func:`series_baseline` of every series of a valid report frame, by series key.

    ``options`` are those of :func:`series_baseline`; each series' zone is its region's.

    Raises
    ------
    ReportDataError
        For a series with a single bin, or bins the baseline cannot use (see
        :func:`check_width`), naming the frame's source (``reports.attrs["source"]``).
    """
    out = {}
    source = reports.attrs.get("source", "<DataFrame>")
    for key, series, width in iter_series(reports):
        check_width(width, key, source)
        out[key] = series_baseline(
            series["time"], series["reports"].to_numpy(float), width,
            zone=region_zone(key[-1]), share=_share(series, key, source), **options,
        )  # fmt: skip
    return out


def fitted_baselines(
    reports: pd.DataFrame,
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    **options: object,
) -> dict[tuple, SeriesBaseline]:
    """The baselines of ``reports``' series: ``baselines`` where given (fitted once by
    :func:`series_baselines`, for instance by :class:`~analysis.study.Study`, and handed to
    each step), else fitted here with ``options`` (see :func:`series_baseline`).

    Raises
    ------
    ValueError
        If given ``baselines`` lack a series of ``reports``, or were fitted on another grid
        (first bin or bin width), so they belong to other data.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.quiet(days=4, regions=("BRA", "IND"), freq="1h"), seed=1)
    >>> once = series_baselines(sim.reports)
    >>> brazil = sim.reports[sim.reports["region"] == "BRA"]
    >>> fitted_baselines(brazil, once)[("whatsapp", "BRA")] is once[("whatsapp", "BRA")]
    True
    """
    if baselines is None:
        return series_baselines(reports, **options)
    out = {}
    for key, series, width in iter_series(reports):
        base = baselines.get(key)
        if base is None or base.width != width or base.times[0] != series["time"].min():
            why = "missing" if base is None else "on another grid"
            raise ValueError(f"the baselines given were not fitted to these reports: series "
                             f"{key} is {why}")  # fmt: skip
        out[key] = base
    return out


def weak_baseline_note(regions: Iterable[str], days: int | None = None) -> str:
    """The caveat of a weak baseline in words, one wording for the CLI and
    :meth:`~analysis.study.Study.notes`; ``days``: the days of data, where one region's.

    Examples
    --------
    >>> weak_baseline_note(["BRA", "MEX"]).split(":")[0]
    'Weak baseline in BRA, MEX'
    >>> weak_baseline_note(["BRA"], days=2)[:58]
    'Weak baseline in BRA: 2 day(s) of data, fewer than the 3 a'
    """
    history = (f"fewer than {PROFILE_DAYS} days of history" if days is None
               else f"{days} day(s) of data, fewer than the {PROFILE_DAYS} a profile of the "
               "day needs")  # fmt: skip
    return (f"Weak baseline in {', '.join(regions)}: {history}, so the expected signal is a "
            "rolling median over 12 hours: an outage longer than about 6 hours pulls it up, "
            "and the windows and excess there are rough.")  # fmt: skip
