"""Stress families: report series with outages, drawn from processes the estimator does not assume.

An independent generator for stress-testing outage-window estimators. Nothing is taken from
the project's own simulator: the daily shape, the reporting lags, the outage shapes, the noise
and the nuisances (bursts, level shifts, spikes, gaps) are written here from scratch with
``numpy.random.Generator`` (same seed, same case).

Every simulated case shares one background and varies ONE thing away from a baseline family
(log-normal reporting lag, constant severity while down, mildly overdispersed Poisson noise):

* ``lognormal_delay``: the baseline itself (lag log-normal, median 2-8 min, sigma 0.5-1.2).
* ``weibull_delay``: Weibull lag (shape 0.6-3, scale 2-10 min).
* ``powerlaw_tail``: Lomax lag (tail index 1.2-2.5, scale 2-8 min): reports linger for hours.
* ``peak_and_fade``: reports peak, then fade to 0-10 % of the peak (time constant 10-40 min)
  while the outage lasts.
* ``big_bursts``: plus 1-4 non-outage bursts a day in single regions (5-50 x the background,
  5 min to 3 h, spike-and-decay or plateau); they are not outages and not in the truth.
* ``level_shift``: the background level changes for good (x 0.5-2) at or shortly after an
  outage, and in some regions at random other times.
* ``flapping``: the service comes back and fails again (1-2 recoveries of 3-15 min), then
  recovers partly (30-60 % severity) before the final recovery; the truth is the envelope.
* ``heavy_noise``: a per-bin log-normal or Student-t multiplicative factor on top of the
  Poisson counts, plus rare one-bin spikes of 3-10 x.

``real_tweets`` puts outages on real backgrounds: the NAB Twitter-volume series (5-minute bins,
February-April 2015), read from a folder outside the repository and never copied into it.

All times are UTC; durations and lags are in minutes. See :class:`StressCase` for what a
case holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import signal, special

__all__ = [
    "DEV_FAMILIES",
    "DEV_SEED",
    "FAMILIES",
    "HELD_OUT_FAMILIES",
    "HELD_OUT_SEED",
    "REGION_ZONES",
    "SIMULATED_FREQS",
    "TICKER_REGIONS",
    "StressCase",
    "big_bursts",
    "case_freq",
    "case_seed",
    "flapping",
    "heavy_noise",
    "level_shift",
    "lognormal_delay",
    "make_case",
    "peak_and_fade",
    "powerlaw_tail",
    "real_tweets",
    "weibull_delay",
    "window_ratio",
]

MINUTE = pd.Timedelta("1min")
DAY_MINUTES = 1440
#: Reporting lags are truncated at this many minutes (24 h; under 0.2 % of any lag's mass).
KERNEL_MINUTES = 1440
#: Minutes kept free between the envelopes of two outages of one case.
SEPARATION = 180
DEV_SEED = 20_000
HELD_OUT_SEED = 60_000
QUIET_PROBABILITY = 0.15
SIMULATED_FREQS = ("1min", "5min", "1h")
#: Each region's IANA zone (the zone the estimator also uses for local days).
REGION_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "BRA": "America/Sao_Paulo",
        "IND": "Asia/Kolkata",
        "DEU": "Europe/Berlin",
        "USA": "America/New_York",
        "NGA": "Africa/Lagos",
        "IDN": "Asia/Jakarta",
        "MEX": "America/Mexico_City",
        "GBR": "Europe/London",
        "FRA": "Europe/Paris",
        "KEN": "Africa/Nairobi",
        "ZAF": "Africa/Johannesburg",
        "JPN": "Asia/Tokyo",
    }
)
#: The region each NAB Twitter-volume series stands in for.
TICKER_REGIONS: Mapping[str, str] = MappingProxyType(
    {
        "AAPL": "USA",
        "AMZN": "GBR",
        "CRM": "DEU",
        "CVS": "FRA",
        "FB": "BRA",
        "GOOG": "IND",
        "IBM": "JPN",
        "KO": "MEX",
        "PFE": "ZAF",
        "UPS": "KEN",
    }
)
TRUTH_COLUMNS = [
    "region",
    "start",
    "end",
    "family",
    "clear",
    "stands_out",
    "ratio",
    "design_ratio",
    "event",
    "kind",
    "lag",
    "shape",
]
NUISANCE_COLUMNS = ["region", "start", "end", "kind", "factor"]


# ---------------------------------------------------------------------------- the case
@dataclass(frozen=True)
class StressCase:
    """One stress case: report series, the true outage windows and what else is in them.

    Attributes
    ----------
    family : str
        The family's name (a key of :data:`FAMILIES`).
    reports : DataFrame
        The report frame: ``time`` (datetime64[ns, UTC], bin start), ``region`` (ISO-3 code,
        str) and ``reports`` (int64 >= 0); missing bins are absent rows.
    truth : DataFrame
        One row per region and outage: ``region``, ``start``, ``end`` (UTC, the outage as
        users experienced it; for ``flapping`` the envelope from first failure to final
        recovery), ``family``, ``clear`` (reports over the window at least twice the
        background's, see :func:`window_ratio`), ``stands_out`` (``real_tweets`` only, else
        ``<NA>``), ``ratio`` (reports over background over the window), ``design_ratio``
        (the drawn peak ratio of the experienced outage rate to the background), ``event``
        (number of the outage in the case), ``kind`` (``worldwide`` or ``regional``),
        ``lag`` and ``shape`` (the reporting-lag family and the outage shape). Empty for a
        quiet case.
    scored_span : tuple of Timestamp
        ``(start, end)`` (UTC) over which estimated windows are scored; the data before it is
        history for the baseline.
    freq : Timedelta
        Bin width.
    label_windows : DataFrame
        ``region, start, end`` (UTC) of known real non-outage anomalies (NAB labels, clipped
        to the case's span); empty for simulated families.
    background : DataFrame
        ``time, region, background``: the counts there would have been without the outages
        (same rows, in the same order, as ``reports``). ``reports - background`` is the
        injected outage excess.
    nuisance : DataFrame
        ``region, start, end, kind, factor``: the non-outage events the generator put in
        (``burst``, ``level_shift``, ``spike``, ``gap``), with their multiplier where one
        applies.
    """

    family: str
    reports: pd.DataFrame
    truth: pd.DataFrame
    scored_span: tuple[pd.Timestamp, pd.Timestamp]
    freq: pd.Timedelta
    label_windows: pd.DataFrame
    background: pd.DataFrame
    nuisance: pd.DataFrame

    @property
    def series_days(self) -> float:
        """Regions times the scored span's length in days (the unit of false-alarm rates)."""
        days = (self.scored_span[1] - self.scored_span[0]) / pd.Timedelta("1D")
        return float(self.reports["region"].nunique() * days)


@dataclass(frozen=True)
class _Layout:
    """Where a case lives: regions, first minute (UTC midnight), days and bin width."""

    regions: tuple[str, ...]
    start: pd.Timestamp
    history_days: int
    scored_days: int
    width: int  # minutes per bin

    @property
    def n_minutes(self) -> int:
        return (self.history_days + self.scored_days) * DAY_MINUTES

    @property
    def n_bins(self) -> int:
        return self.n_minutes // self.width

    @property
    def scored(self) -> tuple[int, int]:
        """The scored span in minutes since ``start``."""
        return self.history_days * DAY_MINUTES, self.n_minutes

    def at(self, minute: float) -> pd.Timestamp:
        return self.start + pd.Timedelta(minutes=float(minute))

    def times(self, step: int) -> pd.DatetimeIndex:
        """Every ``step``-minute instant of the case (UTC, nanoseconds)."""
        n = self.n_minutes // step
        return pd.date_range(self.start, periods=n, freq=f"{step}min").as_unit("ns")


# ------------------------------------------------------------- lags and outage shapes
@dataclass(frozen=True)
class _Lag:
    """Distribution of the lag from experiencing an outage to reporting it (minutes)."""

    kind: str  # lognormal | weibull | powerlaw
    scale: float  # median (lognormal) or scale (weibull, powerlaw), minutes
    shape: float  # sigma (lognormal), shape (weibull) or tail index (powerlaw)

    def cdf(self, t: np.ndarray) -> np.ndarray:
        """P(lag <= t) for ``t > 0`` minutes."""
        if self.kind == "lognormal":
            return special.ndtr(np.log(t / self.scale) / self.shape)
        if self.kind == "weibull":
            return -np.expm1(-((t / self.scale) ** self.shape))
        return 1.0 - (1.0 + t / self.scale) ** -self.shape

    def pmf(self) -> np.ndarray:
        """P(lag in [k, k + 1) minutes), k = 0 .. KERNEL_MINUTES - 1."""
        cdf = np.concatenate([[0.0], self.cdf(np.arange(1.0, KERNEL_MINUTES + 1))])
        return np.diff(cdf)


@dataclass(frozen=True)
class _Shape:
    """Severity of an outage over time, relative to its peak (1)."""

    kind: str = "plateau"  # plateau | fade | flap
    floor: float = 1.0  # fade: the share of the peak that reports settle to
    tau: float = np.inf  # fade: time constant, minutes
    off: tuple[tuple[float, float], ...] = ()  # flap: recoveries, minutes since event start
    partial_from: float = np.inf  # flap: partial recovery from here (minutes since event start)
    severity: float = 1.0  # flap: severity during the partial recovery

    def __call__(self, since_event: np.ndarray, since_region: np.ndarray) -> np.ndarray:
        """Severity at minutes since the event's and since the region's start."""
        out = np.ones_like(since_event)
        if self.kind == "fade":
            out = self.floor + (1.0 - self.floor) * np.exp(-since_region / self.tau)
        for a, b in self.off:
            out[(since_event >= a) & (since_event < b)] = 0.0
        out[since_event >= self.partial_from] *= self.severity
        return out


@dataclass(frozen=True)
class _Event:
    """One outage: its base start and duration (minutes since the case start) and regions."""

    start: int
    duration: int
    regions: tuple[int, ...]  # indices into the layout's regions
    start_offsets: tuple[int, ...]  # 0-8 min, per region
    end_offsets: tuple[int, ...]  # 0-25 min, per region
    ratios: tuple[float, ...]  # peak (background + excess) / background, per region
    kind: str
    lag: _Lag
    shape: _Shape

    def window(self, j: int) -> tuple[int, int]:
        """The j-th region's window [start, end) in minutes since the case start."""
        return self.start + self.start_offsets[j], self.start + self.duration + self.end_offsets[j]


@dataclass(frozen=True)
class _Plan:
    """What outages a family draws."""

    n_events: tuple[int, int] = (1, 2)  # inclusive
    duration: tuple[float, float] = (15.0, 360.0)  # minutes, log-uniform
    ratio: tuple[float, float] = (1.5, 30.0)  # peak ratio, log-uniform
    kernels: tuple[tuple[str, str], ...] = (("lognormal", "plateau"),)  # (lag, shape) choices
    worldwide_share: float = 0.5
    regional: tuple[int, int] = (2, 4)  # inclusive


@dataclass(frozen=True)
class _Variation:
    """The one thing a simulated family changes, besides its outage plan."""

    plan: _Plan = _Plan()
    bursts: bool = False
    shifts: bool = False
    heavy: bool = False


def _loguniform(rng: np.random.Generator, lo: float, hi: float, size: int | None = None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def _draw_lag(rng: np.random.Generator, kind: str) -> _Lag:
    if kind == "lognormal":
        return _Lag(kind, rng.uniform(2, 8), rng.uniform(0.5, 1.2))
    if kind == "weibull":
        return _Lag(kind, rng.uniform(2, 10), rng.uniform(0.6, 3.0))
    if kind == "powerlaw":
        return _Lag(kind, rng.uniform(2, 8), rng.uniform(1.2, 2.5))
    raise ValueError(f"unknown lag family {kind!r}")


def _draw_shape(rng: np.random.Generator, kind: str, duration: int) -> _Shape:
    if kind == "plateau":
        return _Shape()
    if kind == "fade":
        return _Shape("fade", floor=rng.uniform(0, 0.1), tau=rng.uniform(10, 40))
    if kind != "flap":
        raise ValueError(f"unknown outage shape {kind!r}")
    partial_from = duration * (1 - rng.uniform(0.1, 0.35))
    n_off = int(rng.integers(1, 3))
    slot = (partial_from - 0.1 * duration) / n_off
    off = []
    for i in range(n_off):
        length = min(rng.uniform(3, 15), slot - 1)
        a = 0.1 * duration + i * slot + rng.uniform(0, slot - length)
        off.append((float(a), float(a + length)))
    return _Shape("flap", off=tuple(off), partial_from=partial_from, severity=rng.uniform(0.3, 0.6))


# ---------------------------------------------------------------------------- outages
def _draw_regions(rng: np.random.Generator, plan: _Plan, n: int) -> tuple[list[int], str]:
    if rng.random() < plan.worldwide_share:
        drop = 0 if rng.random() < 0.5 else int(rng.integers(1, 3))
        chosen = rng.choice(n, n - drop, replace=False)
    else:
        lo, hi = plan.regional
        chosen = rng.choice(n, int(rng.integers(lo, min(hi, n) + 1)), replace=False)
    kind = "worldwide" if len(chosen) >= max(2, 0.7 * n) else "regional"
    return sorted(int(i) for i in chosen), kind


def _draw_event(
    rng: np.random.Generator,
    plan: _Plan,
    n_regions: int,
    span: tuple[int, int],
    taken: list[_Event],
) -> _Event | None:
    """An outage inside ``span`` (minutes) clear of the ``taken`` ones, or None."""
    duration = round(float(_loguniform(rng, *plan.duration)))
    lo, hi = span[0] + 30, span[1] - duration - 25 - 90
    for _ in range(50):
        start = int(rng.integers(lo, hi))
        end = start + duration + 25
        if all(
            end + SEPARATION <= e.start or e.start + e.duration + 25 + SEPARATION <= start
            for e in taken
        ):
            break
    else:
        return None
    regions, kind = _draw_regions(rng, plan, n_regions)
    k = len(regions)
    ratios = np.clip(_loguniform(rng, *plan.ratio) * np.exp(rng.normal(0, 0.3, k)), *plan.ratio)
    lag_kind, shape_kind = plan.kernels[int(rng.integers(len(plan.kernels)))]
    lag = _draw_lag(rng, lag_kind)
    shape = _draw_shape(rng, shape_kind, duration)
    return _Event(
        start=start,
        duration=duration,
        regions=tuple(regions),
        start_offsets=tuple(int(x) for x in rng.integers(0, 9, k)),
        end_offsets=tuple(int(x) for x in rng.integers(0, 26, k)),
        ratios=tuple(float(r) for r in ratios),
        kind=kind,
        lag=lag,
        shape=shape,
    )


def _draw_events(
    rng: np.random.Generator, plan: _Plan, n_regions: int, span: tuple[int, int]
) -> list[_Event]:
    events: list[_Event] = []
    for _ in range(int(rng.integers(plan.n_events[0], plan.n_events[1] + 1))):
        event = _draw_event(rng, plan, n_regions, span, events)
        if event is not None:
            events.append(event)
    return sorted(events, key=lambda e: e.start)


def _excess(level: np.ndarray, events: list[_Event]) -> np.ndarray:
    """Expected outage reports per minute: level x (ratio - 1) x shape, convolved with the lag.

    ``level`` is the background's expected reports per minute, shape (regions, minutes).
    """
    out = np.zeros_like(level)
    n = level.shape[1]
    for event in events:
        kernel = event.lag.pmf()
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            mid = np.arange(a, b) + 0.5
            severity = event.shape(mid - event.start, mid - a)
            x = level[r, a:b] * (event.ratios[j] - 1.0) * severity
            y = np.convolve(x, kernel)
            stop = min(n, a + len(y))
            out[r, a:stop] += y[: stop - a]
    return out


def _by_bins(per_minute: np.ndarray, width: int) -> np.ndarray:
    """Sum (regions, minutes) into (regions, bins) of ``width`` minutes."""
    r, n = per_minute.shape
    return per_minute.reshape(r, n // width, width).sum(axis=2)


def window_ratio(
    total: np.ndarray, background: np.ndarray, keep: np.ndarray, width: int, a: float, b: float
) -> float:
    """Reports over background over the window [a, b) (minutes), bins weighted by overlap.

    Parameters
    ----------
    total, background : ndarray
        Reports and background counts per bin of one series (bins of ``width`` minutes from
        minute 0).
    keep : ndarray of bool
        Bins that are present (missing bins count for nothing).
    width : int
        Bin width, minutes.
    a, b : float
        The window, minutes since the first bin's start.

    Returns
    -------
    float
        ``sum(w * total) / sum(w * background)`` over present bins, ``w`` the share of the bin
        inside the window; ``inf`` if the background is 0 and reports are not, NaN if both are.

    Examples
    --------
    >>> window_ratio(np.array([2, 6, 2]), np.array([2, 2, 2]), np.ones(3, bool), 5, 5, 10)
    3.0
    """
    first, last = int(a // width), int(np.ceil(b / width))
    edges = np.arange(first, last) * width
    w = (np.minimum(b, edges + width) - np.maximum(a, edges)) / width
    w = np.where(keep[first:last], w, 0.0)
    num = float(np.sum(w * total[first:last]))
    den = float(np.sum(w * background[first:last]))
    if den > 0:
        return num / den
    return np.inf if num > 0 else np.nan


def _truth(
    layout: _Layout, events: list[_Event], family: str, counts: tuple[np.ndarray, ...]
) -> pd.DataFrame:
    """The truth frame; ``counts`` is (total, background, keep) per (region, bin)."""
    total, background, keep = counts
    rows = []
    for number, event in enumerate(events):
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            ratio = window_ratio(total[r], background[r], keep[r], layout.width, a, b)
            rows.append(
                {
                    "region": layout.regions[r],
                    "start": layout.at(a),
                    "end": layout.at(b),
                    "family": family,
                    "clear": bool(ratio >= 2),
                    "stands_out": pd.NA,
                    "ratio": ratio,
                    "design_ratio": event.ratios[j],
                    "event": number,
                    "kind": event.kind,
                    "lag": event.lag.kind,
                    "shape": event.shape.kind,
                }
            )
    out = pd.DataFrame(rows, columns=TRUTH_COLUMNS)
    types = {
        "start": "datetime64[ns, UTC]",
        "end": "datetime64[ns, UTC]",
        "clear": bool,
        "stands_out": "boolean",
        "ratio": float,
        "design_ratio": float,
        "event": "int64",
    }
    return out.astype(types)


# ------------------------------------------------------------------------- background
def _draw_layout(rng: np.random.Generator, freq: str | pd.Timedelta) -> _Layout:
    width = pd.Timedelta(freq) / MINUTE
    if width < 1 or width != int(width) or DAY_MINUTES % int(width):
        raise ValueError(f"freq must be whole minutes dividing a day, got {freq!r}")
    n = int(rng.integers(6, 11))
    regions = tuple(str(c) for c in rng.choice(list(REGION_ZONES), n, replace=False))
    start = pd.Timestamp("2022-01-03", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 1000)))
    return _Layout(regions, start, int(rng.integers(7, 11)), int(rng.integers(1, 3)), int(width))


def _diurnal(rng: np.random.Generator, hour: np.ndarray) -> np.ndarray:
    """A smooth daily shape of mean 1: three harmonics of local time (``hour``, 0-24)."""
    amplitudes = [rng.uniform(0.5, 1.0), rng.uniform(0.1, 0.4), rng.uniform(0.0, 0.2)]
    phases = [rng.uniform(13, 21), rng.uniform(0, 12), rng.uniform(0, 8)]
    periods = [24.0, 12.0, 8.0]

    def log_shape(h: np.ndarray) -> np.ndarray:
        return sum(
            a * np.cos(2 * np.pi * (h - p) / q)
            for a, p, q in zip(amplitudes, phases, periods, strict=True)
        )

    norm = np.mean(np.exp(log_shape(np.arange(0, 24, 1 / 60))))
    return np.exp(log_shape(hour)) / norm


def _background(rng: np.random.Generator, layout: _Layout) -> np.ndarray:
    """Expected background reports per (region, minute): size x daily shape x weekend x drift.

    Mean sizes run from ~0.3 to ~80 reports per minute across the regions.
    """
    n_regions = len(layout.regions)
    jitter = np.exp(rng.normal(0, 0.15, n_regions))
    sizes = rng.permutation(np.geomspace(0.3, 80, n_regions) * jitter)
    times = layout.times(1)
    days = np.arange(layout.n_minutes) / DAY_MINUTES
    n_days = layout.history_days + layout.scored_days
    level = np.empty((n_regions, layout.n_minutes))
    for i, region in enumerate(layout.regions):
        local = times.tz_convert(REGION_ZONES[region])
        hour = (local.hour + local.minute / 60).to_numpy(float)
        weekend = np.where(local.day_of_week.to_numpy() >= 5, rng.uniform(0.7, 1.3), 1.0)
        knots = np.cumsum(rng.normal(0, 0.05, n_days + 1)) + rng.normal(0, 0.015) * np.arange(
            n_days + 1
        )
        drift = np.exp(np.interp(days, np.arange(n_days + 1), knots))
        level[i] = sizes[i] * _diurnal(rng, hour) * weekend * drift
    return level


def _clear_of(events: list[_Event], r: int, a: int, b: int, margin: int) -> bool:
    """No outage window of region ``r`` (plus ``margin`` minutes) overlaps [a, b)."""
    for event in events:
        if r in event.regions:
            s, e = event.window(event.regions.index(r))
            if a < e + margin and s - margin < b:
                return False
    return True


def _bursts(
    rng: np.random.Generator, layout: _Layout, level: np.ndarray, events: list[_Event]
) -> tuple[np.ndarray, list[dict]]:
    """Non-outage bursts: 1-4 a day in single regions, 5-50 x, 5 min to 3 h (per minute)."""
    extra = np.zeros_like(level)
    rows = []
    n_days = layout.n_minutes // DAY_MINUTES
    for day in range(n_days):
        for _ in range(int(rng.integers(1, 5))):
            r = int(rng.integers(len(layout.regions)))
            duration = round(float(_loguniform(rng, 5, 180)))
            a = day * DAY_MINUTES + int(rng.integers(0, DAY_MINUTES))
            b = min(a + duration, layout.n_minutes)
            factor = float(_loguniform(rng, 5, 50))
            spike = rng.random() < 0.6
            if not _clear_of(events, r, a, b, 60):
                continue
            t = np.arange(b - a) + 0.5
            if spike:  # fast rise (1-3 min), then exponential decay to ~5 % by the end
                shape = np.minimum(1.0, t / rng.uniform(1, 3)) * np.exp(-3 * t / duration)
            else:  # plateau with 2-minute ramps
                shape = np.minimum(1.0, np.minimum(t, b - a - t + 1) / 2)
            extra[r, a:b] += level[r, a:b] * (factor - 1) * shape
            rows.append(
                {
                    "region": layout.regions[r],
                    "start": layout.at(a),
                    "end": layout.at(b),
                    "kind": "burst",
                    "factor": factor,
                }
            )
    return extra, rows


def _level_shifts(
    rng: np.random.Generator, layout: _Layout, level: np.ndarray, events: list[_Event]
) -> tuple[np.ndarray, list[dict]]:
    """Permanent level changes (x 0.5-2): after outages, and at random other times."""
    level = level.copy()
    rows = []
    shifts: list[tuple[int, int]] = []
    for event in events:
        for j, r in enumerate(event.regions):
            if rng.random() < 0.6:
                a, b = event.window(j)
                shifts.append((r, int(rng.integers(a, b + 61))))
    for r in range(len(layout.regions)):
        if rng.random() < 0.35:
            at = int(rng.integers(DAY_MINUTES, layout.n_minutes))
            if _clear_of(events, r, at, at + 1, 120):
                shifts.append((r, at))
    for r, at in shifts:
        factor = float(np.exp(rng.choice([-1, 1]) * rng.uniform(np.log(1.25), np.log(2))))
        level[r, at:] *= factor
        rows.append(
            {
                "region": layout.regions[r],
                "start": layout.at(at),
                "end": layout.at(layout.n_minutes),
                "kind": "level_shift",
                "factor": factor,
            }
        )
    return level, rows


# ------------------------------------------------------------------------------ noise
def _ar_factor(rng: np.random.Generator, shape: tuple[int, int], width: int) -> np.ndarray:
    """Mild overdispersion: a mean-1 log-AR(1) factor per bin (sd 0.08-0.2, ~30 min memory)."""
    sd = rng.uniform(0.08, 0.2, (shape[0], 1))
    phi = np.exp(-width / 30)
    eps = rng.normal(0, 1, shape) * sd * np.sqrt(1 - phi**2)
    z0 = rng.normal(0, 1, (shape[0], 1)) * sd
    z, _ = signal.lfilter([1.0], [1.0, -phi], eps, axis=1, zi=phi * z0)
    return np.exp(z - sd**2 / 2)


def _heavy_factor(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Heavy-tailed per-bin factor of mean 1: log-normal (sigma 0.5-1) or Student-t driven."""
    if rng.random() < 0.5:
        sigma = rng.uniform(0.5, 1.0)
        return np.exp(sigma * rng.normal(0, 1, shape) - sigma**2 / 2)
    g = np.clip(rng.uniform(0.3, 0.6) * rng.standard_t(rng.uniform(2.5, 5), shape), -3, 3)
    f = np.exp(g)
    return f / f.mean(axis=1, keepdims=True)


def _spikes(
    rng: np.random.Generator, layout: _Layout, shape: tuple[int, int]
) -> tuple[np.ndarray, list[dict]]:
    """Rare one-bin spikes of 3-10 x the background (1-4 per region-day, at most 2 % of bins)."""
    p = min(rng.uniform(1, 4) * layout.width / DAY_MINUTES, 0.02)
    hit = rng.random(shape) < p
    factor = np.where(hit, rng.uniform(3, 10, shape), 1.0)
    rows = [
        {
            "region": layout.regions[r],
            "start": layout.at(b * layout.width),
            "end": layout.at((b + 1) * layout.width),
            "kind": "spike",
            "factor": factor[r, b],
        }
        for r, b in zip(*np.nonzero(hit), strict=True)
    ]
    return factor, rows


def _missing(
    rng: np.random.Generator, layout: _Layout, shape: tuple[int, int]
) -> tuple[np.ndarray, list[dict]]:
    """Bins kept: 0-3 % missing at random, and with p 0.3 a 10-60 min gap in one region."""
    keep = rng.random(shape) >= rng.uniform(0, 0.03)
    rows = []
    if rng.random() < 0.3:
        r = int(rng.integers(shape[0]))
        length = int(rng.integers(10, 61))
        a = int(rng.integers(layout.scored[0], layout.scored[1] - length))
        keep[r, a // layout.width : int(np.ceil((a + length) / layout.width))] = False
        rows.append(
            {
                "region": layout.regions[r],
                "start": layout.at(a),
                "end": layout.at(a + length),
                "kind": "gap",
                "factor": np.nan,
            }
        )
    return keep, rows


# ------------------------------------------------------------------------- assembling
def _frames(
    layout: _Layout, total: np.ndarray, background: np.ndarray, keep: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The report frame and the background frame (same rows) from (region, bin) arrays."""
    flat = keep.ravel()
    times = layout.times(layout.width).tz_localize(None).to_numpy()
    n_regions = len(layout.regions)
    time = pd.DatetimeIndex(np.tile(times, n_regions)[flat]).tz_localize("UTC").as_unit("ns")
    region = np.repeat(np.array(layout.regions), layout.n_bins)[flat]
    reports = pd.DataFrame(
        {"time": time, "region": region, "reports": total.ravel()[flat].astype("int64")}
    )
    back = pd.DataFrame(
        {"time": time, "region": region, "background": background.ravel()[flat].astype("int64")}
    )
    return reports, back


def _nuisance(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=NUISANCE_COLUMNS)
    return out.astype(
        {"start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]", "factor": float}
    )


def _simulated(
    rng: np.random.Generator,
    family: str,
    variation: _Variation,
    *,
    freq: str | pd.Timedelta,
    quiet: bool | None,
) -> StressCase:
    """A simulated case of ``family`` (see the module docstring)."""
    layout = _draw_layout(rng, freq)
    level = _background(rng, layout)
    drawn = bool(rng.random() < QUIET_PROBABILITY)  # drawn always: quiet= keeps the rest
    quiet = drawn if quiet is None else quiet
    events = [] if quiet else _draw_events(rng, variation.plan, len(layout.regions), layout.scored)
    nuisance: list[dict] = []
    if variation.shifts:
        level, rows = _level_shifts(rng, layout, level, events)
        nuisance += rows
    excess = _by_bins(_excess(level, events), layout.width)
    if variation.bursts:
        extra, rows = _bursts(rng, layout, level, events)
        level, nuisance = level + extra, nuisance + rows
    shape = (len(layout.regions), layout.n_bins)
    factor = _ar_factor(rng, shape, layout.width)
    spikes = np.ones(shape)
    if variation.heavy:
        factor = factor * _heavy_factor(rng, shape)
        spikes, rows = _spikes(rng, layout, shape)
        nuisance += rows
    background = rng.poisson(_by_bins(level, layout.width) * factor * spikes)
    total = background + rng.poisson(excess * factor)
    keep, rows = _missing(rng, layout, shape)
    reports, back = _frames(layout, total, background, keep)
    return StressCase(
        family=family,
        reports=reports,
        truth=_truth(layout, events, family, (total, background, keep)),
        scored_span=(layout.at(layout.scored[0]), layout.at(layout.scored[1])),
        freq=pd.Timedelta(minutes=layout.width),
        label_windows=pd.DataFrame(
            {
                "region": pd.Series(dtype="str"),
                "start": pd.Series(dtype="datetime64[ns, UTC]"),
                "end": pd.Series(dtype="datetime64[ns, UTC]"),
            }
        ),
        background=back,
        nuisance=_nuisance(nuisance + rows),
    )


# ---------------------------------------------------------------------- the families
_VARIATIONS: Mapping[str, _Variation] = MappingProxyType(
    {
        "lognormal_delay": _Variation(),
        "weibull_delay": _Variation(plan=_Plan(kernels=(("weibull", "plateau"),))),
        "powerlaw_tail": _Variation(plan=_Plan(kernels=(("powerlaw", "plateau"),))),
        "peak_and_fade": _Variation(plan=_Plan(kernels=(("lognormal", "fade"),))),
        "big_bursts": _Variation(bursts=True),
        "level_shift": _Variation(shifts=True),
        "flapping": _Variation(
            plan=_Plan(duration=(40.0, 360.0), kernels=(("lognormal", "flap"),))
        ),
        "heavy_noise": _Variation(heavy=True),
    }
)
_FAMILY_PARAMETERS = """
    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness (same seed, same case).
    freq : str or Timedelta
        Bin width, whole minutes dividing a day (``"1min"``, ``"5min"``, ``"1h"``).
    quiet : bool, optional
        True for a case without outages, False for one with; by default quiet with
        probability 0.15.

    Returns
    -------
    StressCase
"""


def lognormal_delay(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """The baseline family: log-normal reporting lag (median 2-8 min, sigma 0.5-1.2)."""
    return _simulated(
        rng, "lognormal_delay", _VARIATIONS["lognormal_delay"], freq=freq, quiet=quiet
    )


def weibull_delay(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Weibull reporting lag (shape 0.6-3, scale 2-10 min)."""
    return _simulated(rng, "weibull_delay", _VARIATIONS["weibull_delay"], freq=freq, quiet=quiet)


def powerlaw_tail(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Lomax reporting lag (tail index 1.2-2.5, scale 2-8 min): reports linger for hours."""
    return _simulated(rng, "powerlaw_tail", _VARIATIONS["powerlaw_tail"], freq=freq, quiet=quiet)


def peak_and_fade(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Reports peak, then fade to 0-10 % of the peak (10-40 min) while the outage lasts."""
    return _simulated(rng, "peak_and_fade", _VARIATIONS["peak_and_fade"], freq=freq, quiet=quiet)


def big_bursts(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Plus 1-4 non-outage bursts a day in single regions (5-50 x, 5 min to 3 h)."""
    return _simulated(rng, "big_bursts", _VARIATIONS["big_bursts"], freq=freq, quiet=quiet)


def level_shift(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Permanent background level changes (x 0.5-2) after outages and at random times."""
    return _simulated(rng, "level_shift", _VARIATIONS["level_shift"], freq=freq, quiet=quiet)


def flapping(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """The service flaps: 1-2 recoveries of 3-15 min, a partial recovery, then the end.

    Outages last 40 min to 6 h; the truth is the envelope from first failure to final
    recovery.
    """
    return _simulated(rng, "flapping", _VARIATIONS["flapping"], freq=freq, quiet=quiet)


def heavy_noise(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """Heavy-tailed multiplicative noise per bin, and rare one-bin spikes of 3-10 x."""
    return _simulated(rng, "heavy_noise", _VARIATIONS["heavy_noise"], freq=freq, quiet=quiet)


for _function in (
    lognormal_delay,
    weibull_delay,
    powerlaw_tail,
    peak_and_fade,
    big_bursts,
    level_shift,
    flapping,
    heavy_noise,
):
    _function.__doc__ = f"{_function.__doc__}\n{_FAMILY_PARAMETERS}"


# ------------------------------------------------------------------------ real tweets
REAL_WIDTH = 5  # minutes
REAL_HISTORY_DAYS = 14
REAL_SCORED_DAYS = 3
_REAL_PLAN = _Plan(
    n_events=(1, 3),
    duration=(10.0, 240.0),
    ratio=(1.3, 20.0),
    kernels=(
        ("lognormal", "plateau"),
        ("weibull", "plateau"),
        ("powerlaw", "plateau"),
        ("lognormal", "fade"),
    ),
    worldwide_share=0.0,
    regional=(1, 10),
)


def load_tweets(root: Path) -> dict[str, pd.Series]:
    """The NAB Twitter-volume series, keyed by the region each stands in for.

    Parameters
    ----------
    root : Path
        The NAB folder holding ``realTweets/Twitter_volume_*.csv`` (columns
        ``timestamp,value``, 5-minute bins, naive times read as UTC).

    Returns
    -------
    dict of str to Series
        Mentions per 5-minute bin, indexed by bin start (UTC, floored to whole 5 minutes:
        NAB's stamps fall at ``:x2:53`` and ``:x7:53``).
    """
    folder = Path(root) / "realTweets"
    paths = sorted(folder.glob("Twitter_volume_*.csv"))
    if not paths:
        raise FileNotFoundError(f"no Twitter_volume_*.csv under {folder}")
    out = {}
    for path in paths:
        ticker = path.stem.removeprefix("Twitter_volume_")
        if ticker not in TICKER_REGIONS:
            raise ValueError(f"{path}: no region for the ticker {ticker!r}")
        frame = pd.read_csv(path)
        times = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"])).tz_localize("UTC")
        index = times.floor(f"{REAL_WIDTH}min").as_unit("ns")
        out[TICKER_REGIONS[ticker]] = pd.Series(frame["value"].to_numpy("int64"), index=index)
    return out


def _real_layout(rng: np.random.Generator, series: Mapping[str, pd.Series]) -> _Layout:
    """A 17-day span (14 history, 3 scored) that every series covers, from UTC midnight."""
    first = max(s.index[0] for s in series.values()).ceil("D")
    last = min(s.index[-1] for s in series.values()) + pd.Timedelta(minutes=REAL_WIDTH)
    days = REAL_HISTORY_DAYS + REAL_SCORED_DAYS
    options = (last.floor("D") - first).days - days + 1
    if options < 1:
        raise ValueError(f"the series share under {days} whole days")
    start = first + pd.Timedelta(days=int(rng.integers(0, options)))
    regions = tuple(sorted(series))
    return _Layout(regions, start, REAL_HISTORY_DAYS, REAL_SCORED_DAYS, REAL_WIDTH)


def _clock_median(real: np.ndarray, layout: _Layout) -> np.ndarray:
    """Per (region, bin): median over the history days of the same clock-time bin."""
    per_day = DAY_MINUTES // layout.width
    n_days = layout.history_days + layout.scored_days
    history = real[:, : layout.history_days * per_day]
    days = history.reshape(len(layout.regions), layout.history_days, per_day)
    median = np.stack([pd.DataFrame(d).median(axis=0).to_numpy() for d in days])
    return np.tile(np.nan_to_num(median), (1, n_days))


def _typical_level(median: np.ndarray, real: np.ndarray, layout: _Layout) -> np.ndarray:
    """Typical reports per (region, minute) that outages scale with.

    The clock-time median smoothed over 25 min (5 bins, centred), floored at 0.2 x the series'
    mean over the history so that sparse series (median 0) still get outages.
    """
    smooth = sum(np.roll(median, k, axis=1) for k in range(-2, 3)) / 5
    history = real[:, : layout.history_days * DAY_MINUTES // layout.width]
    floor = 0.2 * pd.DataFrame(history.T).mean().to_numpy()[:, None]
    per_bin = np.maximum(smooth, floor)
    return np.repeat(per_bin / layout.width, layout.width, axis=1)


def _stands_out(
    layout: _Layout,
    events: list[_Event],
    observed: np.ndarray,
    median: np.ndarray,
    keep: np.ndarray,
) -> list[bool]:
    """Does each truth window beat every other same-length window of its scored span?

    The score of a window is (reports + 1) / (clock-time median + 1), summed over its present
    bins; the others are the windows (sliding by one bin) of the scored span that hold no
    bin from an outage's start to 2 h after its end.
    """
    w = layout.width
    obs, typ = np.where(keep, observed, 0.0), np.where(keep, median, 0.0)
    first_scored = layout.scored[0] // w
    touched = np.zeros(observed.shape, bool)
    for event in events:
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            touched[r, a // w : int(np.ceil((b + 120) / w))] = True
    out = []
    for event in events:
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            first, last = a // w, int(np.ceil(b / w))
            mine = (obs[r, first:last].sum() + 1) / (typ[r, first:last].sum() + 1)
            n = last - first
            sums = [
                np.concatenate([[0.0], np.cumsum(x[r, first_scored:])])
                for x in (obs, typ, touched.astype(float))
            ]
            window_obs, window_typ, window_touched = (c[n:] - c[:-n] for c in sums)
            free = window_touched == 0
            others = (window_obs[free] + 1) / (window_typ[free] + 1)
            out.append(bool(others.size == 0 or mine > others.max()))
    return out


def _label_windows(root: Path, layout: _Layout) -> pd.DataFrame:
    """NAB's labelled anomaly windows of the series, clipped to the case's span (UTC)."""
    path = Path(root) / "labels" / "combined_windows.json"
    labels = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    lo, hi = layout.at(0), layout.at(layout.n_minutes)
    rows = []
    for ticker, region in TICKER_REGIONS.items():
        for a, b in labels.get(f"realTweets/Twitter_volume_{ticker}.csv", []):
            start = max(pd.Timestamp(a, tz="UTC").floor(f"{REAL_WIDTH}min"), lo)
            end = min(pd.Timestamp(b, tz="UTC").floor(f"{REAL_WIDTH}min"), hi)
            if start < end:
                rows.append({"region": region, "start": start, "end": end})
    out = pd.DataFrame(rows, columns=["region", "start", "end"])
    return out.astype(
        {"region": "str", "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]"}
    )


def real_tweets(
    rng: np.random.Generator, *, root: Path, freq: str | pd.Timedelta = "5min"
) -> StressCase:
    """Outages added on top of the real NAB Twitter-volume series (all ten in each case).

    A span of 17 days (14 of history, then 3 scored) in February-April 2015 is picked; 1-3
    outages (10 min to 4 h, each in 1 to all 10 series) are put in the scored span. Their
    excess rate is (ratio - 1) x the series' typical level at that clock time (see
    :func:`_typical_level`), ratio 1.3-20, shaped by a log-normal, Weibull or power-law lag
    or by peak-and-fade, and sampled as Poisson counts on top of the real ones. ``clear`` is
    as for the simulated families, ``stands_out`` as in :func:`_stands_out`;
    ``label_windows`` are NAB's labelled anomalies.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness (same seed and data, same case).
    root : Path
        The NAB folder (``realTweets/`` and ``labels/``); read, never written or copied.
    freq : str or Timedelta
        Must be 5 minutes (the data's bin width).

    Returns
    -------
    StressCase
    """
    if pd.Timedelta(freq) != pd.Timedelta(minutes=REAL_WIDTH):
        raise ValueError(f"real_tweets has {REAL_WIDTH}-minute bins, got freq={freq!r}")
    series = load_tweets(root)
    layout = _real_layout(rng, series)
    times = layout.times(layout.width)
    real = np.vstack([series[region].reindex(times).to_numpy(float) for region in layout.regions])
    median = _clock_median(real, layout)
    events = _draw_events(rng, _REAL_PLAN, len(layout.regions), layout.scored)
    excess = rng.poisson(_by_bins(_excess(_typical_level(median, real, layout), events), 5))
    keep, gaps = _missing(rng, layout, real.shape)
    keep &= ~np.isnan(real)
    background = np.nan_to_num(real).astype("int64")
    total = background + excess
    truth = _truth(layout, events, "real_tweets", (total, background, keep))
    truth["stands_out"] = pd.array(_stands_out(layout, events, total, median, keep), "boolean")
    reports, back = _frames(layout, total, background, keep)
    return StressCase(
        family="real_tweets",
        reports=reports,
        truth=truth,
        scored_span=(layout.at(layout.scored[0]), layout.at(layout.scored[1])),
        freq=pd.Timedelta(minutes=layout.width),
        label_windows=_label_windows(root, layout),
        background=back,
        nuisance=_nuisance(gaps),
    )


# -------------------------------------------------------------------------- registry
FAMILIES: Mapping[str, Callable[..., StressCase]] = MappingProxyType(
    {
        "lognormal_delay": lognormal_delay,
        "weibull_delay": weibull_delay,
        "powerlaw_tail": powerlaw_tail,
        "peak_and_fade": peak_and_fade,
        "big_bursts": big_bursts,
        "level_shift": level_shift,
        "flapping": flapping,
        "heavy_noise": heavy_noise,
        "real_tweets": real_tweets,
    }
)
#: Families used while developing an estimator (with seeds from DEV_SEED).
DEV_FAMILIES = ("lognormal_delay", "big_bursts", "heavy_noise", "real_tweets")
#: Families kept for the final check (with seeds from HELD_OUT_SEED); real_tweets is in both,
#: told apart by its seeds.
HELD_OUT_FAMILIES = (
    "weibull_delay",
    "powerlaw_tail",
    "peak_and_fade",
    "level_shift",
    "flapping",
    "real_tweets",
)


def case_seed(family: str, case: int, *, held_out: bool) -> int:
    """The seed of case number ``case`` (0-999) of ``family`` on the dev or held-out seeds.

    Examples
    --------
    >>> case_seed("lognormal_delay", 3, held_out=False), case_seed("real_tweets", 0, held_out=True)
    (20003, 68000)
    """
    if not 0 <= case < 1000:
        raise ValueError(f"case must be in 0..999, got {case}")
    return (HELD_OUT_SEED if held_out else DEV_SEED) + 1000 * list(FAMILIES).index(family) + case


def case_freq(family: str, case: int) -> str:
    """The bin width of case number ``case``: 1 min, 5 min and 1 h in turn (real: 5 min)."""
    if family == "real_tweets":
        return f"{REAL_WIDTH}min"
    return SIMULATED_FREQS[(case + list(FAMILIES).index(family)) % len(SIMULATED_FREQS)]


def make_case(
    family: str, seed: int, *, freq: str | pd.Timedelta | None = None, root: Path | None = None
) -> StressCase:
    """A case of ``family`` from ``seed`` (``root``: the NAB folder, for ``real_tweets``)."""
    rng = np.random.default_rng(seed)
    if family == "real_tweets":
        if root is None:
            raise ValueError("real_tweets needs root= (the NAB folder)")
        return real_tweets(rng, root=root)
    return FAMILIES[family](rng, freq=freq if freq is not None else "1min")
