"""The profile of the day: a trimmed mean over local days of the same kind for every time
of day, scaled by each day's level, and the short history's rolling median kept within the
days' range (steps 2 and 3 of :mod:`analysis.baseline`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.baseline.shifts import shifted_levels

DAY = pd.Timedelta("1D")

#: Share of the times of day at which both days of a kind seen on two days must lie beyond
#: every day of the other kind for the kind to take a profile of its own (see
#: ``_two_day_kind``). Where the shapes do not differ, noise puts two days beyond five at
#: about 1 time of day in 20 (2/42); over 61 series of three stress families with one
#: weekend the share reached 0.23 at most, while weekends that wake 2-4 hours later
#: (``weekend_shape``, 65 series) had 0.33 and up.
KIND_SHARE = 0.3


#: Range a day's level may take (its median rate over the profile). It never bound on the
#: ten NAB Twitter series (570 series-days) or on 3,336 series-days of five stress families;
#: it keeps an outage or a gap over most of a day from becoming the day's normal (and a day
#: of zeros from an expectation of 0); where it binds, ``level_clipped`` says so.
LEVEL_RANGE = (0.2, 5.0)


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


def by_time_of_day(
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
        per_bin = shifted_levels(rates / expected, day, ratio.to_numpy())
    outside = (per_bin < LEVEL_RANGE[0]) | (per_bin > LEVEL_RANGE[1])
    return expected * per_bin.clip(*LEVEL_RANGE), outside


def within_days(expected: np.ndarray, rate: np.ndarray, per_day: int) -> np.ndarray:
    """A short history's rolling median brought within the range of the days' smoothed
    rates at the same time of day (UTC), where two or more days are seen there.

    The rolling median of a short history lies below the day's peak and above its trough
    (at the peak of a daily cycle of +-50%, 10% below it), so with a day of history every
    region's afternoon stood over its baseline, and regions that no outage hit borrowed an
    outage's window. A day's value at the same time of day bounds it instead: an outage on
    one of the days does not move the bound past the other day's value.

    >>> rate = np.array([1.0, 3.0, 2.0, 1.2, 2.8, 6.0])  # two days of three bins
    >>> within_days(np.array([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]), rate, 3)
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
