"""Peers of :func:`~analysis.detect.estimate_outages`, for comparison in benchmarks and notebooks.

- :func:`threshold_outages`: the tracker-style detector (reports far above the usual for the
  time of day);
- :func:`changepoint_outages`: change-point segmentation (ruptures) of the residual;
- :func:`history_rule_drops`: IODA's rule for signals that fall (below a fraction of the
  median of the history).

None gives intervals; the first two report the end of the report tail, not of the outage.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis.baseline import series_baselines
from analysis.detect.candidates import flag_candidates
from analysis.schema import group_keys, validate_reports

__all__ = [
    "changepoint_outages",
    "high_segments",
    "history_rule_drops",
    "series_columns",
    "threshold_outages",
]


def threshold_outages(
    reports: pd.DataFrame,
    *,
    window: str | pd.Timedelta = "15min",
    min_ratio: float = 3.0,
    min_excess: float = 20,
    z: float = 5.0,
    merge_gap: str | pd.Timedelta = "30min",
) -> pd.DataFrame:
    """Tracker-style detector: windows where reports far exceed the usual for the time of day.

    A bin is flagged when the total over the trailing ``window`` is at least ``min_ratio``
    times the expected total, and exceeds it by ``min_excess`` reports and by ``z``
    negative-binomial standard deviations; flagged stretches closer than ``merge_gap`` are
    merged. ``start`` is the first flagged window's start, ``end`` the end of the last flagged
    bin: the end of the *report tail*, not of the outage. A peer for comparison (and step 2 of
    :func:`estimate_outages`); it gives no uncertainty.

    Returns
    -------
    DataFrame
        ``region[, service], start, end, duration``.
    """
    reports = validate_reports(reports)
    rows = []
    for key, base in series_baselines(reports).items():
        for a, b in flag_candidates(
            base, window=pd.Timedelta(window), min_ratio=min_ratio, min_excess=min_excess,
            z=z, merge_gap=pd.Timedelta(merge_gap),
        ):  # fmt: skip
            start, end = base.times[a], base.times[b] + base.width
            rows.append({**series_columns(reports, key), "start": start, "end": end})
    columns = [*group_keys(reports), "start", "end"]
    out = pd.DataFrame(rows, columns=columns)
    out["duration"] = out["end"] - out["start"]
    return out


def changepoint_outages(
    reports: pd.DataFrame,
    *,
    penalty: float | None = None,
    min_size: int = 2,
    jump: int | None = None,
    threshold: float = 3.0,
) -> pd.DataFrame:
    """Change-point peer: binary segmentation (ruptures) of the variance-stabilised residual.

    Per series, ``r = sqrt(y + 3/8) - sqrt(expected + 3/8)`` (Anscombe) over observed bins,
    scaled by its negative-binomial standard deviation ``0.5 sqrt(1 + expected / k)``, is
    segmented by
    ``ruptures.Binseg`` with an ``l2`` cost and penalty ``penalty`` (default ``10 log n``);
    segments whose mean exceeds ``threshold`` are outages, adjacent ones merged. It ignores
    the daily cycle beyond the baseline and gives no uncertainty. Needs ``ruptures``.

    Parameters
    ----------
    jump : int, optional
        Consider a change point every ``jump`` bins (default: 1, or 5 for 1-minute bins,
        to keep ruptures' pure-Python search affordable).

    Returns
    -------
    DataFrame
        ``region[, service], start, end, duration``.
    """
    try:
        import ruptures
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("changepoint_outages needs ruptures: pip install ruptures") from exc
    reports = validate_reports(reports)
    rows = []
    for key, base in series_baselines(reports).items():
        seen = np.flatnonzero(~np.isnan(base.observed))
        if len(seen) < 4 * min_size:
            continue
        b = base.expected[seen]
        r = np.sqrt(base.observed[seen] + 0.375) - np.sqrt(b + 0.375)
        r = r / (0.5 * np.sqrt(1 + b / base.dispersion))  # sd of sqrt(NB count) ~ this
        step = jump if jump is not None else (5 if base.width < pd.Timedelta("5min") else 1)
        algo = ruptures.Binseg(model="l2", min_size=min_size, jump=step).fit(r)
        breaks = algo.predict(pen=penalty if penalty is not None else 10 * np.log(len(r)))
        times = base.times[seen]
        rows += [
            {**series_columns(reports, key), "start": times[a], "end": times[b - 1] + base.width}
            for a, b in high_segments(r, breaks, threshold)
        ]
    out = pd.DataFrame(rows, columns=[*group_keys(reports), "start", "end"])
    out["duration"] = out["end"] - out["start"]
    return out


def high_segments(r: np.ndarray, breaks: list[int], threshold: float) -> list[tuple[int, int]]:
    """Segments (first index, end index) of ``r`` between change points ``breaks`` whose mean
    exceeds ``threshold``, adjacent ones merged.

    Examples
    --------
    >>> high_segments(np.array([0, 0, 5, 5, 6, 6, 0]), [2, 4, 6, 7], 3.0)
    [(2, 6)]
    """
    windows: list[list[int]] = []
    for a, b in itertools.pairwise([0, *breaks]):
        if r[a:b].mean() <= threshold:
            continue
        if windows and windows[-1][1] == a:
            windows[-1][1] = b
        else:
            windows.append([a, b])
    return [(a, b) for a, b in windows]


def history_rule_drops(
    reports: pd.DataFrame,
    *,
    fraction: float = 0.8,
    history: str | pd.Timedelta = "7D",
    merge_gap: str | pd.Timedelta = "15min",
) -> pd.DataFrame:
    """IODA's rule for signals that fall: a bin alerts when its value is below ``fraction``
    of the median of the series over the trailing ``history`` (the bins before it).

    Alerting bins closer than ``merge_gap`` make one window, from the first alerting bin's
    start to the last one's end. A peer of the drop search of
    :func:`~analysis.detect.estimate_outages` (series of kind ``level``); it gives no
    uncertainty and no depth.

    Returns
    -------
    DataFrame
        ``region[, service], start, end, duration``.

    Examples
    --------
    >>> t = pd.date_range("2017-05-01", periods=200, freq="1h", tz="UTC")
    >>> y = np.full(200, 100.0)
    >>> y[150:153] = 30
    >>> df = pd.DataFrame({"time": t, "region": "BRA", "reports": y, "kind": "level"})
    >>> history_rule_drops(df)[["start", "duration"]].astype(str).values.tolist()
    [['2017-05-07 06:00:00+00:00', '0 days 03:00:00']]
    """
    reports = validate_reports(reports)
    rows = []
    for key, series in reports.groupby(group_keys(reports), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        values = series.set_index("time")["reports"].astype(float)
        median = values.rolling(pd.Timedelta(history), closed="left").median()
        low = (values < fraction * median).to_numpy()
        width = values.index.to_series().diff().min()
        times = values.index
        for a, b in _runs(low, times, width + pd.Timedelta(merge_gap)):
            rows.append({**series_columns(reports, key), "start": times[a],
                         "end": times[b] + width})  # fmt: skip
    out = pd.DataFrame(rows, columns=[*group_keys(reports), "start", "end"])
    out["duration"] = out["end"] - out["start"]
    return out


def _runs(flags: np.ndarray, times: pd.DatetimeIndex, gap: pd.Timedelta) -> list[tuple[int, int]]:
    """(first, last) indices of runs of flagged rows; a row within ``gap`` after the last
    flagged one joins its run."""
    idx = np.flatnonzero(flags)
    runs: list[list[int]] = []
    for i in idx:
        if runs and times[i] - times[runs[-1][1]] <= gap:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [(a, b) for a, b in runs]


def series_columns(reports: pd.DataFrame, key: tuple) -> dict[str, str]:
    return dict(zip(group_keys(reports), key, strict=True))
