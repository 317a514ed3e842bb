"""The worldwide summary of a regional impact table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

MINUTE = pd.Timedelta("1min")


@dataclass(frozen=True)
class WorldImpact:
    """Worldwide summary of an outage (:func:`summarize_impact`).

    Times are UTC; durations Timedeltas; ``*_low``/``*_high`` bound intervals at ``level``
    (users: the plausible range). Users, user-hours, excess reports and costs add up the
    regions whose series are problem-report counts; they are NaN when there is none, and
    ``omitted`` then says why ('' when nothing was left out).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    duration: pd.Timedelta
    duration_low: pd.Timedelta
    duration_high: pd.Timedelta
    regions: int
    continents: tuple[str, ...]
    affected_users: float
    affected_users_low: float
    affected_users_high: float
    user_hours_lost: float
    user_hours_lost_low: float
    user_hours_lost_high: float
    excess_reports: float
    excess_low: float
    excess_high: float
    cost_usd: float
    cost_usd_low: float
    cost_usd_high: float
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
            "affected users": (self.affected_users, self.affected_users_low,
                               self.affected_users_high),
            "user-hours lost (awake)": (self.user_hours_lost, self.user_hours_lost_low,
                                        self.user_hours_lost_high),
            "excess reports": (self.excess_reports, self.excess_low, self.excess_high),
            "cost (US$, estimate)": (self.cost_usd, self.cost_usd_low, self.cost_usd_high),
        }  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "low", "high"])

    def __str__(self) -> str:
        def num(x: float) -> str:
            return f"{x / 1e9:.2f} bn" if abs(x) >= 1e9 else f"{x / 1e6:.1f} M"

        def hm(d: pd.Timedelta) -> str:
            minutes = round(d / MINUTE)
            return f"{minutes // 60}h{minutes % 60:02d}"

        lines = [
            f"Outage {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M} UTC: {hm(self.duration)} "
            f"({self.level:.0%} interval {hm(self.duration_low)}-{hm(self.duration_high)})",
            f"  regions        {self.regions} on {len(self.continents)} continents "
            f"({', '.join(self.continents)})",
        ]
        if not np.isnan(self.excess_reports):
            lines += [
                f"  affected users {num(self.affected_users)} (range "
                f"{num(self.affected_users_low)}-{num(self.affected_users_high)})",
                f"  user-hours     {num(self.user_hours_lost)} awake hours without the "
                f"service ({num(self.user_hours_lost_low)}-{num(self.user_hours_lost_high)})",
                f"  excess reports {self.excess_reports:,.0f} ({self.excess_low:,.0f}-"
                f"{self.excess_high:,.0f})",
                f"  cost estimate  US$ {num(self.cost_usd)} (US$ {num(self.cost_usd_low)}-"
                f"{num(self.cost_usd_high)}; an estimate, see CostModel)",
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
        high = world.get(
            "duration_high", world.get("end_high", end) - world.get("start_low", start)
        )
    else:  # several regions' windows: their span, and its envelope
        start, end = impact["start"].min(), impact["end"].max()
        low = impact["end_low"].max() - impact["start_high"].min()
        high = impact["end_high"].max() - impact["start_low"].min()
    return start, end, max(low, pd.Timedelta(0)), high


def summarize_impact(impact: pd.DataFrame, outages: pd.DataFrame | None = None) -> WorldImpact:
    """Add up a :func:`~analysis.regional_impact` table into a worldwide summary.

    The window is the pooled worldwide one (``region == 'WLD'`` in ``outages``, as
    :func:`~analysis.estimate_outages` gives it) when present, with its duration's interval
    (``duration_low``..``duration_high``, from the joint variance of start and end); with one
    region, that region's; else from the first start to the last end over the regions, with
    the duration's interval from the regions' earliest ``start_high`` / latest ``end_low`` to
    their ``start_low`` / ``end_high`` (an envelope). Users, user-hours
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
    omitted = ""
    if len(counted) < len(impact):
        others = ", ".join(sorted(impact.loc[kinds != "reports", "region"].unique()))
        omitted = (f"users, user-hours, excess reports and cost of {others}: their series are "
                   "levels or indices, which count no people")  # fmt: skip

    def total(column: str) -> float:
        return float(counted[column].fillna(0).sum()) if len(counted) else np.nan

    return WorldImpact(
        start=start, end=end, duration=end - start, duration_low=low, duration_high=high,
        regions=int(impact["region"].nunique()),
        continents=tuple(sorted(impact["continent"].dropna().unique())),
        affected_users=total("affected_users"), affected_users_low=total("users_low"),
        affected_users_high=total("users_high"), user_hours_lost=total("user_hours_lost"),
        user_hours_lost_low=total("user_hours_lost_low"),
        user_hours_lost_high=total("user_hours_lost_high"), excess_reports=excess,
        excess_low=excess - half, excess_high=excess + half, cost_usd=total("cost_usd"),
        cost_usd_low=total("cost_usd_low"), cost_usd_high=total("cost_usd_high"),
        missing_reference=tuple(sorted(set(incomplete))), level=level, omitted=omitted,
    )  # fmt: skip
