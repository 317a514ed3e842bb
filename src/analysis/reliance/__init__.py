"""Do developing markets rely on the service more than developed ones? Honest comparisons.

:func:`compare_markets` compares a per-region metric (by default the activity-adjusted
``reliance_index`` of :func:`~analysis.regional_impact`) between developing and developed
markets (the IMF's advanced economies, see ``data/reference/SOURCES.md``) and across World
Bank income groups, with statistics that assume neither normality nor equal group sizes:

* **Hodges-Lehmann shift**: the median of all pairwise differences between the groups (on
  the log scale by default, so ``exp(shift)`` is the typical *ratio*), with a percentile
  bootstrap interval (groups resampled separately).
* **Mann-Whitney U** (scipy) and a **permutation** p-value for the shift (scipy's
  ``permutation_test``, group labels shuffled), both two-sided.
* **Cliff's delta**: P(a developing region's value exceeds a developed one's) minus the
  reverse, from -1 to 1.
* **Regression** of the (log) metric on log GNI per capita and the log of the service's
  penetration, by ordinary least squares in ``statsmodels`` with HC3 heteroskedasticity-robust
  standard errors: statsmodels because it gives a complete, tested inference table (robust
  standard errors, p-values, intervals) for several predictors, which scipy does not. A
  metric per service user is taken per internet user (times penetration) first, so that
  penetration is not on both sides (:func:`regression_response`).

The bootstrap intervals carry more than which regions were sampled: each replicate also
draws every region's excess, window length and user base from their own uncertainty
(:func:`measurement_draws`), with the regions whose penetration rests on one assumption
moving together. :func:`user_base_sensitivity` shows how the ratio moves as the assumed user
bases move.

Modules: :mod:`~analysis.reliance.markets` (the comparisons),
:mod:`~analysis.reliance.measurement` (what each region's figure is measured from),
:mod:`~analysis.reliance.regression` (the OLS).

Regions are never dropped silently: those the country table cannot classify, and those whose
metric is missing (or not positive, on the log scale), are listed in the result.

Time of day confounds the naive comparison (3 May 2017: the Americas were awake, South Asia
asleep); :func:`compare_metrics` puts the naive and the adjusted metrics side by side.
"""

from analysis.reliance.markets import (
    INDEX_CAVEAT,
    RATIO_COLUMNS,
    SHIFT_COLUMNS,
    MarketComparison,
    compare_markets,
    compare_metrics,
    user_base_sensitivity,
)
from analysis.reliance.measurement import (
    DURATION_METRICS,
    PER_USER_METRICS,
    draw_penetrations,
    measurement_draws,
)
from analysis.reliance.regression import regression_response

__all__ = [
    "DURATION_METRICS",
    "INDEX_CAVEAT",
    "PER_USER_METRICS",
    "RATIO_COLUMNS",
    "SHIFT_COLUMNS",
    "MarketComparison",
    "compare_markets",
    "compare_metrics",
    "draw_penetrations",
    "measurement_draws",
    "regression_response",
    "user_base_sensitivity",
]
