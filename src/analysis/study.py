"""One report frame analysed along the data flow, each product computed once.

:class:`Study` holds a report frame (a user's file, any signal kind, or a simulation) and
computes, when first asked and then kept: the baselines, the expected signal, the outage
windows, the regional impact, the worldwide summary and the comparison of markets. The
baselines are fitted once and handed to each later step (``baselines=``), so no step fits
them again, and the country table is read once. :meth:`Study.notes` says in words what was
found and what is weak or left out, for a notebook or a report: the weak baselines, the
figures a signal kind cannot give. A study can be saved (:meth:`Study.save`) and read back
(:meth:`Study.load`) with what it has computed, so that several notebooks share one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.baseline import (
    SeriesBaseline,
    expected_reports,
    series_baselines,
    weak_baseline_note,
)
from analysis.detect import estimate_outages
from analysis.impact import (
    IMPACT_COLUMNS,
    OMITTED,
    WorldImpact,
    one_per_region,
    regional_impact,
    service_reports,
    summarize_impact,
)
from analysis.io import load_countries, load_reports
from analysis.reliance import MarketComparison, compare_markets
from analysis.schema import LEVEL, hours_minutes, series_kinds, validate_reports, width_text

__all__ = [
    "SIGNALS",
    "Study",
    "depth_text",
    "hours_minutes",
    "open_study",
    "partial_text",
    "ranges_text",
]

#: What each signal kind measures, for titles and axes.
SIGNALS = {"reports": "Problem reports", "level": "Signal level", "index": "Index"}
_MINUTE = pd.Timedelta("1min")
#: A study's products, in the order of the data flow (for its repr).
_PRODUCTS = ("bases", "expected", "measured", "windows", "impact", "world", "one", "_comparisons")
_ARTICLE = {"level": "a", "index": "an"}


@dataclass(frozen=True, eq=False)
class Study:
    """A report frame and the products of each step of the analysis (computed once).

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here), any signal kind, with all its services.
    level : float
        Level of every interval.
    source : str
        Where the reports came from (a file name), for the notes.
    caption : str
        What the study's figures say under their title, inside the image: '' for the
        user's data; for an example file or a simulation, that its data are simulated
        (:func:`open_study`).
    min_regions : int
        Regions an outage must be seen in where there are 3 series or more (see
        :func:`~analysis.estimate_outages`; 1 keeps a rise in one region alone).
    service, rival : str, optional
        The service whose outages are estimated (default: the frame's only one, or the one
        that is not ``rival``) and the rival whose sign-ups are measured, if present (see
        :func:`~analysis.impact.resolve_services`).
    users_total : float, optional
        Worldwide users to scale the countries' users to (see
        :func:`~analysis.regional_impact`); ``None`` keeps each country's own.
    seed : int
        Seed of the market comparisons' resampling.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.examples import write_examples
    >>> study = Study.from_file(write_examples(tempfile.mkdtemp())["ioda_drop.json"])
    >>> study.windows[["region", "kind"]].values.tolist()
    [['BRA', 'level']]
    >>> study.impact["depth"].round(1).tolist()
    [0.6]
    """

    reports: pd.DataFrame
    level: float = LEVEL
    source: str = "<DataFrame>"
    caption: str = ""
    min_regions: int = 2
    service: str | None = None
    rival: str | None = "telegram"
    users_total: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "reports", validate_reports(self.reports))

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        format: str = "auto",
        tz: str | None = None,
        kind: str | None = None,
        caption: str = "",
        **options: object,
    ) -> Study:
        """A study of the file at ``path`` (read by :func:`~analysis.load_reports` with its
        ``format``, the zone ``tz`` of naive times, and the signal ``kind``); ``options``
        are the study's (``level``, ``min_regions``, ``service``, ...)."""
        reports = load_reports(path, format, tz=tz, kind=kind)
        return cls(reports, source=Path(path).name, caption=caption, **options)  # type: ignore[arg-type]

    @cached_property
    def bases(self) -> dict[tuple, SeriesBaseline]:
        """The baseline of each series (:func:`~analysis.baseline.series_baselines`)."""
        return series_baselines(self.reports)

    @property
    def truth(self) -> pd.DataFrame | None:
        """The true windows where the data were simulated; ``None`` for real data."""
        return None

    @cached_property
    def countries(self) -> pd.DataFrame:
        """The country table (:func:`~analysis.load_countries`), read once."""
        return load_countries()

    @cached_property
    def expected(self) -> pd.DataFrame:
        """:func:`~analysis.expected_reports` of every series at the study's level."""
        return expected_reports(self.reports, level=self.level, baselines=self.bases,
                                check_input=False)  # fmt: skip

    @cached_property
    def measured(self) -> pd.DataFrame:
        """The series of the service whose outages are estimated
        (:func:`~analysis.impact.service_reports`)."""
        main = service_reports(self.reports, self.service, self.rival)[0]
        return main.reset_index(drop=True)  # as validated: sorted, indexed from 0

    @cached_property
    def windows(self) -> pd.DataFrame:
        """:func:`~analysis.estimate_outages` of :attr:`measured` at the study's level and
        ``min_regions``."""
        return estimate_outages(self.measured, level=self.level, min_regions=self.min_regions,
                                baselines=self.bases, check_input=False)  # fmt: skip

    @cached_property
    def impact(self) -> pd.DataFrame:
        """:func:`~analysis.regional_impact` of the windows (no rows without a window)."""
        regional = self.windows[self.windows["region"] != "WLD"]
        if regional.empty:
            empty = pd.DataFrame(columns=IMPACT_COLUMNS)
            return empty.astype({"region": "str", "start": self.windows["start"].dtype})
        # the service: the study's, else that of the windows (found in :attr:`measured`)
        return regional_impact(self.reports, self.windows, self.countries, service=self.service,
                               rival=self.rival, users_total=self.users_total,
                               level=self.level, baselines=self.bases,
                               check_input=False)  # fmt: skip

    @cached_property
    def world(self) -> WorldImpact:
        """:func:`~analysis.summarize_impact`: the worldwide window and totals."""
        return summarize_impact(self.impact, self.windows)

    @cached_property
    def one(self) -> pd.DataFrame:
        """:func:`~analysis.impact.one_per_region` of the impact: the largest window of
        each region, as the market comparisons take them."""
        return one_per_region(self.impact)

    def compare(self, metric: str = "reliance_index") -> MarketComparison:
        """:func:`~analysis.compare_markets` of :attr:`one` on ``metric`` at the study's
        level and seed, computed once per metric."""
        done = self.__dict__.setdefault("_comparisons", {})
        if metric not in done:
            done[metric] = compare_markets(self.one, self.countries, metric=metric,
                                           level=self.level, seed=self.seed)  # fmt: skip
        return done[metric]

    def compare_metrics(self, metrics: Sequence[str]) -> pd.DataFrame:
        """:meth:`compare` of each metric side by side, one row each (as
        :func:`~analysis.compare_metrics` gives them)."""
        return pd.DataFrame([self.compare(m).markets.iloc[0].rename(m) for m in metrics])

    def compute(self) -> Study:
        """Compute every product now (expected, windows, impact, world, one window per
        region) rather than when first asked, and return the study: before saving it for
        others to share, or to time the analysis apart from what draws it."""
        self.expected, self.world, self.one  # noqa: B018 (each computed once, then kept)
        return self

    def save(self, path: str | Path) -> Path:
        """Write the study with every product computed so far (a pickle, to be read back
        by :meth:`load` with the same version of the package); return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.to_pickle({"version": _version(), "study": self}, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Study:
        """A study that :meth:`save` wrote (only open files that this package wrote: a
        pickle runs code as it is read).

        Raises
        ------
        ValueError
            If the file holds no study of this class, or was written by another version.
        """
        saved = pd.read_pickle(path)
        study = saved.get("study") if isinstance(saved, dict) else None
        if not isinstance(study, cls) or saved.get("version") != _version():
            raise ValueError(f"{path}: not a {cls.__name__} saved by analysis {_version()}")
        return study

    def __repr__(self) -> str:
        """The source, its size and the products computed so far (not the frames).

        Examples
        --------
        >>> t = pd.date_range("2017-05-03", periods=3, freq="h", tz="UTC")
        >>> Study(pd.DataFrame({"time": t, "region": "BRA", "reports": 1}))
        Study(<DataFrame>: 3 rows, level 0.9; computed: nothing yet)
        """
        done = ", ".join(name.lstrip("_") for name in _PRODUCTS if name in vars(self))
        return (f"{type(self).__name__}({self.source}: {len(self.reports):,} rows, level "
                f"{self.level:g}; computed: {done or 'nothing yet'})")  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """The windows found, one row per region and window, with their impact's key
        figures for the signal kind (NaN where the kind gives none)."""
        keep = ["region", "start", "excess_ratio", "excess_ratio_low", "excess_ratio_high",
                "lost_share_hours", "excess_reports", "reliance_index", "omitted"]  # fmt: skip
        return self.windows.merge(self.impact[keep], on=["region", "start"], how="left")

    def timeline(self, region: str | None = None) -> go.Figure:
        """The region's signal against its baseline band, with its windows (default: the
        region of the largest window, else the first region)."""
        from analysis.figures import label
        from analysis.plots import report_timeline

        region = region or self._main_region()
        kind = series_kinds(self.reports)[self._key(region)]
        fig = report_timeline(self.expected, self.windows, region=region, signal=SIGNALS[kind])
        return label(fig, self.caption)

    def notes(self) -> str:
        """What was found, in Markdown: the data, each window, weak baselines, and the
        figures left out for a signal kind."""
        lines = [self._data_line(), ""]
        regional = self.to_frame()
        regional = regional[regional["region"] != "WLD"].reset_index(drop=True)
        if regional.empty:
            lines.append("No outage found.")
        starts, ends = ranges_text(regional, "start"), ranges_text(regional, "end")
        for i, row in enumerate(regional.itertuples()):
            lines.append(f"- {_window_text(row, starts[i], ends[i], self.level)}")
        lines += ["", *self._weak_lines()]
        for kind in sorted(set(regional["kind"]) - {"reports"}):
            lines.append(f"Not estimated for {_ARTICLE[kind]} {kind}: {OMITTED[kind]}.")
        return "\n".join(lines).strip() + "\n"

    def _key(self, region: str) -> tuple:
        return next(k for k in self.bases if k[-1] == region)

    def _main_region(self) -> str:
        regional = self.windows[self.windows["region"] != "WLD"]
        if regional.empty:
            return next(iter(self.bases))[-1]
        size = regional["excess_reports"].abs().fillna(regional["duration"] / _MINUTE)
        return str(regional.loc[size.idxmax(), "region"])

    def _data_line(self) -> str:
        kinds = pd.Series(series_kinds(self.reports)).value_counts()
        widths = sorted({b.width for b in self.bases.values()})
        first = min(b.times[0] for b in self.bases.values())
        last = max(b.times[-1] + b.width for b in self.bases.values())
        listed = ", ".join(f"{kind}: {n}" for kind, n in kinds.items())
        return (f"**{self.source}**: {len(self.bases)} series ({listed}), bins of "
                f"{', '.join(width_text(w) for w in widths)}, from {first:%Y-%m-%d %H:%M} to "
                f"{last:%Y-%m-%d %H:%M} UTC.")  # fmt: skip

    def _weak_lines(self) -> list[str]:
        return [weak_baseline_note([key[-1]], b.history_days)
                for key, b in self.bases.items() if b.weak]  # fmt: skip


def _version() -> str:
    from analysis import __version__

    return __version__


def open_study(
    reports_path: str | Path | None = None,
    *,
    example: str = "ioda_drop.json",
    examples_dir: str | Path = "data/simulated/examples",
    format: str = "auto",
    tz: str | None = None,
    kind: str | None = None,
    level: float = LEVEL,
    min_regions: int = 2,
    service: str | None = None,
) -> Study:
    """A study of the user's file, or of one of the example files (written first).

    Parameters
    ----------
    reports_path : str or Path, optional
        A file in any format :func:`~analysis.load_reports` reads; ``None`` writes the
        example files (:func:`~analysis.examples.write_examples`) into ``examples_dir`` and
        reads ``example`` with its zone.
    example : str
        Which example (a key of :data:`~analysis.examples.EXAMPLES`).
    examples_dir : str or Path
        Where the examples are written.
    format, tz, kind
        How to read the user's file (see :func:`~analysis.load_reports`).
    level : float
        Level of every interval.
    min_regions : int
        Regions an outage must be seen in where there are 3 series or more (1 keeps a rise
        in one region alone).
    service : str, optional
        The service whose outages are estimated, where the file holds several.

    Examples
    --------
    >>> import tempfile
    >>> study = open_study(example="trends_hourly.csv", examples_dir=tempfile.mkdtemp())
    >>> study.source, study.windows["kind"].tolist()
    ('trends_hourly.csv', ['index'])
    >>> study.timeline().layout.title.text.endswith(
    ...     "<sup>Simulated example (trends_hourly.csv, analysis.examples seed 20170503), "
    ...     "not real data</sup>")
    True
    """
    if reports_path is not None:
        return Study.from_file(reports_path, format=format, tz=tz, kind=kind, level=level,
                               min_regions=min_regions, service=service)  # fmt: skip
    from analysis.examples import EXAMPLES, SEED, write_examples

    if example not in EXAMPLES:
        raise ValueError(f"example must be one of {sorted(EXAMPLES)}, got {example!r}")
    path = write_examples(examples_dir)[example]
    caption = f"Simulated example ({example}, analysis.examples seed {SEED}), not real data"
    return Study.from_file(path, level=level, min_regions=min_regions, caption=caption,
                           **EXAMPLES[example])  # fmt: skip


def _window_text(row: object, starts: str, ends: str, level: float) -> str:
    """One window in words: times, intervals and the kind's main figure."""
    span = f"{row.start:%Y-%m-%d %H:%M} to {row.end:%Y-%m-%d %H:%M} UTC"
    text = (f"**{row.region}** ({row.kind}): {span}, {hours_minutes(row.duration)} "
            f"({level:.0%} intervals: start {starts}, end {ends})")  # fmt: skip
    if row.kind == "level" and not np.isnan(row.depth):
        return f"{text}; {depth_text(row)} of the signal lost"
    if not np.isnan(row.excess_ratio):
        return (f"{text}; {row.excess_ratio:.3g} times the usual signal in excess "
                f"({row.excess_ratio_low:.3g}-{row.excess_ratio_high:.3g})")  # fmt: skip
    return text


def depth_text(row: object) -> str:
    """A drop's depth with its interval, in percent of the normal signal ("" for a rise).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> depth_text(SimpleNamespace(depth=0.6, depth_low=0.58, depth_high=0.61))
    '60% (58%-61%)'
    """
    if pd.isna(row.depth):
        return ""
    return f"{row.depth:.0%} ({row.depth_low:.0%}-{row.depth_high:.0%})"


def partial_text(row: object) -> str:
    """When the service came back partly before the window's end (UTC time of day, with
    the date where it falls on another day than the end) and the share of the outage's
    reports left from then ("" where it did not).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> end = pd.Timestamp("2023-04-09 19:14", tz="UTC")
    >>> partial_text(SimpleNamespace(end=end, partial_from=end - pd.Timedelta("97min"),
    ...                              partial_severity=0.311))
    '17:37 (31%)'
    >>> partial_text(SimpleNamespace(end=end, partial_from=pd.NaT, partial_severity=np.nan))
    ''
    """
    at = getattr(row, "partial_from", pd.NaT)
    if pd.isna(at):
        return ""
    fmt = "%H:%M" if at.floor("D") == row.end.floor("D") else "%Y-%m-%d %H:%M"
    return f"{at.strftime(fmt)} ({row.partial_severity:.0%})"


def ranges_text(windows: pd.DataFrame, what: str) -> pd.Series:
    """``low-high`` of ``what`` (``start`` or ``end``) as times of day, or with dates where
    the interval leaves the day of the estimate; a missing bound (the end of an outage still
    going on when the data end) is ``open``.

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:05", tz="UTC")
    >>> w = pd.DataFrame({"start": [t, t], "start_low": [t - pd.Timedelta("1D"), t],
    ...                   "start_high": [t + pd.Timedelta("5min"), pd.NaT]})
    >>> ranges_text(w, "start").tolist()
    ['2017-05-02 20:05-2017-05-03 20:10', '20:05-open']
    """
    low, high, centre = windows[f"{what}_low"], windows[f"{what}_high"], windows[what]
    day = centre.dt.floor("D")
    leaves = (low.dt.floor("D") != day) | (high.dt.floor("D").fillna(day) != day)
    fmt = np.where(leaves, "%Y-%m-%d %H:%M", "%H:%M")

    def text(x: pd.Timestamp, f: str) -> str:
        return "open" if pd.isna(x) else x.strftime(f)

    return pd.Series(
        [f"{text(lo, f)}-{text(hi, f)}" for lo, hi, f in zip(low, high, fmt, strict=True)],
        index=windows.index,
    )
