"""The regression of a per-region metric on national income and the service's penetration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.reliance.measurement import PER_USER_METRICS
from analysis.users import is_assumed


def outside_regression(used: pd.DataFrame) -> pd.DataFrame:
    """Regions compared between markets that the regression cannot take, and why."""
    rows = [
        {"region": r.region, "reason": f"regression only: no {column}"}
        for r in used.itertuples()
        for column in ("gni_per_capita_usd", "penetration")
        if pd.isna(getattr(r, column))
    ]
    return pd.DataFrame(rows, columns=["region", "reason"]).drop_duplicates("region")


def fit_regression(
    frame: pd.DataFrame, *, per_user: bool, log: bool
) -> tuple[pd.DataFrame, int, float, int]:
    """OLS (HC3) of the response on log GNI per capita and log penetration (see
    :func:`regression_response`); ``frame``'s values are on the comparison's scale."""
    import statsmodels.api as sm

    data = frame.dropna(subset=["value", "gni_per_capita_usd", "penetration"])
    data = data[data["penetration"] > 0]
    columns = ["coef", "se", "low", "high", "p"]
    terms = ["const", "log_gni_per_capita", "log_penetration"]
    if len(data) < 5:
        return pd.DataFrame(np.nan, index=terms, columns=columns), len(data), np.nan, 0
    penetration = data["penetration"].astype(float)
    y = data["value"].astype(float)
    if per_user:  # per internet user: penetration off the left-hand side
        y = y + np.log(penetration) if log else y * penetration
    x = pd.DataFrame({
        "log_gni_per_capita": np.log(data["gni_per_capita_usd"].astype(float)),
        "log_penetration": np.log(penetration),
    })  # fmt: skip
    fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC3")
    ci = fit.conf_int()
    table = pd.DataFrame({"coef": fit.params, "se": fit.bse, "low": ci[0], "high": ci[1],
                          "p": fit.pvalues})  # fmt: skip
    assumed = int(data["penetration_source"].map(is_assumed).sum())
    return table, len(data), float(fit.rsquared), assumed


def regression_response(metric: str, *, log: bool) -> str:
    """What the regression of :func:`compare_markets` explains for ``metric``.

    A metric per service user (:data:`PER_USER_METRICS`) divides by users = internet users x
    penetration; regressed on penetration as it is, any error in a penetration (most are
    assumed) would show as a slope of -1 built into the ratio. So the regression explains
    the metric times penetration, per internet user: its log-penetration coefficient ``b``
    says how the excess per internet user grows with penetration, and the per-user metric's
    elasticity is ``b - 1``.

    Examples
    --------
    >>> regression_response("reliance_index", log=True)
    'log(reliance_index x penetration): per internet user'
    >>> regression_response("excess_ratio", log=True)
    'log(excess_ratio)'
    """
    inner = f"{metric} x penetration" if metric in PER_USER_METRICS else metric
    text = f"log({inner})" if log else inner
    return f"{text}: per internet user" if metric in PER_USER_METRICS else text
