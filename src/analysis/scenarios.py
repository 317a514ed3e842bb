"""Ready-made scenarios for :func:`analysis.simulate`, modelled on real outages.

Each function returns a :class:`~analysis.simulate.Scenario`; keyword arguments shrink or
reshape it (fewer days, fewer regions, another bin width) so tests and notebooks stay fast.
The timing of each outage follows ``data/reference/events.csv``; everything else (users'
reporting behaviour, noise) is the simulator's documented defaults, i.e. assumptions.
"""

from __future__ import annotations

import pandas as pd

from analysis.simulate import Collection, Outage, Rival, Scenario

__all__ = ["long_outage", "market_contrast", "quiet", "regional", "whatsapp_2017"]

#: WhatsApp monthly users in May 2017 (company figure reported by Reuters and others).
WHATSAPP_USERS_MAY_2017 = 1.2e9


def _period(event_day: str, days_before: int, days_after: int) -> tuple[pd.Timestamp, ...]:
    day = pd.Timestamp(event_day, tz="UTC")
    if days_before < 1 or days_after < 1:
        raise ValueError("days_before and days_after must be >= 1")
    return day - pd.Timedelta(days=days_before), day + pd.Timedelta(days=days_after)


def whatsapp_2017(
    *,
    days_before: int = 14,
    days_after: int = 1,
    freq: str = "1min",
    regions: tuple[str, ...] | None = None,
    collection: Collection | None = None,
) -> Scenario:
    """Wednesday 3 May 2017: WhatsApp down worldwide from about 20:00 to about 22:00 UTC.

    Every region of the country table goes down at 20:00 UTC (each up to 5 minutes later)
    and recovers between 22:00 and 22:15 UTC, Brazil 30 minutes later (sources: down about
    2.5 hours there) and Uganda 20 minutes later (restored about 22:20 UTC). Users add up to
    WhatsApp's 1.2 billion monthly users of May 2017. Telegram sign-ups are simulated as the
    rival service. History: ``days_before`` days before 3 May (14 by default).

    Examples
    --------
    >>> s = whatsapp_2017(days_before=1, regions=("BRA", "IND"))
    >>> s.outages[0].start.isoformat(), len(s.regions)
    ('2017-05-03T20:00:00+00:00', 2)
    """
    start, end = _period("2017-05-03", days_before, days_after)
    outage = Outage(
        start=pd.Timestamp("2017-05-03T20:00Z"),
        end=pd.Timestamp("2017-05-03T22:00Z"),
        start_spread=pd.Timedelta("5min"),
        recovery_spread=pd.Timedelta("15min"),
        end_offsets={"BRA": pd.Timedelta("30min"), "UGA": pd.Timedelta("20min")},
    )
    return Scenario(
        name="whatsapp_2017",
        start=start,
        end=end,
        freq=freq,
        regions=regions,
        outages=(outage,),
        users_total=WHATSAPP_USERS_MAY_2017 if regions is None else None,
        rival=Rival(),
        collection=collection or Collection(),
    )


def long_outage(
    *, days_before: int = 14, days_after: int = 1, freq: str = "1min",
    regions: tuple[str, ...] | None = None,
) -> Scenario:  # fmt: skip
    """A worldwide outage of about 6 hours, in the style of 4 October 2021 (15:39-21:40 UTC).

    Recovery is staggered over 40 minutes; reports settle during the long outage (novelty
    decay).
    """
    start, end = _period("2021-10-04", days_before, days_after)
    outage = Outage(
        start=pd.Timestamp("2021-10-04T15:39Z"),
        end=pd.Timestamp("2021-10-04T21:40Z"),
        start_spread=pd.Timedelta("3min"),
        recovery_spread=pd.Timedelta("40min"),
    )
    return Scenario(name="long_outage", start=start, end=end, freq=freq, regions=regions,
                    outages=(outage,), rival=Rival())  # fmt: skip


#: Countries named by reports of the 25 October 2022 outage (events.csv).
REGIONAL_2022 = ("IND", "GBR", "ITA", "TUR", "ZAF", "SGP")


def regional(
    *, days_before: int = 14, days_after: int = 1, freq: str = "1min",
    regions: tuple[str, ...] | None = None, affected: tuple[str, ...] = REGIONAL_2022,
) -> Scenario:  # fmt: skip
    """An outage of about 2 hours in a few countries only (25 October 2022, 06:37-08:45 UTC).

    By default a dozen regions are simulated and six of them go down.
    """
    start, end = _period("2022-10-25", days_before, days_after)
    if regions is None:
        regions = (*affected, "BRA", "USA", "DEU", "NGA", "IDN", "MEX")
    outage = Outage(
        start=pd.Timestamp("2022-10-25T06:37Z"),
        end=pd.Timestamp("2022-10-25T08:45Z"),
        regions=tuple(affected),
        start_spread=pd.Timedelta("4min"),
        recovery_spread=pd.Timedelta("10min"),
    )
    return Scenario(name="regional", start=start, end=end, freq=freq, regions=regions,
                    outages=(outage,))  # fmt: skip


def quiet(
    *, days: int = 15, freq: str = "1min", regions: tuple[str, ...] | None = None,
    start: str = "2017-04-19",
) -> Scenario:  # fmt: skip
    """No outage at all: background, drifts and non-outage bursts only (for false alarms)."""
    begin = pd.Timestamp(start, tz="UTC")
    return Scenario(name="quiet", start=begin, end=begin + pd.Timedelta(days=days), freq=freq,
                    regions=regions)  # fmt: skip


def market_contrast(
    reliance: float = 2.0,
    *,
    developing: int = 40,
    draw: int = 0,
    days_before: int = 3,
    freq: str = "15min",
) -> Scenario:
    """The 3 May 2017 outage with a chosen reliance contrast between markets, for validation.

    Every developed country of the table and ``developing`` developing ones (a fixed random
    draw, numbered ``draw``) go down as on 3 May 2017; developing markets have ``reliance``
    times the reliance of developed ones (1 means no difference). No rival service.

    Examples
    --------
    >>> s = market_contrast(2.0)
    >>> len(s.regions), dict(s.reliance_by_market)
    (74, {'developing': 2.0, 'developed': 1.0})
    """
    import numpy as np

    from analysis.io import load_countries

    countries = load_countries()
    rich = countries.loc[countries["market"] == "developed", "iso3"].tolist()
    others = countries.loc[countries["market"] == "developing", "iso3"].tolist()
    chosen = np.random.default_rng(draw).choice(others, developing, replace=False).tolist()
    base = whatsapp_2017(days_before=days_before, freq=freq, regions=tuple(sorted(rich + chosen)))
    return base.replace(
        name=f"market_contrast-{reliance:g}",
        reliance_by_market={"developing": reliance, "developed": 1.0},
        rival=None,
    )
