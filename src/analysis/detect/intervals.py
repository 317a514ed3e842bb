"""Uncertainty of a fitted window: standard errors, model error, the kernel-family envelope,
and the output row with its intervals.

Intervals at ``level`` come from the observed information (the numerical Hessian of the
profile log-likelihood), inflated by the Pearson overdispersion (quasi-likelihood), combined
with a model-error term, and stretched to cover refits under other reporting processes that
fit the same reports: a peaked noticing delay (:func:`peaked_move`), reports that lag little
but fade while a long outage lasts (:func:`fading_refit`, which replaces the fit where it is
clearly likelier) and the fit from the other starting point (:func:`fit_with_uncertainty`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from analysis.detect.model import (
    COARSE_BINS,
    FADING,
    FIT,
    MIN_WINDOW,
    MINUTE,
    PARTIAL,
    PEAKED_SHAPE,
    WINDOW_AND_KERNEL,
    Batch,
    Params,
    Window,
    fit_model,
    movable,
    overdispersion,
)

#: Model error added (in quadrature) to the standard error of a start, in minutes, and of an
#: end, as a share of the fitted mean reporting lag (delay + decay): end errors grow with slow
#: report tails, start errors do not. Chosen on the development families of
#: ``benchmarks/stress.py`` (log-normal lags, big bursts, heavy-tailed noise, real tweets:
#: reporting processes unlike the model's), where they bring the 90% intervals to 0.90 / 0.84
#: coverage; on the project's own simulator they over-cover (1.0 / 0.97 or more).
MODEL_ERROR_START = 2.5
MODEL_ERROR_END = 0.5
#: A slow report tail after a short outage and a long outage whose reports fade (or that
#: partly recovers) fit the same reports. The intervals cover both: an event whose fitted
#: reports lag longer than this on average (delay + decay, minutes: with an exponential
#: noticing delay the two are interchangeable), or fade as far as the model lets them (the
#: novelty floor at its lower bound), is refitted with reports that lag at most this long
#: and may fade to ``FADE_FLOOR`` of their onset rate; at hourly bins too, where a lag of 40
#: minutes against one of 5 moves the end by most of a bin. Not at bins of
#: ``FADE_MAX_WIDTH`` or coarser: the longest report tail the kernel allows (5 hours) lies
#: inside such a bin, and the refit only moves times within it. The refit replaces the fit
#: where it is likelier by ``FADE_SWITCH_LOGLIK`` (a likelihood-ratio statistic of 20, the
#: bar at which a region borrows a pooled window on its ratio alone) and its reports lag no
#: longer than the fit's (or than ``FADE_DECAY``).
FADE_DECAY = 5.0
FADE_FLOOR = 0.02
FADE_MAX_WIDTH = pd.Timedelta("6h")
FADE_SWITCH_LOGLIK = 10.0
#: Where the fitted reports lag longer than ``FADE_DECAY``, the fading refit is also run with
#: a partial recovery before the end (the service back for some, reports at a share of their
#: level, then the final recovery: a flat stretch of reports that a slow report tail would
#: read as decay) and kept where likelier than without, if that recovery lasts
#: ``PARTIAL_MIN`` minutes or more at a severity of ``PARTIAL_SEVERITY_MIN`` or more, and its
#: reports stay flat: their ratio to the reading's, over the recovery's last third against
#: its first, within ``PARTIAL_FLAT``. Chosen on the development families of
#: ``benchmarks/stress.py`` and on an independent generator of report series whose reports
#: fall after recovery as two exponentials (the slower one 15-45 minutes): shorter partial
#: recoveries read log-normal report tails (ends 15-17 minutes late in two development
#: events); fainter or falling ones (severity 0.11-0.24, reports falling to 0.83-0.91 over the
#: stretch) read the slow exponential (ends 38-130 minutes late in three of 36 independent
#: cases); rising ones bridged the quiet gap to a second outage 70 minutes later.
PARTIAL_MIN = 30.0
PARTIAL_SEVERITY_MIN = 0.2
PARTIAL_FLAT = (0.95, 1.25)
#: Log-likelihood by which a fit from another start must beat the first start's to replace
#: it (a likelihood-ratio statistic of 4 before overdispersion, less evidence where the
#: reports are overdispersed): where the reports cannot tell the readings apart, as in an
#: hourly series that ends with the outage, the first stands.
SWITCH_LOGLIK = 2.0


@dataclass(frozen=True)
class Envelope:
    """How far the start and end move (minutes) when the event is refitted under other
    reporting processes that fit the same reports: one (start, end) shift per refit."""

    shifts: tuple[tuple[float, float], ...] = ()

    def _range(self, values: list[float]) -> tuple[float, float]:
        return min([0.0, *values]), max([0.0, *values])

    @property
    def start(self) -> tuple[float, float]:
        """The furthest shifts of the start, earlier (<= 0) and later (>= 0)."""
        return self._range([s for s, _ in self.shifts])

    @property
    def end(self) -> tuple[float, float]:
        return self._range([e for _, e in self.shifts])

    @property
    def duration(self) -> tuple[float, float]:
        return self._range([e - s for s, e in self.shifts])


def bin_floor(width: pd.Timedelta) -> float:
    """Smallest standard error of a time read from bins of ``width`` (minutes): that of a
    uniform position within a bin, ``width / sqrt(12)``."""
    return width / MINUTE / np.sqrt(12)


def inflate(se: tuple[float, float, float], phi: float) -> tuple[float, float, float]:
    return tuple(x * np.sqrt(phi) for x in se)


def standard_errors(
    p: Params,
    windows: list[Window],
    shifts: list[float],
    free: tuple[int, ...] = FIT,
) -> tuple[float, float, float]:
    """Standard errors of start, end and duration (minutes) from the numerical Hessian of the
    profile log-likelihood over the ``free`` parameters (start and end must be free).

    At bins of :data:`~analysis.detect.model.COARSE_BINS` or coarser they come from the
    likelihood's own reach instead (:func:`scan_se`): a fitted time there often lies on a
    bin's edge, where the likelihood is kinked and its curvature says nothing (in hourly
    series, regions' ends had standard errors of 45 to 920 minutes where the likelihood fell
    by 1/2 within 5 to 11)."""
    v = p.vector()
    batch = Batch.of(windows, shifts)
    warm = batch.cold()
    if max(w.width for w in windows) >= COARSE_BINS:
        return _scanned(v, batch, batch.loglik(v, warm)[0])
    steps = np.array([0.5, 0.5, 0.05, 0.05, 0.1, 0.05, 0.05, 0.0, 0.5, 0.02])
    free = tuple(free)
    cache: dict[tuple[int, ...], float] = {}

    def f(*moves: tuple[int, int]) -> float:
        key = tuple(sorted(moves))
        if key not in cache:
            x = v.copy()
            for i, sign in moves:
                x[i] += sign * steps[i]
            cache[key] = batch.loglik(x, warm)[0]
        return cache[key]

    dim = len(free)
    hess = np.zeros((dim, dim))
    for a, i in enumerate(free):
        hess[a, a] = (f((i, 1)) - 2 * f() + f((i, -1))) / steps[i] ** 2
        for b in range(a + 1, dim):
            j = free[b]
            cross = (
                f((i, 1), (j, 1)) - f((i, 1), (j, -1)) - f((i, -1), (j, 1)) + f((i, -1), (j, -1))
            )
            hess[a, b] = hess[b, a] = cross / (4 * steps[i] * steps[j])
    info = -hess
    if np.all(np.isfinite(info)):
        cov = np.linalg.pinv(info)
        var_s, var_e = cov[0, 0], cov[1, 1]
        var_d = var_s + var_e - 2 * cov[0, 1]
        if min(var_s, var_e, var_d) > 0:
            return float(np.sqrt(var_s)), float(np.sqrt(var_e)), float(np.sqrt(var_d))
    # the quadratic approximation failed (a flat or kinked likelihood, e.g. a gap over the
    # onset): fall back to scanning the log-likelihood of start and end one at a time
    return _scanned(v, batch, f())


def _scanned(v: np.ndarray, batch: Batch, top: float) -> tuple[float, float, float]:
    """Standard errors of start, end and duration (minutes) from :func:`scan_se`, the
    duration's as if start and end were independent."""
    se_s, se_e = (scan_se(v, i, batch, top) for i in (0, 1))
    return se_s, se_e, float(np.hypot(se_s, se_e))


def scan_se(v: np.ndarray, i: int, batch: Batch, top: float) -> float:
    """Standard-error equivalent from where the log-likelihood of parameter ``i`` over the
    windows of ``batch`` drops by 1/2 (the 68% likelihood interval), scanning outwards up to
    6 hours."""
    offsets = np.concatenate(
        [np.arange(0.5, 10, 0.5), np.arange(10, 60, 2.5), np.arange(60, 361, 15)]
    )
    reach = []
    for sign in (-1, 1):
        last = 0.0
        for off in offsets:
            x = v.copy()
            x[i] += sign * off
            value = batch.loglik(x)[0]
            if not np.isfinite(value) or value < top - 0.5:
                break
            last = off
        reach.append(last if last else 0.5)
    return float(np.mean(reach))


def fit_with_uncertainty(
    windows: list[Window], shifts: list[float], starts: tuple[Params, ...], free: tuple[int, ...]
) -> tuple[Params, float, tuple[float, float, float], Envelope, float]:
    """Fit, standard errors (quasi-likelihood inflated), the envelope of refits under other
    reporting processes and the Pearson overdispersion ``phi``.

    The fit is run from each of ``starts``. The first start's window is kept unless another's
    is likelier by :data:`SWITCH_LOGLIK`, and a window that collapsed (under
    :data:`~analysis.detect.model.MIN_WINDOW`: a spike, which is dropped) only when every
    start's did: reports that spike and fade while an outage goes on also fit a collapsed
    window with a slow report tail. The fading refit (:func:`fading_refit`) then replaces the
    kept window where :func:`_fades_instead` says so: reports that fade below the model's
    floor and stay up for hours were read as a short outage (or one ending when the reports
    fell), and the rest left unexplained. Its standard errors are then taken with its decay
    fixed, as it was fitted.

    The envelope holds the peaked refit (:func:`peaked_move`) and every other reading, the
    windows that were not kept (but for collapsed starts) whatever their likelihood: the
    other starts', the fading refit's or the fit it replaced."""
    fits = [fit_model(windows, shifts, start, free=free) for start in starts]
    fits = [fit for fit in fits if not fit[0].collapsed] or fits
    chosen = int(np.argmax([ll for _, ll in fits]))
    if fits[chosen][1] < fits[0][1] + SWITCH_LOGLIK:
        chosen = 0
    params, ll = fits[chosen]
    readings = [q for i, (q, _) in enumerate(fits) if i != chosen]
    fading = fading_refit(params, windows, shifts)
    if fading is not None:
        if _fades_instead(fading, params, ll):
            readings.append(params)
            params, ll = fading
        else:
            readings.append(fading[0])
    phi = overdispersion(params.vector(), windows, shifts)
    se = inflate(standard_errors(params, windows, shifts, movable(params, free)), phi)
    moves = tuple((q.start - params.start, q.end - params.end) for q in readings)
    return params, ll, se, Envelope((peaked_move(params, windows, shifts), *moves)), phi


def _fades_instead(fading: tuple[Params, float], p: Params, ll: float) -> bool:
    """Whether the fading refit ``(q, its log-likelihood)`` replaces the fit ``p`` (``ll``):
    its window did not collapse, its reports lag no longer than the fit's (or than
    :data:`FADE_DECAY`) and it is likelier by :data:`FADE_SWITCH_LOGLIK`.

    Examples
    --------
    >>> fit = Params(0.0, 5.0, 1.0, 40.0, 0.15, 5.0)  # a short window, a 40-minute tail
    >>> _fades_instead((Params(0.0, 290.0, 2.0, 5.0, 0.02, 25.0), -900.0), fit, -1000.0)
    True
    >>> _fades_instead((Params(0.0, 290.0, 40.0, 5.0, 0.02, 25.0), -900.0), fit, -1000.0)
    False
    """
    q, fading_ll = fading
    lag = max(p.delay + p.decay, FADE_DECAY)
    return not q.collapsed and q.delay + q.decay <= lag and fading_ll > ll + FADE_SWITCH_LOGLIK


def peaked_move(p: Params, windows: list[Window], shifts: list[float]) -> tuple[float, float]:
    """How far start and end move (minutes) when the windows are refitted from ``p`` under a
    peaked noticing delay (gamma, shape :data:`PEAKED_SHAPE`: few reports in the first
    minutes)."""
    peaked = replace(p, shape=PEAKED_SHAPE)
    alt, _ = fit_model(windows, shifts, peaked, free=WINDOW_AND_KERNEL, restarts=0)
    return alt.start - p.start, alt.end - p.end


def fading_refit(
    p: Params, windows: list[Window], shifts: list[float]
) -> tuple[Params, float] | None:
    """Refit from ``p`` with reports that lag at most :data:`FADE_DECAY` minutes and may fade
    to :data:`FADE_FLOOR` of their onset rate, where the fitted reports lag longer than that
    on average or fade as far as the model lets them (the novelty floor at its lower bound),
    at bins finer than :data:`FADE_MAX_WIDTH` (``None`` elsewhere); with one restart at bins
    of :data:`~analysis.detect.model.COARSE_BINS` or coarser, where without it the refit
    stopped 10 minutes apart on hourly reports moved by half an hour. A short outage with a
    slow report tail and a long one whose reports fade fit the same reports; so does one
    that recovered partly before its end (:func:`partial_refit`, kept where likelier)."""
    lag, width = p.delay + p.decay, max(w.width for w in windows)
    at_floor = p.floor < p.min_floor + 0.01
    if (lag <= FADE_DECAY and not at_floor) or width >= FADE_MAX_WIDTH:
        return None
    if lag > FADE_DECAY:  # the delay and decay of an exponential delay are interchangeable
        delay, decay = min(p.delay, p.decay, FADE_DECAY), FADE_DECAY
    else:  # the kernel is kept; only the floor may fall further
        delay, decay = p.delay, p.decay
    fading = Params(p.start, p.end + max(lag - FADE_DECAY, 0.0), delay, decay, 0.3, 30.0,
                    p.shape, FADE_FLOOR)  # fmt: skip
    restarts = int(width >= COARSE_BINS)
    refit = fit_model(windows, shifts, fading, free=FADING, restarts=restarts)
    if lag <= FADE_DECAY:
        return refit
    partial = partial_refit(fading, p.end, lag, windows, shifts, restarts)
    return partial if partial is not None and partial[1] > refit[1] else refit


def partial_refit(
    fading: Params,
    fitted_end: float,
    lag: float,
    windows: list[Window],
    shifts: list[float],
    restarts: int,
) -> tuple[Params, float] | None:
    """The fading refit's start ``fading`` refitted with a partial recovery before the end
    (window, delay, novelty, partial recovery and severity; the report decay kept): from an
    end as far past the fit's (``fitted_end``) as twice the fit's excess lag (``lag -
    FADE_DECAY``, minutes), partly recovered from the fit's end at 40% severity.
    ``None`` where the fitted partial recovery is shorter than :data:`PARTIAL_MIN`, fainter
    than :data:`PARTIAL_SEVERITY_MIN` or not flat (:func:`flatness` outside
    :data:`PARTIAL_FLAT`; see there).

    Examples
    --------
    Reports from minute 60 to 240 at 4 times the baseline of 50, at 1.35 times from minute
    180 (a 2-minute report lag): a fit that ended at minute 180 with a 30-minute report tail
    is refitted with the partial recovery, and ends 2 minutes from the truth.

    >>> n = 360
    >>> u = np.arange(n)
    >>> down = np.where((u >= 60) & (u < 240), 1.0, 0.0) * np.where(u >= 180, 0.35, 1.0)
    >>> reports = np.round(50 + 150 * np.convolve(down, np.diff(1 - np.exp(-u[:31] / 2)))[:n])
    >>> w = Window("BRA", pd.Timestamp("2017-05-03 18:00", tz="UTC"), np.ones(n), 1, reports,
    ...            np.full(n, 50.0), 1e6, pd.Timedelta("1min"), False)
    >>> fading = Params(60.0, 200.0, 1.0, 5.0, 0.3, 30.0, 1, FADE_FLOOR)
    >>> q, _ = partial_refit(fading, 180.0, 25.0, [w], [0.0], 0)
    >>> round(q.start), round(q.end), round(q.partial), round(q.severity, 2)
    (60, 238, 60, 0.34)
    >>> round(flatness(q, [w], [0.0]), 2)  # about flat (the reading's lag is 5 minutes, not 2)
    1.08
    """
    span = max(w.n * w.step + s for w, s in zip(windows, shifts, strict=True))
    end = max(min(fitted_end + 2 * (lag - FADE_DECAY), span), fitted_end)
    start = replace(fading, end=end, partial=end - fitted_end, severity=0.4)
    q, ll = fit_model(windows, shifts, start, free=PARTIAL, restarts=restarts)
    if q.partial < PARTIAL_MIN or q.severity < PARTIAL_SEVERITY_MIN:
        return None
    low, high = PARTIAL_FLAT
    return (q, ll) if low <= flatness(q, windows, shifts) <= high else None


def flatness(q: Params, windows: list[Window], shifts: list[float]) -> float:
    """How the reports over the last third of ``q``'s partial recovery compare with those
    over its first third, each as a ratio of the excess reports seen (observed minus
    baseline, in bins whose middle lies in that third) to the excess the reading ``q``
    expects there, summed over the windows: about 1 where the reports stay as flat as the
    partial recovery says, under 1 where they fall (a slow report tail), over 1 where they
    rise (another outage). NaN where either third holds no excess seen or expected."""
    batch = Batch.of(windows, shifts)
    amplitudes = batch.cold()
    _, g = batch.loglik(q.vector(), amplitudes)
    third = q.partial / 3
    thirds = ((q.end - q.partial, q.end - 2 * third), (q.end - third, q.end))
    sums = np.zeros((2, 2))  # per third: excess seen, excess expected
    for i, (w, shift) in enumerate(zip(windows, shifts, strict=True)):
        b0, b1 = batch.bins[i], batch.bins[i + 1]
        width = w.width / MINUTE
        middle = shift + (np.arange(b1 - b0) + 0.5) * width
        seen = ~np.isnan(w.observed)
        for j, (lo, hi) in enumerate(thirds):
            inside = seen & (middle >= lo) & (middle < hi)
            sums[j] += [np.sum(w.observed[inside] - w.expected[inside]),
                        amplitudes[i] * np.sum(g[b0:b1][inside])]  # fmt: skip
    if (sums <= 0).any():
        return float("nan")
    return float((sums[1, 0] / sums[1, 1]) / (sums[0, 0] / sums[0, 1]))


def window_row(
    key_columns: dict,
    p: Params,
    se: tuple[float, float, float],
    envelope: Envelope,
    origin: pd.Timestamp,
    windows: list[Window],
    *,
    level: float,
    estimate: str,
    lr: float,
    width: pd.Timedelta,
) -> dict:
    zq = stats.norm.ppf(0.5 + level / 2)
    floor = bin_floor(width)
    # model error: the reporting process is never exactly the model's; its size was
    # calibrated on simulations with other kernels, novelty and noise (see the module notes)
    model_end = MODEL_ERROR_END * (p.delay + p.decay)
    se_s = float(np.hypot(max(se[0], floor), MODEL_ERROR_START))
    se_e = float(np.hypot(max(se[1], floor), model_end))
    # the duration's joint standard error (the covariance of start and end kept), with both
    # model errors added as if independent
    se_d = float(np.sqrt(max(se[2], floor) ** 2 + MODEL_ERROR_START**2 + model_end**2))
    (start_lo, start_hi), (end_lo, end_hi) = envelope.start, envelope.end
    duration_lo, duration_hi = envelope.duration
    start = origin + pd.Timedelta(p.start, "min")
    end = origin + pd.Timedelta(p.end, "min")
    peak_time, peak, excess = pd.NaT, np.nan, 0.0
    tail = pd.Timedelta(p.delay + 5 * p.decay, "min")
    partly = p.partial > 0 and p.severity < 1
    for w in windows:
        times = w.origin + np.arange(len(w.observed)) * w.width
        inside = (times + w.width > start) & (times < end + tail) & ~np.isnan(w.observed)
        if inside.any():
            excess += float(np.sum(w.observed[inside] - w.expected[inside]))
            i = np.flatnonzero(inside)[np.argmax(w.observed[inside])]
            if np.isnan(peak) or w.observed[i] > peak:
                peak_time, peak = times[i], float(w.observed[i])
    return {
        **key_columns,
        "start": start.round("s"),
        "end": end.round("s"),
        "duration": end.round("s") - start.round("s"),
        "duration_low": max(
            end - start + pd.Timedelta(duration_lo - zq * se_d, "min"), pd.Timedelta(0)
        ).round("s"),
        "duration_high": (end - start + pd.Timedelta(duration_hi + zq * se_d, "min")).round("s"),
        "start_low": (start + pd.Timedelta(start_lo - zq * se_s, "min")).round("s"),
        "start_high": (start + pd.Timedelta(start_hi + zq * se_s, "min")).round("s"),
        "end_low": (end + pd.Timedelta(end_lo - zq * se_e, "min")).round("s"),
        "end_high": (end + pd.Timedelta(end_hi + zq * se_e, "min")).round("s"),
        "level": level,
        "peak_time": peak_time,
        "peak_reports": peak,
        "excess_reports": excess,
        "estimate": estimate,
        "delay": pd.Timedelta(p.delay, "min"),
        "decay": pd.Timedelta(p.decay, "min"),
        "novelty_floor": p.floor,
        "novelty_decay": pd.Timedelta(p.eta, "min"),
        "partial_from": (end - pd.Timedelta(p.partial, "min")).round("s") if partly else pd.NaT,
        "partial_severity": p.severity if partly else np.nan,
        "lr_stat": lr,
        "weak_baseline": any(w.weak for w in windows),
        # for the shrinkage of starts (dropped from the output): the statistical standard
        # error, the fit's own start and the kernel-family envelope around it, in minutes
        "_start_se": max(se[0], floor),
        "_start_fit": start,
        "_start_envelope": envelope.start,
    }


def shrink_towards_pooled(
    rows: list[dict], pooled_start: pd.Timestamp, pooled_se: float, level: float
) -> None:
    """Empirical-Bayes shrinkage of regions' own starts towards the pooled start.

    An outage starts nearly at once everywhere, so each region's fitted start ``x_i``
    (statistical standard error ``s_i``) moves to ``pooled + w_i (x_i - pooled)`` with
    ``w_i = t2 / (t2 + s_i**2)``, where ``t2``, the spread of the regions' true starts around
    the pooled one, is estimated by moments (the mean of ``(x_i - pooled)**2 - s_i**2``: regions
    that agree with one another but not with the pooled start, which one region's burst can
    draw away, keep their own starts). Its interval is rebuilt around the new estimate
    from the shrunk statistical error ``sqrt(w_i) s_i``, the pooled start's own standard error
    ``pooled_se`` (minutes) weighted by ``1 - w_i``, the model error and the kernel-family
    envelope (neither of which pooling reduces). A region whose own data are precise keeps
    its own start. Ends are left alone: recoveries are staggered; a shrunk start stays at
    least :data:`~analysis.detect.model.MIN_WINDOW` minutes before its region's end (at
    coarse bins a region may have recovered before the pooled start).
    """
    own = [r for r in rows if r["estimate"] == "region"]
    if len(own) < 3:
        return
    zq = stats.norm.ppf(0.5 + level / 2)
    d = np.array([(r["_start_fit"] - pooled_start) / MINUTE for r in own])
    v = np.array([r["_start_se"] ** 2 for r in own])
    t2 = max(float(np.mean(d**2) - v.mean()), 0.0)  # the spread around the pooled start
    for r, di, vi in zip(own, d, v, strict=True):
        w = t2 / (t2 + vi)
        centre = min(pooled_start + pd.Timedelta(w * di, "min"),
                     r["end"] - pd.Timedelta(MIN_WINDOW, "min"))  # fmt: skip
        statistical = np.hypot(np.sqrt(w * vi), (1 - w) * pooled_se)
        half = zq * np.hypot(statistical, MODEL_ERROR_START)
        low, high = r["_start_envelope"]
        r["start"] = centre.round("s")
        r["start_low"] = (centre + pd.Timedelta(low - half, "min")).round("s")
        r["start_high"] = (centre + pd.Timedelta(high + half, "min")).round("s")
        moved = r["end"] - r["start"] - r["duration"]
        r["duration"] = r["end"] - r["start"]
        r["duration_low"] = max(r["duration_low"] + moved, pd.Timedelta(0))
        r["duration_high"] = r["duration_high"] + moved
