"""Baselines over a report frame: every series' baseline, the expected-reports columns with
their band, the bin widths accepted and the weak-baseline caveat."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
import pandas as pd

from analysis.baseline.profile import DAY
from analysis.baseline.series import PROFILE_DAYS, SeriesBaseline, series_baseline
from analysis.schema import LEVEL, ReportDataError, iter_series, validate_reports, width_text


@cache
def _zones() -> dict[str, str]:
    from analysis.io import load_countries

    countries = load_countries()
    return dict(zip(countries["iso3"], countries["timezone"], strict=True))


def region_zone(region: str) -> str:
    """The reference IANA zone of a region (``UTC`` for ``WLD`` and unknown regions)."""
    return _zones().get(region, "UTC")


#: Columns :func:`expected_reports` adds to the report frame.
EXPECTED_COLUMNS = ("expected", "lower", "upper", "history_days", "weak_baseline", "level_clipped")


def expected_reports(
    reports: pd.DataFrame,
    *,
    level: float = LEVEL,
    smooth: str | pd.Timedelta = "1h",
    trim: float = 0.2,
    min_days: int = PROFILE_DAYS,
    fallback_window: str | pd.Timedelta = "12h",
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    check_input: bool = True,
) -> pd.DataFrame:
    """Expected reports per region and bin, with a prediction band.

    See :mod:`analysis.baseline` for the method: a time-of-day x day-kind (local weekday or
    weekend) profile from a trimmed mean over the history, robust to earlier outages; with
    less than ``min_days`` days of history, a rolling median, flagged ``weak_baseline``.

    Parameters
    ----------
    reports : DataFrame
        A report frame (validated here).
    level : float
        Coverage of the prediction band, in (0, 1).
    smooth : str or Timedelta
        Width of the moving average applied before profiling (default 1 hour).
    trim : float
        Share of days dropped at each end of the trimmed mean, in [0, 0.5).
    min_days : int
        Fewest days of history for the time-of-day profile.
    fallback_window : str or Timedelta
        Rolling-median window when history is short.
    baselines : mapping, optional
        The series' baselines, fitted once (:func:`series_baselines`) and handed along;
        ``smooth``, ``trim``, ``min_days`` and ``fallback_window`` are then those they
        were fitted with.
    check_input : bool
        Validate ``reports`` (:func:`~analysis.validate_reports`). ``False`` skips it, for
        a frame that has just been validated, as :class:`~analysis.study.Study` hands its
        own to each step (as scikit-learn's ``check_input``); a frame that is not valid then
        gives wrong results or obscure errors.

    Returns
    -------
    DataFrame
        The rows of ``reports`` (``time, region[, service], reports``) with ``expected``
        (float, reports per bin), ``lower`` and ``upper`` (the band), ``history_days``,
        ``weak_baseline`` and ``level_clipped`` (the day's level was clipped to
        :data:`LEVEL_RANGE`, so ``expected`` is not that day's own).

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.quiet(days=7, regions=("BRA",), freq="15min"), seed=1)
    >>> base = expected_reports(sim.reports)
    >>> float((base["reports"].sum() / base["expected"].sum()).round(1))
    1.0
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim}")
    reports = validate_reports(reports) if check_input else reports
    bases = fitted_baselines(
        reports, baselines, smooth=smooth, trim=trim, min_days=min_days,
        fallback_window=fallback_window,
    )  # fmt: skip
    parts = []
    for key, series, width in iter_series(reports):
        base = bases[key]
        at = ((series["time"] - base.times[0]) // width).to_numpy()
        lower, upper = base.band(level)
        parts.append(
            series.assign(
                expected=base.expected[at],
                lower=lower[at],
                upper=upper[at],
                history_days=base.history_days,
                weak_baseline=base.weak,
                level_clipped=False if base.level_clipped is None else base.level_clipped[at],
            )
        )
    return pd.concat(parts, ignore_index=True)


#: Finest and coarsest bin widths the baseline and the estimators accept.
WIDTHS = (pd.Timedelta("10s"), DAY)


def check_width(width: pd.Timedelta, key: tuple, source: str = "<DataFrame>") -> None:
    """Refuse a bin width the baseline cannot use, with a :class:`ReportDataError` naming
    the source, the series and the width: a single bin (no width), widths outside
    :data:`WIDTHS` (10 seconds to 1 day), and widths that do not divide a day (the baseline
    follows the time of day).

    Examples
    --------
    >>> try:
    ...     check_width(pd.Timedelta("7min"), ("BRA",), "reports.csv")
    ... except ReportDataError as err:
    ...     print(str(err)[:60])
    reports.csv: column 'time': series BRA: bins of 7 min do not
    """
    name = "/".join(key)
    if pd.isna(width):
        raise ReportDataError(source, f"series {name} has a single bin: no baseline can be "
                              "built", column="time")  # fmt: skip
    low, high = WIDTHS
    shown = width_text(width)
    if width < low or width > high:
        raise ReportDataError(
            source,
            f"series {name}: bins of {shown} are outside the {width_text(low)} to "
            f"{width_text(high)} that the analysis handles; resample them "
            "(resample_reports) to a width in that range",
            column="time",
        )
    if DAY % width:
        raise ReportDataError(
            source,
            f"series {name}: bins of {shown} do not divide a day; resample them to a width "
            "that does (e.g. resample_reports(reports, '5min') or '10min')",
            column="time",
        )


def _share(series: pd.DataFrame, key: tuple, source: str) -> np.ndarray | None:
    """The series' ``observed_share`` column, checked to lie in (0, 1], or None."""
    if "observed_share" not in series.columns:
        return None
    share = pd.to_numeric(series["observed_share"], errors="coerce").to_numpy(float)
    bad = ~((share > 0) & (share <= 1))
    if bad.any():
        raise ReportDataError(
            source,
            f"series {'/'.join(key)}: observed_share must be in (0, 1] "
            f"(first bad value {series['observed_share'].iloc[np.argmax(bad)]!r})",
            column="observed_share",
        )
    return share


def series_baselines(reports: pd.DataFrame, **options: object) -> dict[tuple, SeriesBaseline]:
    """:func:`series_baseline` of every series of a valid report frame, by series key.

    ``options`` are those of :func:`series_baseline`; each series' zone is its region's.

    Raises
    ------
    ReportDataError
        For a series with a single bin, or bins the baseline cannot use (see
        :func:`check_width`), naming the frame's source (``reports.attrs["source"]``).
    """
    out = {}
    source = reports.attrs.get("source", "<DataFrame>")
    for key, series, width in iter_series(reports):
        check_width(width, key, source)
        out[key] = series_baseline(
            series["time"], series["reports"].to_numpy(float), width,
            zone=region_zone(key[-1]), share=_share(series, key, source), **options,
        )  # fmt: skip
    return out


def fitted_baselines(
    reports: pd.DataFrame,
    baselines: Mapping[tuple, SeriesBaseline] | None = None,
    **options: object,
) -> dict[tuple, SeriesBaseline]:
    """The baselines of ``reports``' series: ``baselines`` where given (fitted once by
    :func:`series_baselines`, for instance by :class:`~analysis.study.Study`, and handed to
    each step), else fitted here with ``options`` (see :func:`series_baseline`).

    Raises
    ------
    ValueError
        If given ``baselines`` lack a series of ``reports``, or were fitted on another grid
        (first bin or bin width), so they belong to other data.

    Examples
    --------
    >>> from analysis import scenarios, simulate
    >>> sim = simulate(scenarios.quiet(days=4, regions=("BRA", "IND"), freq="1h"), seed=1)
    >>> once = series_baselines(sim.reports)
    >>> brazil = sim.reports[sim.reports["region"] == "BRA"]
    >>> fitted_baselines(brazil, once)[("whatsapp", "BRA")] is once[("whatsapp", "BRA")]
    True
    """
    if baselines is None:
        return series_baselines(reports, **options)
    out = {}
    for key, series, width in iter_series(reports):
        base = baselines.get(key)
        if base is None or base.width != width or base.times[0] != series["time"].min():
            why = "missing" if base is None else "on another grid"
            raise ValueError(f"the baselines given were not fitted to these reports: series "
                             f"{key} is {why}")  # fmt: skip
        out[key] = base
    return out


def weak_baseline_note(regions: Iterable[str], days: int | None = None) -> str:
    """The caveat of a weak baseline in words, one wording for the CLI and
    :meth:`~analysis.study.Study.notes`; ``days``: the days of data, where one region's.

    Examples
    --------
    >>> weak_baseline_note(["BRA", "MEX"]).split(":")[0]
    'Weak baseline in BRA, MEX'
    >>> weak_baseline_note(["BRA"], days=2)[:58]
    'Weak baseline in BRA: 2 day(s) of data, fewer than the 3 a'
    """
    history = (f"fewer than {PROFILE_DAYS} days of history" if days is None
               else f"{days} day(s) of data, fewer than the {PROFILE_DAYS} a profile of the "
               "day needs")  # fmt: skip
    return (f"Weak baseline in {', '.join(regions)}: {history}, so the expected signal is a "
            "rolling median over 12 hours: an outage longer than about 6 hours pulls it up, "
            "and the windows and excess there are rough.")  # fmt: skip
