"""Outages on real backgrounds: the NAB Twitter-volume series."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from stress_families.common import (
    DAY_MINUTES,
    TICKER_REGIONS,
    StressCase,
    _by_bins,
    _draw_events,
    _Event,
    _excess,
    _frames,
    _Layout,
    _missing,
    _nuisance,
    _Plan,
    _truth,
)

# ------------------------------------------------------------------------ real tweets
REAL_WIDTH = 5  # minutes
REAL_HISTORY_DAYS = 14
REAL_SCORED_DAYS = 3
_REAL_PLAN = _Plan(
    n_events=(1, 3),
    duration=(10.0, 240.0),
    ratio=(1.3, 20.0),
    kernels=(
        ("lognormal", "plateau"),
        ("weibull", "plateau"),
        ("powerlaw", "plateau"),
        ("lognormal", "fade"),
    ),
    worldwide_share=0.0,
    regional=(1, 10),
)


def load_tweets(root: Path) -> dict[str, pd.Series]:
    """The NAB Twitter-volume series, keyed by the region each stands in for.

    Parameters
    ----------
    root : Path
        The NAB folder holding ``realTweets/Twitter_volume_*.csv`` (columns
        ``timestamp,value``, 5-minute bins, naive times read as UTC).

    Returns
    -------
    dict of str to Series
        Mentions per 5-minute bin, indexed by bin start (UTC, floored to whole 5 minutes:
        NAB's stamps fall at ``:x2:53`` and ``:x7:53``).
    """
    folder = Path(root) / "realTweets"
    paths = sorted(folder.glob("Twitter_volume_*.csv"))
    if not paths:
        raise FileNotFoundError(f"no Twitter_volume_*.csv under {folder}")
    out = {}
    for path in paths:
        ticker = path.stem.removeprefix("Twitter_volume_")
        if ticker not in TICKER_REGIONS:
            raise ValueError(f"{path}: no region for the ticker {ticker!r}")
        frame = pd.read_csv(path)
        times = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"])).tz_localize("UTC")
        index = times.floor(f"{REAL_WIDTH}min").as_unit("ns")
        out[TICKER_REGIONS[ticker]] = pd.Series(frame["value"].to_numpy("int64"), index=index)
    return out


def _real_layout(rng: np.random.Generator, series: Mapping[str, pd.Series]) -> _Layout:
    """A 17-day span (14 history, 3 scored) that every series covers, from UTC midnight."""
    first = max(s.index[0] for s in series.values()).ceil("D")
    last = min(s.index[-1] for s in series.values()) + pd.Timedelta(minutes=REAL_WIDTH)
    days = REAL_HISTORY_DAYS + REAL_SCORED_DAYS
    options = (last.floor("D") - first).days - days + 1
    if options < 1:
        raise ValueError(f"the series share under {days} whole days")
    start = first + pd.Timedelta(days=int(rng.integers(0, options)))
    regions = tuple(sorted(series))
    return _Layout(regions, start, REAL_HISTORY_DAYS, REAL_SCORED_DAYS, REAL_WIDTH)


def _clock_median(real: np.ndarray, layout: _Layout) -> np.ndarray:
    """Per (region, bin): median over the history days of the same clock-time bin."""
    per_day = DAY_MINUTES // layout.width
    n_days = layout.history_days + layout.scored_days
    history = real[:, : layout.history_days * per_day]
    days = history.reshape(len(layout.regions), layout.history_days, per_day)
    median = np.stack([pd.DataFrame(d).median(axis=0).to_numpy() for d in days])
    return np.tile(np.nan_to_num(median), (1, n_days))


def _typical_level(median: np.ndarray, real: np.ndarray, layout: _Layout) -> np.ndarray:
    """Typical reports per (region, minute) that outages scale with.

    The clock-time median smoothed over 25 min (5 bins, centred), floored at 0.2 x the series'
    mean over the history so that sparse series (median 0) still get outages.
    """
    smooth = sum(np.roll(median, k, axis=1) for k in range(-2, 3)) / 5
    history = real[:, : layout.history_days * DAY_MINUTES // layout.width]
    floor = 0.2 * pd.DataFrame(history.T).mean().to_numpy()[:, None]
    per_bin = np.maximum(smooth, floor)
    return np.repeat(per_bin / layout.width, layout.width, axis=1)


def _stands_out(
    layout: _Layout,
    events: list[_Event],
    observed: np.ndarray,
    median: np.ndarray,
    keep: np.ndarray,
) -> list[bool]:
    """Does each truth window beat every other same-length window of its scored span?

    The score of a window is (reports + 1) / (clock-time median + 1), summed over its present
    bins; the others are the windows (sliding by one bin) of the scored span that hold no
    bin from an outage's start to 2 h after its end.
    """
    w = layout.width
    obs, typ = np.where(keep, observed, 0.0), np.where(keep, median, 0.0)
    first_scored = layout.scored[0] // w
    touched = np.zeros(observed.shape, bool)
    for event in events:
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            touched[r, a // w : int(np.ceil((b + 120) / w))] = True
    out = []
    for event in events:
        for j, r in enumerate(event.regions):
            a, b = event.window(j)
            first, last = a // w, int(np.ceil(b / w))
            mine = (obs[r, first:last].sum() + 1) / (typ[r, first:last].sum() + 1)
            n = last - first
            sums = [
                np.concatenate([[0.0], np.cumsum(x[r, first_scored:])])
                for x in (obs, typ, touched.astype(float))
            ]
            window_obs, window_typ, window_touched = (c[n:] - c[:-n] for c in sums)
            free = window_touched == 0
            others = (window_obs[free] + 1) / (window_typ[free] + 1)
            out.append(bool(others.size == 0 or mine > others.max()))
    return out


def _label_windows(root: Path, layout: _Layout) -> pd.DataFrame:
    """NAB's labelled anomaly windows of the series, clipped to the case's span (UTC)."""
    path = Path(root) / "labels" / "combined_windows.json"
    labels = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    lo, hi = layout.at(0), layout.at(layout.n_minutes)
    rows = []
    for ticker, region in TICKER_REGIONS.items():
        for a, b in labels.get(f"realTweets/Twitter_volume_{ticker}.csv", []):
            start = max(pd.Timestamp(a, tz="UTC").floor(f"{REAL_WIDTH}min"), lo)
            end = min(pd.Timestamp(b, tz="UTC").floor(f"{REAL_WIDTH}min"), hi)
            if start < end:
                rows.append({"region": region, "start": start, "end": end})
    out = pd.DataFrame(rows, columns=["region", "start", "end"])
    return out.astype(
        {"region": "str", "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]"}
    )


def real_tweets(
    rng: np.random.Generator, *, root: Path, freq: str | pd.Timedelta = "5min"
) -> StressCase:
    """Outages added on top of the real NAB Twitter-volume series (all ten in each case).

    A span of 17 days (14 of history, then 3 scored) in February-April 2015 is picked; 1-3
    outages (10 min to 4 h, each in 1 to all 10 series) are put in the scored span. Their
    excess rate is (ratio - 1) x the series' typical level at that clock time (see
    :func:`_typical_level`), ratio 1.3-20, shaped by a log-normal, Weibull or power-law lag
    or by peak-and-fade, and sampled as Poisson counts on top of the real ones. ``clear`` is
    as for the simulated families, ``stands_out`` as in :func:`_stands_out`;
    ``label_windows`` are NAB's labelled anomalies.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness (same seed and data, same case).
    root : Path
        The NAB folder (``realTweets/`` and ``labels/``); read, never written or copied.
    freq : str or Timedelta
        Must be 5 minutes (the data's bin width).

    Returns
    -------
    StressCase
    """
    if pd.Timedelta(freq) != pd.Timedelta(minutes=REAL_WIDTH):
        raise ValueError(f"real_tweets has {REAL_WIDTH}-minute bins, got freq={freq!r}")
    series = load_tweets(root)
    layout = _real_layout(rng, series)
    times = layout.times(layout.width)
    real = np.vstack([series[region].reindex(times).to_numpy(float) for region in layout.regions])
    median = _clock_median(real, layout)
    events = _draw_events(rng, _REAL_PLAN, len(layout.regions), layout.scored)
    excess = rng.poisson(_by_bins(_excess(_typical_level(median, real, layout), events), 5))
    keep, gaps = _missing(rng, layout, real.shape)
    keep &= ~np.isnan(real)
    background = np.nan_to_num(real).astype("int64")
    total = background + excess
    truth = _truth(layout, events, "real_tweets", (total, background, keep))
    truth["stands_out"] = pd.array(_stands_out(layout, events, total, median, keep), "boolean")
    reports, back = _frames(layout, total, background, keep)
    return StressCase(
        family="real_tweets",
        reports=reports,
        truth=truth,
        scored_span=(layout.at(layout.scored[0]), layout.at(layout.scored[1])),
        freq=pd.Timedelta(minutes=layout.width),
        label_windows=_label_windows(root, layout),
        background=back,
        nuisance=_nuisance(gaps),
    )
