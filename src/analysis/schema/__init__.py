"""The report frame: the one canonical input of every analysis step.

A report frame is a long :class:`pandas.DataFrame`, one row per region and time bin:

========  ==========================  ==================================================
column    dtype                       meaning
========  ==========================  ==================================================
time      ``datetime64[*, UTC]``      start of the bin (UTC); bins regular per region
region    ``str``                     ISO 3166-1 alpha-3 code, or ``WLD`` (worldwide)
reports   ``int64`` (>= 0)            problem reports received in the bin (the signal's
                                      value for kinds ``level`` and ``index``: ``float64``)
service   ``str`` (optional)          e.g. ``whatsapp``; absent means one service
kind      ``str`` (optional)          what the series measures (:data:`KINDS`); absent
                                      means ``reports``
========  ==========================  ==================================================

Signal kinds: ``reports`` (problem reports, tweets: an outage is a rise), ``level``
(traffic, reachability, usage: an outage is a drop; values need not be whole) and ``index``
(a relative index such as a Google-Trends export, rescaled in every export: only ratios
mean anything). A series has one kind.

:func:`validate_reports` checks a frame against this contract and returns it sorted by
(``service``, ``region``, ``time``), or raises :class:`ReportDataError` naming the source,
the column and the first offending rows. Nothing is dropped or altered silently: missing
bins stay missing (a gap is not a zero) and extra columns are kept as they are.

Its parts: :mod:`~analysis.schema.errors` (the error and its row descriptions),
:mod:`~analysis.schema.parse` (timestamps and counts from text),
:mod:`~analysis.schema.series` (a valid frame's series, bin widths and their words) and
:mod:`~analysis.schema.validate` (the contract's checks).
"""

from analysis.schema.errors import MAX_SHOWN, ReportDataError, raise_rows, suggest
from analysis.schema.parse import parse_counts, parse_times
from analysis.schema.series import (
    bin_widths,
    group_keys,
    hours_minutes,
    iter_series,
    series_kinds,
    width_text,
)
from analysis.schema.validate import (
    KINDS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    describe_reports,
    validate_reports,
)

#: The level of every interval the package gives (detection, baseline band, impact, market
#: comparison) unless a call asks for another.
LEVEL = 0.9

__all__ = [
    "KINDS",
    "LEVEL",
    "MAX_SHOWN",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ReportDataError",
    "bin_widths",
    "describe_reports",
    "group_keys",
    "hours_minutes",
    "iter_series",
    "parse_counts",
    "parse_times",
    "raise_rows",
    "series_kinds",
    "suggest",
    "validate_reports",
    "width_text",
]
