"""A seeded, multi-country generator of outage-report series, with the ground truth beside it.

Trackers do not publish their raw report counts, so the simulator is how users learn, test
methods and reproduce the project's figures. The model, per region ``r`` and minute ``t``
(all rates are expected counts per minute):

``users_r``
    internet users (population x internet share, from :func:`~analysis.load_countries`) x the
    service's penetration among them; see :func:`region_inputs`.
``activity_r(t)``
    relative activity through the local day, weekdays and weekends (:mod:`analysis.activity`).
``background``
    ``users_r / 1e6 x background_rate x activity_r(t) x drift_r(t)``: problem reports that
    arrive every day, with day-to-day and slow drifts in volume and short non-outage bursts
    (news, bots) of up to about twice the background.
``outage excess``
    while region ``r`` is in an outage window, ``users_r / 1e6 x outage_rate x severity x
    reliance_r x activity_r(t) x novelty(t - start)``: the affected *active* users report, more
    so where they rely on the service; ``novelty`` decays from 1 towards ``novelty_floor`` so
    that a long outage's reports peak early and settle. This intensity is convolved with a
    reporting kernel: a user notices the problem after a gamma-distributed delay (mean
    ``delay``, shape ``delay_shape``), then reports after a further exponential lag (mean
    ``decay``), optionally after a fixed ``dead_time``; so reports rise within minutes of the
    onset, and keep coming for tens of minutes after recovery.
``counts``
    each minute is negative binomial with mean ``mu`` and size ``dispersion`` (variance
    ``mu + mu**2 / dispersion``), and minutes are summed into bins of ``freq``.
``collection``
    bins go missing at random and whole collection gaps of hours are cut out; gaps stay gaps.
``rival``
    sign-ups of a rival service (``telegram``) follow the same activity, and jump during the
    outage in proportion to the affected active users and their reliance.

Randomness comes only from ``seed``: each region draws from its own stream, derived from the
seed and its code, so a region's series does not depend on which other regions are simulated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import signal, stats
from tqdm import tqdm

from analysis.activity import activity
from analysis.countries import iso3_codes
from analysis.schema import validate_reports
from analysis.users import service_users

__all__ = [
    "Collection",
    "Gap",
    "Noise",
    "Outage",
    "Reporting",
    "Rival",
    "Scenario",
    "Simulation",
    "region_inputs",
    "reporting_kernel",
    "simulate",
]

MINUTE = pd.Timedelta("1min")
#: Default reliance by market (an assumption: the service replaces costly SMS and calls in
#: developing markets, so an outage there prompts more reports and more switching).
DEFAULT_RELIANCE: Mapping[str, float] = {"developing": 1.5, "developed": 1.0}


def _utc(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"{name} must be tz-aware (UTC), got naive {stamp}")
    return stamp.tz_convert("UTC")


def _minutes(value: str | pd.Timedelta | float, name: str) -> pd.Timedelta:
    delta = pd.Timedelta(value, "min") if isinstance(value, int | float) else pd.Timedelta(value)
    if delta < pd.Timedelta(0):
        raise ValueError(f"{name} must be >= 0, got {delta}")
    return delta


@dataclass(frozen=True)
class Outage:
    """One outage window, worldwide or in some regions.

    Parameters
    ----------
    start, end : Timestamp
        Nominal start and end (tz-aware; stored in UTC). ``end`` must be after ``start``.
    regions : tuple of str, optional
        ISO-3 codes affected; ``None`` means every region of the scenario.
    severity : float
        Share of active users affected, in (0, 1] (partial outages below 1).
    start_spread, recovery_spread : Timedelta
        Each region starts up to ``start_spread`` later and recovers up to ``recovery_spread``
        later than nominal (uniform draws, rounded to the minute): staggered recovery.
    end_offsets : mapping of str to Timedelta
        Extra recovery delay for named regions (e.g. Brazil 30 minutes later).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    regions: tuple[str, ...] | None = None
    severity: float = 1.0
    start_spread: pd.Timedelta = pd.Timedelta(0)
    recovery_spread: pd.Timedelta = pd.Timedelta(0)
    end_offsets: Mapping[str, pd.Timedelta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        start, end = _utc(self.start, "Outage.start"), _utc(self.end, "Outage.end")
        if end <= start:
            raise ValueError(f"Outage.end ({end}) must be after Outage.start ({start})")
        if not 0 < self.severity <= 1:
            raise ValueError(f"Outage.severity must be in (0, 1], got {self.severity}")
        offsets = {str(k): _minutes(v, f"end_offsets[{k}]") for k, v in self.end_offsets.items()}
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "start_spread", _minutes(self.start_spread, "start_spread"))
        object.__setattr__(
            self, "recovery_spread", _minutes(self.recovery_spread, "recovery_spread")
        )
        object.__setattr__(self, "end_offsets", offsets)
        if self.regions is not None:
            object.__setattr__(self, "regions", tuple(self.regions))


@dataclass(frozen=True)
class Gap:
    """A collection gap: no data between ``start`` and ``end`` (UTC) for ``regions`` (all if
    ``None``)."""

    start: pd.Timestamp
    end: pd.Timestamp
    regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        start, end = _utc(self.start, "Gap.start"), _utc(self.end, "Gap.end")
        if end <= start:
            raise ValueError(f"Gap.end ({end}) must be after Gap.start ({start})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class Reporting:
    """How people report problems.

    Parameters
    ----------
    background_rate : float
        Reports per minute per million users at average activity, outside outages.
    outage_rate : float
        Reports per minute per million affected active users at reliance 1, at the onset.
    delay : Timedelta or minutes
        Mean time for a user to notice the problem (gamma distributed).
    decay : Timedelta or minutes
        Mean of the exponential lag from noticing to reporting: how long reports keep
        coming after recovery.
    delay_shape : float
        Gamma shape of the noticing delay (1: exponential; larger: more peaked).
    dead_time : Timedelta or minutes
        A fixed lag before any report (0 by default). Note that a pure dead time cannot be
        told apart from a later start in report data alone.
    novelty_floor : float
        Share of the onset reporting rate that a long outage settles to, in [0, 1].
    novelty_decay : Timedelta or minutes
        Time constant of that settling.
    """

    background_rate: float = 0.03
    outage_rate: float = 3.0
    delay: pd.Timedelta = pd.Timedelta("4min")
    decay: pd.Timedelta = pd.Timedelta("15min")
    delay_shape: float = 1.0
    dead_time: pd.Timedelta = pd.Timedelta(0)
    novelty_floor: float = 0.35
    novelty_decay: pd.Timedelta = pd.Timedelta("45min")

    def __post_init__(self) -> None:
        for name in ("background_rate", "outage_rate"):
            if getattr(self, name) < 0:
                raise ValueError(f"Reporting.{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.novelty_floor <= 1:
            raise ValueError(f"Reporting.novelty_floor must be in [0, 1], got {self.novelty_floor}")
        for name in ("delay", "decay", "dead_time", "novelty_decay"):
            object.__setattr__(self, name, _minutes(getattr(self, name), f"Reporting.{name}"))
        if self.delay_shape <= 0:
            raise ValueError(f"Reporting.delay_shape must be > 0, got {self.delay_shape}")
        if self.decay < MINUTE:
            raise ValueError(f"Reporting.decay must be at least 1 minute, got {self.decay}")


@dataclass(frozen=True)
class Noise:
    """What real report streams also do, to stress-test methods.

    Parameters
    ----------
    dispersion : float
        Negative-binomial size (smaller is noisier); ``inf`` gives Poisson counts.
    daily_sd : float
        Standard deviation of the log of a region's day-to-day volume factor.
    trend_sd : float
        Standard deviation of a region's slow log-linear trend, per week.
    bursts_per_day : float
        Expected non-outage bursts per region and day.
    burst_minutes : tuple of two floats
        Range of burst durations (minutes).
    burst_height : tuple of two floats
        Range of burst multipliers on the background (up to about 2).
    """

    dispersion: float = 8.0
    daily_sd: float = 0.08
    trend_sd: float = 0.03
    bursts_per_day: float = 0.3
    burst_minutes: tuple[float, float] = (5.0, 30.0)
    burst_height: tuple[float, float] = (1.3, 2.0)

    def __post_init__(self) -> None:
        if self.dispersion <= 0:
            raise ValueError(f"Noise.dispersion must be > 0, got {self.dispersion}")
        for name in ("daily_sd", "trend_sd", "bursts_per_day"):
            if getattr(self, name) < 0:
                raise ValueError(f"Noise.{name} must be >= 0, got {getattr(self, name)}")
        low, high = self.burst_height
        if not 1 <= low <= high:
            raise ValueError(f"Noise.burst_height must satisfy 1 <= low <= high, got {low, high}")


@dataclass(frozen=True)
class Collection:
    """How the tracker's collection loses data.

    Parameters
    ----------
    missing_rate : float
        Probability that any one bin is missing, in [0, 1).
    gaps_per_region : float
        Expected random collection gaps per region over the whole period.
    gap_hours : tuple of two floats
        Range of random gap durations (hours).
    gaps : tuple of Gap
        Explicit collection gaps.
    """

    missing_rate: float = 0.0
    gaps_per_region: float = 0.0
    gap_hours: tuple[float, float] = (1.0, 6.0)
    gaps: tuple[Gap, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.missing_rate < 1:
            raise ValueError(f"Collection.missing_rate must be in [0, 1), got {self.missing_rate}")
        if self.gaps_per_region < 0:
            raise ValueError("Collection.gaps_per_region must be >= 0")


@dataclass(frozen=True)
class Rival:
    """Sign-ups of a rival service during an outage (the switch to Telegram).

    Parameters
    ----------
    service : str
        Name of the rival service in the ``service`` column.
    background_rate : float
        Sign-ups per minute per million users of the main service, at average activity.
    switch_rate : float
        Sign-ups per minute per million affected active users at reliance 1.
    delay, decay : Timedelta or minutes
        Kernel of sign-ups after the outage is experienced (people switch within hours).
    """

    service: str = "telegram"
    background_rate: float = 0.05
    switch_rate: float = 2.0
    delay: pd.Timedelta = pd.Timedelta("10min")
    decay: pd.Timedelta = pd.Timedelta("90min")

    def __post_init__(self) -> None:
        if self.background_rate < 0 or self.switch_rate < 0:
            raise ValueError("Rival rates must be >= 0")
        object.__setattr__(self, "delay", _minutes(self.delay, "Rival.delay"))
        object.__setattr__(self, "decay", _minutes(self.decay, "Rival.decay"))


@dataclass(frozen=True)
class Scenario:
    """Everything :func:`simulate` needs, except the seed.

    Parameters
    ----------
    name : str
        Label, recorded with the output.
    start, end : Timestamp
        Simulated period, ``[start, end)`` (tz-aware; stored in UTC; whole minutes).
    freq : str
        Bin width, from ``"1min"`` to ``"1h"``; must divide a day.
    regions : tuple of str, optional
        ISO-3 codes simulated; ``None`` means every row of the country table.
    outages : tuple of Outage
        Outage windows (none for a quiet period).
    service : str
        Name of the service in the ``service`` column.
    users_total : float, optional
        If given, users are scaled so that all simulated regions add up to this many (e.g.
        1.2e9 monthly WhatsApp users in May 2017).
    penetration : mapping of str to float
        Share (0-1) of internet users using the service, per region, overriding the default
        (the published figures, else the market model of
        :func:`~analysis.users.market_penetration`).
    users : mapping of str to float
        Users per region, overriding everything above for those regions.
    reliance : mapping of str to float
        Reliance per region (default :data:`DEFAULT_RELIANCE` by market).
    reliance_by_market : mapping of str to float
        Reliance per market class, for regions without an entry in ``reliance``.
    propensity : mapping of str to float
        Per region, how many of its users report to the tracker at all, relative to the
        rest (default 1): multiplies its background and outage reports alike. The impact
        step cannot see it (per-user figures read it as reliance; the excess ratio cancels
        it); for validation.
    activity_shift : mapping of str to float
        Per region, hours by which its users' day runs later than
        :func:`~analysis.activity.activity` assumes (negative: earlier); for validation.
    reporting, noise, collection : Reporting, Noise, Collection
        The reporting, noise and data-loss models.
    rival : Rival, optional
        Also simulate the rival's sign-ups as a second service.
    """

    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    freq: str = "1min"
    regions: tuple[str, ...] | None = None
    outages: tuple[Outage, ...] = ()
    service: str = "whatsapp"
    users_total: float | None = None
    penetration: Mapping[str, float] = field(default_factory=dict)
    users: Mapping[str, float] = field(default_factory=dict)
    reliance: Mapping[str, float] = field(default_factory=dict)
    reliance_by_market: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RELIANCE))
    propensity: Mapping[str, float] = field(default_factory=dict)
    activity_shift: Mapping[str, float] = field(default_factory=dict)
    reporting: Reporting = field(default_factory=Reporting)
    noise: Noise = field(default_factory=Noise)
    collection: Collection = field(default_factory=Collection)
    rival: Rival | None = None

    def __post_init__(self) -> None:
        start, end = _utc(self.start, "Scenario.start"), _utc(self.end, "Scenario.end")
        if end <= start:
            raise ValueError(f"Scenario.end ({end}) must be after Scenario.start ({start})")
        if start != start.floor("min") or end != end.floor("min"):
            raise ValueError("Scenario.start and end must be whole minutes")
        width = pd.Timedelta(self.freq)
        if (
            width < MINUTE
            or width > pd.Timedelta("1h")
            or width % MINUTE
            or (pd.Timedelta("1D") % width)
        ):
            raise ValueError(f"Scenario.freq must be whole minutes from 1min to 1h dividing a "
                             f"day, got {self.freq!r}")  # fmt: skip
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "outages", tuple(self.outages))
        named: set[str] = set(self.regions or ())
        for outage in self.outages:
            named |= set(outage.regions or ()) | set(outage.end_offsets)
        for mapping in (self.penetration, self.users, self.reliance, self.propensity,
                        self.activity_shift):  # fmt: skip
            named |= set(mapping)
        unknown = sorted(named - iso3_codes())
        if unknown:
            raise ValueError(f"unknown region codes {unknown} (expected ISO 3166-1 alpha-3)")
        for name, mapping, low, high in (
            ("penetration", self.penetration, 0, 1),
            ("users", self.users, 0, np.inf),
            ("reliance", self.reliance, 0, np.inf),
            ("reliance_by_market", self.reliance_by_market, 0, np.inf),
            ("propensity", self.propensity, 0, np.inf),
            ("activity_shift", self.activity_shift, -12, 12),
        ):
            bad = {k: v for k, v in mapping.items() if not low <= v <= high}
            if bad:
                raise ValueError(f"Scenario.{name} values must be in [{low}, {high}]: {bad}")
        if self.users_total is not None and self.users_total <= 0:
            raise ValueError("Scenario.users_total must be > 0")
        if self.regions is not None:
            object.__setattr__(self, "regions", tuple(self.regions))

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


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
        ``novelty_decay_min``, as :func:`~analysis.estimate_outages` reports its fit).
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
    day_index = ((minutes - scenario.start) // pd.Timedelta("1D")).to_numpy()
    weeks = ((minutes - scenario.start) / pd.Timedelta("7D")).to_numpy()
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
        act = activity(minutes - pd.Timedelta(hours=info["activity_shift_h"]), info["timezone"])
        drift = np.exp(
            rng.normal(0, noise.daily_sd, size=day_index[-1] + 1)[day_index]
            + rng.normal(0, noise.trend_sd) * weeks
        )
        engaged = info["users"] / 1e6 * act * drift  # active users (millions) x drift
        background = rep.background_rate * engaged
        lift = np.ones(n)  # overlapping bursts do not compound: at most the highest
        for start, end, height in _burst_windows(noise, n, rng):
            lift[start:end] = np.maximum(lift[start:end], height)
            bursts.append((region, minutes[start], minutes[min(end, n - 1)], height))
        background = background * lift
        hit = np.zeros(n)
        for i, start, end, severity in _windows(scenario, region, rng):
            truth.append((region, start, end, severity, i))
            a = max(0, int((start - scenario.start) / MINUTE))
            b = min(n, int((end - scenario.start) / MINUTE))
            if b <= a:
                continue
            since = np.arange(a, b) - int((start - scenario.start) / MINUTE)
            novelty = rep.novelty_floor + (1 - rep.novelty_floor) * np.exp(
                -since / (rep.novelty_decay / MINUTE or 1.0)
            )
            hit[a:b] += severity * info["reliance"] * engaged[a:b] * novelty
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
    truth["novelty_decay_min"] = reporting.novelty_decay / MINUTE
    columns = ["region", "start", "end", "duration", "severity", "outage", "novelty_floor",
               "novelty_decay_min"]  # fmt: skip
    return truth[columns].sort_values(["region", "start"], ignore_index=True)
