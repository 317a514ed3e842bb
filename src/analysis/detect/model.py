"""The reporting model and its likelihood.

Around a candidate, per cell ``u`` of a fine grid (times in minutes)::

    mu(u) = baseline(u) + A * (x * kernel)(u)
    x(u)  = activity(u) * |[start, end) in cell u| * (f + (1 - f) * exp(-(u - start) / eta))

summed into the series' bins, with negative-binomial counts of the baseline's size ``k``.
Where the service came back partly for the last ``p`` minutes, the part of a cell in
``[end - p, end)`` counts ``s`` times (the severity left; ``s = 1`` in the fit, fitted only by
the intervals' fading refit).
The grid's cells are minutes for bins of 1 to 14 minutes, a whole fraction of a minute for
finer or odd bins (30 s, 90 s: half minutes) and about a twelfth of the bin for coarser
ones (:func:`grid_step`): a start and an end are still placed to the second, as the part of
a cell they cover.
:func:`loglik` is the profile log-likelihood of the shared parameters (``A`` profiled out per
region); :func:`fit_model` maximises it (Nelder-Mead). The kernel is a gamma noticing
delay of whole shape (1 in the fit; :data:`PEAKED_SHAPE` for the intervals' envelope) plus an
exponential report decay; its convolution and the amplitudes' search run compiled
(:mod:`.compiled`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.baseline import SeriesBaseline
from analysis.detect import compiled

MINUTE = pd.Timedelta("1min")
#: A fitted window shorter than this (minutes) has collapsed onto a spike of reports.
MIN_WINDOW = 2.0
#: Bins this wide or wider cannot resolve a window of a few minutes.
COARSE_BINS = pd.Timedelta("15min")


def grid_step(width: pd.Timedelta) -> float:
    """Minutes per cell of the model's grid for bins of ``width``: 1 for whole-minute bins of
    1 to 14 minutes; the largest whole fraction of a minute dividing finer or odd widths
    (30 s: 0.5; 90 s: 0.5; 10 s: 1/6); the largest whole number of minutes dividing coarser
    ones that is at most a twelfth of them (15 min: 1; 1 h: 5; 1 day: 120).

    Examples
    --------
    >>> [grid_step(pd.Timedelta(w)) for w in ("30s", "90s", "5min", "1h", "1D")]
    [0.5, 0.5, 1.0, 5.0, 120.0]
    """
    seconds = int(width.total_seconds())
    if seconds <= 0 or seconds != width.total_seconds():
        raise ValueError(f"bin width must be a positive whole number of seconds, got {width}")
    if seconds % 60:
        return math.gcd(seconds, 60) / 60
    minutes = seconds // 60
    top = max(1, minutes // 12)
    return float(max(d for d in range(1, top + 1) if minutes % d == 0))


@dataclass
class Window:
    """One region's data over a fitting range, on the model's grid inside."""

    region: str
    origin: pd.Timestamp  # minute 0
    activity: np.ndarray  # per cell, mean 1 over the range
    per_bin: int  # cells per bin
    observed: np.ndarray  # per bin (NaN: missing)
    expected: np.ndarray  # per bin
    dispersion: float
    width: pd.Timedelta
    weak: bool
    step: float = 1.0  # minutes per cell

    @property
    def n(self) -> int:
        return len(self.activity)


def cut_window(base: SeriesBaseline, region: str, lo: pd.Timestamp, hi: pd.Timestamp) -> Window:
    """Cut ``base`` to the bins in [lo, hi) and lay it out on the model's grid."""
    a = max(0, int(np.ceil((lo - base.times[0]) / base.width)))
    b = min(len(base.times), int(np.ceil((hi - base.times[0]) / base.width)))
    step = grid_step(base.width)
    per_bin = round(base.width / MINUTE / step)
    expected = base.expected[a:b]
    per_cell = np.repeat(expected / per_bin, per_bin)
    return Window(
        region=region,
        origin=base.times[a],
        activity=per_cell / max(per_cell.mean(), 1e-12),
        per_bin=per_bin,
        observed=base.observed[a:b],
        expected=expected,
        dispersion=base.dispersion,
        width=base.width,
        weak=base.weak,
        step=step,
    )


#: Lowest share of the onset reporting rate that an ongoing outage settles to. Without it a
#: short outage with a slow report tail and a long outage whose reports fade away fit the
#: same curve, and the end is lost.
MIN_FLOOR = 0.15


@dataclass(frozen=True)
class Params:
    """The model's parameters: window (minutes on the fit's clock), lag kernel (minutes),
    novelty, and a partial recovery over the window's last ``partial`` minutes at
    ``severity`` of the exposure (none by default).

    Examples
    --------
    >>> v = Params(0.0, 30.0, 1.0, 1.0, 0.99, 1000.0, partial=10.0, severity=0.4).vector()
    >>> _, at, _, _ = compiled.parameters(v, _bounds(), 60.0)
    >>> at[4:].tolist()  # the partial recovery's start (minute) and severity
    [20.0, 0.4]
    """

    start: float  # minutes from the window origin
    end: float
    delay: float
    decay: float
    floor: float
    eta: float
    shape: int = 1  # the gamma noticing delay's shape, a whole number
    min_floor: float = MIN_FLOOR  # the floor's lower bound (never fitted)
    partial: float = 0.0  # minutes before the end from which the service was partly back
    severity: float = 1.0  # the share of the exposure left during that partial recovery

    @property
    def collapsed(self) -> bool:
        """Whether the window is shorter than :data:`MIN_WINDOW`: collapsed onto a spike."""
        return self.end - self.start < MIN_WINDOW

    @classmethod
    def from_vector(cls, v: np.ndarray) -> Params:
        """Parameters from the fitted vector (see :meth:`vector`)."""
        v = np.asarray(v, dtype=float)
        _, at, kernel, shape = compiled.parameters(v, _bounds(), np.inf)
        return cls(float(at[0]), float(at[1]), float(kernel[0]), float(kernel[1]),
                   float(at[2]), float(at[3]), int(shape), float(v[7]), float(v[8]),
                   float(v[9]))  # fmt: skip

    def vector(self) -> np.ndarray:
        """The fitted vector: start, end, log delay, log decay, logit floor (above
        ``min_floor``), log eta, log shape, ``min_floor`` itself (never fitted: the
        likelihood reads the floor's bound from the vector it is given), the partial
        recovery's length and its severity."""
        f = np.clip((self.floor - self.min_floor) / (1 - self.min_floor), 1e-4, 1 - 1e-4)
        return np.array([self.start, self.end, np.log(self.delay), np.log(self.decay),
                         np.log(f / (1 - f)), np.log(self.eta), np.log(self.shape),
                         self.min_floor, self.partial, self.severity])  # fmt: skip


# indices into the parameter vector: start, end, log delay, log decay, logit floor, log eta,
# log shape and the floor's lower bound (these two fixed: never fitted), then the partial
# recovery's length and severity (8 and 9: fitted only by the fading refit's PARTIAL)
FIT = (0, 1, 2, 3, 4, 5)  # the point estimate: an exponential noticing delay (shape 1)
WINDOW_AND_KERNEL = (0, 1, 2, 3)  # regions refit their window and kernel; novelty pooled
FADING = (0, 1, 2, 4, 5)  # a refit with the report decay fixed: window, delay, novelty
PARTIAL = (*FADING, 8, 9)  # the same with a partial recovery before the end
#: Gamma shape of the noticing delay whose fit bounds the intervals on the other side: a
#: peaked delay (few reports in the first minutes) puts the start earlier than shape 1 does.
PEAKED_SHAPE = 3
BOUNDS = {"delay": (0.2, 60.0), "decay": (1.0, 240.0), "eta": (3.0, 1000.0), "shape": (1, 6),
          "severity": (0.05, 1.0)}  # fmt: skip


def movable(p: Params, free: tuple[int, ...]) -> tuple[int, ...]:
    """The entries of ``free`` that ``p``'s reading lets move: a fading reading (its floor's
    bound below :data:`MIN_FLOOR`) keeps its report decay fixed, as it was fitted.

    Examples
    --------
    >>> fading = Params(0.0, 290.0, 2.0, 5.0, 0.03, 25.0, min_floor=0.02)
    >>> movable(fading, FIT), movable(fading, WINDOW_AND_KERNEL)
    ((0, 1, 2, 4, 5), (0, 1, 2))
    >>> movable(Params(0.0, 60.0, 2.0, 5.0, 0.3, 25.0), WINDOW_AND_KERNEL)
    (0, 1, 2, 3)
    """
    return tuple(free) if p.min_floor >= MIN_FLOOR else tuple(i for i in free if i in FADING)


def _bounds() -> np.ndarray:
    """:data:`BOUNDS` as the compiled code takes them: rows delay, decay, eta, shape,
    severity."""
    names = ("delay", "decay", "eta", "shape", "severity")
    return np.array([BOUNDS[name] for name in names], dtype=float)


@dataclass(frozen=True)
class Batch:
    """Windows packed end to end for the compiled likelihood (:mod:`.compiled`), with the
    minute each one's grid starts at on the shared parameters' clock (``shifts``)."""

    shifts: np.ndarray
    activity: np.ndarray  # per cell, all windows
    cells: np.ndarray  # each window's first cell, and the end
    steps: np.ndarray  # minutes per cell, per window
    per_bin: np.ndarray  # cells per bin, per window
    observed: np.ndarray  # per bin, all windows (NaN: missing)
    expected: np.ndarray
    bins: np.ndarray  # each window's first bin, and the end
    dispersion: np.ndarray
    span: float  # minutes covered by the longest window

    @classmethod
    def of(cls, windows: list[Window], shifts: list[float]) -> Batch:
        def offsets(sizes: list[int]) -> np.ndarray:
            return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

        return cls(
            shifts=np.asarray(shifts, dtype=float),
            activity=np.concatenate([w.activity for w in windows]).astype(float),
            cells=offsets([w.n for w in windows]),
            steps=np.array([w.step for w in windows], dtype=float),
            per_bin=np.array([w.per_bin for w in windows], dtype=np.int64),
            observed=np.concatenate([w.observed for w in windows]).astype(float),
            expected=np.concatenate([w.expected for w in windows]).astype(float),
            bins=offsets([len(w.observed) for w in windows]),
            dispersion=np.array([w.dispersion for w in windows], dtype=float),
            span=max(w.n * w.step for w in windows),
        )

    def cold(self) -> np.ndarray:
        """Amplitude search starts for :meth:`loglik`: none yet (the moment estimates)."""
        return np.full(len(self.shifts), np.nan)

    def arrays(self) -> tuple:
        """The compiled likelihood's model constants and window arrays (with a scratch array
        for the excess shapes per bin)."""
        model = (_bounds(), self.span)
        packed = (self.shifts, self.activity, self.cells, self.steps, self.per_bin,
                  self.observed, self.expected, self.bins, self.dispersion,
                  np.zeros(len(self.observed)))  # fmt: skip
        return model, packed

    def loglik(self, v: np.ndarray, warm: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Profile log-likelihood at the parameter vector ``v`` (``-inf`` outside the bounds)
        and each window's excess shape per bin (amplitude 1). ``warm``: each window's amplitude
        search start (NaN: the moment estimate), overwritten with its maximising amplitude."""
        model, packed = self.arrays()
        warm = self.cold() if warm is None else warm
        value = compiled.loglik_at(np.asarray(v, dtype=float), model, packed, warm)
        return value, packed[-1]


def loglik(
    v: np.ndarray, windows: list[Window], shifts: list[float], warm: np.ndarray | None = None
) -> float:
    """Profile log-likelihood of the shared parameters (vector ``v``) over one or more
    windows, each window's amplitude profiled out (``warm``: see :meth:`Batch.loglik`)."""
    return Batch.of(windows, shifts).loglik(v, warm)[0]


def overdispersion(
    v: np.ndarray,
    windows: list[Window],
    shifts: list[float],
    fitted: int | None = None,
    *,
    robust: bool = False,
) -> float:
    """Pearson chi-square per degree of freedom of the fitted model (1 when it fits as the
    negative binomial says; larger when the model is misspecified). ``fitted``: how many of
    the shared parameters were fitted to these windows (default all; 0 when a region is
    tested against a window fitted elsewhere); each window's amplitude counts as well.

    ``robust``: the median squared Pearson residual over its expectation under the model
    (0.455, the median of a chi-square with one degree of freedom) instead, which a few bins
    of an unrelated burst in the fitting range do not move (used to test a window; the mean
    inflates the standard errors)."""
    batch = Batch.of(windows, shifts)
    amplitudes = batch.cold()
    _, g = batch.loglik(v, amplitudes)
    mu = batch.expected + np.repeat(amplitudes, np.diff(batch.bins)) * g
    k = np.repeat(batch.dispersion, np.diff(batch.bins))
    seen = ~np.isnan(batch.observed)
    pearson = ((batch.observed - mu) ** 2 / (mu + mu**2 / k))[seen]
    if robust:
        return max(float(np.median(pearson)) / stats.chi2.median(1), 1.0)
    dof = seen.sum() - len(windows) - (len(v) if fitted is None else fitted)
    return max(float(pearson.sum()) / max(dof, 1), 1.0)


def null_loglik(w: Window) -> float:
    """Log-likelihood of the window's reports under the baseline alone (no outage)."""
    return compiled.nb_loglik(w.observed.astype(float), w.expected.astype(float), w.dispersion)


def fit_model(
    windows: list[Window],
    shifts: list[float],
    start: Params,
    *,
    free: tuple[int, ...] = FIT,
    restarts: int = 1,
) -> tuple[Params, float]:
    """Maximum-likelihood parameters shared by ``windows`` (Nelder-Mead, with restarts).

    Only the parameters at indices ``free`` (start, end, log delay, log decay, logit floor,
    log eta; 8 and 9: the partial recovery's length and severity) move; the others stay at
    ``start``'s values (its floor's lower bound ``start.min_floor`` too)."""
    full = start.vector()
    free_idx = np.asarray(free)
    batch = Batch.of(windows, shifts)
    model, packed = batch.arrays()
    warm = batch.cold()  # the amplitudes' searches start where the last one ended
    best = full[free_idx]
    best_value = -batch.loglik(full, warm)[0]
    best_value = best_value if np.isfinite(best_value) else 1e300
    steps = np.array([10.0, 10.0, 0.7, 0.7, 1.5, 0.7, 0.5, 0.0, 15.0, -0.2])[free_idx]
    dim = len(free_idx)
    for attempt in range(restarts + 1):
        simplex = np.vstack([best] + [best + np.eye(dim)[i] * steps[i] for i in range(dim)])
        x, value, _ = compiled.fit_nelder_mead(full, free_idx, simplex, 0.05, 0.02, 200 * dim,
                                               model, packed, warm)  # fmt: skip
        improved = value < best_value - 0.02
        if value < best_value:
            best, best_value = x, value
        if attempt > 0 and not improved:
            break
        steps = steps / 2
    full[free_idx] = best
    return Params.from_vector(full), -best_value


def initial_params(
    first: float, last: float, core: tuple[float, float] | None = None
) -> tuple[Params, ...]:
    """Starting points of a fit to reports raised from minute ``first`` to ``last`` (the
    candidates' span, minutes on the window's clock): a shorter outage whose reports lag 19
    minutes on average and, as the fit may stop near either, one over the whole span whose
    reports lag 3 minutes and fade; and, given the ``core`` of several series' candidates
    (the median of their first minutes and of their last) where it leaves out a quarter of
    the span or more, one over it whose reports lag 3 minutes. The whole span is as long as
    the longest candidate (a sparse series flagged for an hour either side of the outage),
    and both other starts stopped at a 5-minute window with a 16-minute report tail where a
    30-minute window whose reports fade fitted ten regions' reports better (held-out
    ``peak_and_fade`` case 4 of ``benchmarks/stress.py``). Where the core is most of the span
    the third start adds little to the second and would cost a third of the fitting time.

    Examples
    --------
    >>> [(p.start, p.end, p.delay + p.decay) for p in initial_params(100.0, 160.0, (110.0, 150.0))]
    [(95.0, 135.0, 19.0), (100.0, 160.0, 3.0), (110.0, 150.0, 3.0)]
    >>> len(initial_params(100.0, 160.0, (105.0, 155.0)))
    2
    """
    starts = (Params(first - 5, max(last - 25, first), 4.0, 15.0, 0.5, 60.0),
              Params(first, max(last, first + 5), 1.0, 2.0, 0.3, 20.0))  # fmt: skip
    if core is None or (core[0] - first) + (last - core[1]) < (last - first) / 4:
        return starts
    return (*starts, Params(core[0], max(core[1], core[0] + 5), 1.0, 2.0, 0.3, 20.0))
