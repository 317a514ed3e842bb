"""The reporting model and its likelihood.

Around a candidate, per cell ``u`` of a fine grid (times in minutes)::

    mu(u) = baseline(u) + A * (x * kernel)(u)
    x(u)  = activity(u) * |[start, end) in cell u| * (f + (1 - f) * exp(-(u - start) / eta))

summed into the series' bins, with negative-binomial counts of the baseline's size ``k``.
The grid's cells are minutes for bins of 1 to 14 minutes, a whole fraction of a minute for
finer or odd bins (30 s, 90 s: half minutes) and about a twelfth of the bin for coarser
ones (:func:`grid_step`): a start and an end are still placed to the second, as the part of
a cell they cover.
:func:`loglik` is the profile log-likelihood of the shared parameters (``A`` profiled out per
region); :func:`fit_model` maximises it (Nelder-Mead, scipy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, signal, special, stats

from analysis.baseline import SeriesBaseline

MINUTE = pd.Timedelta("1min")


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
    bin_of_cell: np.ndarray  # first cell of each bin (for np.add.reduceat)
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
        bin_of_cell=np.arange(0, len(per_cell), per_bin),
        observed=base.observed[a:b],
        expected=expected,
        dispersion=base.dispersion,
        width=base.width,
        weak=base.weak,
        step=step,
    )


def lag_kernel(delay: float, decay: float, shape: float, n: int, step: float = 1.0) -> np.ndarray:
    """Weights per cell of ``step`` minutes (``n`` cells) of a gamma(shape, mean ``delay``) +
    exponential(mean ``decay``) lag, in minutes.

    The CDF of the sum is closed-form when the gamma's rate exceeds the exponential's
    (``F = G(a, b t) - exp(-l t) (b / (b - l))**a G(a, (b - l) t)``, with ``G`` the regularised
    lower incomplete gamma); otherwise the densities are convolved on a grid of 1/8 cell.
    """
    t = np.arange(n + 1, dtype=float) * step
    a, rate, lam = shape, shape / max(delay, 1e-3), 1 / max(decay, 1e-3)
    if a == 1.0 and abs(rate - lam) > 1e-3 * lam:  # two exponentials: elementary closed form
        cdf = 1 - (rate * np.exp(-lam * t) - lam * np.exp(-rate * t)) / (rate - lam)
    elif rate > 1.05 * lam:
        log_ratio = a * np.log(rate / (rate - lam))
        cdf = special.gammainc(a, rate * t) - np.exp(log_ratio - lam * t) * special.gammainc(
            a, (rate - lam) * t
        )
    else:
        sub = 8
        fine = (np.arange(n * sub) + 0.5) * step / sub
        notice = stats.gamma.pdf(fine, a, scale=1 / rate) * step / sub
        lag = stats.expon.pdf(fine, scale=1 / lam) * step / sub
        density = signal.fftconvolve(notice, lag)[: n * sub]
        cdf = np.concatenate([[0.0], np.cumsum(density.reshape(n, sub).sum(axis=1))])
    return np.maximum(np.diff(cdf), 0.0)


@dataclass(frozen=True)
class Params:
    start: float  # minutes from the window origin
    end: float
    delay: float
    decay: float
    floor: float
    eta: float
    shape: float = 1.0

    @classmethod
    def from_vector(cls, v: np.ndarray) -> Params:
        floor = MIN_FLOOR + (1 - MIN_FLOOR) * special.expit(v[4])
        return cls(v[0], v[1], np.exp(v[2]), np.exp(v[3]), floor, np.exp(v[5]),
                   np.exp(v[6]))  # fmt: skip

    def vector(self) -> np.ndarray:
        f = np.clip((self.floor - MIN_FLOOR) / (1 - MIN_FLOOR), 1e-4, 1 - 1e-4)
        return np.array([self.start, self.end, np.log(self.delay), np.log(self.decay),
                         np.log(f / (1 - f)), np.log(self.eta), np.log(self.shape)])  # fmt: skip


#: Lowest share of the onset reporting rate that an ongoing outage settles to. Without it a
#: short outage with a slow report tail and a long outage whose reports fade away fit the
#: same curve, and the end is lost.
MIN_FLOOR = 0.15
# indices into the parameter vector: start, end, log delay, log decay, logit floor, log eta,
# log shape
ALL = (0, 1, 2, 3, 4, 5, 6)
FIT = (0, 1, 2, 3, 4, 5)  # the point estimate: an exponential noticing delay (shape 1)
WINDOW_AND_KERNEL = (0, 1, 2, 3)  # regions refit their window and kernel; novelty pooled
#: Gamma shape of the noticing delay whose fit bounds the intervals on the other side: a
#: peaked delay (few reports in the first minutes) puts the start earlier than shape 1 does.
PEAKED_SHAPE = 3.0
BOUNDS = {"delay": (0.2, 60.0), "decay": (1.0, 240.0), "eta": (3.0, 1000.0), "shape": (1, 6)}


def kernel_spectrum(weights: np.ndarray) -> tuple[np.ndarray, int]:
    """The kernel's real FFT, long enough for a linear convolution over ``len(kernel)``."""
    size = 1 << int(np.ceil(np.log2(2 * len(weights))))
    return np.fft.rfft(weights, size), size


def _exposure(p: Params, u: np.ndarray, activity: np.ndarray, step: float) -> np.ndarray:
    """Users hit in each cell of ``step`` minutes starting at ``u`` (minutes from the window
    origin, any shape): activity times the minutes of the cell the outage covers, settling by
    novelty."""
    cover = np.clip(np.minimum(u + step, p.end) - np.maximum(u, p.start), 0, step)
    since = np.maximum(u + step / 2 - p.start, 0)
    return activity * cover * (p.floor + (1 - p.floor) * np.exp(-since / p.eta))


def excess_shape(
    p: Params, w: Window, origin_shift: float, spectrum: tuple[np.ndarray, int]
) -> np.ndarray:
    """Excess shape per bin (amplitude 1) for window ``w``: the outage's activity-weighted
    indicator convolved (FFT) with the kernel whose spectrum is given (on ``w``'s grid)."""
    x = _exposure(p, np.arange(w.n, dtype=float) * w.step + origin_shift, w.activity, w.step)
    if not x.any():
        return np.zeros(len(w.expected))
    kernel_fft, size = spectrum
    echo = np.fft.irfft(np.fft.rfft(x, size) * kernel_fft, size)[: w.n]
    return np.add.reduceat(np.maximum(echo, 0), w.bin_of_cell)


def profile_amplitude(
    g: np.ndarray, y: np.ndarray, b: np.ndarray, k: float, start: float | None = None
) -> tuple[float, float]:
    """Maximise the negative-binomial log-likelihood over the amplitude A >= 0 (the search of
    :func:`_profile_amplitudes` for one window, on scalars; ``start``: where it begins,
    default the moment estimate). Returns (A, log-likelihood up to a constant)."""
    on = g > 0  # bins without excess add nothing to the gradient or curvature
    a = _newton_amplitude(g[on], y[on], b[on], k, start) if on.any() else 0.0
    return a, nb_loglik(y, b + a * g, k)


def _newton_amplitude(g: np.ndarray, y: np.ndarray, b: np.ndarray, k: float,
                      start: float | None) -> float:  # fmt: skip
    a = max(float((y - b).sum() / g.sum()), 0.0) if start is None else max(start, 0.0)
    yk = y + k
    for _ in range(60):
        mu = b + a * g
        r, q = g / mu, g / (k + mu)
        grad, hess = float(y @ r - yk @ q), float(yk @ (q * q) - y @ (r * r))
        outward = 2 * a + 1e-6 if grad > 0 else a / 2  # where not concave: double or halve
        new = max(a - grad / hess if hess < 0 else outward, a / 10, 0.0)
        step = new - a
        gain = grad * step - 0.5 * abs(hess) * step**2 if hess < 0 else np.inf
        a = new
        if gain < 1e-6 or (new == 0.0 and grad <= 0):
            break
    return a


def nb_loglik(y: np.ndarray, mu: np.ndarray, k: float) -> float:
    """Negative-binomial log-likelihood of counts ``y`` with means ``mu`` and size ``k``, up
    to terms that do not depend on ``mu``."""
    return float(np.dot(y, np.log(mu)) - np.dot(y + k, np.log(k + mu)))


def loglik(
    v: np.ndarray, windows: list[Window], shifts: list[float], warm: dict | None = None
) -> float:
    """Profile log-likelihood of the shared parameters over one or more windows.

    ``warm``: a dict that keeps each window's last amplitude, where the next call's search
    starts (a fit's calls move the parameters little); empty or ``None``, the moment
    estimate."""
    warm = {} if warm is None else warm
    p = Params.from_vector(v)
    span = max(w.n * w.step for w in windows)  # minutes
    if not (
        p.end - p.start >= 0.5
        and BOUNDS["delay"][0] <= p.delay <= BOUNDS["delay"][1]
        and BOUNDS["decay"][0] <= p.decay <= BOUNDS["decay"][1]
        and BOUNDS["eta"][0] <= p.eta <= BOUNDS["eta"][1]
        and BOUNDS["shape"][0] <= p.shape <= BOUNDS["shape"][1]
        and p.start >= -30
        and p.end <= span + 30
    ):
        return -np.inf
    groups: dict[tuple[int, pd.Timedelta], list[int]] = {}
    for i, w in enumerate(windows):  # windows of one length and bin width go as one batch
        groups.setdefault((w.n, w.width), []).append(i)
    total = 0.0
    for (n, _), group in groups.items():
        step = windows[group[0]].step
        spectrum = kernel_spectrum(lag_kernel(p.delay, p.decay, p.shape, n, step))
        if len(group) == 1:  # one window: the plain path, without the batch's overhead
            w, shift = windows[group[0]], shifts[group[0]]
            seen = ~np.isnan(w.observed)
            g = excess_shape(p, w, shift, spectrum)[seen]
            a, ll = profile_amplitude(g, w.observed[seen], w.expected[seen], w.dispersion,
                                      warm.get(group[0]))  # fmt: skip
            warm[group[0]] = a
            total += ll
        else:
            batch = [windows[i] for i in group]
            amplitudes, ll = _batch_amplitudes(p, batch, [shifts[i] for i in group], spectrum,
                                               [warm.get(i) for i in group])  # fmt: skip
            warm.update(zip(group, amplitudes, strict=True))
            total += ll
    return total


def _batch_amplitudes(
    p: Params,
    windows: list[Window],
    shifts: list[float],
    spectrum: tuple[np.ndarray, int],
    starts: list[float | None],
) -> tuple[np.ndarray, float]:
    """:func:`loglik` over windows of one length and bin width, as arrays of one row each:
    the excess shapes by one FFT, the amplitudes by one vectorised Newton search (from
    ``starts`` where given). Returns the amplitudes and the log-likelihood."""
    n, step = windows[0].n, windows[0].step
    u = np.arange(n, dtype=float)[None, :] * step + np.asarray(shifts, dtype=float)[:, None]
    x = _exposure(p, u, np.vstack([w.activity for w in windows]), step)
    kernel_fft, size = spectrum
    echo = np.fft.irfft(np.fft.rfft(x, size, axis=1) * kernel_fft, size, axis=1)[:, :n]
    g = np.add.reduceat(np.maximum(echo, 0), windows[0].bin_of_cell, axis=1)
    observed = np.vstack([w.observed for w in windows])
    seen = ~np.isnan(observed)
    y = np.where(seen, observed, 0.0)
    g = np.where(seen, g, 0.0)
    b = np.vstack([w.expected for w in windows])
    k = np.array([w.dispersion for w in windows])[:, None]
    a = _profile_amplitudes(g, y, b, k, seen, starts)
    return a, float(_rows_loglik(a, g, y, b, k, seen).sum())


def _rows_loglik(a: np.ndarray, g: np.ndarray, y: np.ndarray, b: np.ndarray, k: np.ndarray,
                 seen: np.ndarray) -> np.ndarray:  # fmt: skip
    mu = b + a[:, None] * g
    return np.sum(np.where(seen, y * np.log(mu) - (y + k) * np.log(k + mu), 0.0), axis=1)


def _profile_amplitudes(
    g: np.ndarray,
    y: np.ndarray,
    b: np.ndarray,
    k: np.ndarray,
    seen: np.ndarray,
    starts: list[float | None] | None = None,
) -> np.ndarray:
    """The amplitude A >= 0 that maximises each row's negative-binomial log-likelihood (rows:
    windows; ``g`` and ``y`` zero where a bin is missing, as ``seen`` says), each row's
    search from its entry of ``starts`` or, where that is ``None`` (or ``starts`` is), the
    moment estimate.

    Newton's method where the log-likelihood is concave in A; where it is not (far out, with
    very overdispersed counts) A doubles or halves along the gradient instead.
    """
    scale = g.sum(axis=1)
    active = scale > 0
    excess = np.sum(np.where(seen, y - b, 0.0), axis=1)
    a = np.where(active, np.maximum(excess / np.where(active, scale, 1.0), 0.0), 0.0)
    if starts is not None:
        given = np.array([x is not None for x in starts])
        a = np.where(given & active, np.maximum([x or 0.0 for x in starts], 0.0), a)
    for _ in range(60):
        if not active.any():
            break
        mu = b + a[:, None] * g
        r, q = g / mu, g / (k + mu)
        grad = np.sum(y * r - (y + k) * q, axis=1)
        hess = np.sum((y + k) * q * q - y * r * r, axis=1)
        newton = hess < 0
        outward = np.where(grad > 0, 2 * a + 1e-6, a / 2)
        new = np.where(newton, a - grad / np.where(newton, hess, -1.0), outward)
        new = np.maximum(np.maximum(new, a / 10), 0.0)
        step = new - a
        # a Newton step gains about this much log-likelihood; stop under 1e-6, or at A = 0
        gain = np.where(newton, grad * step - 0.5 * np.abs(hess) * step**2, np.inf)
        a = np.where(active, new, a)
        active &= ~((gain < 1e-6) | ((new == 0.0) & (grad <= 0)))
    return a


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
    p = Params.from_vector(v)
    squares, dof = [], -(len(v) if fitted is None else fitted)
    for w, shift in zip(windows, shifts, strict=True):
        seen = ~np.isnan(w.observed)
        spectrum = kernel_spectrum(lag_kernel(p.delay, p.decay, p.shape, w.n, w.step))
        g = excess_shape(p, w, shift, spectrum)[seen]
        y, b, k = w.observed[seen], w.expected[seen], w.dispersion
        a, _ = profile_amplitude(g, y, b, k)
        mu = b + a * g
        squares.append((y - mu) ** 2 / (mu + mu**2 / k))
        dof += len(y) - 1
    pearson = np.concatenate(squares)
    if robust:
        return max(float(np.median(pearson)) / stats.chi2.median(1), 1.0)
    return max(float(pearson.sum()) / max(dof, 1), 1.0)


def null_loglik(w: Window) -> float:
    seen = ~np.isnan(w.observed)
    return nb_loglik(w.observed[seen], w.expected[seen], w.dispersion)


def fit_model(
    windows: list[Window],
    shifts: list[float],
    start: Params,
    *,
    free: tuple[int, ...] = ALL,
    restarts: int = 1,
) -> tuple[Params, float]:
    """Maximum-likelihood parameters shared by ``windows`` (Nelder-Mead, with restarts).

    Only the parameters at indices ``free`` (start, end, log delay, log decay, logit floor,
    log eta) move; the others stay at ``start``'s values."""
    full = start.vector()
    free_idx = np.asarray(free)
    warm: dict[int, float] = {}  # the amplitudes' searches start where the last one ended

    def nll(v: np.ndarray) -> float:
        x = full.copy()
        x[free_idx] = v
        value = -loglik(x, windows, shifts, warm)
        return value if np.isfinite(value) else 1e300

    best = full[free_idx]
    best_value = nll(best)
    steps = np.array([10.0, 10.0, 0.7, 0.7, 1.5, 0.7, 0.5])[free_idx]
    dim = len(free_idx)
    for attempt in range(restarts + 1):
        simplex = np.vstack([best] + [best + np.eye(dim)[i] * steps[i] for i in range(dim)])
        result = optimize.minimize(
            nll, best, method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": 0.05, "fatol": 0.02,
                     "maxiter": 200 * dim, "maxfev": 200 * dim},
        )  # fmt: skip
        improved = result.fun < best_value - 0.02
        if result.fun < best_value:
            best, best_value = result.x, result.fun
        if attempt > 0 and not improved:
            break
        steps = steps / 2
    full[free_idx] = best
    return Params.from_vector(full), -best_value


def initial_params(w: Window, lo: pd.Timestamp, hi: pd.Timestamp) -> Params:
    start = (lo - w.origin) / MINUTE - 5
    end = max((hi - w.origin) / MINUTE - 25, start + 5)
    return Params(start, end, 4.0, 15.0, 0.5, 60.0)
