"""A day whose level shifts for good within it takes each side's level from its best split
(step 2 of :mod:`analysis.baseline`)."""

from __future__ import annotations

import numpy as np

#: either side of the day's best split lies within ``SHIFT_MATCH`` (5%) of the neighbour's
#: level on that side.
SHIFT_MIN = 0.3
SHIFT_MATCH = 0.05


def shifted_levels(ratio: np.ndarray, day: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Per-bin level: its day's (``level``, before any clipping), except on a day whose level
    shifts for good within it (see :data:`SHIFT_MIN`), which takes the level of each side of
    its split. One level for such a day is the majority side's, and the other side would
    stand out as an outage (or a dip) until the day ends, or from its start.

    ``ratio``: per bin, the smoothed rate over the profile; ``day``: per bin, its day.

    Examples
    --------
    >>> day = np.repeat([0, 1, 2], 24)
    >>> ratio = np.r_[np.ones(24), np.ones(10), np.full(14, 1.5), np.full(24, 1.5)]
    >>> levels = shifted_levels(ratio, day, np.array([1.0, 1.5, 1.5]))
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
