"""Developing against developed markets, and income groups against high income."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.io import INCOME_GROUPS, countries_by_iso3  # groups: high income last
from analysis.reliance.measurement import PER_USER_METRICS, measurement_draws
from analysis.reliance.regression import fit_regression, outside_regression, regression_response
from analysis.schema import LEVEL
from analysis.users import service_users

#: What a comparison of relative indices (``kind`` ``index``: Google Trends) must say.
INDEX_CAVEAT = (
    "Indices such as Google Trends are rescaled in every export: exported per country, their "
    "levels are not comparable between countries. Only each series' ratio to its own "
    "baseline (excess_ratio) is compared, and it still mixes the countries' search habits."
)

SHIFT_COLUMNS = [
    "group", "reference", "n", "n_reference", "median", "median_reference", "shift",
    "shift_low", "shift_high", "ratio", "ratio_low", "ratio_high", "shift_low_sampling",
    "shift_high_sampling", "ratio_low_sampling", "ratio_high_sampling", "mannwhitney_u",
    "mannwhitney_p", "permutation_p", "cliffs_delta",
]  # fmt: skip

#: The columns of a comparison on a log scale that a reader looks at first: sizes, medians,
#: the ratio with its interval (and the regions-only one), the permutation p-value and
#: Cliff's delta.
RATIO_COLUMNS = [
    "n", "n_reference", "median", "median_reference", "ratio", "ratio_low", "ratio_high",
    "ratio_low_sampling", "ratio_high_sampling", "permutation_p", "cliffs_delta",
]  # fmt: skip


def _hodges_lehmann(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.median(np.subtract.outer(x, y)))


def _shift(
    x: np.ndarray, y: np.ndarray, *, log: bool, level: float, n_boot: int, n_perm: int,
    rng: np.random.Generator, group: str, reference: str,
    noise: tuple[np.ndarray, np.ndarray],
) -> dict:  # fmt: skip
    """Every statistic of one group ``x`` against a reference ``y`` (values on the analysis
    scale: logs when ``log``). ``noise``: measurement draws (``n_boot`` x values, log scale)
    added to each bootstrap replicate (:func:`measurement_draws`); the ``*_sampling``
    interval leaves them out."""
    row = dict.fromkeys(SHIFT_COLUMNS, np.nan)
    row.update(group=group, reference=reference, n=len(x), n_reference=len(y))
    back = np.exp if log else (lambda v: v)
    if len(x):
        row["median"] = float(back(np.median(x)))
    if len(y):
        row["median_reference"] = float(back(np.median(y)))
    if len(x) < 2 or len(y) < 2:
        return row
    shift = _hodges_lehmann(x, y)
    nx, ny = noise
    both = np.zeros((n_boot, 2))
    for b in range(n_boot):
        i, j = rng.choice(len(x), len(x)), rng.choice(len(y), len(y))
        both[b] = (
            _hodges_lehmann(x[i], y[j]),
            _hodges_lehmann(_moved(x[i], nx[b, i], log), _moved(y[j], ny[b, j], log)),
        )
    tail = (1 - level) / 2
    (low_sampling, low), (high_sampling, high) = np.quantile(both, [tail, 1 - tail], axis=0)
    u = stats.mannwhitneyu(x, y, alternative="two-sided")
    perm = stats.permutation_test(
        (x, y), lambda a, b, axis: np.median(a[..., :, None] - b[..., None, :], axis=(-2, -1)),
        permutation_type="independent", n_resamples=n_perm, alternative="two-sided",
        vectorized=True, batch=50, rng=rng,
    )  # fmt: skip
    row.update(
        shift=shift, shift_low=float(low), shift_high=float(high),
        shift_low_sampling=float(low_sampling), shift_high_sampling=float(high_sampling),
        mannwhitney_u=float(u.statistic), mannwhitney_p=float(u.pvalue),
        permutation_p=float(perm.pvalue),
        cliffs_delta=float(2 * u.statistic / (len(x) * len(y)) - 1),
    )  # fmt: skip
    if log:
        row.update(ratio=np.exp(shift), ratio_low=np.exp(low), ratio_high=np.exp(high),
                   ratio_low_sampling=np.exp(low_sampling),
                   ratio_high_sampling=np.exp(high_sampling))  # fmt: skip
    return row


def _moved(values: np.ndarray, noise: np.ndarray, log: bool) -> np.ndarray:
    """``values`` moved by log-scale ``noise``: added to logs, multiplied into a metric."""
    return values + noise if log else values * np.exp(noise)


@dataclass(frozen=True)
class MarketComparison:
    """A per-region metric compared between markets (:func:`compare_markets`).

    Attributes
    ----------
    metric : str
        The compared column.
    log : bool
        Compared on the log scale (shifts are log ratios; ``ratio`` = exp(shift)).
    level : float
        Level of the bootstrap intervals.
    markets : DataFrame
        Developing vs developed: one row (columns :data:`SHIFT_COLUMNS`).
    income_groups : DataFrame
        Each World Bank income group against ``High income`` (one row each).
    regression : DataFrame
        OLS (HC3) of :attr:`regression_response` on ``log_gni_per_capita`` and
        ``log_penetration``: ``coef, se, low, high, p`` per term.
    regression_n : int
        Regions in the regression.
    regression_r2 : float
    assumed_penetration : int
        Regions in the regression whose penetration is an assumption, not a published figure.
    by_region : DataFrame
        The regions used: ``region, market, income_group, penetration, value`` (metric
        scale).
    unclassified : tuple of str
        Regions the country table cannot place in a market (e.g. ``WLD``, territories).
    excluded : DataFrame
        Regions left out of the statistics and why (``region, reason``); a reason starting
        ``regression only`` leaves the region in the group comparisons.
    caveats : tuple of str
        What the comparison cannot say (e.g. :data:`INDEX_CAVEAT` where the table holds
        relative indices).
    regression_response : str
        What the regression explains (:func:`regression_response`: a metric per service
        user is taken per internet user, so that penetration is not on both sides).
    propagated : bool
        Whether the intervals carry each region's measurement uncertainty
        (:func:`measurement_draws`) as well as the resampling of regions.
    """

    metric: str
    log: bool
    level: float
    markets: pd.DataFrame
    income_groups: pd.DataFrame
    regression: pd.DataFrame
    regression_n: int
    regression_r2: float
    assumed_penetration: int
    by_region: pd.DataFrame
    unclassified: tuple[str, ...]
    excluded: pd.DataFrame
    caveats: tuple[str, ...] = ()
    regression_response: str = ""
    propagated: bool = False

    @property
    def ratio(self) -> float:
        """Developing over developed: exp(Hodges-Lehmann shift) on the log scale."""
        return float(self.markets["ratio"].iloc[0])

    @property
    def ratio_interval(self) -> tuple[float, float]:
        row = self.markets.iloc[0]
        return float(row["ratio_low"]), float(row["ratio_high"])

    @property
    def p_value(self) -> float:
        """The permutation p-value of developing vs developed."""
        return float(self.markets["permutation_p"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """Every group comparison (markets, then income groups) as one table."""
        return pd.concat([self.markets, self.income_groups], ignore_index=True)

    def __str__(self) -> str:
        scale = "log scale; ratio = exp(shift)" if self.log else "metric scale"
        table = self.to_frame()

        def fmt(column: str, spec: str) -> pd.Series:
            """Formatted values; '–' where there is none (a group too small to compare)."""
            return table[column].map(lambda v: "–" if pd.isna(v) else format(v, spec))

        effect = "ratio" if self.log else "shift"
        shown = pd.DataFrame({
            "group": table["group"] + " vs " + table["reference"],
            "n": fmt("n", ".0f") + " / " + fmt("n_reference", ".0f"),
            "medians": fmt("median", ".4g") + " / " + fmt("median_reference", ".4g"),
            effect: fmt(effect, ".3g"),
            f"{self.level:.0%} interval": (fmt(f"{effect}_low", ".3g") + "-"
                                           + fmt(f"{effect}_high", ".3g")).replace("–-–", "–"),
            "Mann-Whitney p": fmt("mannwhitney_p", ".2g"),
            "permutation p": fmt("permutation_p", ".2g"),
            "Cliff's delta": fmt("cliffs_delta", "+.2f"),
        })  # fmt: skip
        lines = [
            f"{self.metric} by market ({scale}; Hodges-Lehmann shift, bootstrap interval)",
            shown.to_string(index=False),
        ]
        if self.propagated:
            row = self.markets.iloc[0]
            lines.append(
                f"The intervals carry each region's excess, window and user base as well as "
                f"which regions were sampled; from the regions alone, developing vs developed: "
                f"{row[f'{effect}_low_sampling']:.3g}-{row[f'{effect}_high_sampling']:.3g}"
            )
        lines += [
            "",
            f"OLS of {self.regression_response} with HC3 standard errors (statsmodels), "
            f"n = {self.regression_n}, R2 = {self.regression_r2:.2f} "
            f"({self.assumed_penetration} penetrations assumed):",
            self.regression.to_string(float_format=lambda v: f"{v:.3g}"),
        ]
        if self.unclassified:
            lines.append(f"unclassified (no market in the country table): "
                         f"{', '.join(self.unclassified)}")  # fmt: skip
        if len(self.excluded):
            lines.append("excluded: " + "; ".join(
                f"{r.region} ({r.reason})" for r in self.excluded.itertuples()))  # fmt: skip
        lines += [f"caveat: {c}" for c in self.caveats]
        return "\n".join(lines)

    def __repr__(self) -> str:
        row = self.markets.iloc[0]
        effect = (
            f"ratio {row['ratio']:.3g} [{row['ratio_low']:.3g}, {row['ratio_high']:.3g}]"
            if self.log
            else f"shift {row['shift']:.3g} [{row['shift_low']:.3g}, {row['shift_high']:.3g}]"
        )
        return (
            f"MarketComparison({self.metric!r}: developing n={int(row['n'])} vs developed "
            f"n={int(row['n_reference'])}, {effect}, permutation p={row['permutation_p']:.2g})"
        )


def compare_markets(
    impact: pd.DataFrame,
    countries: pd.DataFrame | None = None,
    *,
    metric: str = "reliance_index",
    log: bool = True,
    level: float = LEVEL,
    n_boot: int = 2000,
    n_perm: int = 2000,
    seed: int | np.random.Generator = 0,
    propagate: bool = True,
) -> MarketComparison:
    """Compare a per-region metric between developing and developed markets.

    See the module docstring for the statistics.

    Parameters
    ----------
    impact : DataFrame
        Any table with a ``region`` column (ISO-3, one row per region) and ``metric``, e.g.
        :func:`~analysis.regional_impact`'s.
    countries : DataFrame, optional
        The country table giving ``market``, ``income_group`` and ``gni_per_capita_usd``
        (default :func:`~analysis.load_countries`).
    metric : str
        Column to compare (default ``reliance_index``: excess reports per million active
        user-hours).
    log : bool
        Compare logs (a ratio), for positive metrics; regions whose value is not positive
        are then excluded and listed.
    level : float
        Level of the bootstrap intervals.
    n_boot, n_perm : int
        Bootstrap and permutation resamples.
    seed : int or Generator
        Randomness of the bootstrap and permutations.
    propagate : bool
        Move each bootstrap replicate's regions by :func:`measurement_draws` too (their
        excess, window and user base, as far as ``impact`` has the columns), so that the
        interval holds what each region's figure is measured from as well as which regions
        were sampled; the ``*_sampling`` columns give the regions-only interval.

    Returns
    -------
    MarketComparison

    Raises
    ------
    ValueError
        If ``region`` or ``metric`` is missing, or a region has several rows.

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "IND", "NGA", "DEU", "USA", "FRA", "WLD"],
    ...                       "reliance_index": [3.0, 2.5, 2.8, 1.4, 1.5, 1.2, 2.0]})
    >>> result = compare_markets(table, n_boot=200, n_perm=200)
    >>> round(result.ratio, 2), result.unclassified
    (2.0, ('WLD',))
    """
    for column in ("region", metric):
        if column not in impact.columns:
            raise ValueError(f"the table has no column {column!r} (columns: "
                             f"{list(impact.columns)})")  # fmt: skip
    repeated = impact["region"][impact["region"].duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"one row per region expected; repeated: {repeated} (keep one "
                         "outage window per region)")  # fmt: skip
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    frame = _by_region(impact, countries_by_iso3(countries), metric)
    kinds = impact["kind"].to_numpy() if "kind" in impact.columns else np.full(len(frame), "")
    excluded, keep = _excluded(frame, kinds, metric, log=log)
    unclassified = tuple(sorted(frame.loc[frame["market"].isna(), "region"]))
    used = frame[keep].copy()
    if log:
        used["value"] = np.log(used["value"])
    draws = (measurement_draws(impact[keep], metric, n_boot, rng) if propagate
             else np.zeros((n_boot, len(used))))  # fmt: skip
    common = {"log": log, "level": level, "n_boot": n_boot, "n_perm": n_perm, "rng": rng}

    def compared(group: str, column: str, reference: str) -> dict:
        x, y = (used[column] == group).to_numpy(), (used[column] == reference).to_numpy()
        return _shift(used["value"].to_numpy(float)[x], used["value"].to_numpy(float)[y],
                      group=group, reference=reference, noise=(draws[:, x], draws[:, y]),
                      **common)  # fmt: skip

    markets = pd.DataFrame([compared("developing", "market", "developed")],
                           columns=SHIFT_COLUMNS)  # fmt: skip
    income = pd.DataFrame([compared(g, "income_group", INCOME_GROUPS[-1])
                           for g in INCOME_GROUPS[:-1]], columns=SHIFT_COLUMNS)  # fmt: skip
    per_user = metric in PER_USER_METRICS
    regression, n, r2, assumed = fit_regression(used, per_user=per_user, log=log)
    excluded = pd.concat([excluded, outside_regression(used)], ignore_index=True)
    shown = used.assign(value=np.exp(used["value"]) if log else used["value"])
    return MarketComparison(
        metric=metric, log=log, level=level, markets=markets, income_groups=income,
        regression=regression, regression_n=n, regression_r2=r2, assumed_penetration=assumed,
        by_region=shown[["region", "market", "income_group", "penetration", "value"]].reset_index(
            drop=True
        ),
        unclassified=unclassified, excluded=excluded,
        caveats=(INDEX_CAVEAT,) if "index" in set(kinds) else (),
        regression_response=regression_response(metric, log=log), propagated=propagate,
    )  # fmt: skip


def _by_region(impact: pd.DataFrame, table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Each region's ``value`` of ``metric`` with its market, income group, GNI per capita
    and service penetration (``impact``'s own where it has them, else the country table's
    through :func:`~analysis.users.service_users`) and where that came from."""
    frame = pd.DataFrame({"region": impact["region"].astype(str),
                          "value": pd.to_numeric(impact[metric], errors="coerce")})  # fmt: skip
    ref = table.reindex(frame["region"])
    for column in ("market", "income_group", "gni_per_capita_usd"):
        frame[column] = ref[column].to_numpy()
    if "penetration" in impact.columns:
        frame["penetration"] = impact["penetration"].to_numpy()
        frame["penetration_source"] = (
            impact["penetration_source"].to_numpy()
            if "penetration_source" in impact.columns
            else "given"
        )
    else:
        known = frame["region"][frame["region"].isin(table.index)]
        users = service_users(known, table.reset_index()).reindex(frame["region"])
        frame["penetration"] = users["penetration"].to_numpy()
        frame["penetration_source"] = users["penetration_source"].to_numpy()
    return frame


def _excluded(
    frame: pd.DataFrame, kinds: np.ndarray, metric: str, *, log: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """The regions left out of the comparison with the reason (``region, reason``: the
    metric missing, not given for a signal kind that counts no people, or not positive on
    a log scale) and the mask of the regions compared (classified, not excluded)."""
    reasons = pd.Series("", index=frame.index)
    reasons[frame["value"].isna()] = f"{metric} missing"
    signal = frame["value"].isna().to_numpy() & np.isin(kinds, ["level", "index"])
    reasons[signal] = [f"{metric} not given for a {k}: it counts no people" for k in kinds[signal]]
    if log:
        reasons[frame["value"] <= 0] = f"{metric} not positive (log scale)"
    excluded = pd.DataFrame({"region": frame["region"][reasons != ""], "reason":
                             reasons[reasons != ""]}).reset_index(drop=True)  # fmt: skip
    return excluded, ((reasons == "") & frame["market"].notna()).to_numpy()


def compare_metrics(
    impact: pd.DataFrame,
    countries: pd.DataFrame | None = None,
    *,
    metrics: Sequence[str] = ("excess_per_million_users", "reliance_index"),
    **options: object,
) -> pd.DataFrame:
    """Developing vs developed for several metrics side by side (the naive and the adjusted).

    Returns one row per metric, indexed by metric, with the columns of
    :data:`SHIFT_COLUMNS` (``group`` is ``developing``, ``reference`` ``developed``);
    ``options`` go to :func:`compare_markets` (the same seed for each metric).

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "IND", "NGA", "DEU", "USA", "FRA"],
    ...                       "naive": [3, 1, 2, 1, 2, 3], "adjusted": [3, 3, 3, 1, 1, 1.2]})
    >>> out = compare_metrics(table, metrics=["naive", "adjusted"], n_boot=100, n_perm=100)
    >>> out["ratio"].round(2)
    naive       1.0
    adjusted    3.0
    Name: ratio, dtype: float64
    """
    rows = []
    for metric in metrics:
        result = compare_markets(impact, countries, metric=metric, **options)  # type: ignore[arg-type]
        rows.append(result.markets.iloc[0].rename(metric))
    return pd.DataFrame(rows)


def user_base_sensitivity(
    impact: pd.DataFrame,
    countries: pd.DataFrame | None = None,
    *,
    metric: str = "reliance_index",
    factors: Sequence[float] = (0.5, 0.75, 1.0, 1.5, 2.0),
) -> pd.DataFrame:
    """How the developing / developed ratio of a per-user metric moves as the assumed user
    bases move.

    Every region whose penetration is an assumption (``penetration_source`` starting
    'assumed') has its users multiplied by a factor, one for each market (so its per-user
    figure is divided by it); published and given user bases stay. Each cell is the
    Hodges-Lehmann ratio (the point estimate of :func:`compare_markets`) under those factors.

    Parameters
    ----------
    impact : DataFrame
        One row per region with ``region``, ``metric`` and ``penetration_source`` (as
        :func:`~analysis.impact.one_per_region` of :func:`~analysis.regional_impact` gives).
    countries : DataFrame, optional
        The country table giving each region's ``market``.
    metric : str
        A metric per user (:data:`PER_USER_METRICS`).
    factors : sequence of float
        Factors on the assumed users, the same for both markets.

    Returns
    -------
    DataFrame
        Rows: the factor on developing markets' assumed users; columns: on developed
        markets'.

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "IND", "DEU", "FRA"],
    ...                       "reliance_index": [3.0, 3.0, 1.0, 1.0],
    ...                       "penetration_source": ["assumed by market"] * 4})
    >>> user_base_sensitivity(table, factors=(1.0, 2.0)).round(2).to_numpy().tolist()
    [[3.0, 6.0], [1.5, 3.0]]
    """
    if metric not in PER_USER_METRICS:
        raise ValueError(f"{metric!r} is not per user (one of {sorted(PER_USER_METRICS)})")
    market = countries_by_iso3(countries)["market"].reindex(impact["region"]).to_numpy()
    value = pd.to_numeric(impact[metric], errors="coerce").to_numpy(float)
    assumed = impact["penetration_source"].astype(str).str.startswith("assumed").to_numpy()
    ok = np.isfinite(value) & (value > 0)
    logs = np.log(np.where(ok, value, 1.0))

    def ratio(f_dev: float, f_ref: float) -> float:
        return float(np.exp(_hodges_lehmann(
            (logs - np.log(f_dev) * assumed)[ok & (market == "developing")],
            (logs - np.log(f_ref) * assumed)[ok & (market == "developed")],
        )))  # fmt: skip

    return pd.DataFrame(
        [[ratio(f_dev, f_ref) for f_ref in factors] for f_dev in factors],
        index=pd.Index(factors, name="developing users x"),
        columns=pd.Index(factors, name="developed users x"),
    )
