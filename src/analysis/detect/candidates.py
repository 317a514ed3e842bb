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

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import pandas as pd

from analysis.baseline import SeriesBaseline

__all__ = [
    "COMPANION_RATIO", "Candidate", "candidate_excess", "companions", "fit_limits",
    "flag_candidates", "group_events", "loose_candidates", "merge_flags", "split_event",
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


#: A series lies *between* two of its candidates where its excess over the baseline there (as
#: a share of the baseline) is at most this share of the excess over either candidate: its
#: reports fell back most of the way, not only below the candidates' ratio (reports that
#: fade from 15 to 2.5 times their level while the outage lasts leave gaps in its flags).
DIP = 1 / 3


def split_event(
    event: list[Candidate], bases: dict[tuple, SeriesBaseline]
) -> list[list[Candidate]]:
    """An event cut where at least half of its series (and two or more) lie between two of
    their candidates at once (see :data:`DIP`), into the events before and after, each cut
    again where that holds; a candidate that spans the cut is cut with it (its excess shared
    in proportion to time).

    :func:`group_events` joins candidates across series whose padded spans overlap, so two
    outages an hour or more apart joined into one event wherever one series stayed flagged
    between them (a region the outages did not hit, whose screen flagged it for three hours),
    and their windows were read as one. Within a series, stretches closer than the merge gap
    are already one candidate: between two of its candidates a series fell back for longer
    than that.

    Examples
    --------
    Three regions down twice (reports 5 times their level), an hour apart, and one raised
    throughout:

    >>> from analysis.baseline import SeriesBaseline
    >>> t = pd.date_range("2025-03-25", periods=48, freq="5min", tz="UTC")
    >>> twice = np.r_[np.full(6, 10.0), np.full(12, 50.0), np.full(12, 11.0), np.full(18, 50.0)]
    >>> def base(y):
    ...     return SeriesBaseline(t, y, np.full(48, 10.0), 100.0, t.freq, 7, False)
    >>> bases = {("BRA",): base(np.full(48, 30.0))} | {(r,): base(twice) for r in "ABC"}
    >>> event = [Candidate((r,), t[a], t[b], 480.0) for r in "ABC" for a, b in ((6, 18), (30, 47))]
    >>> event.append(Candidate(("BRA",), t[6], t[47], 820.0))
    >>> parts = split_event(event, bases)
    >>> [(len(part), str(max(c.hi for c in part).time())) for part in parts]
    [(4, '02:00:00'), (4, '03:55:00')]
    """
    spans: dict[tuple, list[Candidate]] = {}
    for c in sorted(event, key=lambda c: c.lo):
        spans.setdefault(c.key, []).append(c)
    gaps = [(a.hi, b.lo) for key, mine in spans.items() for a, b in pairwise(mine)
            if _fell_back(bases[key], a, b)]  # fmt: skip
    if not gaps:
        return [event]
    at, count = max(((lo + (hi - lo) / 2, sum(g[0] <= lo + (hi - lo) / 2 <= g[1] for g in gaps))
                     for lo, hi in gaps), key=lambda x: (x[1], -x[0].value))  # fmt: skip
    if count < max(2, len(spans) / 2):
        return [event]
    before = [_cut(c, c.lo, min(c.hi, at)) for c in event if c.lo < at]
    after = [_cut(c, max(c.lo, at), c.hi) for c in event if c.hi > at]
    return [*split_event(before, bases), *split_event(after, bases)]


def _fell_back(base: SeriesBaseline, a: Candidate, b: Candidate) -> bool:
    """Whether the series' excess between candidates ``a`` and ``b`` is at most :data:`DIP`
    of its excess over either."""
    gap, first, second = (_excess_ratio(base, lo, hi)
                          for lo, hi in ((a.hi, b.lo), (a.lo, a.hi), (b.lo, b.hi)))  # fmt: skip
    return gap <= DIP * min(first, second)


def _excess_ratio(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Reports over the baseline from ``lo`` to ``hi`` (bins seen), as a share of the baseline."""
    a, b = (int(np.ceil((x - base.times[0]) / base.width)) for x in (lo, hi))
    seen = ~np.isnan(base.observed[a:b])
    expected = float(np.sum(base.expected[a:b][seen]))
    return float(np.sum(base.observed[a:b][seen])) / max(expected, 1e-9) - 1


def _cut(c: Candidate, lo: pd.Timestamp, hi: pd.Timestamp) -> Candidate:
    """Candidate ``c`` cut to ``[lo, hi)``, with its share of the excess in time."""
    if (lo, hi) == (c.lo, c.hi):
        return c
    return replace(c, lo=lo, hi=hi, excess=c.excess * ((hi - lo) / (c.hi - c.lo)))


#: Per series, the end of its latest candidate in an earlier event and the start of its first
#: in a later one (``None``: none within the event's fitting range).
Limits = dict[tuple, tuple[pd.Timestamp | None, pd.Timestamp | None]]


def fit_limits(
    events: list[list[Candidate]], before: pd.Timedelta, after: pd.Timedelta, min_keys: int = 1
) -> list[Limits]:
    """For each event of :func:`group_events`, where each series' candidates of the other
    events seen in ``min_keys`` series or more lie within its fitting range (``before`` its
    first candidate to ``after`` its last): a series' data for the event's fit stops at them.
    An event seen in fewer series is not fitted (``min_regions`` of
    :func:`~analysis.detect.estimate_outages`), and may be a late rise of reports within a
    long outage, so it sets no limit.

    Without the limits, one event's fit took the next event's reports in as its own: two
    outages of an hour, three hours apart in six regions, came out as one window over both
    (14:03-19:12 for 14:00-15:00 and 18:00-18:45).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 14:00", tz="UTC")
    >>> h = pd.Timedelta("1h")
    >>> events = [[Candidate(("BRA",), t, t + h, 500.0)],
    ...           [Candidate(("BRA",), t + 2.5 * h, t + 3.5 * h, 400.0)]]
    >>> limits = fit_limits(events, 2 * h, 4 * h)
    >>> limits[0][("BRA",)][1].strftime("%H:%M"), limits[1][("BRA",)][0].strftime("%H:%M")
    ('16:30', '15:00')
    """
    spans = [(min(c.lo for c in e), max(c.hi for c in e)) for e in events]
    seen = [len({c.key for c in e}) >= min_keys for e in events]
    out = []
    for i, (lo, hi) in enumerate(spans):
        limits: Limits = {}
        j = i - 1  # events' spans are disjoint and in order: each ends before the next starts
        while j >= 0 and spans[j][1] > lo - before:
            for c in events[j] if seen[j] else ():
                prev, _ = limits.get(c.key, (None, None))
                limits[c.key] = (c.hi if prev is None else max(prev, c.hi), None)
            j -= 1
        j = i + 1
        while j < len(events) and spans[j][0] < hi + after:
            for c in events[j] if seen[j] else ():
                prev, nxt = limits.get(c.key, (None, None))
                limits[c.key] = (prev, c.lo if nxt is None else min(nxt, c.lo))
            j += 1
        out.append(limits)
    return out


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
