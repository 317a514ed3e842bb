"""A seeded, multi-country generator of outage-report series, with the ground truth beside it.

Trackers do not publish their raw report counts, so the simulator is how users learn, test
methods and reproduce the project's figures. The model, per region ``r`` and minute ``t``
(all rates are expected counts per minute):

``users_r``
    internet users (population x internet share, from :func:`~analysis.load_countries`) x the
    service's penetration among them; see :func:`region_inputs`.
``activity_r(t)``
    relative activity through the local day, weekdays and weekends (:mod:`analysis.activity`).
``background``
    ``users_r / 1e6 x background_rate x activity_r(t) x drift_r(t)``: problem reports that
    arrive every day, with day-to-day and slow drifts in volume and short non-outage bursts
    (news, bots) of up to about twice the background.
``outage excess``
    while region ``r`` is in an outage window, ``users_r / 1e6 x outage_rate x severity x
    reliance_r x activity_r(t) x novelty(t - start)``: the affected *active* users report, more
    so where they rely on the service; ``novelty`` decays from 1 towards ``novelty_floor`` so
    that a long outage's reports peak early and settle. This intensity is convolved with a
    reporting kernel: a user notices the problem after a gamma-distributed delay (mean
    ``delay``, shape ``delay_shape``), then reports after a further exponential lag (mean
    ``decay``), optionally after a fixed ``dead_time``; so reports rise within minutes of the
    onset, and keep coming for tens of minutes after recovery.
``counts``
    each minute is negative binomial with mean ``mu`` and size ``dispersion`` (variance
    ``mu + mu**2 / dispersion``), and minutes are summed into bins of ``freq``.
``collection``
    bins go missing at random and whole collection gaps of hours are cut out; gaps stay gaps.
``rival``
    sign-ups of a rival service (``telegram``) follow the same activity, and jump during the
    outage in proportion to the affected active users and their reliance.

Randomness comes only from ``seed``: each region draws from its own stream, derived from the
seed and its code, so a region's series does not depend on which other regions are simulated.
"""

from analysis.simulate.generate import Simulation, region_inputs, reporting_kernel, simulate
from analysis.simulate.scenario import (
    DEFAULT_RELIANCE,
    Collection,
    Gap,
    Noise,
    Outage,
    Reporting,
    Rival,
    Scenario,
)

__all__ = [
    "DEFAULT_RELIANCE",
    "Collection",
    "Gap",
    "Noise",
    "Outage",
    "Reporting",
    "Rival",
    "Scenario",
    "Simulation",
    "region_inputs",
    "reporting_kernel",
    "simulate",
]
