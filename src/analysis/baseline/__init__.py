"""The expected number of reports per region and bin, with a prediction band.

Method (per series, i.e. per service and region):

1. The series is laid on its regular grid (missing bins stay missing) and smoothed with a
   centred moving average over ``smooth`` (1 hour by default), or over a longer window that
   holds about 10 reports on average where counts are sparse (small countries), ignoring
   missing bins.
2. The grid is cut into local days (the country's reference time zone, so daylight-saving
   changes are followed). For each local time of day, the expected rate is a *trimmed mean*
   across days of the same kind (weekday or weekend): the highest and lowest ``trim`` share
   of days (at least one each from three days up) are dropped, so one or two earlier
   outages, bursts or gaps in the history do not move the baseline.
   Each day is then scaled by its own level (the median over the day of the smoothed rate
   over the profile), which follows day-to-day and slow drifts in volume; an outage covering
   less than half of a day does not move it. A day whose level shifts for good within it
   (the days either side differ by 30% or more, its own level lies between theirs, and the
   medians either side of the day's best split match them within 5%) takes each side's
   level from its split: one level would leave the hours on the minority side standing out
   like an outage until the day ends. The level is kept within :data:`LEVEL_RANGE` (0.2-5),
   and rows whose level was clipped are flagged ``level_clipped``. Sparse series get no
   level.
3. With fewer than ``min_days`` days of history (down to one day; days observed at the
   median time of day, so that a stray bin does not count as a day), the baseline is instead a
   centred rolling median over ``fallback_window`` (12 hours) of the smoothed rate, which an
   outage shorter than half that window does not move, kept within the range of the days'
   rates at the same time of day where two days are seen (the median alone lies below a
   daily peak and above a trough); such rows are flagged ``weak_baseline``. Where a day kind
   has too few days, all days are pooled, except that a kind seen on two days (one weekend)
   takes a profile from those two days where they show a shape of their own: both lie beyond
   every day of the other kind over 30% of the day or more (a weekend that wakes later).
4. Counts around the expected rate are taken as negative binomial; its size (dispersion) is
   estimated per series by the method of moments from the residuals of bins whose smoothed
   rate is not anomalous and whose expected count is 2 or more (sparse series: Poisson), and
   the band is its central ``level`` interval.

Assumptions: the daily pattern repeats (up to a day-kind effect and a daily level) and
outages cover a minority of the days at any time of day and less than half of any day.

The steps live in one module each: :mod:`~analysis.baseline.series` builds one series'
baseline, :mod:`~analysis.baseline.profile` its profile of the day (steps 2-3),
:mod:`~analysis.baseline.shifts` a level that shifts within a day, and
:mod:`~analysis.baseline.frames` runs them over a report frame.
"""

from analysis.baseline.frames import (
    EXPECTED_COLUMNS,
    WIDTHS,
    check_width,
    expected_reports,
    fitted_baselines,
    region_zone,
    series_baselines,
    weak_baseline_note,
)
from analysis.baseline.profile import LEVEL_RANGE
from analysis.baseline.series import PROFILE_DAYS, SeriesBaseline, series_baseline

__all__ = [
    "EXPECTED_COLUMNS",
    "LEVEL_RANGE",
    "PROFILE_DAYS",
    "WIDTHS",
    "SeriesBaseline",
    "check_width",
    "expected_reports",
    "fitted_baselines",
    "region_zone",
    "series_baseline",
    "series_baselines",
    "weak_baseline_note",
]
