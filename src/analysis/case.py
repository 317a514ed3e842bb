"""The 3 May 2017 case: the whole data flow on one simulated outage, for figures and notebooks.

:func:`whatsapp_2017_case` simulates the outage (the truth kept) and hands the reports to a
:class:`~analysis.study.Study`, which walks the line of DESIGN.md once, each step when first
asked: expected reports, outage windows, regional impact, worldwide summary, market
comparison. :func:`open_case` reads a saved case, so that ``make figures`` and the notebooks
share the one it made. Everything is simulated: no tracker publishes its raw counts (see the
README).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import scenarios
from analysis.impact import one_per_region
from analysis.reliance import MarketComparison
from analysis.schema import LEVEL, hours_minutes
from analysis.simulate import Scenario, Simulation, simulate
from analysis.study import Study
from analysis.users import is_assumed

__all__ = ["CaseStudy", "load_or_simulate", "open_case", "whatsapp_2017_case"]


@dataclass(frozen=True, eq=False)
class CaseStudy(Study):
    """A :class:`~analysis.study.Study` of a simulated outage, the simulation kept beside it.

    Every product is computed when first asked and then kept (see
    :class:`~analysis.study.Study`): ``bases``, ``expected`` (every series),
    ``windows`` (the ``whatsapp`` series, ``WLD`` pooled row included), ``impact`` (users
    scaled to 1.2 billion), ``world``, ``one`` and :meth:`compare`.

    Attributes
    ----------
    simulation : Simulation
        Reports (``whatsapp`` problem reports and ``telegram`` sign-ups) and the truth.
    comparison : MarketComparison
        Developing vs developed on the reliance index.
    naive : MarketComparison
        The same on the naive excess per million users.
    by_ratio : MarketComparison
        The same on the excess ratio, which needs no user counts.
    """

    simulation: Simulation = field(kw_only=True)

    @property
    def comparison(self) -> MarketComparison:
        return self.compare("reliance_index")

    @property
    def naive(self) -> MarketComparison:
        return self.compare("excess_per_million_users")

    @property
    def by_ratio(self) -> MarketComparison:
        return self.compare("excess_ratio")

    @property
    def truth(self) -> pd.DataFrame:
        """The simulation's true windows (see :class:`~analysis.simulate.Simulation`)."""
        return self.simulation.truth

    def compute(self) -> CaseStudy:
        """:meth:`~analysis.study.Study.compute`, and the three comparisons."""
        super().compute()
        self.comparison, self.naive, self.by_ratio  # noqa: B018 (each computed once)
        return self

    def recipe(self) -> str:
        """How the case was made, in words (see :func:`open_case`)."""
        sim = self.simulation
        return _recipe(sim.scenario, sim.seed, self.level, self.min_regions)

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
    level: float = LEVEL,
    min_regions: int = 2,
) -> CaseStudy:
    """Simulate 3 May 2017, ready to run every step on it (each computed when first asked).

    Parameters
    ----------
    seed : int
        Seed of the simulation (and of the comparisons' resampling).
    days_before : int
        Days of history before 3 May (baseline).
    freq : str
        Bin width, ``"1min"`` to ``"1h"``.
    regions : tuple of str, optional
        ISO-3 codes (default: every country of the table, with users scaled to WhatsApp's
        1.2 billion of May 2017; a subset keeps its table-derived users).
    level : float
        Level of every interval.
    min_regions : int
        Regions an outage must be seen in (see :func:`~analysis.estimate_outages`).

    Examples
    --------
    >>> case = whatsapp_2017_case(days_before=3, freq="15min",
    ...                           regions=("BRA", "IND", "NGA", "DEU", "USA", "FRA"))
    >>> case.world.continents
    ('Africa', 'Asia', 'Europe', 'North America', 'South America')
    """
    scenario = scenarios.whatsapp_2017(days_before=days_before, freq=freq, regions=regions)
    sim = simulate(scenario, seed)
    return CaseStudy(sim.reports, level=level, source=f"simulation ({scenario.name})",
                     caption=simulation_caption(scenario, seed), min_regions=min_regions,
                     service=scenario.service, rival="telegram",
                     users_total=scenario.users_total, seed=seed, simulation=sim)  # fmt: skip


def open_case(
    case_path: str | os.PathLike[str] | None = None,
    seed: int = 7,
    *,
    days_before: int = 7,
    freq: str = "1min",
    regions: Sequence[str] | None = None,
    level: float = LEVEL,
    min_regions: int = 2,
) -> CaseStudy:
    """The case saved at ``case_path`` (:meth:`~analysis.study.Study.save`, as
    ``make figures`` does for its notebooks), or a new one (:func:`whatsapp_2017_case`).

    Parameters
    ----------
    case_path : path-like, optional
        A saved case; ``None`` makes a new one.
    seed, days_before, freq, regions, level, min_regions
        The case asked for (see :func:`whatsapp_2017_case`). A saved case must be that
        one, so that its results are those a new one would give.

    Raises
    ------
    ValueError
        If the saved case was made otherwise, naming both recipes.

    Examples
    --------
    >>> import tempfile
    >>> small = {"days_before": 3, "freq": "1h", "regions": ("BRA", "DEU", "IND")}
    >>> path = whatsapp_2017_case(**small).save(tempfile.mkdtemp() + "/case.pkl")
    >>> open_case(path, **small).simulation.seed
    7
    """
    regions = None if regions is None else tuple(regions)
    if case_path is None:
        return whatsapp_2017_case(seed, days_before=days_before, freq=freq, regions=regions,
                                  level=level, min_regions=min_regions)  # fmt: skip
    scenario = scenarios.whatsapp_2017(days_before=days_before, freq=freq, regions=regions)
    case = CaseStudy.load(case_path)
    held = (case.simulation.scenario, case.simulation.seed, case.level, case.min_regions)
    if held != (scenario, seed, level, min_regions):
        raise ValueError(f"{case_path} holds the case {case.recipe()}, not the one asked for "
                         f"({_recipe(scenario, seed, level, min_regions)}); pass no case "
                         "path to make that one")  # fmt: skip
    return case


def _recipe(scenario: Scenario, seed: int, level: float, min_regions: int) -> str:
    """A case's making in words: scenario, seed, period, bins, regions, level."""
    shown = "every country" if scenario.regions is None else ", ".join(scenario.regions)
    return (f"{scenario.name} seed {seed}, {scenario.start:%Y-%m-%d} to "
            f"{scenario.end:%Y-%m-%d}, bins of {scenario.freq}, {shown}, level {level:g}, "
            f"min_regions {min_regions}")  # fmt: skip


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
    reports_path: str | os.PathLike[str] | None = None,
    *,
    case_path: str | os.PathLike[str] | None = None,
    format: str = "auto",
    tz: str | None = None,
    kind: str | None = None,
    service: str | None = None,
    rival: str | None = "telegram",
    users_total: float | None = None,
    seed: int = 7,
    days_before: int = 7,
    freq: str = "1min",
    regions: Sequence[str] | None = None,
    level: float = LEVEL,
    min_regions: int = 2,
) -> Study:
    """The study a notebook shows: of the user's file, or of the simulated 3 May 2017.

    Parameters
    ----------
    reports_path : path-like, optional
        A report file in any format :func:`~analysis.load_reports` reads; ``None``
        simulates (:func:`open_case`).
    case_path : path-like, optional
        A saved case to share instead of simulating again (``make figures`` passes the
        one it made); it must be the case that ``seed`` ... ``min_regions`` ask for.
    format, tz, kind
        How to read the file (see :func:`~analysis.load_reports`: its format, the zone of
        naive times, what its series measure).
    service, rival, users_total
        The file's service, its rival and the users to scale to (see
        :class:`~analysis.study.Study`); the simulated case's are ``whatsapp``,
        ``telegram`` and its scenario's (1.2 billion for every country).
    seed, days_before, freq, regions, level, min_regions
        The simulation's settings and the study's level and ``min_regions`` (see
        :func:`whatsapp_2017_case`); for a file, the level, ``min_regions`` and the seed
        of the comparisons.

    Returns
    -------
    Study
        A :class:`CaseStudy` when simulated; its ``truth`` is ``None`` for a file (real
        data come without one).

    Raises
    ------
    ValueError
        If ``service``, ``rival`` or ``users_total`` differ from the simulated case's.

    Examples
    --------
    >>> study = load_or_simulate(days_before=3, freq="1h", regions=["BRA"])
    >>> sorted(study.reports["service"].unique()), len(study.truth)
    (['telegram', 'whatsapp'], 1)
    """
    if reports_path is not None:
        return Study.from_file(reports_path, format=format, tz=tz, kind=kind, level=level,
                               min_regions=min_regions, service=service, rival=rival,
                               users_total=users_total, seed=seed)  # fmt: skip
    case = open_case(case_path, seed, days_before=days_before, freq=freq, regions=regions,
                     level=level, min_regions=min_regions)  # fmt: skip
    asked = {"service": service, "rival": rival, "users_total": users_total}
    differ = [f"{k}={v!r}" for k, v in asked.items() if v is not None and v != getattr(case, k)]
    if differ:
        raise ValueError(f"the simulated 3 May 2017 measures whatsapp with telegram as rival "
                         f"and its own users; {', '.join(differ)} apply to a file "
                         "(reports_path)")  # fmt: skip
    return case
