"""One event across regions: a pooled fit, regions' own fits and windows borrowed from the pool.

Candidates that overlap in time across regions form one event. A pooled fit shares start,
end and the reporting kernel across the regions with the most excess (each with its own
amplitude) and gives the worldwide ``WLD`` row; regions with enough excess refit their own
window from it; sparser regions borrow the pooled window when a likelihood-ratio test of
their amplitude is significant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.baseline import SeriesBaseline
from analysis.detect.candidates import Candidate
from analysis.detect.intervals import (
    fit_with_uncertainty,
    inflate,
    shrink_towards_pooled,
    standard_errors,
    window_row,
)
from analysis.detect.model import (
    FIT,
    MINUTE,
    WINDOW_AND_KERNEL,
    Params,
    cut_window,
    fit_model,
    initial_params,
    loglik,
    null_loglik,
    overdispersion,
)

#: Likelihood ratio a region without a candidate of its own needs to borrow the pooled window:
#: a one-parameter test (its amplitude, the window fixed), so a p-value of about 4e-6, which
#: across 200 regions tested per event leaves about one false borrowing in a thousand events.
BORROWED_LR = 20.0
#: A window whose excess is below this share of a normal day's reports in its region must
#: clear the stricter likelihood-ratio bar ``SMALL_EXCESS_LR``: bursts of news or bots give
#: such small excesses; outages rarely do (set on the development scenarios).
SMALL_EXCESS = 0.25
SMALL_EXCESS_LR = 150.0
#: Bins this wide or wider cannot resolve a window of a few minutes.
COARSE_BINS = pd.Timedelta("15min")


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
) -> list[dict]:
    lo = min(c.lo for c in event) - before
    hi = max(c.hi for c in event) + after
    rows = []
    own = {}
    for c in event:  # a region with two candidates in one event: keep the larger
        if c.key not in own or c.excess > own[c.key].excess:
            own[c.key] = c
    pooled_fit = None
    if pooled and len(own) >= 2:
        top = sorted(own.values(), key=lambda c: -c.excess)[:max_pooled_regions]
        windows = [cut_window(bases[c.key], c.key[-1], lo, hi) for c in top]
        origin = min(w.origin for w in windows)
        shifts = [(w.origin - origin) / MINUTE for w in windows]
        first = min(c.lo for c in top)
        last = max(c.hi for c in top)
        start = Params((first - origin) / MINUTE - 5, max((last - origin) / MINUTE - 25,
                        (first - origin) / MINUTE + 5), 4.0, 15.0, 0.5, 60.0)  # fmt: skip
        params, ll, se, spread, phi = fit_with_uncertainty(windows, shifts, start, FIT)
        robust_phi = overdispersion(params.vector(), windows, shifts, robust=True)
        lr = 2 * (ll - sum(null_loglik(w) for w in windows)) / robust_phi
        pooled_fit = (params, origin, se, spread)
        width = max(w.width for w in windows)
        columns = {"service": service} if len(key_names) > 1 else {}
        rows.append(window_row({**columns, "region": "WLD"}, params, se, spread, origin, windows,
                         level=level, estimate="pooled", lr=lr, width=width))  # fmt: skip
    borrowed = []
    for key in keys:
        base = bases[key]
        w = cut_window(base, key[-1], lo, hi)
        if not len(w.observed) or np.isnan(w.observed).all():
            continue
        columns = dict(zip(key_names, key, strict=True))
        candidate = own.get(key)
        null = null_loglik(w)
        if candidate is not None and (candidate.excess >= own_fit_excess or pooled_fit is None):
            if pooled_fit is None:
                init = initial_params(w, candidate.lo, candidate.hi)
                params, ll, se, spread, phi = fit_with_uncertainty([w], [0.0], init, FIT)
            else:  # refit window and kernel from the pooled fit (its novelty and family kept);
                # the standard errors still carry the novelty parameters
                p0, origin, _, spread = pooled_fit
                shift = (origin - w.origin) / MINUTE
                init = Params(p0.start + shift, p0.end + shift, p0.delay, p0.decay, p0.floor,
                               p0.eta, p0.shape)  # fmt: skip
                params, ll = fit_model([w], [0.0], init, free=WINDOW_AND_KERNEL, restarts=0)
                phi = overdispersion(params.vector(), [w], [0.0], len(WINDOW_AND_KERNEL))
                se = inflate(standard_errors(params, [w], [0.0], FIT), phi)
            lr = 2 * (ll - null) / overdispersion(params.vector(), [w], [0.0], robust=True)
            collapsed = params.end - params.start < 2.0
            coarse = w.width >= COARSE_BINS
            if lr >= min_lr and not collapsed:
                row = window_row(columns, params, se, spread, w.origin, [w], level=level,
                           estimate="region", lr=lr, width=w.width)  # fmt: skip
                daily = float(np.mean(base.expected)) * (pd.Timedelta("1D") / base.width)
                if (candidate.screened or row["excess_reports"] >= SMALL_EXCESS * daily
                        or lr >= SMALL_EXCESS_LR):  # fmt: skip
                    rows.append(row)
            if not (collapsed and coarse and pooled_fit is not None):
                continue
            # the region's own refit collapsed to an instant, which coarse bins cannot show
            # (a few of them can be fitted by a spike): test the pooled window instead, as a
            # sparse region does. At finer bins a collapse is a burst, not an outage.
        if pooled_fit is None:
            continue
        params, origin, se, spread = pooled_fit
        shift = (w.origin - origin) / MINUTE
        ll = loglik(params.vector(), [w], [shift])
        lr = 2 * (ll - null) / overdispersion(params.vector(), [w], [shift], robust=True)
        # a candidate found only by pooling is tested as a region borrowing the window is
        threshold = BORROWED_LR if candidate is None or candidate.screened else min_lr
        if lr >= threshold:
            borrowed.append((columns, lr, w))
    if pooled_fit is not None:
        pooled_start = pooled_fit[1] + pd.Timedelta(pooled_fit[0].start, "min")
        shrink_towards_pooled(rows, pooled_start, level)
    if borrowed:
        # regions that borrow the pooled window also carry how much regions' own windows
        # scatter around it (staggered starts and recoveries)
        params, origin, se, spread = pooled_fit
        own_rows = [r for r in rows if r["estimate"] == "region"]
        scatter = (0.0, 0.0)
        if len(own_rows) >= 3:
            pooled_start = origin + pd.Timedelta(params.start, "min")
            pooled_end = origin + pd.Timedelta(params.end, "min")
            scatter = (
                float(np.std([(r["start"] - pooled_start) / MINUTE for r in own_rows], ddof=1)),
                float(np.std([(r["end"] - pooled_end) / MINUTE for r in own_rows], ddof=1)),
            )
        wide = (float(np.hypot(se[0], scatter[0])), float(np.hypot(se[1], scatter[1])), se[2])
        for columns, lr, w in borrowed:
            rows.append(window_row(columns, params, wide, spread, origin, [w], level=level,
                             estimate="pooled", lr=lr, width=w.width))  # fmt: skip
    return rows
