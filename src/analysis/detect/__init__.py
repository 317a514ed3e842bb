"""Outage windows from report series: when the outage people experienced started and ended.

Crowd reports are a distorted echo of an outage: they lag its start, keep coming after it
ends, follow the local day and are sparse in small countries. :func:`estimate_outages` models
that reporting process instead of thresholding the reports themselves:

1. **Baseline.** Expected reports per bin (:mod:`analysis.baseline`), with a negative-binomial
   dispersion ``k`` per series.
2. **Candidates.** Bins whose 15-minute report total exceeds ``min_ratio`` times the expected
   total, by at least ``min_excess`` reports and ``z`` standard deviations, are flagged;
   flagged stretches closer than ``merge_gap`` are merged. (Alone, this is the tracker-style
   detector :func:`threshold_outages`.) Where a series has 4 days of history or more, a
   cheap screen calibrated on that history (:mod:`analysis.detect.screen`) drops stretches
   no more unusual than the series' bursts of most days, before any likelihood fit, and
   adds stretches where many regions' reports stay up at once although each alone is weak.
3. **Reporting model.** Around each candidate, per minute ``u``::

       mu(u) = baseline(u) + A * (x * kernel)(u)
       x(u)  = activity(u) * [start <= u < end] * (f + (1 - f) * exp(-(u - start) / eta))

   ``activity`` is the baseline's own shape (how many users are active), ``f`` and ``eta``
   let a long outage's reports settle after an early peak (novelty; ``f >= 0.15``: while an
   outage lasts, people keep reporting at 15% or more of the onset rate, which is what tells
   a long outage from a short one with a slow report tail), and the kernel is the
   distribution of the lag from experiencing the outage to reporting it: an exponential
   noticing delay (mean ``delay``) followed by an exponential reporting lag (mean
   ``decay``). The minutes are summed into the series' bins and the counts are negative
   binomial with the baseline's ``k``. ``start``, ``end`` (continuous, in minutes), ``delay``,
   ``decay``, ``f`` and ``eta`` are estimated by maximum likelihood (Nelder-Mead) with ``A``
   profiled out (Newton); nothing is taken from the simulator's settings. The likelihood and
   its search run compiled (numba, :mod:`analysis.detect.compiled`): the kernel's convolution
   is an exact recursion, so one evaluation costs microseconds.
4. **Pooling.** Candidates that overlap in time across regions form one event; a pooled fit
   shares ``start``, ``end`` and the kernel across the regions with the most excess, each
   with its own amplitude, giving a worldwide estimate (``region = 'WLD'``,
   ``estimate = 'pooled'``). Regions too sparse for a fit of their own borrow the pooled window
   where their rise over it is a discovery among the event's regions, against the model and
   against the series' own history (:func:`analysis.detect.pooling.borrowers`;
   ``estimate = 'pooled'``);
   regions with enough excess get their own fit (``estimate = 'region'``), whose start is
   then shrunk towards the pooled start by empirical Bayes (an outage starts nearly at once
   everywhere; a region with precise data keeps its own start).
5. **Uncertainty.** Intervals at ``level`` come from the observed information (the numerical
   Hessian of the profile log-likelihood, including the kernel's parameters), inflated by the
   square root of the Pearson chi-square per degree of freedom where the model fits worse
   than its noise model says (quasi-likelihood), combined with a model-error term (minutes
   for a start, a share of the fitted mean reporting lag for an end: ``MODEL_ERROR_START``
   and ``MODEL_ERROR_END`` in :mod:`analysis.detect.intervals`, calibrated on reporting
   processes unlike the model's, the development families of ``benchmarks/stress.py``):
   estimate +- z * standard error, with a floor of a bin's ``width / sqrt(12)`` (a uniform
   position within a bin). The reporting kernel's *family* is uncertain too: a peaked
   noticing delay (gamma, shape 3: few reports in the first minutes) fits the same reports
   with an earlier start; the event is refitted under it and the intervals stretch to cover
   both fits. A region's start shrunk towards the pooled start keeps the pooled start's
   uncertainty. Where the fitted reports lag long, the event is also refitted with reports
   that lag little and fade, and with a partial recovery before the end: over the window's
   last stretch the exposure counts ``partial_severity`` of itself, the service back for
   some (:func:`analysis.detect.intervals.partial_refit`; kept where the stretch lasts 30
   minutes or more, at a fifth of the level or more, with flat reports). A clearly likelier
   refit replaces the fit (its ``partial_from`` says from when the service was partly
   back); the other readings stretch the intervals.

A window is kept when it lasts at least 2 minutes and its likelihood-ratio
statistic against the baseline alone, divided by a robust overdispersion (the median squared
Pearson residual over its expectation, which unrelated bursts in the fitting range do not
move), exceeds
``min_lr`` (150 when its excess is under a quarter of the region's normal daily reports,
the size of a burst of news or bots, unless the screen's pooling found it). Regions that
borrow the pooled window get intervals widened by the scatter of the own-fit regions' starts
and ends around it. An event seen in fewer than ``min_regions`` regions (2 by default) is
dropped where the service has 3 series or more: a rise in one region while the others show
nothing is mostly a burst of news or bots. A region with no outage has no row.

Assumptions and limits: the reporting lag has no dead time that is unrelated to the outage (a
fixed lag before any report cannot be told apart from a later start); the outage's effect is
proportional to active users; the baseline holds during the window.
"""

from analysis.detect.estimate import WINDOW_COLUMNS, estimate_outages
from analysis.detect.peers import changepoint_outages, threshold_outages

__all__ = ["WINDOW_COLUMNS", "changepoint_outages", "estimate_outages", "threshold_outages"]
