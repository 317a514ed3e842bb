"""Information limit on outage ends: oracles told everything but the end.

Issue 12 asks every family's median absolute end error to be at most half the best peer's.
This script measures how small an end error the reports allow. Per true outage window of a
stress case (:mod:`stress_families`) an oracle is told the window's true start, its
region's peak ratio, the outage's shape over time (a plateau, a fade, recoveries and a
partial recovery), the background level the generator scaled the outage by, the true
reporting-lag distribution and every other outage's expected reports; and about the
background, either

* ``level``: its expected counts per bin (the generator's level; for ``real_tweets`` the
  smoothed clock-time median that outages scale with), as a model that got the background
  and the reporting process exactly right would; or
* ``size``: as ``level``, but not told the outage's size (its peak ratio): each candidate end
  takes the size of highest likelihood, as every method must; or
* ``counts``: the counts themselves (``StressCase.background``), so that ``reports -
  background`` holds the outage reports alone: a bound no method can reach.

It does not know the end. For every candidate end, minute by minute from one minute after
the start to ``max(2 h, the duration)`` after the true end, it computes the expected reports
per bin (the generator's own formula) and keeps the end of highest Poisson likelihood over
the bins from the start to 4 hours after the last candidate (:func:`oracle_end`).

Per family it prints, over the true windows that each method found, that method's median
absolute end error beside each oracle's on the same windows, and the oracles' over all true
windows. Where the ``level`` oracle's median on the windows the best peer found exceeds half
that peer's, a method would need more than a perfect model of the background and of the
reporting process to meet the target there.

    .venv/bin/python benchmarks/oracle_end.py [--dev] [--families a,b] [--cases N]
        [--methods estimate,threshold,binseg,pelt] [--shared PATH]
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stress
import stress_families as sf
from stress_families import real, simulated
from stress_families.common import _Event, _Layout

#: Candidate ends reach this far past the true end (minutes), or the duration if longer.
REACH = 120
#: Bins after the last candidate end that the likelihood reads (minutes): report tails.
TAIL = 240
#: Families whose end error issue 12 found above half the best peer's.
FAMILIES = ("peak_and_fade", "flapping", "powerlaw_tail", "real_tweets")
#: The oracles, by what they are told besides the start, shape and lag: the background's
#: expected level and the outage's size (``level``), the level only (``size``: the size is
#: fitted), or the background's counts themselves (``counts``: a bound no method reaches).
ORACLES = ("level", "size", "counts")


@contextmanager
def _capture(store: dict):
    """Record the layout, per-minute background level and events the generators draw."""
    originals = {
        (simulated, "_draw_layout"): simulated._draw_layout,
        (real, "_real_layout"): real._real_layout,
        (simulated, "_excess"): simulated._excess,
        (real, "_excess"): real._excess,
    }

    def layout(original):
        def wrapped(*args, **kwargs):
            store["layout"] = original(*args, **kwargs)
            return store["layout"]

        return wrapped

    def excess(original):
        def wrapped(level, events):
            store["level"], store["events"] = level, events
            return original(level, events)

        return wrapped

    for (module, name), original in originals.items():
        setattr(module, name, (excess if name == "_excess" else layout)(original))
    try:
        yield store
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)


def _one_region(event: _Event, j: int) -> _Event:
    """``event`` in its ``j``-th region only."""
    return replace(
        event,
        regions=(event.regions[j],),
        start_offsets=(event.start_offsets[j],),
        end_offsets=(event.end_offsets[j],),
        ratios=(event.ratios[j],),
    )


def oracle_end(
    observed: np.ndarray,
    level: np.ndarray,
    event: _Event,
    width: int,
    known: np.ndarray,
    *,
    scale_known: bool = True,
) -> int:
    """The end (minutes since the case start) of highest Poisson likelihood for ``event``'s
    only region, given its reports per bin ``observed`` (NaN where missing), its per-minute
    background ``level`` that the outage scales with, the bin width (minutes) and the expected
    reports per bin from everything but this outage, ``known``.

    ``scale_known=False``: the outage's size (its peak ratio) is not told; each candidate end
    takes the size of highest likelihood (:func:`_profiled_loglik`), as any method must.

    Examples
    --------
    >>> from stress_families.common import _Lag, _Shape
    >>> lag = _Lag("lognormal", 3.0, 0.6)
    >>> event = _Event(60, 90, (0,), (0,), (0,), (11.0,), "regional", lag, _Shape())
    >>> level = np.full(600, 2.0)
    >>> expected = simulated._excess(level[None, :], [event])[0].reshape(-1, 5).sum(axis=1)
    >>> oracle_end(expected + 10.0, level, event, 5, np.full(120, 10.0))  # the mean: exact
    150
    """
    a, b = event.window(0)
    n = len(level)
    hi = min(b + max(REACH, b - a), n)
    first = a // width * width
    last = min(-(-(hi + TAIL) // width) * width, n)
    ends = np.arange(a + 1, hi + 1)
    mid = np.arange(a, hi) + 0.5
    x = level[a:hi] * (event.ratios[0] - 1.0) * event.shape(mid - event.start, mid - a)
    pmf = event.lag.pmf()
    span = last - first
    rows = np.zeros((len(x), span))
    for i, value in enumerate(x):
        offset = a + i - first
        reach = min(span - offset, len(pmf))
        rows[i, offset : offset + reach] = value * pmf[:reach]
    binned = np.cumsum(rows.reshape(len(x), span // width, width).sum(axis=2), axis=0)
    y = observed[first // width : last // width]
    base = known[first // width : last // width] + 1e-9
    seen = ~np.isnan(y)
    if scale_known:
        mu = binned[:, seen] + base[seen]
        loglik = (y[seen] * np.log(mu) - mu).sum(axis=1)
    else:
        loglik = _profiled_loglik(y[seen], binned[:, seen], base[seen])
    return int(ends[int(np.argmax(loglik))])


def _profiled_loglik(y: np.ndarray, shapes: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Poisson log-likelihood of counts ``y`` per row of ``shapes`` (expected outage reports
    per bin) over ``base``, each row's scale ``c >= 0`` of highest likelihood (Newton's
    method on the concave profile, from ``c = 1``).

    Examples
    --------
    >>> shapes = np.array([[0.0, 2.0, 2.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    >>> ll = _profiled_loglik(np.array([1.0, 7.0, 7.0, 1.0]), shapes, np.ones(4))
    >>> bool(ll[0] > ll[1])  # the scale (3) is found; the first shape fits
    True
    """
    c = np.ones(len(shapes))
    for _ in range(50):
        mu = c[:, None] * shapes + base
        grad = (shapes * (y / mu - 1.0)).sum(axis=1)
        curv = (shapes**2 * y / mu**2).sum(axis=1) + 1e-12
        c = np.maximum(c + grad / curv, 0.0)
    mu = c[:, None] * shapes + base
    return (y * np.log(mu) - mu).sum(axis=1)


def _grid(frame: pd.DataFrame, column: str, layout: _Layout) -> np.ndarray:
    """(regions, bins) array of ``column`` (NaN where a bin is missing)."""
    times = layout.times(layout.width)
    wide = frame.pivot_table(index="time", columns="region", values=column, aggfunc="first")
    wide = wide.reindex(index=times, columns=list(layout.regions))
    return wide.to_numpy(float).T


def oracle_case(case: sf.StressCase, store: dict) -> pd.DataFrame:
    """Per true window of ``case``: region, true start and each oracle's end error
    (minutes), from the generator's ``store`` (:func:`_capture`)."""
    layout, level, events = store["layout"], store["level"], store["events"]
    width = layout.width
    reports = _grid(case.reports, "reports", layout)
    expected_background = level.reshape(len(level), -1, width).sum(axis=2)
    counts = reports - _grid(case.background, "background", layout)
    told = {"level": (reports, expected_background, True),
            "size": (reports, expected_background, False),
            "counts": (counts, 0.0, True)}  # fmt: skip
    expected = simulated._excess(level, events)
    rows = []
    for event in events:
        for j, r in enumerate(event.regions):
            one = replace(_one_region(event, j), regions=(0,))
            others = expected[r] - simulated._excess(level[[r]], [one])[0]
            others = others.reshape(-1, width).sum(axis=1)
            a, b = event.window(j)
            row = {"region": layout.regions[r], "true_start": layout.at(a)}
            for name, (observed, background, scale_known) in told.items():
                known = others + (background[r] if np.ndim(background) else background)
                end = oracle_end(observed[r], level[r], one, width, known,
                                 scale_known=scale_known)  # fmt: skip
                row[f"{name}_end_error_min"] = float(end - b)
            rows.append(row)
    columns = ["region", "true_start", *(f"{name}_end_error_min" for name in told)]
    return pd.DataFrame(rows, columns=columns)


def run_family(family: str, settings: stress.Settings) -> pd.DataFrame:
    """Every method's scores on ``family``'s cases, with the oracle's end error joined."""
    n = settings.cases_real if family == "real_tweets" else settings.cases_simulated
    out = []
    for number in range(n):
        seed = sf.case_seed(family, number, held_out=settings.held_out)
        with _capture({}) as store:
            case = sf.make_case(family, seed, freq=sf.case_freq(family, number),
                                root=settings.shared)  # fmt: skip
        oracle = oracle_case(case, store)
        oracle["true_start"] = pd.to_datetime(oracle["true_start"], utc=True).dt.as_unit("ns")
        for method in settings.methods:
            scored = stress.score_case(case, stress.METHODS[method](case.reports))
            scored = scored[scored["true_start"].notna()].merge(
                oracle, on=["region", "true_start"], how="left"
            )
            freq = sf.case_freq(family, number)
            out.append(scored.assign(family=family, case=number, freq=freq, method=method))
        print(f"  [{family} {number + 1}] seed={seed} windows={len(oracle)}", flush=True)
    return pd.concat(out, ignore_index=True)


def end_limits(scores: pd.DataFrame, by: tuple[str, ...] = ("family", "method")) -> pd.DataFrame:
    """Per family and method (or the columns ``by``): the windows the method found, its
    median absolute end error there and each oracle's on the same windows, and the oracles'
    over every true window.

    Examples
    --------
    >>> scores = pd.DataFrame({"family": "a", "method": ["pelt", "pelt", "estimate"],
    ...     "matched": [True, False, True], "end_error_min": [8.0, np.nan, 3.0],
    ...     "level_end_error_min": [-5.0, 1.0, -5.0], "size_end_error_min": [9.0, 1.0, 9.0],
    ...     "counts_end_error_min": 0.0})
    >>> print(end_limits(scores).to_string(index=False))
    family   method  true  found  end  level  size  counts  level_all  size_all  counts_all
         a     pelt     2      1  8.0    5.0   9.0     0.0        3.0       5.0         0.0
         a estimate     1      1  3.0    5.0   9.0     0.0        5.0       9.0         0.0
    """
    rows = []
    for keys, g in scores.groupby(list(by), sort=False):
        found = g[g["matched"].astype(bool)]
        row = {**dict(zip(by, keys, strict=True)), "true": len(g), "found": len(found),
               "end": found["end_error_min"].abs().median()}  # fmt: skip
        for oracle in ORACLES:
            row[oracle] = found[f"{oracle}_end_error_min"].abs().median()
        for oracle in ORACLES:
            row[f"{oracle}_all"] = g[f"{oracle}_end_error_min"].abs().median()
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Run the oracle beside the methods and print :func:`end_limits` per family."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="dev seeds (default: held out)")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--cases", type=int, help="cases per family (default 8 simulated, 6 real)")
    parser.add_argument("--methods", default=",".join(stress.DEFAULT_METHODS))
    parser.add_argument("--shared", type=Path, default=stress.DEFAULT_SHARED)
    args = parser.parse_args(argv)
    families, methods = tuple(args.families.split(",")), tuple(args.methods.split(","))
    cases = args.cases or 8, args.cases or 6
    settings = stress.Settings(families, *cases, not args.dev, methods, args.shared)
    scores = []
    for family in settings.families:
        if family == "real_tweets" and not (settings.shared / "realTweets").is_dir():
            print(f"real_tweets: skipped, no {settings.shared / 'realTweets'}")
            continue
        scores.append(run_family(family, settings))
    scores = pd.concat(scores, ignore_index=True)
    print("\nmedian |end error| (min) over the windows each method found, and the oracles'")
    print(end_limits(scores).round(1).to_string(index=False))
    print("\nthe same by bin width")
    print(end_limits(scores, ("family", "freq", "method")).round(1).to_string(index=False))


if __name__ == "__main__":
    main()
