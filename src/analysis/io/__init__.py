"""Reading and writing data files: the only subpackage of the package that touches files.

- :mod:`analysis.io.reports`: :func:`load_reports` reads report series in five formats
  (long CSV, Parquet, wide CSV, Google-Trends export, IODA JSON) into a validated frame;
- :mod:`analysis.io.reference`: the country table and the catalogue of real outages;
- :mod:`analysis.io.simulation`: a simulation written to a folder;
- :mod:`analysis.io.files`: what the loaders share (paths, encodings, CSV cells as text
  indexed by file line, required columns).

Every error is a :class:`~analysis.schema.ReportDataError` naming the file and, where it
applies, the column and the first offending lines.
"""

from analysis.io.files import read_small_table
from analysis.io.reference import (
    CONTINENTS,
    COUNTRY_COLUMNS,
    EVENT_COLUMNS,
    INCOME_GROUPS,
    MARKETS,
    countries_by_iso3,
    load_countries,
    load_events,
    reference_dir,
)
from analysis.io.reports import FORMAT_KINDS, FORMATS, load_reports, sniff_format
from analysis.io.simulation import write_simulation

__all__ = [
    "CONTINENTS",
    "COUNTRY_COLUMNS",
    "EVENT_COLUMNS",
    "FORMATS",
    "FORMAT_KINDS",
    "INCOME_GROUPS",
    "MARKETS",
    "countries_by_iso3",
    "load_countries",
    "load_events",
    "load_reports",
    "read_small_table",
    "reference_dir",
    "sniff_format",
    "write_simulation",
]
