"""Drawing a simulation from a scenario and a seed: per-region inputs, the reporting kernel,
the counts and the truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal, stats
from tqdm import tqdm

from analysis.activity import activity
from analysis.schema import validate_reports
from analysis.simulate.scenario import MINUTE, Noise, Reporting, Scenario
from analysis.users import service_users

__all__ = ["Simulation", "region_inputs", "reporting_kernel", "simulate"]


@dataclass(frozen=True)
class Simulation:
    """The output of :func:`simulate`.

    Attributes
    ----------
    reports : DataFrame
        A validated report frame (``time, region, reports, service``).
    truth : DataFrame
        One row per outage window per region: ``region, start, end`` (UTC, whole minutes:
        the outage users experienced), ``duration``, ``severity``, ``outage`` (index into
        ``scenario.outages``) and the reporting novelty (``novelty_floor``,
        ``novelty_decay``, as :func:`~analysis.estimate_outages` reports its fit).
    inputs : DataFrame
        Per-region parameters used (see :func:`region_inputs`).
    bursts : DataFrame
        Non-outage bursts: ``region, start, end, height``.
    gaps : DataFrame
        Collection gaps cut from the data: ``region, start, end``.
    scenario : Scenario
    seed : int
    """

    reports: pd.DataFrame
    truth: pd.DataFrame
    inputs: pd.DataFrame
    bursts: pd.DataFrame
    gaps: pd.DataFrame
    scenario: Scenario
    seed: int

    def __repr__(self) -> str:
        return (
            f"Simulation({self.scenario.name!r}, seed={self.seed}: {len(self.reports):,} rows, "
            f"{self.reports['region'].nunique()} regions, {len(self.truth)} outage windows)"
        )


def region_inputs(scenario: Scenario, countries: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-region parameters of a scenario, derived from the country table.

    Users come from :func:`~analysis.users.service_users` (internet users x penetration:
    the scenario's override, else the published figure, else an assumption by market), with
    the scenario's ``users`` overrides and ``users_total`` scaling. Reliance is the
    scenario's override, else ``reliance_by_market``.

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``name, continent, market, income_group, timezone, population,
        internet_users, penetration, penetration_source, users, reliance, propensity,
        activity_shift_h`` and ``background_per_min`` (expected background reports per
        minute at average activity).

    Raises
    ------
    ValueError
        For a region missing from the table, or lacking what the users need.
    """
    out = service_users(
        scenario.regions, countries, penetration=scenario.penetration, users=scenario.users,
        users_total=scenario.users_total,
    ).drop(columns=["users_low", "users_high"])  # fmt: skip
    reliance = pd.Series(scenario.reliance, dtype="float64").reindex(out.index)
    by_market = out["market"].map(dict(scenario.reliance_by_market)).astype("float64")
    out["reliance"] = reliance.fillna(by_market).fillna(1.0)
    out["timezone"] = out["timezone"].fillna("UTC")
    out["propensity"] = pd.Series(scenario.propensity, dtype="float64").reindex(out.index)
    out["propensity"] = out["propensity"].fillna(1.0)
    out["activity_shift_h"] = (
        pd.Series(scenario.activity_shift, dtype="float64").reindex(out.index).fillna(0.0)
    )
    out["background_per_min"] = (
        out["users"] / 1e6 * scenario.reporting.background_rate * out["propensity"]
    )
    return out


def reporting_kernel(
    delay: pd.Timedelta,
    decay: pd.Timedelta,
    *,
    shape: float = 1.0,
    dead_time: pd.Timedelta = pd.Timedelta(0),
) -> np.ndarray:
    """Per-minute weights of the reporting kernel, summing to 1.

    Weight ``k[m]`` is the share of the reports caused by one minute of outage that arrive
    ``m`` minutes later. The lag is ``dead_time`` + a gamma noticing delay (mean ``delay``,
    shape ``shape``) + an exponential reporting lag (mean ``decay``); its density is computed
    on a grid of 1/20 minute, summed per minute and cut where the tail is below 1e-7.

    Examples
    --------
    >>> k = reporting_kernel(pd.Timedelta("4min"), pd.Timedelta("15min"))
    >>> mean_lag = float((k * (np.arange(len(k)) + 0.5)).sum())
    >>> float(k.sum().round(12)), bool(k[0] < k[3]), round(mean_lag)
    (1.0, True, 19)
    """
    sub = 20
    mean_delay, tau = delay / MINUTE, max(decay / MINUTE, 1 / sub)
    dead = dead_time / MINUTE
    tail = stats.gamma.ppf(1 - 1e-7, shape, scale=mean_delay / shape) if mean_delay > 0 else 0.0
    length = int(np.ceil(dead + tail + tau * np.log(1e7))) + 1
    t = (np.arange(length * sub) + 0.5) / sub
    lag = stats.expon.pdf(t, scale=tau)
    if mean_delay > 0:
        notice = stats.gamma.pdf(t, shape, scale=mean_delay / shape)
        lag = signal.fftconvolve(notice, lag)[: length * sub] / sub
    fine = np.concatenate([np.zeros(round(dead * sub)), lag])[: length * sub]
    kernel = fine.reshape(length, sub).sum(axis=1)
    return kernel / kernel.sum()


def _region_rng(seed: int, region: str) -> np.random.Generator:
    key = int.from_bytes(region.encode("ascii"), "big")
    return np.random.default_rng(np.random.SeedSequence([int(seed), key]))


def _windows(
    scenario: Scenario, region: str, rng: np.random.Generator
) -> list[tuple[int, pd.Timestamp, pd.Timestamp, float]]:
    """The outage windows region ``region`` experiences: (outage index, start, end, severity)."""
    windows = []
    for i, outage in enumerate(scenario.outages):
        spread_start = rng.uniform(0, outage.start_spread / MINUTE)
        spread_end = rng.uniform(0, outage.recovery_spread / MINUTE)
        if outage.regions is not None and region not in outage.regions:
            continue
        start = outage.start + pd.Timedelta(round(spread_start), "min")
        offset = outage.end_offsets.get(region, pd.Timedelta(0))
        end = outage.end + offset + pd.Timedelta(round(spread_end), "min")
        windows.append((i, start.floor("min"), max(end.floor("min"), start + MINUTE),
                        outage.severity))  # fmt: skip
    return windows


def _burst_windows(
    noise: Noise, n_minutes: int, rng: np.random.Generator
) -> list[tuple[int, int, float]]:
    days = n_minutes / 1440
    count = rng.poisson(noise.bursts_per_day * days)
    out = []
    for _ in range(count):
        length = int(rng.uniform(*noise.burst_minutes))
        start = int(rng.integers(0, max(1, n_minutes - length)))
        out.append((start, start + max(length, 1), float(rng.uniform(*noise.burst_height))))
    return out


def _sample(
    per_minute: np.ndarray, per_bin: int, n_bins: int, dispersion: float, rng: np.random.Generator
) -> np.ndarray:
    """Counts per bin: negative-binomial minutes (gamma-Poisson mixture), summed into bins.

    The gamma mixing is drawn per minute, so a coarse bin is distributed exactly as the sum
    of its minutes: the resolution changes the binning, not the noise model.
    """
    if np.isfinite(dispersion):
        per_minute = per_minute * rng.gamma(dispersion, 1.0 / dispersion, size=per_minute.shape)
    return rng.poisson(_to_bins(per_minute, per_bin, n_bins))


def _engaged(
    info: pd.Series, minutes: pd.DatetimeIndex, noise: Noise, rng: np.random.Generator
) -> np.ndarray:
    """Active users (millions) per minute of a region: its users times local activity
    (shifted by ``activity_shift_h``), times a day-to-day and a weekly drift."""
    act = activity(minutes - pd.Timedelta(hours=info["activity_shift_h"]), info["timezone"])
    day_index = ((minutes - minutes[0]) // pd.Timedelta("1D")).to_numpy()
    weeks = ((minutes - minutes[0]) / pd.Timedelta("7D")).to_numpy()
    drift = np.exp(
        rng.normal(0, noise.daily_sd, size=day_index[-1] + 1)[day_index]
        + rng.normal(0, noise.trend_sd) * weeks
    )
    return info["users"] / 1e6 * act * drift


def _exposure(scenario: Scenario, start: pd.Timestamp, end: pd.Timestamp, n: int) -> np.ndarray:
    """Per minute of the scenario, the share of an outage's full effect from ``start`` to
    ``end``: 0 outside, the reporting novelty inside (settling from 1 towards its floor)."""
    rep = scenario.reporting
    out = np.zeros(n)
    a = max(0, int((start - scenario.start) / MINUTE))
    b = min(n, int((end - scenario.start) / MINUTE))
    if b > a:
        since = np.arange(a, b) - int((start - scenario.start) / MINUTE)
        out[a:b] = rep.novelty_floor + (1 - rep.novelty_floor) * np.exp(
            -since / (rep.novelty_decay / MINUTE or 1.0)
        )
    return out


def simulate(scenario: Scenario, seed: int, *, progress: bool = False) -> Simulation:
    """Simulate outage-report series for a scenario.

    Same scenario and seed, same bytes. See the module docstring for the model.

    Parameters
    ----------
    scenario : Scenario
        What to simulate.
    seed : int
        Seed of all randomness (each region draws from its own stream derived from it).
    progress : bool
        Show a progress bar over regions.

    Returns
    -------
    Simulation
        ``reports`` (a validated report frame), ``truth`` and the per-region ``inputs``.

    Examples
    --------
    >>> from analysis import scenarios
    >>> sim = simulate(scenarios.regional(days_before=2), seed=1)
    >>> sorted(sim.truth["region"])[:3]
    ['GBR', 'IND', 'ITA']
    """
    inputs = region_inputs(scenario)
    minutes = pd.date_range(scenario.start, scenario.end, freq="min", inclusive="left")
    n = len(minutes)
    per_bin = int(pd.Timedelta(scenario.freq) / MINUTE)
    n_bins = -(-n // per_bin)
    bin_times = minutes[::per_bin]
    rep, noise = scenario.reporting, scenario.noise
    kernel = reporting_kernel(rep.delay, rep.decay, shape=rep.delay_shape, dead_time=rep.dead_time)
    rival_kernel = (
        reporting_kernel(scenario.rival.delay, scenario.rival.decay) if scenario.rival else None
    )
    services = [scenario.service] + ([scenario.rival.service] if scenario.rival else [])
    counts = {s: np.empty((len(inputs), n_bins), dtype=np.int64) for s in services}
    keep = np.ones((len(inputs), n_bins), dtype=bool)
    truth, bursts, gaps = [], [], []
    regions = inputs.index.tolist()
    iterator = tqdm(regions, desc="simulate", unit="region", disable=not progress)
    for row, region in enumerate(iterator):
        rng = _region_rng(seed, region)
        info = inputs.loc[region]
        engaged = _engaged(info, minutes, noise, rng)
        lift = np.ones(n)  # overlapping bursts do not compound: at most the highest
        for start, end, height in _burst_windows(noise, n, rng):
            lift[start:end] = np.maximum(lift[start:end], height)
            bursts.append((region, minutes[start], minutes[min(end, n - 1)], height))
        background = rep.background_rate * engaged * lift
        hit = np.zeros(n)
        for i, start, end, severity in _windows(scenario, region, rng):
            truth.append((region, start, end, severity, i))
            hit += severity * info["reliance"] * engaged * _exposure(scenario, start, end, n)
        excess = _convolve(hit * rep.outage_rate, kernel, n)
        counts[scenario.service][row] = _sample(
            (background + excess) * info["propensity"], per_bin, n_bins, noise.dispersion, rng
        )
        if scenario.rival is not None:
            signups = scenario.rival.background_rate * engaged
            signups = signups + _convolve(hit * scenario.rival.switch_rate, rival_kernel, n)
            counts[scenario.rival.service][row] = _sample(
                signups, per_bin, n_bins, noise.dispersion, rng
            )
        keep[row] = _collected(scenario, region, bin_times, rng, gaps)
    reports = _frame(bin_times, regions, counts, keep)
    return Simulation(
        reports=validate_reports(reports, source=f"simulate({scenario.name!r}, seed={seed})"),
        truth=_truth_frame(truth, scenario.reporting),
        inputs=inputs,
        bursts=pd.DataFrame(bursts, columns=["region", "start", "end", "height"]),
        gaps=pd.DataFrame(gaps, columns=["region", "start", "end"]),
        scenario=scenario,
        seed=int(seed),
    )


def _convolve(intensity: np.ndarray, kernel: np.ndarray, n: int) -> np.ndarray:
    if not intensity.any():
        return np.zeros(n)
    return np.clip(signal.oaconvolve(intensity, kernel)[:n], 0, None)


def _to_bins(per_minute: np.ndarray, per_bin: int, n_bins: int) -> np.ndarray:
    padded = np.zeros(n_bins * per_bin)
    padded[: len(per_minute)] = per_minute
    return padded.reshape(n_bins, per_bin).sum(axis=1)


def _collected(
    scenario: Scenario,
    region: str,
    bin_times: pd.DatetimeIndex,
    rng: np.random.Generator,
    gaps: list,
) -> np.ndarray:
    """Which bins the tracker collected; records the gaps cut."""
    col = scenario.collection
    keep = rng.random(len(bin_times)) >= col.missing_rate
    windows = [(g.start, g.end) for g in col.gaps if g.regions is None or region in g.regions]
    span = (bin_times[-1] - bin_times[0]) / pd.Timedelta("1h")
    for _ in range(rng.poisson(col.gaps_per_region)):
        hours = rng.uniform(*col.gap_hours)
        start = bin_times[0] + pd.Timedelta(hours=rng.uniform(0, max(span - hours, 0)))
        windows.append((start, start + pd.Timedelta(hours=hours)))
    for start, end in windows:
        inside = (bin_times >= start.floor(scenario.freq)) & (bin_times < end)
        keep &= ~inside
        gaps.append((region, start, end))
    if not keep.any():  # a series needs at least one bin
        keep[0] = True
    return keep


def _frame(
    bin_times: pd.DatetimeIndex,
    regions: list[str],
    counts: dict[str, np.ndarray],
    keep: np.ndarray,
) -> pd.DataFrame:
    n_regions, n_bins = keep.shape
    flat = keep.ravel()
    time = np.tile(bin_times.tz_localize(None).to_numpy(), n_regions)[flat]
    region = np.repeat(np.asarray(regions, dtype=object), n_bins)[flat]
    parts = [
        pd.DataFrame(
            {
                "time": pd.DatetimeIndex(time).tz_localize("UTC"),
                "region": pd.array(region, dtype="str"),
                "reports": values.ravel()[flat],
                "service": service,
            }
        )
        for service, values in counts.items()
    ]
    return pd.concat(parts, ignore_index=True)


def _truth_frame(rows: list, reporting: Reporting) -> pd.DataFrame:
    truth = pd.DataFrame(rows, columns=["region", "start", "end", "severity", "outage"])
    truth["duration"] = truth["end"] - truth["start"]
    truth["novelty_floor"] = float(reporting.novelty_floor)
    truth["novelty_decay"] = pd.Timedelta(reporting.novelty_decay)
    columns = ["region", "start", "end", "duration", "severity", "outage", "novelty_floor",
               "novelty_decay"]  # fmt: skip
    return truth[columns].sort_values(["region", "start"], ignore_index=True)
