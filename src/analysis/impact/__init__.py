"""Regional impact of an outage: who was hurt, how much, and at what cost.

:func:`regional_impact` turns a report frame and its outage windows (from
:func:`~analysis.estimate_outages`, or a simulation's truth) into one tidy row per region;
:func:`summarize_impact` adds the rows up into a worldwide summary. Method, per region:

1. **Excess reports.** Observed minus expected reports (the baseline of
   :mod:`analysis.baseline`) over every bin that overlaps the outage window or its report tail
   (``delay + 5 decay`` of the fitted reporting kernel where the windows carry it,
   else ``tail``). Missing bins get the excess ratio of the observed
   bins on either side (``imputed_excess``) and are counted (``missing_bins``). Its interval
   at ``level`` combines (normal approximation) the spread of the same sum over the same
   clock hours on the other days of the history (the root mean square of observed minus
   expected there: baseline error and noise, bursts included; with fewer than three such
   days, the negative binomial's variance instead) with the negative-binomial variance of the
   excess counts themselves, and with the window's own uncertainty
   (``excess_se_window``: how far the excess moves as the start and the end each cross
   their interval, where the windows carry intervals).
2. **Per user.** Users of the service come from :func:`~analysis.users.service_users`
   (internet users x penetration: published where found, else assumed by market; optional
   scaling to a known world total). ``excess_per_million_users`` is the naive figure.
   Per-user figures and ratios carry intervals that combine the excess's with the
   denominator's: the users' plausible range (read as an interval at ``level``) and, for
   figures divided by the window's length (``reliance_index``, ``excess_ratio``), the
   duration's interval; on the log scale where the excess is clearly above 0.
3. **Awake and active.** Local time in each region's reference zone gives the share of
   people awake during the window (:func:`~analysis.activity.awake_share`) and the users'
   relative activity (:func:`~analysis.activity.activity`, 1 = a weekday's average).
   ``excess_per_million_awake`` divides by the users awake; ``reliance_index`` by the
   *active user-hours* cut off (users x mean activity x hours), so an outage at 3 a.m. and
   one at 9 p.m. are measured on the same footing: this is the activity-adjusted figure.
   Where the windows carry the reporting novelty (``novelty_floor``,
   ``novelty_decay``, as :func:`~analysis.estimate_outages` fits them: a long outage's
   reports settle after an early peak), each minute's activity is weighted by it, so that
   a region whose users wake up late in the window is not read as less reliant
   (``mean_activity`` is then novelty-weighted too).
   ``excess_ratio`` divides the excess (window and report tail: the lagged reports belong
   to the outage) by the reports normally expected during the window (its exposure: how
   much reporting the window's length and hour would bring); counting the tail's normal
   reports as well would make the ratio shrink with the tail chosen. It needs neither user
   counts nor activity profiles (only that the usual reporting volume tracks the user base
   in each region).
4. **Users and hours: the outage's reach, not who was hit.** ``users`` are the region's
   service users (``users_low``..``users_high`` the plausible range); ``awake_users`` those
   awake on average; ``user_hours_exposed`` the awake user-hours in the window, from
   ``users_low`` over the window's shortest reading (``start_high``..``end_low``) to
   ``users_high`` over its longest (``start_low``..``end_high``). Reports do not say what
   share of a region's users lost the service (a partial outage and a lower reliance look
   alike), so these count everyone there: an upper bound on the harm.
5. **Rival.** Where the frame also holds a rival service's series (``telegram`` sign-ups),
   its excess over ``rival_tail`` after the start and the uplift relative to its expected
   count (``rival_uplift``: 0.5 = 50% more sign-ups than usual).
6. **Cost (an estimate, not a measurement).** In the style of published shutdown-cost
   tools (West 2016, Brookings; NetBlocks COST), ``cost_usd_exposed`` = a day's national
   income x the internet economy's share of it x the share of that depending on the
   service x the share of the day's waking hours in the window, as if every user there was
   cut off; see :class:`CostModel` for every figure, its source and its range
   (``cost_usd_exposed_low``..``cost_usd_exposed_high``).

Only problem-report counts (``kind`` ``reports``) count people. A **level** (traffic,
reachability: an outage is a drop) gets the share of its normal signal lost over the window
(``depth``: minus the excess over the expected signal, with the excess's interval) and that
share times the duration (``lost_share_hours``, from the shortest to the longest reading of
the window for its interval); an **index** (Google Trends, rescaled in every export) gets
its ratio to its own baseline only (``excess_ratio``). Their users, per-user figures,
user-hours and costs are left missing and ``omitted`` says so, rather than reading a signal
as counts of people.

Reference values that are missing (a country outside the table, an unknown GNI) leave the
figures that need them missing and are named in ``missing_reference``; no region is dropped.
"""

from analysis.impact.people import AWAKE_HOURS_PER_DAY, CostModel
from analysis.impact.regional import (
    HEADLINE_COLUMNS,
    IMPACT_COLUMNS,
    OMITTED,
    one_per_region,
    regional_impact,
    resolve_services,
    service_reports,
)
from analysis.impact.world import WorldImpact, summarize_impact

__all__ = [
    "AWAKE_HOURS_PER_DAY",
    "HEADLINE_COLUMNS",
    "IMPACT_COLUMNS",
    "OMITTED",
    "CostModel",
    "WorldImpact",
    "one_per_region",
    "regional_impact",
    "resolve_services",
    "service_reports",
    "summarize_impact",
]
