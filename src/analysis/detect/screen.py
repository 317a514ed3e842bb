"""A cheap screen, calibrated on each series' own history, before any likelihood fit.

Real report streams carry bursts (news, bots, marketing) far bigger than their noise model
says, so a threshold on the ratio to the baseline, or on negative-binomial standard
deviations, flags many of them, and each flag costs a likelihood fit. The screen asks
instead how unusual a stretch is *for this series*:

1. **Score.** At each scale ``L`` (15 minutes, 1 hour and 4 hours), the trailing ``L`` is
   cut into four blocks, and ``s`` is the second lowest of their log ratios of reports to
   the baseline, ``log((Y + c) / (B + c))`` with a pseudo-count ``c`` of 5 reports: an
   outage keeps reports up while it lasts, while a burst spikes and fades, so ``s`` is high
   only where reports stay up over three quarters of the span.
2. **Calibration.** The maxima of ``s`` over each day of the series (its bursts, earlier
   outages and noise alike) are taken as Gumbel distributed, with location and scale from
   their lower quartile and median (robust to outages on up to half of the days). The score
   becomes the standardised ``g = (s - location) / scale``: ``g = 3`` is exceeded on about
   1 day in 20 if the daily maxima are Gumbel (real bursts have heavier tails). A series
   with fewer than :data:`MIN_DAYS` days cannot be calibrated this way and gets no score
   (the caller falls back to fixed rules).
3. **Pooling.** An outage hits many regions at once, a burst usually one, and an outage
   that doubles reports may be well inside a bursty series' daily maxima. So each region
   also gets a matched-filter score for a rise in proportion to its baseline over the
   trailing ``L`` (15 minutes and 1 hour, up to :data:`MATCHED_LONGEST`; at bins of an hour
   or more, where both are one bin, also 2 and 3 bins: :data:`COARSE_MATCHED_BINS`):
   ``m = sum(w r) / sqrt(sum(w**2))``, with ``r`` the bin's residual in
   standard deviations of the negative binomial, capped at :data:`RESIDUAL_CAP` so that no
   burst bin counts for more, and ``w = B / sd`` (about a standard normal where nothing
   happens and the model holds). Per service, the regions' ``m`` are summed at each time
   over the square root of their number, and that sum is calibrated on its own daily maxima
   as in step 2. (Summing the regions' ``s``, standardised and clipped, instead found 0.62
   of the clear outages put on real tweets in the development cases rather than 0.70, with
   3.3 false windows per 100 series-days of real tweets rather than 1.7.)

Two uses follow. A stretch that the fixed rules flag (reports far above the baseline, see
:func:`~analysis.detect.candidates.flag_candidates`) is kept only if its ``g`` reaches
:data:`G_UNUSUAL` at some scale or the pooled score is high there: a burst the series has
most days is not an outage, and costs no likelihood fit. And a region's bins where the pooled
score reaches :data:`G_POOLED` while its own ``m`` reaches :data:`Z_MEMBER` are flagged even
where its reports alone are too weak for the fixed rules; flagged windows closer than a
merge gap become one candidate. Later, once an event's pooled window is fitted, a region's
``m`` over it is ranked against its own history (:func:`history_pvalue`), for the decision
of which regions borrow that window (:func:`analysis.detect.pooling.borrowers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.baseline import SeriesBaseline
from analysis.detect.candidates import merge_flags

__all__ = [
    "G_POOLED",
    "G_UNUSUAL",
    "SCALES",
    "Z_MEMBER",
    "Scores",
    "calibrated_scores",
    "history_pvalue",
    "matched_scores",
    "pooled_scores",
]

DAY = pd.Timedelta("1D")
#: Window lengths at which reports are compared with the baseline.
SCALES = (pd.Timedelta("15min"), pd.Timedelta("1h"), pd.Timedelta("4h"))
#: Pseudo-count (reports) that keeps sparse series' log ratios finite and tame.
PSEUDO_COUNT = 5.0
#: Fewest days of history (each observed for at least half of it) for a calibration.
MIN_DAYS = 4
#: Smallest Gumbel scale, in log-ratio units (a very regular series' daily maxima may barely
#: vary over a short history; without a floor any wobble would stand out).
MIN_SCALE = 0.08
#: Standardised daily-maximum score that a stretch flagged by the fixed rules needs, at some
#: scale, to count as unusual for its series. A Gumbel tail would put it at 1 day in 3,000;
#: real bursts have heavier tails. Chosen on the development families of
#: ``benchmarks/stress.py``: raising it from 3 to 8 cut the false windows on real tweets by
#: 40% and lost no outage there or on the project's own development scenarios.
G_UNUSUAL = 8.0
#: Pooled score an event needs (about 1 day in 90 per scale), and the matched score a member
#: region needs (chosen on the same families).
G_POOLED = 4.5
Z_MEMBER = 2.0
#: Largest residual, in standard deviations, that one bin adds to a matched score.
RESIDUAL_CAP = 3.0
#: Longest scale of the matched scores: over 4 hours the persistent offset that a level shift
#: leaves against the baseline adds up as an outage does, and chains outages hours apart into
#: one event (on the development families, dropping the 4-hour scale raised recall on real
#: tweets and cut false windows).
MATCHED_LONGEST = pd.Timedelta("1h")
#: Extra spans of the matched scores, in bins, at bins of an hour or more: there the 15-minute
#: and 1-hour scales are both one bin, and an outage of 2-3 hours adds up over its bins
#: (clear recall at hourly bins on the development families: heavy-tailed noise 0.32 to
#: 0.42, the others unchanged; 2, 3 and 4 bins did the same, 2, 4 and 6 less).
COARSE_MATCHED_BINS = (2, 3)


def _spans(width: pd.Timedelta, longest: pd.Timedelta = SCALES[-1]) -> list[int]:
    """Bins per scale up to ``longest`` for bins of ``width`` (distinct, at least 1)."""
    return sorted({max(1, round(scale / width)) for scale in SCALES if scale <= longest})


def _matched_spans(width: pd.Timedelta) -> list[int]:
    """Bins per scale of the matched scores for bins of ``width``.

    Examples
    --------
    >>> _matched_spans(pd.Timedelta("5min")), _matched_spans(pd.Timedelta("1h"))
    ([3, 12], [1, 2, 3])
    """
    spans = set(_spans(width, MATCHED_LONGEST))
    if width >= pd.Timedelta("1h"):
        spans |= set(COARSE_MATCHED_BINS)
    return sorted(spans)


def _log_ratio(totals: np.ndarray, span: int) -> np.ndarray:
    """How far reports stay above the baseline over each trailing ``span`` bins.

    The span is cut into four blocks (fewer when it holds fewer bins); each block's
    ``log((Y + c) / (B + c))`` is taken, and the second lowest of four (the lowest of fewer)
    is kept: a stretch scores high only when reports stay up over three quarters of it, as
    they do while an outage lasts, not when one burst spikes and fades. A block with no bin
    seen counts as normal (0); NaN where no bin was seen. ``totals``: the cumulative sums of
    :func:`_running_totals`.
    """
    blocks = min(4, span)
    block = max(1, round(span / blocks))
    y, b, n = _trailing(totals, block)
    ratio = np.where(n > 0, np.log((y + PSEUDO_COUNT) / (b + PSEUDO_COUNT)), 0.0)
    lagged = np.zeros((blocks, len(ratio)))
    for i in range(blocks):
        lagged[i, i * block :] = ratio[: len(ratio) - i * block]
    if blocks == 4:  # the second lowest of four, from the two pairs' lows and highs
        low1, high1 = np.minimum(lagged[0], lagged[1]), np.maximum(lagged[0], lagged[1])
        low2, high2 = np.minimum(lagged[2], lagged[3]), np.maximum(lagged[2], lagged[3])
        kept = np.minimum(np.maximum(low1, low2), np.minimum(high1, high2))
    else:
        kept = lagged.min(axis=0)
    seen_any = _trailing(totals[2:], blocks * block)[0]
    return np.where(seen_any > 0, kept, np.nan)


def _running_totals(base: SeriesBaseline) -> np.ndarray:
    """Cumulative sums (from 0) of observed reports, expected reports and seen bins, one row
    each, missing bins counting 0."""
    seen = ~np.isnan(base.observed)
    rows = np.vstack([np.where(seen, base.observed, 0.0), np.where(seen, base.expected, 0.0),
                      seen.astype(float)])  # fmt: skip
    return np.concatenate([np.zeros((3, 1)), np.cumsum(rows, axis=1)], axis=1)


def _trailing(totals: np.ndarray, span: int) -> np.ndarray:
    """Sums over each trailing ``span`` bins (fewer at the start), from cumulative sums.

    Examples
    --------
    >>> _trailing(np.array([[0.0, 1.0, 3.0, 6.0, 10.0]]), 2)
    array([[1., 3., 5., 7.]])
    """
    out = totals[:, 1:].copy()
    if span < out.shape[1]:
        out[:, span:] -= totals[:, 1 : totals.shape[1] - span]
    return out


def gumbel_standardise(score: np.ndarray, per_day: int) -> np.ndarray | None:
    """``(score - location) / scale`` of a robust Gumbel fit to the daily maxima of ``score``.

    Days are consecutive blocks of ``per_day`` values from the first; a day counts when at
    least half of it is not NaN. Returns ``None`` with fewer than :data:`MIN_DAYS` such days.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = gumbel_standardise(rng.normal(size=96 * 10), 96)
    >>> bool(np.nanmax(g) < 5.3)
    True
    """
    n_days = len(score) // per_day
    if n_days < MIN_DAYS:
        return None
    blocks = score[: n_days * per_day].reshape(n_days, per_day)
    full = np.sum(~np.isnan(blocks), axis=1) >= per_day / 2
    if full.sum() < MIN_DAYS:
        return None
    maxima = np.nanmax(blocks[full], axis=1)
    q1, median = np.quantile(maxima, [0.25, 0.5])
    # Gumbel quantiles: loc - scale ln(-ln q); from the lower half only, so that outage days
    # (up to half of them) do not widen the fit
    scale = max((median - q1) / (np.log(np.log(4)) - np.log(np.log(2))), MIN_SCALE)
    loc = median + scale * np.log(np.log(2))
    return (score - loc) / scale


@dataclass(frozen=True)
class Scores:
    """One series' scores, one row per scale (NaN where no bin was seen).

    Attributes
    ----------
    unusual : ndarray
        ``g``: the log ratio standardised on the series' daily maxima.
    matched : ndarray
        ``m``: the matched-filter score of a proportional rise (see the module notes).
    """

    unusual: np.ndarray
    matched: np.ndarray


def calibrated_scores(base: SeriesBaseline) -> Scores | None:
    """Scores of one series at every scale (see the module notes), or ``None`` when the
    history is too short for a calibration."""
    per_day = int(DAY / base.width)
    totals = _running_totals(base)
    unusual = []
    for span in _spans(base.width):
        g = gumbel_standardise(_log_ratio(totals, span), per_day)
        if g is None:
            return None
        unusual.append(g)
    return Scores(np.vstack(unusual), matched_scores(base))


def matched_scores(base: SeriesBaseline) -> np.ndarray:
    """``m`` at every scale up to :data:`MATCHED_LONGEST` (rows) and bin: the matched-filter
    score of a rise in proportion to the baseline over the trailing span (see the module
    notes; 0 where no bin was seen).

    Examples
    --------
    >>> from analysis.baseline import SeriesBaseline
    >>> times = pd.date_range("2017-05-03", periods=8, freq="15min", tz="UTC")
    >>> y = np.array([100.0, 100, 100, 100, 140, 140, 140, 140])
    >>> base = SeriesBaseline(times, y, np.full(8, 100.0), 1e9, pd.Timedelta("15min"), 5, False)
    >>> matched_scores(base)[0].round(1)  # 1 bin per 15 minutes: each bin's own residual
    array([0., 0., 0., 0., 3., 3., 3., 3.])
    """
    totals = _matched_totals(base)
    return np.vstack([_matched(totals, span) for span in _matched_spans(base.width)])


def _matched_terms(base: SeriesBaseline) -> np.ndarray:
    """``w r`` and ``w**2`` of each bin (rows; see the module notes), 0 where not seen."""
    seen = ~np.isnan(base.observed)
    b = base.expected
    sd = np.sqrt(np.maximum(b + b**2 / base.dispersion, 1e-12))
    residual = np.clip(np.where(seen, base.observed - b, 0.0) / sd, -RESIDUAL_CAP, RESIDUAL_CAP)
    w = np.where(seen, b / sd, 0.0)
    return np.vstack([w * residual, w * w])


def _matched_totals(base: SeriesBaseline) -> np.ndarray:
    """Cumulative sums (from 0) of ``w r`` and ``w**2`` (:func:`_matched_terms`)."""
    return np.concatenate([np.zeros((2, 1)), np.cumsum(_matched_terms(base), axis=1)], axis=1)


def _matched(totals: np.ndarray, span: int) -> np.ndarray:
    """``m`` over each trailing ``span`` bins, from :func:`_matched_totals`."""
    num, den = _trailing(totals, span)
    return np.where(den > 0, num / np.sqrt(np.where(den > 0, den, 1.0)), 0.0)


def history_pvalue(
    base: SeriesBaseline, first: int, last: int, *, cover: np.ndarray | None = None
) -> float:
    """Empirical p-value of the series' rise over bins ``first..last``: the share of its other
    windows as long (those that do not overlap it, at least half seen) whose matched score
    ``m`` is as high, counting the window itself.

    ``cover`` gives the share of each of those bins that the window covers (default: all of
    each). Each bin's terms of ``m`` are then weighted by it, here and in every other window,
    so that a bin the window only touches (a few minutes of an hourly bin) counts for little.

    Examples
    --------
    >>> from analysis.baseline import SeriesBaseline
    >>> times = pd.date_range("2017-05-03", periods=96, freq="15min", tz="UTC")
    >>> y = np.full(96, 100.0)
    >>> y[40:44] = 140.0  # reports up 40% for an hour: no other hour is as high
    >>> base = SeriesBaseline(times, y, np.full(96, 100.0), 1e9, pd.Timedelta("15min"), 1, False)
    >>> history_pvalue(base, 40, 43) == 1 / 87  # 86 other hours, none as high
    True
    >>> history_pvalue(base, 10, 13) > 0.9  # a normal hour
    True
    >>> y[39], y[70:75] = 40.0, 125.0  # a bin that falls just before; a rise elsewhere
    >>> base = SeriesBaseline(times, y, np.full(96, 100.0), 1e9, pd.Timedelta("15min"), 1, False)
    >>> round(history_pvalue(base, 39, 43), 3)  # the fall dilutes the window's rise ...
    0.048
    >>> round(history_pvalue(base, 39, 43, cover=np.array([0.1, 1, 1, 1, 1])), 3)  # barely in
    0.012
    """
    span = last - first + 1
    if cover is None:
        m = _matched(_matched_totals(base), span)
    else:
        m = _covered_matched(_matched_terms(base), cover)
    seen = np.concatenate([[0.0], np.cumsum(~np.isnan(base.observed))])
    others = _trailing(seen[None, :], span)[0] >= span / 2
    others[: span - 1] = False  # windows that run off the series' start
    others[first : last + span] = False  # windows that overlap this one
    return (1 + int(np.sum(m[others] >= m[last]))) / (1 + int(others.sum()))


def _covered_matched(terms: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """``m`` over each trailing ``len(cover)`` bins, each bin's terms weighted by ``cover``
    (oldest bin first), from :func:`_matched_terms` (fewer bins at the start)."""
    n = terms.shape[1]
    num = np.convolve(terms[0], cover[::-1])[:n]
    den = np.convolve(terms[1], cover[::-1] ** 2)[:n]
    return np.where(den > 0, num / np.sqrt(np.where(den > 0, den, 1.0)), 0.0)


def pooled_scores(
    scores: dict[tuple, Scores], bases: dict[tuple, SeriesBaseline]
) -> dict[tuple, np.ndarray]:
    """The pooled score of each series' bins: the calibrated sum of regions' ``m``.

    Series of one bin width are laid on a common UTC grid; the sum of their matched scores
    over the square root of their number is standardised on its own daily maxima. Returns,
    per series key, the pooled score at that series' bins (shape as its own scores); series
    whose width is shared by no other series, or whose pool is too short to calibrate, are
    left out.
    """
    out: dict[tuple, np.ndarray] = {}
    by_width: dict[pd.Timedelta, list[tuple]] = {}
    for key in scores:
        by_width.setdefault(bases[key].width, []).append(key)
    for width, keys in by_width.items():
        if len(keys) < 2:
            continue
        first = min(bases[k].times[0] for k in keys)
        last = max(bases[k].times[-1] for k in keys)
        n = int((last - first) / width) + 1
        offsets = {k: int((bases[k].times[0] - first) / width) for k in keys}
        length = {k: len(bases[k].times) for k in keys}
        total = np.zeros((len(_matched_spans(width)), n))
        for k in keys:
            total[:, offsets[k] : offsets[k] + length[k]] += scores[k].matched
        total /= np.sqrt(len(keys))
        # align the days of the pool on UTC midnight, as a day of reports is read
        lead = int((first - first.floor("D")) / width)
        padded = np.concatenate([np.full((len(total), lead), np.nan), total], axis=1)
        per_day = int(DAY / width)
        pooled = []
        for row in padded:
            g = gumbel_standardise(row, per_day)
            if g is None:
                break
            pooled.append(g[lead:])
        if len(pooled) < len(total):
            continue
        pooled_arr = np.vstack(pooled)
        for k in keys:
            out[k] = pooled_arr[:, offsets[k] : offsets[k] + length[k]]
    return out


def flagged_bins(base: SeriesBaseline, own: Scores, pooled: np.ndarray | None) -> np.ndarray:
    """Bins covered by a flagged window of any scale (a flag at bin ``i`` of a scale of
    ``span`` bins covers bins ``i - span + 1 .. i``): the pooled score reaches
    :data:`G_POOLED` while the region's own ``m`` reaches :data:`Z_MEMBER`."""
    if pooled is None:
        return np.zeros(len(base.times), dtype=bool)
    flagged = (np.nan_to_num(pooled, nan=-np.inf) >= G_POOLED) & (own.matched >= Z_MEMBER)
    n = len(base.times)
    covered = np.zeros(n, dtype=bool)
    for row, span in zip(flagged, _matched_spans(base.width), strict=True):
        ends = np.flatnonzero(row)
        if len(ends):
            # cumulative trick: +1 at each window's first bin, -1 after its last
            marks = np.zeros(n + 1)
            np.add.at(marks, np.maximum(ends - span + 1, 0), 1)
            np.add.at(marks, ends + 1, -1)
            covered |= np.cumsum(marks)[:-1] > 0
    return covered


def screened_stretches(
    base: SeriesBaseline,
    own: Scores,
    pooled: np.ndarray | None,
    *,
    merge_gap: pd.Timedelta,
) -> list[tuple[int, int]]:
    """Candidate stretches found by pooling, as (first, last) bin indices into ``base.times``.

    Flagged bins (:func:`flagged_bins`) closer than ``merge_gap`` are joined; each stretch is
    then narrowed to where its reports pile up: from the lowest to the highest point of the
    cumulative excess ``sum(observed - expected)`` (a long scale's flag covers hours before
    the rise).
    """
    excess = np.nan_to_num(base.observed - base.expected, nan=0.0)
    out = []
    for a, b in merge_flags(flagged_bins(base, own, pooled), merge_gap, base.width):
        cumulative = np.concatenate([[0.0], np.cumsum(excess[a : b + 1])])
        top = int(np.argmax(cumulative))
        low = int(np.argmin(cumulative[: top + 1]))
        if top > low:
            out.append((a + low, a + top - 1))
    return out


def is_unusual(own: Scores, pooled: np.ndarray | None, a: int, b: int) -> bool:
    """Whether bins ``a..b`` reach :data:`G_UNUSUAL` at some scale, or the pooled score
    reaches :data:`G_POOLED` there (see the module notes)."""
    if np.nan_to_num(own.unusual[:, a : b + 1], nan=-np.inf).max() >= G_UNUSUAL:
        return True
    return pooled is not None and np.nan_to_num(pooled[:, a : b + 1], nan=-np.inf).max() >= G_POOLED
