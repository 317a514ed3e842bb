"""The worldwide summary of a regional impact table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.impact.regional import ONGOING, given
from analysis.schema import hours_minutes


@dataclass(frozen=True)
class WorldImpact:
    """Worldwide summary of an outage (:func:`summarize_impact`).

    Times are UTC; durations Timedeltas; ``*_low``/``*_high`` bound intervals at ``level``
    (users: the plausible range). Users, user-hours, excess reports and costs add up the
    regions whose series are problem-report counts; they are NaN when there is none, and
    ``omitted`` then says why ('' when nothing was left out).

    *Exposed* figures count everyone in the regions with an outage, during it: the users
    there (``users_exposed``, each region once), their awake hours (``user_hours_exposed``)
    and the cost if all of them were cut off (``cost_usd_exposed``). Reports do not say
    what share of those users lost the service, so these are the outage's reach, an upper
    bound on its harm, not an estimate of who was hit.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    duration: pd.Timedelta
    duration_low: pd.Timedelta
    duration_high: pd.Timedelta
    regions: int
    continents: tuple[str, ...]
    users_exposed: float
    users_exposed_low: float
    users_exposed_high: float
    user_hours_exposed: float
    user_hours_exposed_low: float
    user_hours_exposed_high: float
    excess_reports: float
    excess_low: float
    excess_high: float
    cost_usd_exposed: float
    cost_usd_exposed_low: float
    cost_usd_exposed_high: float
    missing_reference: tuple[str, ...]
    level: float
    omitted: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: ``estimate``, ``low``, ``high``."""
        rows = {
            "start (UTC)": (self.start, None, None),
            "end (UTC)": (self.end, None, None),
            "duration": (self.duration, self.duration_low, self.duration_high),
            "regions": (self.regions, None, None),
            "continents": (len(self.continents), None, None),
            "users in regions with an outage": (self.users_exposed, self.users_exposed_low,
                                                self.users_exposed_high),
            "awake user-hours in them": (self.user_hours_exposed, self.user_hours_exposed_low,
                                         self.user_hours_exposed_high),
            "excess reports": (self.excess_reports, self.excess_low, self.excess_high),
            "cost if all were cut off (US$)": (self.cost_usd_exposed, self.cost_usd_exposed_low,
                                               self.cost_usd_exposed_high),
        }  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "low", "high"])

    def __str__(self) -> str:
        def num(x: float) -> str:
            return f"{x / 1e9:.2f} bn" if abs(x) >= 1e9 else f"{x / 1e6:.1f} M"

        lines = [
            f"Outage {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M} UTC: "
            f"{hours_minutes(self.duration)} ({self.level:.0%} interval "
            f"{hours_minutes(self.duration_low)}-{hours_minutes(self.duration_high)})",
            f"  regions        {self.regions} on {len(self.continents)} continents "
            f"({', '.join(self.continents)})",
        ]
        if not np.isnan(self.excess_reports):
            lines += [
                f"  users exposed  {num(self.users_exposed)} in regions with an outage (range "
                f"{num(self.users_exposed_low)}-{num(self.users_exposed_high)})",
                f"  user-hours     {num(self.user_hours_exposed)} awake hours in them "
                f"({num(self.user_hours_exposed_low)}-{num(self.user_hours_exposed_high)})",
                f"  excess reports {self.excess_reports:,.0f} ({self.excess_low:,.0f}-"
                f"{self.excess_high:,.0f})",
                f"  cost exposed   US$ {num(self.cost_usd_exposed)} (US$ "
                f"{num(self.cost_usd_exposed_low)}-{num(self.cost_usd_exposed_high)}) if all "
                "were cut off; see CostModel",
            ]
        if self.omitted:
            lines.append(f"  not estimated  {self.omitted}")
        if self.missing_reference:
            lines.append(f"  incomplete     {', '.join(self.missing_reference)}")
        return "\n".join(lines)


def _window(impact: pd.DataFrame, outages: pd.DataFrame | None) -> tuple:
    """Start, end, and the duration's interval ends: the pooled ``WLD`` window where
    ``outages`` has one, else the span of the regions' windows."""
    world = None
    if outages is not None and "region" in outages.columns:
        pooled = outages[outages["region"] == "WLD"]
        world = pooled.iloc[0] if len(pooled) else None
    if world is None and len(impact) == 1:
        world = impact.iloc[0]
    if world is not None:
        start, end = world["start"], world["end"]
        low = world.get("duration_low", world.get("end_low", end) - world.get("start_high", start))
        high = world.get("duration_high", pd.NaT)
        if pd.isna(high):  # no interval given, or the outage went on past the data (to there)
            high = given(world.get("end_high"), end) - given(world.get("start_low"), start)
    else:  # several regions' windows: their span, and its envelope
        start, end = impact["start"].min(), impact["end"].max()
        low = impact["end_low"].max() - impact["start_high"].min()
        high = impact["end_high"].fillna(impact["end"]).max() - impact["start_low"].min()
    return start, end, max(low, pd.Timedelta(0)), high


def summarize_impact(impact: pd.DataFrame, outages: pd.DataFrame | None = None) -> WorldImpact:
    """Add up a :func:`~analysis.regional_impact` table into a worldwide summary.

    The window is the pooled worldwide one (``region == 'WLD'`` in ``outages``, as
    :func:`~analysis.estimate_outages` gives it) when present, with its duration's interval
    (``duration_low``..``duration_high``, from the joint variance of start and end); with one
    region, that region's; else from the first start to the last end over the regions, with
    the duration's interval from the regions' earliest ``start_high`` / latest ``end_low`` to
    their ``start_low`` / ``end_high`` (an envelope). Users (each region once), user-hours
    and costs are sums (their ranges: sums of the ends, as if fully correlated); the excess
    interval treats regions as independent. Figures missing for some regions (no users, no
    GNI) count as zero in the sums and the regions are listed in ``missing_reference``.
    Regions whose series are levels or indices (``kind``) add to the window and the regions
    but not to the sums, which need report counts: with none, the sums are NaN.

    Examples
    --------
    >>> from analysis import regional_impact, scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA", "IND", "DEU")), seed=1)
    >>> world = summarize_impact(regional_impact(sim.reports, sim.truth))
    >>> world.continents
    ('Asia', 'Europe', 'South America')
    """
    if impact.empty:
        raise ValueError("the impact table is empty: no outage window to summarise")
    start, end, low, high = _window(impact, outages)
    level = float(impact["level"].iloc[0])
    kinds = impact["kind"] if "kind" in impact.columns else pd.Series("reports", impact.index)
    counted = impact[kinds == "reports"]
    zq = stats.norm.ppf(0.5 + level / 2)
    excess = float(counted["excess_reports"].sum()) if len(counted) else np.nan
    half = zq * float(np.sqrt(np.sum(np.square(counted["excess_se"]))))
    incomplete = counted.loc[counted["missing_reference"].fillna("") != "", "region"]
    ongoing = impact["omitted"].fillna("").str.contains(ONGOING, regex=False).any()
    omitted = ONGOING if ongoing else ""
    if len(counted) < len(impact):
        others = ", ".join(sorted(impact.loc[kinds != "reports", "region"].unique()))
        kinds_note = (f"users, user-hours, excess reports and cost of {others}: their series "
                      "are levels or indices, which count no people")  # fmt: skip
        omitted = "; ".join(x for x in (kinds_note, omitted) if x)

    def total(column: str, frame: pd.DataFrame = counted) -> float:
        return float(frame[column].fillna(0).sum()) if len(frame) else np.nan

    regions = counted.drop_duplicates("region")  # a region with two windows: its users once

    return WorldImpact(
        start=start, end=end, duration=end - start, duration_low=low, duration_high=high,
        regions=int(impact["region"].nunique()),
        continents=tuple(sorted(impact["continent"].dropna().unique())),
        users_exposed=total("users", regions), users_exposed_low=total("users_low", regions),
        users_exposed_high=total("users_high", regions),
        user_hours_exposed=total("user_hours_exposed"),
        user_hours_exposed_low=total("user_hours_exposed_low"),
        user_hours_exposed_high=total("user_hours_exposed_high"), excess_reports=excess,
        excess_low=excess - half, excess_high=excess + half,
        cost_usd_exposed=total("cost_usd_exposed"),
        cost_usd_exposed_low=total("cost_usd_exposed_low"),
        cost_usd_exposed_high=total("cost_usd_exposed_high"),
        missing_reference=tuple(sorted(set(incomplete))), level=level, omitted=omitted,
    )  # fmt: skip
