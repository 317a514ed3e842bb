"""outage-reliance: measure outages of services that billions depend on.

Load (or simulate) crowd problem-report series, estimate when an outage started and ended,
its regional impact, and how reliance differs between markets. The public API follows the
data flow: :func:`load_reports` / :func:`validate_reports` give the report frame that every
later step takes.

One API style throughout:

* arguments: the data first (a report frame, or a table one step made from it), then
  reference tables (countries, users), then options, keyword-only (a setting every call
  needs, such as :func:`resample_reports`' bin width or :func:`simulate`'s seed, may come
  positionally);
* intervals at :data:`LEVEL` (0.9) unless ``level=`` asks for another;
* times are UTC, durations ``Timedelta``;
* summaries are frozen dataclasses with ``to_frame()`` and a readable ``str()``;
* options that two functions share have one name and one default (the detectors'
  ``window``, ``min_ratio``, ``min_excess``, ``z`` and ``merge_gap``);
* each public function validates its input once, at the boundary, and raises
  :class:`ReportDataError` naming the file, column and rows of bad input;
  :class:`~analysis.study.Study` validates its frame once and hands the checked frame to
  each step (``check_input=False``), each step computed once.

Examples
--------
>>> import analysis
>>> sorted(analysis.FORMATS)
['csv', 'ioda', 'parquet', 'trends', 'wide']
"""

from analysis import scenarios
from analysis.baseline import expected_reports
from analysis.countries import iso3_codes, to_iso3
from analysis.detect import changepoint_outages, estimate_outages, threshold_outages
from analysis.impact import CostModel, WorldImpact, regional_impact, summarize_impact
from analysis.io import FORMATS, load_countries, load_events, load_reports, sniff_format
from analysis.logs import aggregate_reports, read_log, write_log
from analysis.reliance import MarketComparison, compare_markets, compare_metrics
from analysis.schema import LEVEL, ReportDataError, bin_widths, describe_reports, validate_reports
from analysis.scoring import ScoreSummary, score_methods, score_outages, summarize_scores
from analysis.simulate import (
    Collection,
    Gap,
    Noise,
    Outage,
    Reporting,
    Rival,
    Scenario,
    Simulation,
    simulate,
)
from analysis.transform import aggregate_regions, fill_gaps, resample_reports

__all__ = [
    "FORMATS",
    "LEVEL",
    "Collection",
    "CostModel",
    "Gap",
    "MarketComparison",
    "Noise",
    "Outage",
    "ReportDataError",
    "Reporting",
    "Rival",
    "Scenario",
    "ScoreSummary",
    "Simulation",
    "WorldImpact",
    "aggregate_regions",
    "aggregate_reports",
    "bin_widths",
    "changepoint_outages",
    "compare_markets",
    "compare_metrics",
    "describe_reports",
    "estimate_outages",
    "expected_reports",
    "fill_gaps",
    "iso3_codes",
    "load_countries",
    "load_events",
    "load_reports",
    "read_log",
    "regional_impact",
    "resample_reports",
    "scenarios",
    "score_methods",
    "score_outages",
    "simulate",
    "sniff_format",
    "summarize_impact",
    "summarize_scores",
    "threshold_outages",
    "to_iso3",
    "validate_reports",
    "write_log",
]
__version__ = "0.1.0"
