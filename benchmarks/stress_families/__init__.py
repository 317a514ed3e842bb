"""Stress families: report series with outages, drawn from processes the estimator does not assume.

An independent generator for stress-testing outage-window estimators. Nothing is taken from
the project's own simulator: the daily shape, the reporting lags, the outage shapes, the noise
and the nuisances (bursts, level shifts, spikes, gaps) are written here from scratch with
``numpy.random.Generator`` (same seed, same case).

Every simulated case shares one background and varies ONE thing away from a baseline family
(log-normal reporting lag, constant severity while down, mildly overdispersed Poisson noise):

* ``lognormal_delay``: the baseline itself (lag log-normal, median 2-8 min, sigma 0.5-1.2).
* ``weibull_delay``: Weibull lag (shape 0.6-3, scale 2-10 min).
* ``powerlaw_tail``: Lomax lag (tail index 1.2-2.5, scale 2-8 min): reports linger for hours.
* ``peak_and_fade``: reports peak, then fade to 0-10 % of the peak (time constant 10-40 min)
  while the outage lasts.
* ``big_bursts``: plus 1-4 non-outage bursts a day in single regions (5-50 x the background,
  5 min to 3 h, spike-and-decay or plateau); they are not outages and not in the truth.
* ``level_shift``: the background level changes for good (x 0.5-2) at or shortly after an
  outage, and in some regions at random other times.
* ``flapping``: the service comes back and fails again (1-2 recoveries of 3-15 min), then
  recovers partly (30-60 % severity) before the final recovery; the truth is the envelope.
* ``heavy_noise``: a per-bin log-normal or Student-t multiplicative factor on top of the
  Poisson counts, plus rare one-bin spikes of 3-10 x.
* ``one_region``: the baseline, but every outage hits one region only. It is in neither set:
  it measures what an estimator that asks an event to be seen in two regions loses.
* ``weekend_shape``: the baseline, but each region's weekend follows its daily shape 2-4 hours
  late, and the case's one weekend is scored (5-6 days of history): the weekend's own profile
  has only its two days. A check too, in neither set.

``real_tweets`` puts outages on real backgrounds: the NAB Twitter-volume series (5-minute bins,
February-April 2015), read from a folder outside the repository and never copied into it.

All times are UTC; durations and lags are in minutes. See :class:`StressCase` for what a
case holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from stress_families.common import (
    DEV_SEED,
    HELD_OUT_SEED,
    REGION_ZONES,
    SIMULATED_FREQS,
    TICKER_REGIONS,
    TRUTH_COLUMNS,
    StressCase,
    window_ratio,
)
from stress_families.real import (
    REAL_WIDTH,
    real_tweets,
)
from stress_families.simulated import (
    big_bursts,
    flapping,
    heavy_noise,
    level_shift,
    lognormal_delay,
    one_region,
    peak_and_fade,
    powerlaw_tail,
    weekend_shape,
    weibull_delay,
)

__all__ = [
    "CHECK_FAMILIES",
    "DEV_FAMILIES",
    "DEV_SEED",
    "FAMILIES",
    "HELD_OUT_FAMILIES",
    "HELD_OUT_SEED",
    "REGION_ZONES",
    "SIMULATED_FREQS",
    "TICKER_REGIONS",
    "TRUTH_COLUMNS",
    "StressCase",
    "big_bursts",
    "case_freq",
    "case_seed",
    "flapping",
    "heavy_noise",
    "level_shift",
    "lognormal_delay",
    "make_case",
    "one_region",
    "peak_and_fade",
    "powerlaw_tail",
    "real_tweets",
    "weekend_shape",
    "weibull_delay",
    "window_ratio",
]

# -------------------------------------------------------------------------- registry
FAMILIES: Mapping[str, Callable[..., StressCase]] = MappingProxyType(
    {
        "lognormal_delay": lognormal_delay,
        "weibull_delay": weibull_delay,
        "powerlaw_tail": powerlaw_tail,
        "peak_and_fade": peak_and_fade,
        "big_bursts": big_bursts,
        "level_shift": level_shift,
        "flapping": flapping,
        "heavy_noise": heavy_noise,
        "real_tweets": real_tweets,
        "one_region": one_region,  # from here: the other families' seeds stay as they were
        "weekend_shape": weekend_shape,
    }
)
#: Families used while developing an estimator (with seeds from DEV_SEED).
DEV_FAMILIES = ("lognormal_delay", "big_bursts", "heavy_noise", "real_tweets")
#: Families kept for the final check (with seeds from HELD_OUT_SEED); real_tweets is in both,
#: told apart by its seeds.
HELD_OUT_FAMILIES = (
    "weibull_delay",
    "powerlaw_tail",
    "peak_and_fade",
    "level_shift",
    "flapping",
    "real_tweets",
)
#: Families that check one choice of an estimator, run on request (dev seeds for choosing).
CHECK_FAMILIES = ("one_region", "weekend_shape")


def case_seed(family: str, case: int, *, held_out: bool) -> int:
    """The seed of case number ``case`` (0-999) of ``family`` on the dev or held-out seeds.

    Examples
    --------
    >>> case_seed("lognormal_delay", 3, held_out=False), case_seed("real_tweets", 0, held_out=True)
    (20003, 68000)
    """
    if not 0 <= case < 1000:
        raise ValueError(f"case must be in 0..999, got {case}")
    return (HELD_OUT_SEED if held_out else DEV_SEED) + 1000 * list(FAMILIES).index(family) + case


def case_freq(family: str, case: int) -> str:
    """The bin width of case number ``case``: 1 min, 5 min and 1 h in turn (real: 5 min)."""
    if family == "real_tweets":
        return f"{REAL_WIDTH}min"
    return SIMULATED_FREQS[(case + list(FAMILIES).index(family)) % len(SIMULATED_FREQS)]


def make_case(
    family: str, seed: int, *, freq: str | pd.Timedelta | None = None, root: Path | None = None
) -> StressCase:
    """A case of ``family`` from ``seed`` (``root``: the NAB folder, for ``real_tweets``)."""
    rng = np.random.default_rng(seed)
    if family == "real_tweets":
        if root is None:
            raise ValueError("real_tweets needs root= (the NAB folder)")
        return real_tweets(rng, root=root)
    return FAMILIES[family](rng, freq=freq if freq is not None else "1min")
