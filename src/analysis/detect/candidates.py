"""Candidate windows: stretches where reports far exceed the baseline, grouped into events.

This is the cheap first pass of :func:`~analysis.detect.estimate_outages` (and, alone, the
tracker-style peer :func:`~analysis.detect.threshold_outages`): bins whose trailing report
total exceeds the expected total by a ratio, a number of reports and a number of
negative-binomial standard deviations are flagged; flagged stretches closer than a merge gap
are joined; candidates whose padded spans overlap across regions form one event. An event
seen in one series where no history calibrates a screen takes the other series' stretches
flagged at a lower ratio beside it (:func:`companions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.baseline import SeriesBaseline

__all__ = [
    "COMPANION_RATIO", "Candidate", "candidate_excess", "companions", "flag_candidates",
    "group_events", "loose_candidates", "merge_flags",
]  # fmt: skip

#: Ratio of reports to the baseline at which another series counts as rising with a lone
#: candidate where no history calibrates a screen (see :func:`companions`).
COMPANION_RATIO = 1.5


def flag_candidates(
    base: SeriesBaseline,
    *,
    window: pd.Timedelta,
    min_ratio: float,
    min_excess: float,
    z: float,
    merge_gap: pd.Timedelta,
) -> list[tuple[int, int]]:
    """Flagged stretches as (first, last) bin indices into ``base.times``."""
    span = max(1, round(window / base.width))
    seen = ~np.isnan(base.observed)
    y = pd.Series(np.where(seen, base.observed, 0.0))
    mu = pd.Series(np.where(seen, base.expected, 0.0))
    total_y = y.rolling(span, min_periods=1).sum().to_numpy()
    total_mu = mu.rolling(span, min_periods=1).sum().to_numpy()
    sd = np.sqrt(total_mu + total_mu**2 / (base.dispersion * span))
    flagged = (
        (total_y >= min_ratio * total_mu)
        & (total_y - total_mu >= min_excess)
        & (total_y - total_mu >= z * sd)
    )
    # a flag at bin i covers the window (i - span, i]
    return [(max(0, a - span + 1), b) for a, b in merge_flags(flagged, merge_gap, base.width)]


def merge_flags(
    flagged: np.ndarray, merge_gap: pd.Timedelta, width: pd.Timedelta
) -> list[tuple[int, int]]:
    """Runs of flagged bins, those closer than ``merge_gap`` joined, as (first, last) indices.

    Examples
    --------
    >>> merge_flags(np.array([1, 1, 0, 1, 0, 0, 0, 1], bool), pd.Timedelta("2min"),
    ...             pd.Timedelta("1min"))
    [(0, 3), (7, 7)]
    """
    idx = np.flatnonzero(flagged)
    if not len(idx):
        return []
    gap = max(1, int(merge_gap / width))
    breaks = np.flatnonzero(np.diff(idx) > gap)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


@dataclass(frozen=True)
class Candidate:
    key: tuple
    lo: pd.Timestamp  # first flagged window start
    hi: pd.Timestamp  # end of last flagged bin
    excess: float
    screened: bool = False  # found by pooling regions (not by the fixed rules)
    calibrated: bool = False  # judged against its series' own history (enough days for it)

    @classmethod
    def of(cls, key: tuple, base: SeriesBaseline, a: int, b: int, **flags: bool) -> Candidate:
        """The candidate of bins ``a..b`` (indices into ``base.times``) of series ``key``."""
        hi = base.times[b] + base.width
        return cls(key, base.times[a], hi, candidate_excess(base, a, b), **flags)


def candidate_excess(base: SeriesBaseline, a: int, b: int) -> float:
    seen = ~np.isnan(base.observed[a : b + 1])
    return float(np.sum(base.observed[a : b + 1][seen] - base.expected[a : b + 1][seen]))


def group_events(candidates: list[Candidate], pad: pd.Timedelta) -> list[list[Candidate]]:
    """Group candidates whose padded spans overlap (across regions) into events."""
    events: list[list[Candidate]] = []
    for c in sorted(candidates, key=lambda c: c.lo):
        if events and c.lo <= max(x.hi for x in events[-1]) + pad / 4:
            events[-1].append(c)
        else:
            events.append([c])
    return events


def loose_candidates(
    bases: dict[tuple, SeriesBaseline], rules: dict[str, object]
) -> list[Candidate]:
    """Every series' stretches flagged by the fixed ``rules`` at a ratio of
    :data:`COMPANION_RATIO` (for :func:`companions`)."""
    loose = {**rules, "min_ratio": COMPANION_RATIO}
    return [
        Candidate.of(key, base, a, b)
        for key, base in bases.items()
        for a, b in flag_candidates(base, **loose)  # type: ignore[arg-type]
    ]


def companions(
    event: list[Candidate], loose: list[Candidate], pad: pd.Timedelta
) -> list[Candidate]:
    """Stretches of the other series that rise with an event seen in one series only.

    Where the history is too short to calibrate the screen (under
    :data:`~analysis.detect.screen.MIN_DAYS` days), candidates come from the fixed rules
    alone, whose ratio of 3 a large region that doubles never reaches: an outage that
    trebled one small region and doubled a large one, with ``z`` in the hundreds, was seen
    in one region and dropped whole. The ``loose`` stretches (:func:`loose_candidates`, the
    same rules at a ratio of :data:`COMPANION_RATIO`) of the other series that overlap the
    event's span, padded by a quarter of ``pad`` as :func:`group_events` joins, are
    returned.

    Examples
    --------
    >>> t = pd.Timestamp("2024-03-06 14:00", tz="UTC")
    >>> lone = [Candidate(("GBR",), t, t + pd.Timedelta("1h"), 60.0)]
    >>> loose = [Candidate(("GBR",), t, t + pd.Timedelta("1h"), 60.0),
    ...          Candidate(("USA",), t + pd.Timedelta("5min"), t + pd.Timedelta("1h"), 2700.0),
    ...          Candidate(("DEU",), t + pd.Timedelta("3h"), t + pd.Timedelta("4h"), 90.0)]
    >>> [c.key for c in companions(lone, loose, pd.Timedelta("2h"))]
    [('USA',)]
    """
    near = pad / 4
    lo, hi = min(c.lo for c in event) - near, max(c.hi for c in event) + near
    return [c for c in loose if c.key != event[0].key and c.lo < hi and c.hi > lo]
