"""Outage windows from report series: when the outage people experienced started and ended.

Crowd reports are a distorted echo of an outage: they lag its start, keep coming after it
ends, follow the local day and are sparse in small countries. :func:`estimate_outages` models
that reporting process instead of thresholding the reports themselves:

1. **Baseline.** Expected reports per bin (:mod:`analysis.baseline`), with a negative-binomial
   dispersion ``k`` per series.
2. **Candidates.** Bins whose 15-minute report total exceeds ``min_ratio`` times the expected
   total, by at least ``min_excess`` reports and ``z`` standard deviations, are flagged;
   flagged stretches closer than ``merge_gap`` are merged. (Alone, this is the tracker-style
   detector :func:`threshold_outages`.)
3. **Reporting model.** Around each candidate, per minute ``u``::

       mu(u) = baseline(u) + A * (x * kernel)(u)
       x(u)  = activity(u) * [start <= u < end] * (f + (1 - f) * exp(-(u - start) / eta))

   ``activity`` is the baseline's own shape (how many users are active), ``f`` and ``eta``
   let a long outage's reports settle after an early peak (novelty; ``f >= 0.15``: while an
   outage lasts, people keep reporting at 15% or more of the onset rate, which is what tells
   a long outage from a short one with a slow report tail), and the kernel is the
   distribution of the lag from experiencing the outage to reporting it: an exponential
   noticing delay (mean ``delay``) followed by an exponential reporting lag (mean
   ``decay``). The minutes are summed into the series' bins and the counts are negative
   binomial with the baseline's ``k``. ``start``, ``end`` (continuous, in minutes), ``delay``,
   ``decay``, ``f`` and ``eta`` are estimated by maximum likelihood (Nelder-Mead, scipy) with
   ``A`` profiled out (Newton); nothing is taken from the simulator's settings.
4. **Pooling.** Candidates that overlap in time across regions form one event; a pooled fit
   shares ``start``, ``end`` and the kernel across the regions with the most excess, each
   with its own amplitude, giving a worldwide estimate (``region = 'WLD'``,
   ``estimate = 'pooled'``). Regions too sparse for a fit of their own borrow the pooled window
   if a likelihood-ratio test of their amplitude is significant (``estimate = 'pooled'``);
   regions with enough excess get their own fit (``estimate = 'region'``), whose start is
   then shrunk towards the pooled start by empirical Bayes (an outage starts nearly at once
   everywhere; a region with precise data keeps its own start).
5. **Uncertainty.** Intervals at ``level`` come from the observed information (the numerical
   Hessian of the profile log-likelihood, including the kernel's parameters), inflated by the
   square root of the Pearson chi-square per degree of freedom where the model fits worse
   than its noise model says (quasi-likelihood), combined with a model-error term (1
   minute for a start; 10% of the fitted mean reporting lag for an end, calibrated on
   simulations with varied reporting processes): estimate +- z * standard error, with a floor
   of half a bin. The reporting kernel's *family* is uncertain too: a peaked noticing delay
   (gamma, shape 3: few reports in the first minutes) fits the same reports with an earlier
   start; the event is refitted under it and the intervals stretch to cover both fits.

A window is kept when it lasts at least 2 minutes and its likelihood-ratio
statistic against the baseline alone, divided by the Pearson overdispersion, exceeds
``min_lr`` (150 when its excess is under a quarter of the region's normal daily reports:
the size of a burst of news or bots). Regions that borrow the pooled window get intervals
widened by the scatter of the own-fit regions' starts and ends around it. A region with no
outage has no row.

Assumptions and limits: the reporting lag has no dead time that is unrelated to the outage (a
fixed lag before any report cannot be told apart from a later start); the outage's effect is
proportional to active users; the baseline holds during the window.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, signal, special, stats
from tqdm import tqdm

from analysis.baseline import SeriesBaseline, series_baselines
from analysis.schema import group_keys, validate_reports

__all__ = ["changepoint_outages", "estimate_outages", "threshold_outages"]

MINUTE = pd.Timedelta("1min")
#: Columns of the windows table, in order.
WINDOW_COLUMNS = [
    "region", "start", "end", "duration", "start_low", "start_high", "end_low", "end_high",
    "level", "peak_time", "peak_reports", "excess_reports", "estimate", "delay_min",
    "decay_min", "novelty_floor", "novelty_decay_min", "lr_stat", "weak_baseline",
]  # fmt: skip

_TIME = "datetime64[ns, UTC]"
_WINDOW_DTYPES = {
    "start": _TIME, "end": _TIME, "start_low": _TIME, "start_high": _TIME, "end_low": _TIME,
    "end_high": _TIME, "peak_time": _TIME, "duration": "timedelta64[ns]", "level": "float64",
    "peak_reports": "float64", "excess_reports": "float64", "delay_min": "float64",
    "decay_min": "float64", "novelty_floor": "float64", "novelty_decay_min": "float64",
    "lr_stat": "float64", "weak_baseline": "bool",
}  # fmt: skip


# ----------------------------------------------------------------------------- candidates
def _candidates(
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
    idx = np.flatnonzero(flagged)
    if not len(idx):
        return []
    gap = max(1, int(merge_gap / base.width))
    breaks = np.flatnonzero(np.diff(idx) > gap)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    # a flag at bin i covers the window (i - span, i]
    return [(max(0, int(a) - span + 1), int(b)) for a, b in zip(starts, ends, strict=True)]


def threshold_outages(
    reports: pd.DataFrame,
    *,
    window: str | pd.Timedelta = "15min",
    min_ratio: float = 3.0,
    min_excess: float = 20,
    z: float = 5.0,
    merge_gap: str | pd.Timedelta = "30min",
) -> pd.DataFrame:
    """Tracker-style detector: windows where reports far exceed the usual for the time of day.

    A bin is flagged when the total over the trailing ``window`` is at least ``min_ratio``
    times the expected total, and exceeds it by ``min_excess`` reports and by ``z``
    negative-binomial standard deviations; flagged stretches closer than ``merge_gap`` are
    merged. ``start`` is the first flagged window's start, ``end`` the end of the last flagged
    bin: the end of the *report tail*, not of the outage. A peer for comparison (and step 2 of
    :func:`estimate_outages`); it gives no uncertainty.

    Returns
    -------
    DataFrame
        ``region[, service], start, end, duration``.
    """
    reports = validate_reports(reports)
    rows = []
    for key, base in series_baselines(reports).items():
        for a, b in _candidates(
            base, window=pd.Timedelta(window), min_ratio=min_ratio, min_excess=min_excess,
            z=z, merge_gap=pd.Timedelta(merge_gap),
        ):  # fmt: skip
            start, end = base.times[a], base.times[b] + base.width
            rows.append({**_key_columns(reports, key), "start": start, "end": end})
    columns = [*group_keys(reports), "start", "end"]
    out = pd.DataFrame(rows, columns=columns)
    out["duration"] = out["end"] - out["start"]
    return out


def changepoint_outages(
    reports: pd.DataFrame,
    *,
    penalty: float | None = None,
    min_size: int = 2,
    jump: int | None = None,
    threshold: float = 3.0,
) -> pd.DataFrame:
    """Change-point peer: binary segmentation (ruptures) of the variance-stabilised residual.

    Per series, ``r = sqrt(y + 3/8) - sqrt(expected + 3/8)`` (Anscombe) over observed bins,
    scaled by its negative-binomial standard deviation ``0.5 sqrt(1 + expected / k)``, is
    segmented by
    ``ruptures.Binseg`` with an ``l2`` cost and penalty ``penalty`` (default ``10 log n``);
    segments whose mean exceeds ``threshold`` are outages, adjacent ones merged. It ignores
    the daily cycle beyond the baseline and gives no uncertainty. Needs ``ruptures``.

    Parameters
    ----------
    jump : int, optional
        Consider a change point every ``jump`` bins (default: 1, or 5 for 1-minute bins,
        to keep ruptures' pure-Python search affordable).

    Returns
    -------
    DataFrame
        ``region[, service], start, end, duration``.
    """
    try:
        import ruptures
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("changepoint_outages needs ruptures: pip install ruptures") from exc
    reports = validate_reports(reports)
    rows = []
    for key, base in series_baselines(reports).items():
        seen = np.flatnonzero(~np.isnan(base.observed))
        if len(seen) < 4 * min_size:
            continue
        b = base.expected[seen]
        r = np.sqrt(base.observed[seen] + 0.375) - np.sqrt(b + 0.375)
        r = r / (0.5 * np.sqrt(1 + b / base.dispersion))  # sd of sqrt(NB count) ~ this
        step = jump if jump is not None else (5 if base.width < pd.Timedelta("5min") else 1)
        algo = ruptures.Binseg(model="l2", min_size=min_size, jump=step).fit(r)
        breaks = algo.predict(pen=penalty if penalty is not None else 10 * np.log(len(r)))
        times = base.times[seen]
        edges = [0, *breaks]
        windows: list[list[int]] = []
        for a, b in itertools.pairwise(edges):
            if r[a:b].mean() <= threshold:
                continue
            if windows and windows[-1][1] == a:
                windows[-1][1] = b
            else:
                windows.append([a, b])
        rows += [
            {**_key_columns(reports, key), "start": times[a], "end": times[b - 1] + base.width}
            for a, b in windows
        ]
    out = pd.DataFrame(rows, columns=[*group_keys(reports), "start", "end"])
    out["duration"] = out["end"] - out["start"]
    return out


def _key_columns(reports: pd.DataFrame, key: tuple) -> dict[str, str]:
    return dict(zip(group_keys(reports), key, strict=True))


# -------------------------------------------------------------------------- the model
@dataclass
class _Window:
    """One region's data over a fitting range, at minute resolution inside."""

    region: str
    origin: pd.Timestamp  # minute 0
    activity: np.ndarray  # per minute, mean 1 over the range
    bin_of_minute: np.ndarray  # starts of bins, as minute offsets (for np.add.reduceat)
    observed: np.ndarray  # per bin (NaN: missing)
    expected: np.ndarray  # per bin
    dispersion: float
    width: pd.Timedelta
    weak: bool

    @property
    def n(self) -> int:
        return len(self.activity)


def _window(base: SeriesBaseline, region: str, lo: pd.Timestamp, hi: pd.Timestamp) -> _Window:
    """Cut ``base`` to the bins in [lo, hi) and lay it out for the model."""
    a = max(0, int(np.ceil((lo - base.times[0]) / base.width)))
    b = min(len(base.times), int(np.ceil((hi - base.times[0]) / base.width)))
    per_bin = int(base.width / MINUTE)
    expected = base.expected[a:b]
    per_minute = np.repeat(expected / per_bin, per_bin)
    return _Window(
        region=region,
        origin=base.times[a],
        activity=per_minute / max(per_minute.mean(), 1e-12),
        bin_of_minute=np.arange(0, len(per_minute), per_bin),
        observed=base.observed[a:b],
        expected=expected,
        dispersion=base.dispersion,
        width=base.width,
        weak=base.weak,
    )


def _kernel(delay: float, decay: float, shape: float, n: int) -> np.ndarray:
    """Per-minute weights of a gamma(shape, mean ``delay``) + exponential(mean ``decay``) lag.

    The CDF of the sum is closed-form when the gamma's rate exceeds the exponential's
    (``F = G(a, b t) - exp(-l t) (b / (b - l))**a G(a, (b - l) t)``, with ``G`` the regularised
    lower incomplete gamma); otherwise the densities are convolved on a 1/8-minute grid.
    """
    t = np.arange(n + 1, dtype=float)
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
        fine = (np.arange(n * sub) + 0.5) / sub
        notice = stats.gamma.pdf(fine, a, scale=1 / rate) / sub
        lag = stats.expon.pdf(fine, scale=1 / lam) / sub
        density = signal.fftconvolve(notice, lag)[: n * sub]
        cdf = np.concatenate([[0.0], np.cumsum(density.reshape(n, sub).sum(axis=1))])
    return np.maximum(np.diff(cdf), 0.0)


@dataclass(frozen=True)
class _Params:
    start: float  # minutes from the window origin
    end: float
    delay: float
    decay: float
    floor: float
    eta: float
    shape: float = 1.0

    @classmethod
    def from_vector(cls, v: np.ndarray) -> _Params:
        floor = MIN_FLOOR + (1 - MIN_FLOOR) * special.expit(v[4])
        return cls(v[0], v[1], np.exp(v[2]), np.exp(v[3]), floor, np.exp(v[5]),
                   np.exp(v[6]))  # fmt: skip

    def vector(self) -> np.ndarray:
        f = np.clip((self.floor - MIN_FLOOR) / (1 - MIN_FLOOR), 1e-4, 1 - 1e-4)
        return np.array([self.start, self.end, np.log(self.delay), np.log(self.decay),
                         np.log(f / (1 - f)), np.log(self.eta), np.log(self.shape)])  # fmt: skip


#: Model error added (in quadrature) to the standard error of a start, in minutes, and of an
#: end, as a share of the fitted mean reporting lag (delay + decay): end errors grow with slow
#: report tails, start errors do not. Calibrated on the development simulations (benchmark
#: seeds 10,000-10,023), not on the benchmark's reported set.
MODEL_ERROR_START = 1.0
MODEL_ERROR_END = 0.10
#: Likelihood ratio a region without a candidate of its own needs to borrow the pooled window:
#: a one-parameter test (its amplitude, the window fixed), so a p-value of about 4e-6, which
#: across 200 regions tested per event leaves about one false borrowing in a thousand events.
BORROWED_LR = 20.0
#: A window whose excess is below this share of a normal day's reports in its region must
#: clear the stricter likelihood-ratio bar ``SMALL_EXCESS_LR``: bursts of news or bots give
#: such small excesses; outages rarely do (set on the development scenarios).
SMALL_EXCESS = 0.25
SMALL_EXCESS_LR = 150.0
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
_BOUNDS = {"delay": (0.2, 60.0), "decay": (1.0, 240.0), "eta": (3.0, 1000.0), "shape": (1, 6)}


def _spectrum(kernel: np.ndarray) -> tuple[np.ndarray, int]:
    """The kernel's real FFT, long enough for a linear convolution over ``len(kernel)``."""
    size = 1 << int(np.ceil(np.log2(2 * len(kernel))))
    return np.fft.rfft(kernel, size), size


def _shape(
    p: _Params, w: _Window, origin_shift: float, spectrum: tuple[np.ndarray, int]
) -> np.ndarray:
    """Excess shape per bin (amplitude 1) for window ``w``: the outage's activity-weighted
    indicator convolved (FFT) with the kernel whose spectrum is given."""
    u = np.arange(w.n, dtype=float) + origin_shift
    s, e = p.start, p.end
    cover = np.clip(np.minimum(u + 1, e) - np.maximum(u, s), 0, 1)
    since = np.maximum(u + 0.5 - s, 0)
    x = w.activity * cover * (p.floor + (1 - p.floor) * np.exp(-since / p.eta))
    if not x.any():
        return np.zeros(len(w.expected))
    kernel_fft, size = spectrum
    echo = np.fft.irfft(np.fft.rfft(x, size) * kernel_fft, size)[: w.n]
    return np.add.reduceat(np.maximum(echo, 0), w.bin_of_minute)


def _profile_amplitude(
    g: np.ndarray, y: np.ndarray, b: np.ndarray, k: float
) -> tuple[float, float]:
    """Maximise the negative-binomial log-likelihood over the amplitude A >= 0 (Newton; the
    log-likelihood is concave in A). Returns (A, log-likelihood up to a constant)."""
    scale = g.sum()
    a = max((y - b).sum() / scale, 0.0) if scale > 0 else 0.0
    if scale > 0:
        for _ in range(40):
            mu = b + a * g
            r = g / mu
            q = g / (k + mu)
            grad = np.dot(y, r) - np.dot(y + k, q)
            hess = np.dot(y + k, q * q) - np.dot(y, r * r)
            new = a - grad / hess if hess < 0 else a * 2 + 1e-9
            new = max(new, a / 10, 0.0)
            if abs(new - a) <= 1e-6 * max(a, 1e-9):
                a = new
                break
            a = new
    return a, _nb_loglik(y, b + a * g, k)


def _nb_loglik(y: np.ndarray, mu: np.ndarray, k: float) -> float:
    """Negative-binomial log-likelihood of counts ``y`` with means ``mu`` and size ``k``, up
    to terms that do not depend on ``mu``."""
    return float(np.dot(y, np.log(mu)) - np.dot(y + k, np.log(k + mu)))


def _loglik(v: np.ndarray, windows: list[_Window], shifts: list[float]) -> float:
    """Profile log-likelihood of the shared parameters over one or more windows."""
    p = _Params.from_vector(v)
    n = max(w.n for w in windows)
    if not (
        p.end - p.start >= 0.5
        and _BOUNDS["delay"][0] <= p.delay <= _BOUNDS["delay"][1]
        and _BOUNDS["decay"][0] <= p.decay <= _BOUNDS["decay"][1]
        and _BOUNDS["eta"][0] <= p.eta <= _BOUNDS["eta"][1]
        and _BOUNDS["shape"][0] <= p.shape <= _BOUNDS["shape"][1]
        and p.start >= -30
        and p.end <= n + 30
    ):
        return -np.inf
    spectrum = _spectrum(_kernel(p.delay, p.decay, p.shape, n))
    total = 0.0
    for w, shift in zip(windows, shifts, strict=True):
        seen = ~np.isnan(w.observed)
        g = _shape(p, w, shift, spectrum)[seen]
        total += _profile_amplitude(g, w.observed[seen], w.expected[seen], w.dispersion)[1]
    return total


def _overdispersion(
    v: np.ndarray, windows: list[_Window], shifts: list[float], fitted: int | None = None
) -> float:
    """Pearson chi-square per degree of freedom of the fitted model (1 when it fits as the
    negative binomial says; larger when the model is misspecified). ``fitted``: how many of
    the shared parameters were fitted to these windows (default all; 0 when a region is
    tested against a window fitted elsewhere); each window's amplitude counts as well."""
    p = _Params.from_vector(v)
    spectrum = _spectrum(_kernel(p.delay, p.decay, p.shape, max(w.n for w in windows)))
    chi2, dof = 0.0, -(len(v) if fitted is None else fitted)
    for w, shift in zip(windows, shifts, strict=True):
        seen = ~np.isnan(w.observed)
        g = _shape(p, w, shift, spectrum)[seen]
        y, b, k = w.observed[seen], w.expected[seen], w.dispersion
        a, _ = _profile_amplitude(g, y, b, k)
        mu = b + a * g
        chi2 += float(np.sum((y - mu) ** 2 / (mu + mu**2 / k)))
        dof += len(y) - 1
    return max(chi2 / max(dof, 1), 1.0)


def _inflate(se: tuple[float, float, float], phi: float) -> tuple[float, float, float]:
    return tuple(x * np.sqrt(phi) for x in se)


def _null_loglik(w: _Window) -> float:
    seen = ~np.isnan(w.observed)
    return _nb_loglik(w.observed[seen], w.expected[seen], w.dispersion)


def _fit(
    windows: list[_Window],
    shifts: list[float],
    start: _Params,
    *,
    free: tuple[int, ...] = ALL,
    restarts: int = 1,
) -> tuple[_Params, float]:
    """Maximum-likelihood parameters shared by ``windows`` (Nelder-Mead, with restarts).

    Only the parameters at indices ``free`` (start, end, log delay, log decay, logit floor,
    log eta) move; the others stay at ``start``'s values."""
    full = start.vector()
    free_idx = np.asarray(free)

    def nll(v: np.ndarray) -> float:
        x = full.copy()
        x[free_idx] = v
        value = -_loglik(x, windows, shifts)
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
    return _Params.from_vector(full), -best_value


def _standard_errors(
    p: _Params,
    windows: list[_Window],
    shifts: list[float],
    free: tuple[int, ...] = ALL,
) -> tuple[float, float, float]:
    """Standard errors of start, end and duration (minutes) from the numerical Hessian of the
    profile log-likelihood over the ``free`` parameters (start and end must be free)."""
    v = p.vector()
    steps = np.array([0.5, 0.5, 0.05, 0.05, 0.1, 0.05, 0.05])
    free = tuple(free)
    cache: dict[tuple[int, ...], float] = {}

    def f(*moves: tuple[int, int]) -> float:
        key = tuple(sorted(moves))
        if key not in cache:
            x = v.copy()
            for i, sign in moves:
                x[i] += sign * steps[i]
            cache[key] = _loglik(x, windows, shifts)
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
    se_s, se_e = (_scan_se(v, i, windows, shifts, f()) for i in (0, 1))
    return se_s, se_e, float(np.hypot(se_s, se_e))


def _scan_se(
    v: np.ndarray, i: int, windows: list[_Window], shifts: list[float], top: float
) -> float:
    """Standard-error equivalent from where the log-likelihood of parameter ``i`` drops by
    1/2 (the 68% likelihood interval), scanning outwards up to 6 hours."""
    offsets = np.concatenate(
        [np.arange(0.5, 10, 0.5), np.arange(10, 60, 2.5), np.arange(60, 361, 15)]
    )
    reach = []
    for sign in (-1, 1):
        last = 0.0
        for off in offsets:
            x = v.copy()
            x[i] += sign * off
            value = _loglik(x, windows, shifts)
            if not np.isfinite(value) or value < top - 0.5:
                break
            last = off
        reach.append(last if last else 0.5)
    return float(np.mean(reach))


# ------------------------------------------------------------------------ the estimator
@dataclass(frozen=True)
class _Candidate:
    key: tuple
    lo: pd.Timestamp  # first flagged window start
    hi: pd.Timestamp  # end of last flagged bin
    excess: float


def _fit_with_uncertainty(
    windows: list[_Window], shifts: list[float], start: _Params, free: tuple[int, ...]
) -> tuple[_Params, float, tuple[float, float, float], tuple[float, float], float]:
    """Fit, standard errors (quasi-likelihood inflated), the kernel-shape spread (how far
    start and end move, in minutes, when the noticing delay is peaked, shape 3, instead) and
    the Pearson overdispersion ``phi``."""
    params, ll = _fit(windows, shifts, start, free=free)
    phi = _overdispersion(params.vector(), windows, shifts)
    se = _inflate(_standard_errors(params, windows, shifts, free), phi)
    peaked = _Params(params.start, params.end, params.delay, params.decay, params.floor,
                     params.eta, PEAKED_SHAPE)  # fmt: skip
    alt, _ = _fit(windows, shifts, peaked, free=WINDOW_AND_KERNEL, restarts=0)
    return params, ll, se, (alt.start - params.start, alt.end - params.end), phi


def _initial(w: _Window, lo: pd.Timestamp, hi: pd.Timestamp) -> _Params:
    start = (lo - w.origin) / MINUTE - 5
    end = max((hi - w.origin) / MINUTE - 25, start + 5)
    return _Params(start, end, 4.0, 15.0, 0.5, 60.0)


def _row(
    key_columns: dict,
    p: _Params,
    se: tuple[float, float, float],
    spread: tuple[float, float],
    origin: pd.Timestamp,
    windows: list[_Window],
    *,
    level: float,
    estimate: str,
    lr: float,
    width: pd.Timedelta,
) -> dict:
    zq = stats.norm.ppf(0.5 + level / 2)
    floor = width / MINUTE / 2
    # model error: the reporting process is never exactly the model's; its size was
    # calibrated on simulations with other kernels, novelty and noise (see the module notes)
    se_s = float(np.hypot(max(se[0], floor), MODEL_ERROR_START))
    se_e = float(np.hypot(max(se[1], floor), MODEL_ERROR_END * (p.delay + p.decay)))
    start = origin + pd.Timedelta(p.start, "min")
    end = origin + pd.Timedelta(p.end, "min")
    peak_time, peak, excess = pd.NaT, np.nan, 0.0
    tail = pd.Timedelta(p.delay + 5 * p.decay, "min")
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
        "start_low": (start + pd.Timedelta(min(0, spread[0]) - zq * se_s, "min")).round("s"),
        "start_high": (start + pd.Timedelta(max(0, spread[0]) + zq * se_s, "min")).round("s"),
        "end_low": (end + pd.Timedelta(min(0, spread[1]) - zq * se_e, "min")).round("s"),
        "end_high": (end + pd.Timedelta(max(0, spread[1]) + zq * se_e, "min")).round("s"),
        "level": level,
        "peak_time": peak_time,
        "peak_reports": peak,
        "excess_reports": excess,
        "estimate": estimate,
        "delay_min": p.delay,
        "decay_min": p.decay,
        "novelty_floor": p.floor,
        "novelty_decay_min": p.eta,
        "lr_stat": lr,
        "weak_baseline": any(w.weak for w in windows),
        # for the shrinkage of starts (dropped from the output): the statistical standard
        # error, the fit's own start and the kernel-family envelope around it, in minutes
        "_start_se": max(se[0], floor),
        "_start_fit": start,
        "_start_envelope": (min(0, spread[0]), max(0, spread[0])),
    }


def estimate_outages(
    reports: pd.DataFrame,
    *,
    level: float = 0.9,
    min_ratio: float = 3.0,
    min_excess: float = 20,
    z: float = 5.0,
    min_lr: float = 30.0,
    own_fit_excess: float = 300,
    pooled: bool = True,
    max_pooled_regions: int = 12,
    before: str | pd.Timedelta = "2h",
    after: str | pd.Timedelta = "4h",
    progress: bool = False,
) -> pd.DataFrame:
    """Estimate each outage's start, end and duration per region, with intervals.

    See the module docstring for the method (a reporting-process model fitted by maximum
    likelihood, pooled across regions).

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here), any bin width from 1 minute to 1 hour.
    level : float
        Confidence level of the intervals (``start_low``..``start_high``,
        ``end_low``..``end_high``).
    min_ratio, min_excess, z : float
        Candidate thresholds (see :func:`threshold_outages`).
    min_lr : float
        Likelihood-ratio statistic a window needs to be kept.
    own_fit_excess : float
        Excess reports a region needs for its own fit; sparser regions borrow the pooled
        window.
    pooled : bool
        Pool regions whose candidates overlap (and add the ``WLD`` pooled rows).
    max_pooled_regions : int
        Regions (those with most excess) used to fit the pooled window.
    before, after : str or Timedelta
        Data kept before a candidate and after it for the fit.
    progress : bool
        Show a progress bar.

    Returns
    -------
    DataFrame
        One row per window per region (and per service where there is a ``service``
        column): ``region``, ``start``, ``end`` (UTC), ``duration`` (Timedelta),
        ``start_low``, ``start_high``, ``end_low``, ``end_high`` (intervals at ``level``),
        ``level``, ``peak_time``, ``peak_reports``, ``excess_reports`` (observed minus
        expected from start to the end of the report tail), ``estimate`` (``'region'``: own
        fit; ``'pooled'``: the event's pooled window), ``delay_min``, ``decay_min`` (fitted
        reporting kernel, minutes), ``novelty_floor`` and ``novelty_decay_min`` (reports
        settle from the onset rate towards this share of it, with this time constant in
        minutes), ``lr_stat`` and ``weak_baseline``. No row for a region
        without an outage.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.regional(days_before=3, regions=("IND", "ITA", "BRA")), 3)
    >>> found = estimate_outages(sim.reports)
    >>> sorted(found.loc[found["estimate"] == "region", "region"])
    ['IND', 'ITA']
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    reports = validate_reports(reports)
    key_names = group_keys(reports)
    bases = series_baselines(reports)
    by_service: dict[str | None, list[tuple]] = {}
    for key in bases:
        by_service.setdefault(key[0] if len(key) > 1 else None, []).append(key)
    rows = []
    before, after = pd.Timedelta(before), pd.Timedelta(after)
    bar = tqdm(total=len(bases), desc="estimate", unit="series", disable=not progress)
    for service, keys in by_service.items():
        candidates = [
            _Candidate(key, bases[key].times[a], bases[key].times[b] + bases[key].width,
                       _excess(bases[key], a, b))
            for key in keys
            for a, b in _candidates(bases[key], window=pd.Timedelta("15min"),
                                    min_ratio=min_ratio, min_excess=min_excess, z=z,
                                    merge_gap=pd.Timedelta("30min"))
        ]  # fmt: skip
        for event in _events(candidates, before):
            rows += _estimate_event(
                event, keys, bases, service, key_names,
                level=level, min_lr=min_lr, own_fit_excess=own_fit_excess, pooled=pooled,
                max_pooled_regions=max_pooled_regions, before=before, after=after,
            )  # fmt: skip
        bar.update(len(keys))
    bar.close()
    out = pd.DataFrame(rows).reindex(columns=[*key_names[:-1], *WINDOW_COLUMNS])
    if out.empty:  # no outage: still the columns' types, so that callers can filter and join
        out = out.astype({c: _WINDOW_DTYPES.get(c, "str") for c in out.columns})
    return out.sort_values([*key_names, "start"], ignore_index=True)


def _excess(base: SeriesBaseline, a: int, b: int) -> float:
    seen = ~np.isnan(base.observed[a : b + 1])
    return float(np.sum(base.observed[a : b + 1][seen] - base.expected[a : b + 1][seen]))


def _events(candidates: list[_Candidate], pad: pd.Timedelta) -> list[list[_Candidate]]:
    """Group candidates whose padded spans overlap (across regions) into events."""
    events: list[list[_Candidate]] = []
    for c in sorted(candidates, key=lambda c: c.lo):
        if events and c.lo <= max(x.hi for x in events[-1]) + pad / 4:
            events[-1].append(c)
        else:
            events.append([c])
    return events


def _shrink_towards_pooled(rows: list[dict], pooled_start: pd.Timestamp, level: float) -> None:
    """Empirical-Bayes shrinkage of regions' own starts towards the pooled start.

    An outage starts nearly at once everywhere, so each region's fitted start ``x_i``
    (statistical standard error ``s_i``) moves to ``pooled + w_i (x_i - pooled)`` with
    ``w_i = t2 / (t2 + s_i**2)``, where ``t2``, the spread of the regions' true starts around
    the pooled one, is estimated by moments. Its interval is rebuilt around the new estimate
    from the shrunk statistical error ``sqrt(w_i) s_i``, the model error and the kernel-family
    envelope (neither of which pooling reduces). A region whose own data are precise keeps
    its own start. Ends are left alone: recoveries are staggered.
    """
    own = [r for r in rows if r["estimate"] == "region"]
    if len(own) < 3:
        return
    zq = stats.norm.ppf(0.5 + level / 2)
    d = np.array([(r["_start_fit"] - pooled_start) / MINUTE for r in own])
    v = np.array([r["_start_se"] ** 2 for r in own])
    t2 = max(float(np.var(d, ddof=1) - v.mean()), 0.0)
    for r, di, vi in zip(own, d, v, strict=True):
        w = t2 / (t2 + vi)
        centre = pooled_start + pd.Timedelta(w * di, "min")
        half = zq * np.hypot(np.sqrt(w * vi), MODEL_ERROR_START)
        low, high = r["_start_envelope"]
        r["start"] = centre.round("s")
        r["start_low"] = (centre + pd.Timedelta(low - half, "min")).round("s")
        r["start_high"] = (centre + pd.Timedelta(high + half, "min")).round("s")
        r["duration"] = r["end"] - r["start"]


def _estimate_event(
    event: list[_Candidate],
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
        windows = [_window(bases[c.key], c.key[-1], lo, hi) for c in top]
        origin = min(w.origin for w in windows)
        shifts = [(w.origin - origin) / MINUTE for w in windows]
        first = min(c.lo for c in top)
        last = max(c.hi for c in top)
        start = _Params((first - origin) / MINUTE - 5, max((last - origin) / MINUTE - 25,
                        (first - origin) / MINUTE + 5), 4.0, 15.0, 0.5, 60.0)  # fmt: skip
        params, ll, se, spread, phi = _fit_with_uncertainty(windows, shifts, start, FIT)
        lr = 2 * (ll - sum(_null_loglik(w) for w in windows)) / phi
        pooled_fit = (params, origin, se, spread)
        width = max(w.width for w in windows)
        columns = {"service": service} if len(key_names) > 1 else {}
        rows.append(_row({**columns, "region": "WLD"}, params, se, spread, origin, windows,
                         level=level, estimate="pooled", lr=lr, width=width))  # fmt: skip
    borrowed = []
    for key in keys:
        base = bases[key]
        w = _window(base, key[-1], lo, hi)
        if not len(w.observed) or np.isnan(w.observed).all():
            continue
        columns = dict(zip(key_names, key, strict=True))
        candidate = own.get(key)
        null = _null_loglik(w)
        if candidate is not None and (candidate.excess >= own_fit_excess or pooled_fit is None):
            if pooled_fit is None:
                fit = _fit_with_uncertainty([w], [0.0], _initial(w, candidate.lo, candidate.hi),
                                            FIT)  # fmt: skip
                params, ll, se, spread, phi = fit
            else:  # refit window and kernel from the pooled fit (its novelty and family kept);
                # the standard errors still carry the novelty parameters
                p0, origin, _, spread = pooled_fit
                shift = (origin - w.origin) / MINUTE
                init = _Params(p0.start + shift, p0.end + shift, p0.delay, p0.decay, p0.floor,
                               p0.eta, p0.shape)  # fmt: skip
                params, ll = _fit([w], [0.0], init, free=WINDOW_AND_KERNEL, restarts=0)
                phi = _overdispersion(params.vector(), [w], [0.0], len(WINDOW_AND_KERNEL))
                se = _inflate(_standard_errors(params, [w], [0.0], FIT), phi)
            lr = 2 * (ll - null) / phi
            if lr >= min_lr and params.end - params.start >= 2.0:
                row = _row(columns, params, se, spread, w.origin, [w], level=level,
                           estimate="region", lr=lr, width=w.width)  # fmt: skip
                daily = float(np.mean(base.expected)) * (pd.Timedelta("1D") / base.width)
                if row["excess_reports"] >= SMALL_EXCESS * daily or lr >= SMALL_EXCESS_LR:
                    rows.append(row)
            continue
        if pooled_fit is None:
            continue
        params, origin, se, spread = pooled_fit
        shift = (w.origin - origin) / MINUTE
        ll = _loglik(params.vector(), [w], [shift])
        lr = 2 * (ll - null) / _overdispersion(params.vector(), [w], [shift], fitted=0)
        threshold = min_lr if candidate is not None else BORROWED_LR
        if lr >= threshold:
            borrowed.append((columns, lr, w))
    if pooled_fit is not None:
        pooled_start = pooled_fit[1] + pd.Timedelta(pooled_fit[0].start, "min")
        _shrink_towards_pooled(rows, pooled_start, level)
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
            rows.append(_row(columns, params, wide, spread, origin, [w], level=level,
                             estimate="pooled", lr=lr, width=w.width))  # fmt: skip
    return rows
