"""Candidate windows: stretches where reports far exceed the baseline, grouped into events.

This is the cheap first pass of :func:`~analysis.detect.estimate_outages` (and, alone, the
tracker-style peer :func:`~analysis.detect.threshold_outages`): bins whose trailing report
total exceeds the expected total by a ratio, a number of reports and a number of
negative-binomial standard deviations are flagged; flagged stretches closer than a merge gap
are joined; candidates whose padded spans overlap across regions form one event, cut where
its series fell back between two of their candidates (:func:`split_event`), and
each event's fit stops at its series' candidates of the events beside it
(:func:`fit_limits`). An event seen in one series where no history calibrates a screen
takes the other series' stretches flagged at a lower ratio beside it (:func:`companions`).
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
    """An event cut at a time where two of its series or more fell back, between two of
    their candidates (see :data:`DIP`) or within one (:func:`_dips`), and at least as many as
    have a candidate across that time without falling back; into the events before and
    after, each cut again where that holds. A candidate across the cut is cut with it
    (:func:`_cut`). Series with candidates on one side only (a region one of two outages
    hit) say nothing about the cut, nor do the candidates that the screen found by pooling
    regions: their reports are too few to show a fall (in development ``powerlaw_tail`` case
    7, three such regions' gaps and noise cut a 5-hour outage in three regions in two).

    :func:`group_events` joins candidates across series whose padded spans overlap, so two
    outages 30 minutes to 2 hours apart were one event, and their windows were read as one:
    report tails keep series flagged between them, and one series flagged throughout (a
    region the outages did not hit, which the screen flagged for three hours) joins them.

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
        if not c.screened:  # a stretch the screen found by pooling is too faint to read
            spans.setdefault(c.key, []).append(c)
    gaps = {key: [(a.hi, b.lo) for a, b in pairwise(mine) if _fell_back(bases[key], a, b)]
            + [dip for c in mine for dip in _dips(bases[key], c)]
            for key, mine in spans.items()}  # fmt: skip
    middles = sorted(lo + (hi - lo) / 2 for mine in gaps.values() for lo, hi in mine)
    if not middles:
        return [event]
    held = [sum(any(lo <= at <= hi for lo, hi in mine) for mine in gaps.values())
            for at in middles]  # fmt: skip
    count = max(held)
    at = middles[held.index(count)]  # the earliest of the times most series fell back at
    across = sum(
        any(c.lo < at < c.hi for c in spans[key])
        for key, mine in gaps.items()
        if not any(lo <= at <= hi for lo, hi in mine)
    )  # raised throughout: fmt: skip
    if count < max(2, across):
        return [event]
    parts = [_cut(c, bases[c.key], at) for c in event]
    before = [a for a, _ in parts if a is not None]
    after = [b for _, b in parts if b is not None]
    return [*split_event(before, bases), *split_event(after, bases)]


def _fell_back(base: SeriesBaseline, a: Candidate, b: Candidate) -> bool:
    """Whether the series' excess between candidates ``a`` and ``b`` is at most :data:`DIP`
    of its excess over either."""
    gap, first, second = (_excess_ratio(base, lo, hi)
                          for lo, hi in ((a.hi, b.lo), (a.lo, a.hi), (b.lo, b.hi)))  # fmt: skip
    return gap <= DIP * min(first, second)


#: Shortest stretch within one candidate over which a series must fall back (:func:`_dips`):
#: a service that comes back for 3-15 minutes and fails again (``flapping`` of
#: ``benchmarks/stress.py``) is one outage.
DIP_MIN = pd.Timedelta("20min")


def _dips(base: SeriesBaseline, c: Candidate) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Stretches of :data:`DIP_MIN` or longer inside candidate ``c`` where the series fell
    back: its excess over the baseline (as a share of it, summed over a quarter of an hour)
    at most :data:`DIP` of its highest before the stretch and of its highest after, both at
    least 1 (reports doubled). Two outages half an hour to an hour apart keep a series
    flagged between them, their report tails bridging the gap.

    Examples
    --------
    >>> from analysis.baseline import SeriesBaseline
    >>> t = pd.date_range("2025-03-25", periods=60, freq="5min", tz="UTC")
    >>> y = np.r_[np.full(12, 60.0), np.full(6, 14.0), np.full(42, 60.0)]  # down 30 min
    >>> base = SeriesBaseline(t, y, np.full(60, 10.0), 100.0, t.freq, 7, False)
    >>> dips = _dips(base, Candidate(("BRA",), t[0], t[59], 1.0))
    >>> [(str(a.time()), str(b.time())) for a, b in dips]
    [('01:05:00', '01:25:00')]
    """
    a, b = _bins(base, c.lo, c.hi)
    seen = ~np.isnan(base.observed[a:b])
    span = max(1, round(pd.Timedelta("15min") / base.width))

    def summed(x: np.ndarray) -> np.ndarray:
        return pd.Series(np.where(seen, x, 0.0)).rolling(span, center=True, min_periods=1).sum()

    excess = (
        summed(base.observed[a:b]) / np.maximum(summed(base.expected[a:b]), 1e-9) - 1
    ).to_numpy()
    before = np.maximum.accumulate(excess)
    after = np.maximum.accumulate(excess[::-1])[::-1]
    low = (excess <= DIP * np.minimum(before, after)) & (np.minimum(before, after) >= 1)
    shortest = max(2, int(np.ceil(DIP_MIN / base.width)))
    runs = merge_flags(low, pd.Timedelta(0), base.width)
    return [(base.times[a + i], base.times[a + j] + base.width)
            for i, j in runs if j - i + 1 >= shortest]  # fmt: skip


def _bins(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[int, int]:
    """The bins of ``base`` from ``lo`` to ``hi`` as a slice's bounds (bins starting in
    ``[lo, hi)``)."""
    a, b = (int(np.ceil((x - base.times[0]) / base.width)) for x in (lo, hi))
    return a, b


def _excess_ratio(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Reports over the baseline from ``lo`` to ``hi`` (bins seen), as a share of the baseline."""
    a, b = _bins(base, lo, hi)
    seen = ~np.isnan(base.observed[a:b])
    expected = float(np.sum(base.expected[a:b][seen]))
    return float(np.sum(base.observed[a:b][seen])) / max(expected, 1e-9) - 1


def _cut(
    c: Candidate, base: SeriesBaseline, at: pd.Timestamp
) -> tuple[Candidate | None, Candidate | None]:
    """Candidate ``c`` before and after ``at`` (``None``: no part on that side), each part's
    excess recounted. A part across the cut whose excess (as a share of the baseline) is at
    most :data:`DIP` of the other's is the other's report tail or lead-in, and is dropped: a
    region one outage hit stays flagged into the next's span, and its tail read as a second
    window of its own."""
    if c.hi <= at or c.lo >= at:
        return (c, None) if c.hi <= at else (None, c)
    first, second = _excess_ratio(base, c.lo, at), _excess_ratio(base, at, c.hi)

    def part(lo: pd.Timestamp, hi: pd.Timestamp) -> Candidate:
        a, b = _bins(base, lo, hi)
        return replace(c, lo=lo, hi=hi, excess=candidate_excess(base, a, max(b - 1, a)))

    return (part(c.lo, at) if first > DIP * second else None,
            part(at, c.hi) if second > DIP * first else None)  # fmt: skip


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
