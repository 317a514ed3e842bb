"""Observed and expected reports summed over a window, and the variance of their difference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.baseline import SeriesBaseline

DAY = pd.Timedelta("1D")


@dataclass(frozen=True)
class WindowSum:
    """Observed and expected reports summed over the observed bins of a range, the excess
    ``imputed`` to its missing bins, the excess's variance (reports squared), the number of
    ``missing`` bins and whether the baseline is ``weak``."""

    observed: float
    expected: float
    variance: float
    missing: int
    weak: bool
    imputed: float = 0.0

    @property
    def excess(self) -> float:
        """Observed minus expected over the observed bins, plus the imputed excess."""
        return self.observed - self.expected + self.imputed


def bins(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> slice:
    """Bins of ``base`` that overlap [lo, hi)."""
    n = len(base.times)
    a = int(np.floor((lo - base.times[0]) / base.width))
    b = int(np.ceil((hi - base.times[0]) / base.width))
    return slice(min(max(a, 0), n), min(max(b, 0), n))


def _cut(
    base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed and expected reports of the bins overlapping [lo, hi), and which were seen."""
    cut = bins(base, lo, hi)
    y = base.observed[cut]
    return y, base.expected[cut], ~np.isnan(y)


def _other_days(
    base: SeriesBaseline,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    avoid: list[tuple[pd.Timestamp, pd.Timestamp]],
) -> list[float]:
    """Observed minus expected over the same clock hours on the other days (up to 60 each
    way) that are fully collected (at most 10% of bins missing) and clear of ``avoid``."""
    out = []
    for days in range(-60, 61):
        if days == 0:
            continue
        a, b = lo + days * DAY, hi + days * DAY
        if a < base.times[0] or b > base.times[-1] + base.width:
            continue
        if any(a < w_hi and w_lo < b for w_lo, w_hi in avoid):
            continue
        other = bins(base, a, b)
        oy = base.observed[other]
        if np.isnan(oy).mean() > 0.1:
            continue
        ok = ~np.isnan(oy)
        out.append(float(np.sum(oy[ok] - base.expected[other][ok])))
    return out


def window_sum(
    base: SeriesBaseline,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    avoid: list[tuple[pd.Timestamp, pd.Timestamp]],
) -> WindowSum:
    """Observed, expected and the variance of their difference over the bins overlapping
    [lo, hi). ``avoid``: outage windows (with tails) that the other days' sums must miss.

    The variance is the mean square of the same sum on the other days (baseline error and
    noise, bursts included; with fewer than three such days, the negative binomial's
    variance instead), plus the negative-binomial variance of the excess counts themselves.
    Missing bins get the excess ratio of the observed bins on either side (``imputed``, see
    :func:`_impute`), with its variance.

    Examples
    --------
    >>> times = pd.date_range("2017-05-01", periods=4 * 96, freq="15min", tz="UTC")
    >>> y = np.full(len(times), 10.0)
    >>> y[-8:] = 30.0
    >>> base = SeriesBaseline(times, y, np.full(len(times), 10.0), 1e6,
    ...                       pd.Timedelta("15min"), 4, False)
    >>> s = window_sum(base, times[-8], times[-1] + pd.Timedelta("15min"), [])
    >>> s.excess, s.missing
    (160.0, 0)
    """
    y_all, e_all, seen = _cut(base, lo, hi)
    y, e = y_all[seen], e_all[seen]
    k = base.dispersion
    others = _other_days(base, lo, hi, avoid)
    null = float(np.mean(np.square(others))) if len(others) >= 3 else float(np.sum(e + e**2 / k))
    lift = np.maximum(y - e, 0)
    variance = null + float(np.sum(lift * (1 + (y + e) / k)))
    imputed, extra = _impute(y_all, e_all, seen, k, variance)
    variance += extra
    return WindowSum(float(y.sum()), float(e.sum()), variance, int((~seen).sum()),
                     base.weak or len(others) < 3, imputed)  # fmt: skip


def _impute(
    y: np.ndarray, e: np.ndarray, seen: np.ndarray, k: float, variance: float
) -> tuple[float, float]:
    """The excess of the missing bins and its variance. Each gets the excess ratio
    ``(y - e) / e`` interpolated from the observed bins on either side (reports peak and
    settle, so a gap over the peak is not read at the window's mean); the variance adds the
    counts not seen, the uncertainty of the window's mean ratio, and the difference between
    the interpolated and the mean-ratio readings (how much the choice matters). Nothing
    (0, 0) where no bin is missing or the observed bins expect no reports."""
    if seen.all() or not e[seen].sum() > 0:
        return 0.0, 0.0
    at = np.arange(len(y))
    ratio = (y[seen] - e[seen]) / np.maximum(e[seen], 1e-12)
    local = np.interp(at[~seen], at[seen], ratio)
    unseen = e[~seen]
    imputed = float(np.sum(local * unseen))
    mean_ratio = float((y[seen].sum() - e[seen].sum()) / e[seen].sum())
    counts = (1 + np.maximum(local, 0.0)) * unseen
    extra = (float(np.sum(counts + counts**2 / k)) + unseen.sum() ** 2 * variance
             / float(e[seen].sum()) ** 2 + (imputed - mean_ratio * unseen.sum()) ** 2)  # fmt: skip
    return imputed, extra


def excess_between(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Observed minus expected reports over the bins overlapping [lo, hi), missing bins
    imputed as in :func:`window_sum` (without its variance, which needs the other days).

    Examples
    --------
    >>> times = pd.date_range("2017-05-01", periods=8, freq="15min", tz="UTC")
    >>> base = SeriesBaseline(times, np.array([10.0] * 4 + [30.0] * 4), np.full(8, 10.0),
    ...                       1e6, pd.Timedelta("15min"), 4, False)
    >>> excess_between(base, times[3], times[6])
    40.0
    """
    y, e, seen = _cut(base, lo, hi)
    return float(np.sum(y[seen] - e[seen])) + _impute(y, e, seen, base.dispersion, 0.0)[0]


def expected_during(base: SeriesBaseline, lo: pd.Timestamp, hi: pd.Timestamp) -> float:
    """Reports normally expected during [lo, hi), bins weighted by their overlap."""
    cut = bins(base, lo, hi)
    starts = base.times[cut]
    overlap = (np.minimum(starts + base.width, hi) - np.maximum(starts, lo)) / base.width
    return float(np.sum(base.expected[cut] * np.clip(np.asarray(overlap, float), 0, 1)))


def per(value: float, denominator: float) -> float:
    """``value / denominator``, missing where the denominator is missing or not positive (no
    users, nobody awake, no reports expected).

    Examples
    --------
    >>> per(6.0, 3.0), per(6.0, 0.0)
    (2.0, nan)
    """
    return value / denominator if denominator > 0 else np.nan
