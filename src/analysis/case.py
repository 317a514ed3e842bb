"""The 3 May 2017 case: the whole data flow on one simulated outage, for figures and notebooks.

:func:`whatsapp_2017_case` walks the line of DESIGN.md once: simulate (with the truth kept),
expected reports, outage windows, regional impact, worldwide summary, market comparison.
Everything is simulated: no tracker publishes its raw counts (see the README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import scenarios
from analysis.baseline import expected_reports, series_baselines
from analysis.detect import estimate_outages
from analysis.impact import WorldImpact, one_per_region, regional_impact, summarize_impact
from analysis.io import load_countries, load_reports
from analysis.reliance import MarketComparison, compare_markets
from analysis.schema import LEVEL, hours_minutes
from analysis.simulate import Scenario, Simulation, simulate
from analysis.users import is_assumed

__all__ = ["CaseStudy", "load_or_simulate", "whatsapp_2017_case"]


@dataclass(frozen=True)
class CaseStudy:
    """Every product of the data flow for one simulated outage.

    Attributes
    ----------
    simulation : Simulation
        Reports (``whatsapp`` problem reports and ``telegram`` sign-ups) and the truth.
    expected : DataFrame
        :func:`~analysis.expected_reports` of every series.
    windows : DataFrame
        :func:`~analysis.estimate_outages` of the ``whatsapp`` series (``WLD`` pooled row
        included).
    impact : DataFrame
        :func:`~analysis.regional_impact`, users scaled to 1.2 billion.
    world : WorldImpact
    comparison : MarketComparison
        Developing vs developed on the reliance index.
    naive : MarketComparison
        The same on the naive excess per million users.
    by_ratio : MarketComparison
        The same on the excess ratio, which needs no user counts.
    countries : DataFrame
        The country table.
    """

    simulation: Simulation
    expected: pd.DataFrame
    windows: pd.DataFrame
    impact: pd.DataFrame
    world: WorldImpact
    comparison: MarketComparison
    naive: MarketComparison
    by_ratio: MarketComparison
    countries: pd.DataFrame

    def claims(self) -> pd.DataFrame:
        """The story's claims against the estimates, one row each: ``claim``, ``estimate``,
        ``low``, ``high`` (in ``unit``), ``holds`` (the estimate meets the claim) and
        ``basis`` (what the estimate rests on; an input is not evidence).

        Claims and tests: about two hours (1.5-2.5 h); from about 20:00 and to about 22:00
        UTC (within 30 minutes); every continent but Antarctica (6); over a billion users
        (more than 1e9, but the users are scaled to 1.2 billion: an input); Brazil switched
        to Telegram (the sign-up uplift's interval above 0).
        """
        world = self.world
        hours = pd.Timedelta("1h")
        brazil = one_per_region(self.impact).set_index("region").reindex(["BRA"]).iloc[0]

        def clock(t: pd.Timestamp) -> float:
            return (t - t.floor("D")) / hours

        duration, start, end = (world.duration / hours, clock(world.start), clock(world.end))
        users = (world.users_exposed, world.users_exposed_low, world.users_exposed_high)
        uplift = (brazil["rival_uplift"], brazil["rival_uplift_low"], brazil["rival_uplift_high"])
        rows = [
            ("about two hours", duration, world.duration_low / hours,
             world.duration_high / hours, "hours", "estimated window", 1.5 <= duration <= 2.5),
            ("from about 20:00 UTC", start, np.nan, np.nan, "hour of day (UTC)",
             "estimated window", abs(start - 20) <= 0.5),
            ("to about 22:00 UTC", end, np.nan, np.nan, "hour of day (UTC)",
             "estimated window", abs(end - 22) <= 0.5),
            ("every continent but Antarctica", len(world.continents), np.nan, np.nan,
             "continents", "regions with a window", len(world.continents) == 6),
            ("over a billion users", *(u / 1e9 for u in users), "billion",
             "input: users scaled to 1.2 billion, every region counted as cut off",
             users[0] > 1e9),
            ("Brazil switched to Telegram", *uplift, "sign-ups over normal",
             "Telegram's series", bool(uplift[1] > 0)),
        ]  # fmt: skip
        columns = ["claim", "estimate", "low", "high", "unit", "basis", "holds"]
        return pd.DataFrame(rows, columns=columns)

    def table(self) -> pd.DataFrame:
        """The case's headline figures as text, one row each (``figure``, ``estimate``, its
        interval in brackets): the README's case table, which a test keeps in step.

        Examples
        --------
        >>> case = whatsapp_2017_case(days_before=3, freq="15min",
        ...                           regions=("BRA", "IND", "NGA", "DEU", "USA", "FRA"))
        >>> case.table()["figure"].iloc[0]
        'worldwide window'
        """
        w, sim = self.world, self.simulation
        brazil = one_per_region(self.impact).set_index("region").loc["BRA"]
        found = self.impact["region"].nunique()
        continents = f"{len(w.continents)} continents" + (
            " (all but Antarctica)" if len(w.continents) == 6 else ""
        )
        rows = [
            ("worldwide window", f"{w.start:%H:%M}-{w.end:%H:%M} UTC, {hours_minutes(w.duration)} "
             f"({hours_minutes(w.duration_low)} - {hours_minutes(w.duration_high)})"),
            ("regions with an outage found",
             f"{found} of {sim.reports['region'].nunique()}, on {continents}"),
            ("user bases from the market model or messenger rule (not published)",
             f"{self.impact.drop_duplicates('region')['penetration_source'].map(is_assumed).sum()}"
             f" of {found} regions"),
            ("users in regions with an outage", f"{w.users_exposed / 1e9:.2f} billion "
             f"(plausible range {w.users_exposed_low / 1e9:.2f}-"
             f"{w.users_exposed_high / 1e9:.2f} billion)"),
            ("their awake user-hours in it", f"{w.user_hours_exposed / 1e9:.2f} billion "
             f"({w.user_hours_exposed_low / 1e9:.2f}-{w.user_hours_exposed_high / 1e9:.2f} "
             "billion)"),
            ("Brazil", f"{brazil['start']:%H:%M}-{brazil['end']:%H:%M} UTC; Telegram sign-ups "
             f"{brazil['rival_uplift']:.1f}x above normal ({brazil['rival_uplift_low']:.1f}-"
             f"{brazil['rival_uplift_high']:.1f})"),
            ("cost if all were cut off (estimate)", f"US$ {w.cost_usd_exposed / 1e6:.0f} "
             f"million ({w.cost_usd_exposed_low / 1e6:.0f}-"
             f"{w.cost_usd_exposed_high / 1e6:.0f} million)"),
        ]  # fmt: skip
        for name, comparison in (("excess per million users (naive)", self.naive),
                                 ("reliance index (adjusted)", self.comparison),
                                 ("excess ratio (no user counts)", self.by_ratio)):  # fmt: skip
            low, high = comparison.ratio_interval
            delta = float(comparison.markets["cliffs_delta"].iloc[0])
            rows.append((f"developing / developed, {name}", f"{comparison.ratio:.2f} "
                         f"({low:.2f}-{high:.2f}), Cliff's delta {delta:.2f}"))  # fmt: skip
        return pd.DataFrame(rows, columns=["figure", "estimate"])

    def markdown(self) -> str:
        """:meth:`table` as the README's Markdown table (``python -m analysis case``)."""
        lines = [f"| | estimate ({LEVEL:.0%} intervals) |", "| --- | --- |"]
        lines += [f"| {row.figure} | {row.estimate} |" for row in self.table().itertuples()]
        return "\n".join(lines)


def whatsapp_2017_case(
    seed: int = 7,
    *,
    days_before: int = 7,
    freq: str = "1min",
    regions: tuple[str, ...] | None = None,
) -> CaseStudy:
    """Simulate 3 May 2017 and run every step on it.

    Parameters
    ----------
    seed : int
        Seed of the simulation (and of the comparison's resampling).
    days_before : int
        Days of history before 3 May (baseline).
    freq : str
        Bin width, ``"1min"`` to ``"1h"``.
    regions : tuple of str, optional
        ISO-3 codes (default: every country of the table, with users scaled to WhatsApp's
        1.2 billion of May 2017; a subset keeps its table-derived users).

    Examples
    --------
    >>> case = whatsapp_2017_case(days_before=3, freq="15min",
    ...                           regions=("BRA", "IND", "NGA", "DEU", "USA", "FRA"))
    >>> case.world.continents
    ('Africa', 'Asia', 'Europe', 'North America', 'South America')
    """
    scenario = scenarios.whatsapp_2017(days_before=days_before, freq=freq, regions=regions)
    sim = simulate(scenario, seed)
    bases = series_baselines(sim.reports)  # fitted once, handed to each step
    main = sim.reports[sim.reports["service"] == scenario.service]
    windows = estimate_outages(main, baselines=bases)
    impact = regional_impact(sim.reports, windows, users_total=scenario.users_total,
                             baselines=bases)  # fmt: skip
    one = one_per_region(impact)
    countries = load_countries()
    return CaseStudy(
        simulation=sim,
        expected=expected_reports(sim.reports, baselines=bases),
        windows=windows,
        impact=impact,
        world=summarize_impact(impact, windows),
        comparison=compare_markets(one, countries, seed=seed),
        naive=compare_markets(one, countries, metric="excess_per_million_users", seed=seed),
        by_ratio=compare_markets(one, countries, metric="excess_ratio", seed=seed),
        countries=countries,
    )


#: WhatsApp's monthly users in May 2017, which the simulated case is scaled to.
WHATSAPP_USERS_2017 = 1.2e9


def users_total_for(reports_path: str | None, users_total: float | None = None) -> float | None:
    """The worldwide users to scale a notebook's countries to: ``users_total`` if given;
    else WhatsApp's 1.2 billion for the simulated 3 May 2017, and ``None`` (each country's
    own estimate from the table) for a user's file, whose service and date may be any.

    Examples
    --------
    >>> users_total_for(None), users_total_for("my_file.csv"), users_total_for("f.csv", 5e8)
    (1200000000.0, None, 500000000.0)
    """
    if users_total is not None:
        return users_total
    return WHATSAPP_USERS_2017 if reports_path is None else None


def simulation_caption(scenario: Scenario, seed: int, *, set_by_reliance: bool = False) -> str:
    """What a figure of simulated data must say inside its image: that its data are
    simulated, with the scenario and seed, and where ``set_by_reliance`` (a ratio of markets
    follows from the simulator's reliance by market) which assumption set it.

    Examples
    --------
    >>> simulation_caption(scenarios.whatsapp_2017(), 7)
    'Simulated data (whatsapp_2017, seed 7), not real reports'
    """
    text = f"Simulated data ({scenario.name}, seed {seed}), not real reports"
    if set_by_reliance:
        assumed = ", ".join(f"{m} {r:g}" for m, r in scenario.reliance_by_market.items())
        text += f"; the ratio follows the simulator's assumed reliance ({assumed})"
    return text


def data_caption(reports_path: str | None, *, seed: int = 7, set_by_reliance: bool = False) -> str:
    """The caption of a notebook's figures from :func:`load_or_simulate`'s data: none for
    the user's file (``reports_path``), else :func:`simulation_caption` of the simulated
    3 May 2017.

    Examples
    --------
    >>> data_caption("reports.csv"), data_caption(None, seed=3)
    ('', 'Simulated data (whatsapp_2017, seed 3), not real reports')
    """
    if reports_path is not None:
        return ""
    return simulation_caption(scenarios.whatsapp_2017(), seed, set_by_reliance=set_by_reliance)


def load_or_simulate(
    reports_path: str | None = None,
    *,
    format: str = "auto",
    tz: str | None = None,
    kind: str | None = None,
    seed: int = 7,
    days_before: int = 7,
    freq: str = "5min",
    regions: tuple[str, ...] | list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The reports a notebook analyses: the user's file, or the simulated 3 May 2017.

    Parameters
    ----------
    reports_path : str, optional
        A report file in any format :func:`~analysis.load_reports` reads; ``None``
        simulates.
    format, tz, kind
        How to read the file (see :func:`~analysis.load_reports`: its format, the zone of
        naive times, what its series measure).
    seed, days_before, freq, regions
        The simulation's settings (see :func:`whatsapp_2017_case`).

    Returns
    -------
    (DataFrame, DataFrame or None)
        The report frame (all its services) and the simulation's truth (``None`` for a
        file: real data come without one).

    Examples
    --------
    >>> reports, truth = load_or_simulate(days_before=3, freq="1h", regions=["BRA"])
    >>> sorted(reports["service"].unique()), len(truth)
    (['telegram', 'whatsapp'], 1)
    """
    if reports_path is not None:
        return load_reports(reports_path, format, tz=tz, kind=kind), None
    scenario = scenarios.whatsapp_2017(
        days_before=days_before, freq=freq, regions=None if regions is None else tuple(regions)
    )
    sim = simulate(scenario, seed)
    return sim.reports, sim.truth
