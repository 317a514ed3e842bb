"""Small example files of every kind of outage signal, as analysts hold them.

:func:`write_examples` draws, with a fixed seed, one file per kind of signal that
:func:`~analysis.load_reports` reads: tweet counts at 30-second and 90-second bins, a
Downdetector chart copied by hand, an IODA active-probing signal and a Google-Trends export.
They share one made-up outage in Brazil on 3 May 2017, from 20:05 to 22:00 UTC
(:data:`OUTAGE`), so a reader can see what each kind gives (the notebook
``06_your_data`` and the tests use them; ``tests/fixtures/`` holds the same files).

* ``counts_30s.csv``: problem reports (tweets) per 30 seconds over 3 days (a canonical CSV).
* ``counts_90s.csv``: the same process per 90 seconds, for Brazil and Mexico (Mexico not hit).
* ``downdetector_15min.csv``: a Downdetector chart copied by hand at 15-minute bins: the
  outage day and one day of history before it (wide CSV: ``time,BRA``, naive local times of
  Sao Paulo).
* ``ioda_drop.json``: an IODA active-probing signal for Brazil (5-minute steps, 3 days) that
  falls by 60% during the outage (IODA's JSON envelope).
* ``trends_hourly.csv``: a Google-Trends export (hourly, 0-100, naive local times of Sao
  Paulo) of "whatsapp down" in Brazil over 3 days.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EXAMPLES", "OUTAGE", "SEED", "write_examples"]

START = pd.Timestamp("2017-05-01", tz="UTC")
#: The outage every example holds (UTC).
OUTAGE = (pd.Timestamp("2017-05-03 20:05", tz="UTC"), pd.Timestamp("2017-05-03 22:00", tz="UTC"))
SAO_PAULO = "America/Sao_Paulo"
#: The seed of the shipped examples (``tests/fixtures/``).
SEED = 20170503
#: The example files, in the order they are drawn, with how to read each.
EXAMPLES = {
    "counts_30s.csv": {},
    "counts_90s.csv": {},
    "downdetector_15min.csv": {"tz": SAO_PAULO},
    "ioda_drop.json": {},
    "trends_hourly.csv": {"tz": SAO_PAULO},
}


def _daily(times: pd.DatetimeIndex, peak_utc_hour: float) -> np.ndarray:
    """A daily shape of mean about 1 peaking at ``peak_utc_hour``."""
    hour = (times.hour + times.minute / 60 + times.second / 3600).to_numpy()
    return 1 + 0.7 * np.cos(2 * np.pi * (hour - peak_utc_hour) / 24)


def _outage_effect(times: pd.DatetimeIndex, lag_min: float, tail_min: float) -> np.ndarray:
    """0..1: the outage's mean effect over each bin starting at ``times`` (a lagged rise, a
    decaying tail), from 10 points per bin."""
    start, end = OUTAGE
    width = (times[1] - times[0]) if len(times) > 1 else pd.Timedelta("1min")
    points = (np.arange(10) + 0.5) / 10 * (width / pd.Timedelta("1min"))
    since = ((times - start) / pd.Timedelta("1min")).to_numpy()[:, None] + points
    after = ((times - end) / pd.Timedelta("1min")).to_numpy()[:, None] + points
    rise = np.where(since > 0, 1 - np.exp(-np.maximum(since, 0) / lag_min), 0.0)
    effect = np.where(after > 0, rise * np.exp(-np.maximum(after, 0) / tail_min), rise)
    return effect.mean(axis=1)


def _counts(width: str, regions: dict[str, float], rng: np.random.Generator) -> pd.DataFrame:
    """Report counts per bin of ``width`` for 3 days: region -> reports per minute at the
    daily mean; Brazil's reports rise 6-fold during the outage (gamma-Poisson noise)."""
    times = pd.date_range(START, periods=int(pd.Timedelta("3D") / pd.Timedelta(width)),
                          freq=width)  # fmt: skip
    minutes = pd.Timedelta(width) / pd.Timedelta("1min")
    parts = []
    for region, per_minute in regions.items():
        rate = per_minute * minutes * _daily(times, 21.0)
        if region == "BRA":
            rate = rate * (1 + 5 * _outage_effect(times, lag_min=4, tail_min=10))
        noisy = rate * rng.gamma(20.0, 1 / 20.0, len(rate))
        parts.append(pd.DataFrame({"time": times, "region": region,
                                   "reports": rng.poisson(noisy)}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _downdetector_day(rng: np.random.Generator) -> pd.DataFrame:
    """Two days at 15-minute bins (one of history, then the outage day) as a hand copy:
    naive local times of Sao Paulo, one column per country."""
    frame = _counts("15min", {"BRA": 1.5}, rng)
    frame = frame[frame["time"] >= START + pd.Timedelta("1D")]
    local = frame["time"].dt.tz_convert(SAO_PAULO).dt.tz_localize(None)
    return pd.DataFrame({"time": local.dt.strftime("%Y-%m-%d %H:%M"), "BRA": frame["reports"]})


def _ioda_drop(rng: np.random.Generator) -> dict:
    """An IODA active-probing series for Brazil: about 4,000 responsive /24 blocks, with 1%
    noise and a 2% daily wave, falling to 40% of normal during the outage."""
    step = 300
    times = pd.date_range(START, periods=3 * 86400 // step, freq=f"{step}s")
    normal = 4000 * (1 + 0.02 * np.cos(2 * np.pi * (times.hour.to_numpy() - 3) / 24))
    inside = (times >= OUTAGE[0]) & (times < OUTAGE[1])
    values = normal * np.where(inside, 0.4, 1.0) * (1 + 0.01 * rng.standard_normal(len(times)))
    series = {
        "entityType": "country", "entityCode": "BR", "entityName": "Brazil",
        "datasource": "ping-slash24", "from": int(times[0].timestamp()),
        "until": int(times[-1].timestamp()) + step, "step": step,
        "values": [round(float(v)) for v in values],
    }  # fmt: skip
    return {"type": "signals", "data": [[series]]}


def _trends_hourly(rng: np.random.Generator) -> str:
    """A Trends export: searches for "whatsapp down" in Brazil per hour over 3 days, scaled
    so that the busiest hour is 100 ("<1" below 0.5)."""
    times = pd.date_range(START, periods=72, freq="1h")
    searches = 50 * _daily(times, 23.0) * (1 + 40 * _outage_effect(times, 20, 40))
    searches = rng.poisson(searches).astype(float)
    index = np.round(100 * searches / searches.max()).astype(int)
    local = times.tz_convert(SAO_PAULO).tz_localize(None).strftime("%Y-%m-%dT%H")
    cells = ["<1" if v == 0 else str(v) for v in index]
    rows = "\n".join(f"{t},{v}" for t, v in zip(local, cells, strict=True))
    return f"Category: All categories\n\nTime,whatsapp down: (Brazil)\n{rows}\n"


def write_examples(directory: str | Path, *, seed: int = SEED) -> dict[str, Path]:
    """Write the example files into ``directory`` (created if missing).

    Parameters
    ----------
    directory : str or Path
        Where to write them.
    seed : int
        Seed of the noise (the shipped files use :data:`SEED`).

    Returns
    -------
    dict of str to Path
        Each file's name and path (keys as :data:`EXAMPLES`).

    Examples
    --------
    >>> import tempfile
    >>> from analysis import estimate_outages, load_reports
    >>> paths = write_examples(tempfile.mkdtemp())
    >>> found = estimate_outages(load_reports(paths["ioda_drop.json"]))
    >>> found[["region", "kind"]].values.tolist(), round(float(found["depth"].iloc[0]), 1)
    ([['BRA', 'level']], 0.6)
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = {name: out / name for name in EXAMPLES}
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    _counts("30s", {"BRA": 6.0}, rng).to_csv(paths["counts_30s.csv"], index=False,
                                            date_format=stamp)  # fmt: skip
    _counts("90s", {"BRA": 6.0, "MEX": 3.0}, rng).to_csv(paths["counts_90s.csv"], index=False,
                                                        date_format=stamp)  # fmt: skip
    _downdetector_day(rng).to_csv(paths["downdetector_15min.csv"], index=False)
    paths["ioda_drop.json"].write_text(json.dumps(_ioda_drop(rng)), encoding="utf-8")
    paths["trends_hourly.csv"].write_text(_trends_hourly(rng), encoding="utf-8")
    return paths
