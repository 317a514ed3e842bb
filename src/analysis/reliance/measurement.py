"""What each region's figure is measured from, as draws for the market comparison."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.io import load_countries
from analysis.schema import LEVEL
from analysis.users import MODEL_LEVEL, service_users

#: Metrics of :func:`~analysis.regional_impact` that divide by the service's users.
PER_USER_METRICS = frozenset({
    "excess_per_million_users", "excess_per_million_awake", "reliance_index",
})  # fmt: skip

#: Metrics of :func:`~analysis.regional_impact` divided by the window's length.
DURATION_METRICS = frozenset({"reliance_index", "excess_ratio"})


def measurement_draws(
    impact: pd.DataFrame, metric: str, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draws (``n`` x rows, log scale) of how far each region's ``metric`` could move with
    what it is measured from: the region-level resampling of :func:`compare_markets` does
    not see these.

    * The excess: log-normal with its relative standard error (``excess_se`` over
      ``excess_reports``, which carries the window's uncertainty), independent by region.
    * The window's length, for metrics divided by it (:data:`DURATION_METRICS`): the
      duration's interval (``duration_low``..``duration_high``) read at the table's
      ``level``, independent by region.
    * The user base, for metrics per user (:data:`PER_USER_METRICS`): the plausible range
      ``users_low``..``users_high`` read as an interval at that level. Regions whose
      penetration comes from one assumption (``penetration_source`` 'assumed by market'
      within one ``market``; 'assumed: another messenger leads') share the part of their
      draw that ``penetration_shared`` gives (the market model's mean uncertainty; all of it
      where the column is absent): if the assumption is wrong, it is wrong for all of them.
      Published figures move independently; users given by the caller not at all.

    Columns that are absent add nothing.

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "DEU"], "excess_reports": [100.0, 50.0],
    ...                       "excess_se": [10.0, 0.0]})
    >>> draws = measurement_draws(table, "excess_ratio", 4000, np.random.default_rng(0))
    >>> draws.std(axis=0).round(2)
    array([0.1, 0. ])
    """
    level = float(impact["level"].iloc[0]) if "level" in impact.columns and len(impact) else LEVEL
    z = stats.norm.ppf(0.5 + level / 2)
    out = np.zeros((n, len(impact)))

    def column(name: str) -> np.ndarray:
        return pd.to_numeric(impact[name], errors="coerce").to_numpy(float)

    if {"excess_se", "excess_reports"} <= set(impact.columns):
        excess = column("excess_reports")
        relative = np.where(excess > 0, column("excess_se") / np.where(excess > 0, excess, 1), 0)
        out += rng.standard_normal(out.shape) * np.sqrt(np.log1p(np.nan_to_num(relative) ** 2))
    names = ["duration_low", "duration", "duration_high"]
    if metric in DURATION_METRICS and set(names) <= set(impact.columns):
        hours = [impact[c] / pd.Timedelta("1h") for c in names]
        out -= _two_piece(rng.standard_normal(out.shape), *hours, z)
    if metric in PER_USER_METRICS and {"users", "users_low", "users_high"} <= set(impact.columns):
        codes, groups = pd.factorize(_shared_assumption(impact))
        common = rng.standard_normal((n, len(groups)))[:, codes]
        weight = (np.nan_to_num(column("penetration_shared"), nan=1.0).clip(0, 1)
                  if "penetration_shared" in impact.columns else np.ones(len(impact)))  # fmt: skip
        e = np.sqrt(weight) * common + np.sqrt(1 - weight) * rng.standard_normal(out.shape)
        out -= _two_piece(e, column("users_low"), column("users"), column("users_high"), z)
    return out


def _two_piece(e: np.ndarray, low: object, mid: object, high: object, z: float) -> np.ndarray:
    """Standard normal draws ``e`` as log-scale moves of a quantity whose interval (or
    plausible range) is ``low``..``high`` about ``mid`` at ``z`` standard errors: scaled by
    the spread below ``mid`` where negative, above it where positive (0 where missing)."""
    low, mid, high = (np.asarray(v, float) for v in (low, mid, high))
    ok = (low > 0) & (mid >= low) & (high >= mid)
    safe = np.where(ok, mid, 1.0)
    below = np.where(ok, np.log(safe / np.where(ok, low, 1.0)), 0.0) / z
    above = np.where(ok, np.log(np.where(ok, high, 1.0) / safe), 0.0) / z
    return np.where(e < 0, e * below, e * above)


def _shared_assumption(impact: pd.DataFrame) -> pd.Series:
    """The assumption each region's user base rests on, or the region itself where it rests
    on its own figure (see :func:`measurement_draws`)."""
    region = impact["region"].astype(str)
    if "penetration_source" not in impact.columns:
        return region
    source = impact["penetration_source"].astype(str)
    market = impact["market"].astype(str) if "market" in impact.columns else ""
    shared = source.where(source != "assumed by market", source + ": " + market)
    return shared.where(source.str.startswith("assumed"), region)


def draw_penetrations(
    regions: Sequence[str], rng: np.random.Generator, countries: pd.DataFrame | None = None
) -> dict[str, float]:
    """Penetrations as they could truly be, drawn from the plausible ranges the impact step
    states (for validation: simulate with them, analyse with the table's).

    One draw of :func:`measurement_draws`' user-base part: countries whose penetration rests
    on one assumption share its common part (all of it where another messenger leads; the
    market model's mean uncertainty otherwise), published ones move apart; capped at 1.

    Examples
    --------
    >>> drawn = draw_penetrations(["CHN", "IRN", "EGY", "BGD", "BRA"], np.random.default_rng(0))
    >>> bool(drawn["CHN"] == drawn["IRN"])  # both 5% where another messenger leads: one draw
    True
    >>> bool(drawn["EGY"] == drawn["BGD"])  # the market model: mostly each country's own
    False
    >>> float(round(drawn["BRA"], 2))  # published 87% (120 M users), drawn on its own
    0.94
    """
    table = load_countries() if countries is None else countries
    users = service_users(list(regions), table).reset_index()
    users["level"] = MODEL_LEVEL  # the level of the ranges service_users gives
    move = -measurement_draws(users, "excess_per_million_users", 1, rng)[0]
    drawn = np.minimum(users["penetration"].to_numpy(float) * np.exp(move), 1.0)
    return dict(zip(users["region"], drawn, strict=True))
