"""One event across regions: a pooled fit, regions' own fits and windows borrowed from the pool.

Candidates that overlap in time across regions form one event. A pooled fit shares start,
end and the reporting kernel across the regions with the most excess (each with its own
amplitude) and gives the worldwide ``WLD`` row; regions with enough excess refit their own
window from it; sparser regions borrow the pooled window when their amplitude over it is a
discovery among the event's regions (see :func:`borrowers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from analysis.baseline import SeriesBaseline
from analysis.detect.candidates import Candidate, Limits
from analysis.detect.intervals import (
    Envelope,
    bin_floor,
    fit_with_uncertainty,
    inflate,
    shrink_towards_pooled,
    standard_errors,
    window_row,
)
from analysis.detect.model import (
    COARSE_BINS,
    FIT,
    MINUTE,
    WINDOW_AND_KERNEL,
    Params,
    Window,
    cut_window,
    fit_model,
    initial_params,
    loglik,
    movable,
    null_loglik,
    overdispersion,
)
from analysis.detect.screen import history_pvalue

#: Likelihood ratio with which a region borrows the pooled window whatever the other regions
#: show (no candidate of its own, or an own fit too weak to stand alone): a one-parameter test
#: (its amplitude, the window fixed), so a p-value of about 4e-6, which across 200 regions
#: tested per event leaves about one false borrowing in a thousand events.
BORROWED_LR = 20.0
#: False discovery rate at which the regions of an event that test the pooled window borrow it
#: (Benjamini-Hochberg over their p-values; see :func:`borrowers`). Chosen on the development
#: families of ``benchmarks/stress.py``: 0.05 found less there (clear recall 0.84 against 0.88)
#: and, held out, as many false windows on real tweets.
BORROW_FDR = 0.1
#: A window whose excess is below this share of a normal day's reports in its region must
#: clear the stricter likelihood-ratio bar ``SMALL_EXCESS_LR``: bursts of news or bots give
#: such small excesses; outages rarely do (set on the development scenarios).
SMALL_EXCESS = 0.25
SMALL_EXCESS_LR = 150.0
#: Likelihood ratio the pooled window needs when no region's own fit confirms it (the event
#: was found only by pooling, or every region's own fit failed): its regions' tests are then
#: not one-parameter tests, as the window was fitted to them (the size of a burst of news or
#: bots, as ``SMALL_EXCESS_LR``).
POOLED_ONLY_LR = 150.0


@dataclass(frozen=True)
class PooledFit:
    """The pooled window of an event: shared start, end and kernel over its top regions."""

    params: Params
    origin: pd.Timestamp  # minute 0 of the parameters
    se: tuple[float, float, float]  # start, end, duration (minutes)
    envelope: Envelope  # how start and end move under other reporting processes
    lr: float
    windows: list[Window]

    @property
    def width(self) -> pd.Timedelta:
        return max(w.width for w in self.windows)

    @property
    def start(self) -> pd.Timestamp:
        return self.origin + pd.Timedelta(self.params.start, "min")

    @property
    def end(self) -> pd.Timestamp:
        return self.origin + pd.Timedelta(self.params.end, "min")

    @property
    def collapsed(self) -> bool:
        return self.params.collapsed

    @property
    def start_se(self) -> float:
        """Standard error of the start (minutes), at least the bin's, as in its own row."""
        return max(self.se[0], bin_floor(self.width))


def estimate_event(
    event: list[Candidate],
    keys: list[tuple],
    bases: dict[tuple, SeriesBaseline],
    service: str | None,
    key_names: list[str],
    *,
    level: float,
    min_lr: float,
    own_fit_excess: float,
    pooled: bool,
    max_pooled_regions: int,
    before: pd.Timedelta,
    after: pd.Timedelta,
    limits: Limits | None = None,
) -> list[dict]:
    """Rows of one event: the pooled ``WLD`` window, regions' own fits and borrowed windows
    (see the module notes). A series' data for the fits stops at its candidates of other
    events (``limits``, from :func:`~analysis.detect.candidates.fit_limits`)."""
    # at least 3 bins each side: a start or an end needs normal bins beside it (daily bins)
    width = max(bases[c.key].width for c in event)
    lo = min(c.lo for c in event) - max(before, 3 * width)
    hi = max(c.hi for c in event) + max(after, 3 * width)
    cut = _cutter(bases, lo, hi, limits or {})
    own: dict[tuple, Candidate] = {}
    for c in event:  # a region with two candidates in one event: keep the larger
        if c.key not in own or c.excess > own[c.key].excess:
            own[c.key] = c
    fit = None
    if pooled and len(own) >= 2:
        top = sorted(own.values(), key=lambda c: -c.excess)[:max_pooled_regions]
        fit = _pooled_fit(top, cut)
        if fit.collapsed and fit.width < COARSE_BINS:
            fit = None  # a spike shared by a few regions, not an outage to borrow
    if all(c.screened for c in own.values()) and (fit is None or fit.lr < POOLED_ONLY_LR):
        return []  # found only by pooling, and the pooled window is no stronger than a burst
    columns = {"service": service} if len(key_names) > 1 else {}
    rows = [] if fit is None else [_pooled_row({**columns, "region": "WLD"}, fit, level)]
    borrowed = []
    for key in keys:
        w = cut(key)
        if not len(w.observed) or np.isnan(w.observed).all():
            continue
        columns = dict(zip(key_names, key, strict=True))
        candidate = own.get(key)
        if candidate is not None and (candidate.excess >= own_fit_excess or fit is None):
            row, outcome = _own_row(columns, w, bases[key], candidate, fit,
                                    level=level, min_lr=min_lr)  # fmt: skip
            rows += [row] if row is not None else []
            # an own fit too weak for the test alone, or one that collapsed to an instant
            # (reports that spike and fade fit a slow report tail), tests the pooled window
            # instead, as a sparse region does
            retry = outcome in ("weak", "collapsed")
            if not (retry and fit is not None):
                continue
        if fit is not None:
            lr = _borrowed_lr(w, fit)
            borrowed.append((columns, lr, w, max(_model_p(lr), _history_p(bases[key], fit))))
    if fit is None:
        return rows
    borrowed = borrowers(borrowed)
    if fit.lr < POOLED_ONLY_LR and not any(r["estimate"] == "region" for r in rows):
        return []  # no region stands alone, and the pooled window is no stronger than a burst
    shrink_towards_pooled(rows, fit.start, fit.start_se, level)
    return rows + _borrowed_rows(borrowed, rows, fit, level)


def _cutter(
    bases: dict[tuple, SeriesBaseline], lo: pd.Timestamp, hi: pd.Timestamp, limits: Limits
) -> Callable[[tuple], Window]:
    """Each series' data from ``lo`` to ``hi``, stopped at its ``limits``."""

    def cut(key: tuple) -> Window:
        prev, nxt = limits.get(key, (None, None))
        return cut_window(bases[key], key[-1], lo if prev is None else max(lo, prev),
                          hi if nxt is None else min(hi, nxt))  # fmt: skip

    return cut


def _pooled_fit(top: list[Candidate], cut: Callable[[tuple], Window]) -> PooledFit:
    """Fit one window and kernel shared by the ``top`` regions, each with its own amplitude."""
    windows = [cut(c.key) for c in top]
    origin = min(w.origin for w in windows)
    shifts = [(w.origin - origin) / MINUTE for w in windows]
    first = (min(c.lo for c in top) - origin) / MINUTE
    last = (max(c.hi for c in top) - origin) / MINUTE
    core = (float(np.median([(c.lo - origin) / MINUTE for c in top])),
            float(np.median([(c.hi - origin) / MINUTE for c in top])))  # fmt: skip
    starts = initial_params(first, last, core if len(top) >= 3 else None)
    params, ll, se, envelope, _ = fit_with_uncertainty(windows, shifts, starts, FIT)
    robust_phi = overdispersion(params.vector(), windows, shifts, robust=True)
    lr = 2 * (ll - sum(null_loglik(w) for w in windows)) / robust_phi
    return PooledFit(params, origin, se, envelope, lr, windows)


def _pooled_row(columns: dict, fit: PooledFit, level: float) -> dict:
    return window_row(columns, fit.params, fit.se, fit.envelope, fit.origin, fit.windows,
                      level=level, estimate="pooled", lr=fit.lr, width=fit.width)  # fmt: skip


def _own_row(
    columns: dict,
    w: Window,
    base: SeriesBaseline,
    candidate: Candidate,
    fit: PooledFit | None,
    *,
    level: float,
    min_lr: float,
) -> tuple[dict | None, str]:
    """A region's own fit: its row (``None`` when the window fails) and the outcome:
    ``"kept"``, ``"collapsed"`` (a window under :data:`~analysis.detect.model.MIN_WINDOW`),
    ``"weak"`` (under ``min_lr``) or ``"small"`` (a burst's size and likelihood ratio)."""
    if fit is None:
        span = ((candidate.lo - w.origin) / MINUTE, (candidate.hi - w.origin) / MINUTE)
        params, ll, se, envelope, _ = fit_with_uncertainty([w], [0.0], initial_params(*span), FIT)
    else:  # refit window and kernel from the pooled fit (its novelty and family kept, and a
        # fading reading's decay: see movable); the standard errors over the same parameters
        # (the model error dominates the intervals)
        shift = (fit.origin - w.origin) / MINUTE
        p0 = fit.params
        init = replace(p0, start=p0.start + shift, end=p0.end + shift)
        free = movable(p0, WINDOW_AND_KERNEL)
        params, ll = fit_model([w], [0.0], init, free=free, restarts=0)
        phi = overdispersion(params.vector(), [w], [0.0], len(free))
        se = inflate(standard_errors(params, [w], [0.0], free), phi)
        envelope = fit.envelope
    lr = 2 * (ll - null_loglik(w)) / overdispersion(params.vector(), [w], [0.0], robust=True)
    if params.collapsed:
        return None, "collapsed"
    if lr < min_lr:
        return None, "weak"
    row = window_row(columns, params, se, envelope, w.origin, [w], level=level,
                     estimate="region", lr=lr, width=w.width)  # fmt: skip
    daily = float(np.mean(base.expected)) * (pd.Timedelta("1D") / base.width)
    small = row["excess_reports"] < SMALL_EXCESS * daily and lr < SMALL_EXCESS_LR
    # the burst-size rule stands in for the screen where the history is too short for it
    return (None, "small") if small and not candidate.calibrated else (row, "kept")


def _borrowed_lr(w: Window, fit: PooledFit) -> float:
    """Likelihood-ratio statistic of region ``w`` against the pooled window, its amplitude
    free (robust overdispersion)."""
    shift = (w.origin - fit.origin) / MINUTE
    ll = loglik(fit.params.vector(), [w], [shift])
    phi = overdispersion(fit.params.vector(), [w], [shift], robust=True)
    return 2 * (ll - null_loglik(w)) / phi


def _model_p(lr: float) -> float:
    """P-value of a borrowed likelihood ratio: half a chi-squared with one degree of freedom
    (the amplitude cannot be negative), 1 where the amplitude is 0."""
    return float(0.5 * stats.chi2.sf(lr, 1)) if lr > 0 else 1.0


def _history_p(base: SeriesBaseline, fit: PooledFit) -> float:
    """P-value of a region's rise over the pooled window against its own history
    (:func:`~analysis.detect.screen.history_pvalue` over the bins the window touches, each
    weighted by the share of it that the window covers). A window shorter than a bin cannot
    place its reports, which lag into the bins after it: it is taken to last as long again
    as the fitted mean report lag (``delay + decay``)."""
    end = fit.end
    if fit.end - fit.start < base.width:
        end += pd.Timedelta(fit.params.delay + fit.params.decay, "min")
    x = (fit.start - base.times[0]) / base.width  # in bins; the grid is regular
    y = (end - base.times[0]) / base.width
    n = len(base.times)
    first = min(max(int(np.floor(x)), 0), n - 1)
    last = max(min(int(np.ceil(y)) - 1, n - 1), first)
    bins = np.arange(first, last + 1)
    cover = np.clip(np.minimum(bins + 1, y) - np.maximum(bins, x), 0.0, 1.0)
    return history_pvalue(base, first, last, cover=cover if cover.any() else None)


def borrowers(tested: list[tuple[dict, float, Window, float]]) -> list[tuple[dict, float, Window]]:
    """The regions that borrow the pooled window, from ``(columns, lr, window, p)`` of each
    region tested against it.

    A region's ``p`` is the larger of two p-values of its rise over the pooled window: the
    model's (:func:`_model_p`) and its own history's (how often its reports rose as much over a
    window as long; real report streams have bursts that the model's noise does not). Regions
    whose ``p`` is a discovery at :data:`BORROW_FDR` among the event's tested regions
    (Benjamini-Hochberg) borrow: where many regions rose, a weaker rise in one more region is
    believed, as it is not where few did. So does any region whose likelihood ratio reaches
    :data:`BORROWED_LR`.

    Examples
    --------
    >>> tested = [({"region": r}, lr, None, p) for r, lr, p in
    ...           [("BRA", 40.0, 1e-4), ("IND", 9.0, 0.01), ("DEU", 6.0, 0.02), ("USA", 3.0, 0.4)]]
    >>> [columns["region"] for columns, _, _ in borrowers(tested)]
    ['BRA', 'IND', 'DEU']
    """
    if not tested:
        return []
    adjusted = stats.false_discovery_control([t[3] for t in tested], method="bh")
    return [t[:3] for t, q in zip(tested, adjusted, strict=True)
            if q <= BORROW_FDR or t[1] >= BORROWED_LR]  # fmt: skip


def _borrowed_rows(
    borrowed: list[tuple[dict, float, Window]], rows: list[dict], fit: PooledFit, level: float
) -> list[dict]:
    """Rows of regions that borrow the pooled window; their intervals also carry how much
    the regions' own windows scatter around it (staggered starts and recoveries)."""
    own_rows = [r for r in rows if r["estimate"] == "region"]
    scatter = (0.0, 0.0)
    if len(own_rows) >= 3:
        scatter = (
            float(np.std([(r["start"] - fit.start) / MINUTE for r in own_rows], ddof=1)),
            float(np.std([(r["end"] - fit.end) / MINUTE for r in own_rows], ddof=1)),
        )
    se = fit.se
    wide = (
        float(np.hypot(se[0], scatter[0])),
        float(np.hypot(se[1], scatter[1])),
        float(np.sqrt(se[2] ** 2 + scatter[0] ** 2 + scatter[1] ** 2)),
    )
    return [window_row(columns, fit.params, wide, fit.envelope, fit.origin, [w], level=level,
                       estimate="pooled", lr=lr, width=w.width)
            for columns, lr, w in borrowed]  # fmt: skip
