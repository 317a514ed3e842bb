"""The simulated families: a background of their own, nuisances, noise, and one change each."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import signal

from stress_families.common import (
    DAY_MINUTES,
    MINUTE,
    QUIET_PROBABILITY,
    REGION_ZONES,
    StressCase,
    _by_bins,
    _draw_events,
    _Event,
    _excess,
    _frames,
    _Layout,
    _loguniform,
    _missing,
    _nuisance,
    _Plan,
    _truth,
    _Variation,
)


# ------------------------------------------------------------------------- background
def _draw_layout(
    rng: np.random.Generator, freq: str | pd.Timedelta, *, weekend: bool = False
) -> _Layout:
    """Regions, days and bin width; with ``weekend``, a case whose only weekend is scored:
    5 weekdays of history from a Monday, or 6 from a Sunday, then Saturday (and Sunday)."""
    width = pd.Timedelta(freq) / MINUTE
    if width < 1 or width != int(width) or DAY_MINUTES % int(width):
        raise ValueError(f"freq must be whole minutes dividing a day, got {freq!r}")
    n = int(rng.integers(6, 11))
    regions = tuple(str(c) for c in rng.choice(list(REGION_ZONES), n, replace=False))
    start = pd.Timestamp("2022-01-03", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 1000)))
    if weekend:
        history, scored = ((5, 2), (6, 1))[int(rng.integers(2))]
        start = start - pd.Timedelta(days=start.day_of_week + history - 5)  # to Mon or Sun
        return _Layout(regions, start, history, scored, int(width))
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


def _background(
    rng: np.random.Generator, layout: _Layout, *, wakes_later: bool = False
) -> np.ndarray:
    """Expected background reports per (region, minute): size x daily shape x weekend x drift.

    Mean sizes run from ~0.3 to ~80 reports per minute across the regions. With
    ``wakes_later``, each region's weekend days follow its daily shape 2-4 hours late.
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
        on_weekend = local.day_of_week.to_numpy() >= 5
        weekend = np.where(on_weekend, rng.uniform(0.7, 1.3), 1.0)
        if wakes_later:
            hour = np.where(on_weekend, hour - rng.uniform(2, 4), hour) % 24
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


def _simulated(
    rng: np.random.Generator,
    family: str,
    variation: _Variation,
    *,
    freq: str | pd.Timedelta,
    quiet: bool | None,
) -> StressCase:
    """A simulated case of ``family`` (see the module docstring)."""
    layout = _draw_layout(rng, freq, weekend=variation.weekend)
    level = _background(rng, layout, wakes_later=variation.weekend)
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
        "one_region": _Variation(plan=_Plan(worldwide_share=0.0, regional=(1, 1))),
        "weekend_shape": _Variation(weekend=True),
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


def one_region(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """The baseline family, but every outage hits one region only (a check, in no set)."""
    return _simulated(rng, "one_region", _VARIATIONS["one_region"], freq=freq, quiet=quiet)


def weekend_shape(
    rng: np.random.Generator, *, freq: str | pd.Timedelta = "1min", quiet: bool | None = None
) -> StressCase:
    """The baseline family, but weekends wake 2-4 hours later, and the case's only weekend
    is scored: 5-6 days of history, then Saturday (and Sunday). A check, in no set."""
    return _simulated(rng, "weekend_shape", _VARIATIONS["weekend_shape"], freq=freq, quiet=quiet)


for _function in (
    lognormal_delay,
    weibull_delay,
    powerlaw_tail,
    peak_and_fade,
    big_bursts,
    level_shift,
    flapping,
    heavy_noise,
    one_region,
    weekend_shape,
):
    _function.__doc__ = f"{_function.__doc__}\n{_FAMILY_PARAMETERS}"
