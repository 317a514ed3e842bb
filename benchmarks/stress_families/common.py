"""The case, its constants, reporting lags, outage shapes, outages with their truth, gaps
and the assembled frames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import special

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
    "end_visible",
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
        ``lag`` and ``shape`` (the reporting-lag family and the outage shape) and
        ``end_visible`` (reports still stand out just before the end, see
        :func:`end_visible`). Empty for a quiet case.
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
    weekend: bool = False  # a weekend that wakes later, and one weekend in the case


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


#: Minutes before a true end over which reports must still stand out for the end to show.
END_SPAN = 30
#: Standard deviations (Poisson, of the true background) that the excess must reach there: a
#: step this large over 30 minutes can be placed; at 2 standard deviations it barely shows.
END_Z = 5.0


def end_visible(
    total: np.ndarray, background: np.ndarray, keep: np.ndarray, width: int, a: float, b: float
) -> bool:
    """Whether the outage [a, b) (minutes) still raises reports over its last :data:`END_SPAN`
    minutes: the excess over the true background there, bins weighted by overlap, is at least
    :data:`END_Z` Poisson standard deviations. Where it is not (reports faded back to normal
    while the outage went on), nothing in the reports marks the end, even knowing the
    background exactly.

    Examples
    --------
    >>> keep = np.ones(12, bool)
    >>> end_visible(np.full(12, 30), np.full(12, 10), keep, 5, 0, 60)
    True
    >>> end_visible(np.full(12, 13), np.full(12, 10), keep, 5, 0, 60)
    False
    """
    lo = max(a, b - END_SPAN)
    first, last = int(lo // width), int(np.ceil(b / width))
    edges = np.arange(first, last) * width
    w = (np.minimum(b, edges + width) - np.maximum(lo, edges)) / width
    w = np.where(keep[first:last], w, 0.0)
    excess = float(np.sum(w * (total[first:last] - background[first:last])))
    return bool(excess >= END_Z * np.sqrt(float(np.sum(w * background[first:last])) + 1.0))


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
                    "end_visible": end_visible(
                        total[r], background[r], keep[r], layout.width, a, b
                    ),
                }
            )
    out = pd.DataFrame(rows, columns=TRUTH_COLUMNS)
    types = {
        "start": "datetime64[ns, UTC]",
        "end": "datetime64[ns, UTC]",
        "clear": bool,
        "end_visible": bool,
        "stands_out": "boolean",
        "ratio": float,
        "design_ratio": float,
        "event": "int64",
    }
    return out.astype(types)


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
