"""What a simulation is told: the scenario and its parts (outages, reporting, noise,
collection, rival), each a frozen dataclass with documented defaults."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.countries import iso3_codes

__all__ = [
    "DEFAULT_RELIANCE",
    "Collection",
    "Gap",
    "Noise",
    "Outage",
    "Reporting",
    "Rival",
    "Scenario",
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
