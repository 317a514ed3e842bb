"""The reporting model's likelihood and its fit (analysis.detect.model, .compiled), checked
against direct computations: the kernel by numerical integration, the likelihood by an
explicit convolution and a bounded amplitude search, the fit by scipy's Nelder-Mead."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from analysis import scenarios, simulate
from analysis.baseline import series_baselines
from analysis.detect import compiled
from analysis.detect.intervals import FADE_FLOOR
from analysis.detect.model import FIT, Batch, Params, Window, cut_window, fit_model, loglik


def _reference_weights(delay: float, decay: float, shape: int, n: int, step: float):
    """Cell weights of gamma(shape, mean delay) + exponential(mean decay), by quadrature."""
    rate, lam = shape / delay, 1 / decay

    def cdf(t: float) -> float:
        inner = lambda s: stats.gamma.pdf(s, shape, scale=1 / rate) * -np.expm1(-lam * (t - s))  # noqa: E731
        return integrate.quad(inner, 0, t, limit=200, epsabs=1e-14, epsrel=1e-12)[0]

    return np.diff([cdf(j * step) for j in range(n + 1)])


@pytest.mark.parametrize(
    ("delay", "decay", "shape", "step"),
    [
        (4, 15, 1, 1.0),  # two exponentials
        (5, 5, 1, 1.0),  # equal rates: the closed form's limit
        (4, 15, 3, 1.0),  # peaked delay, fast
        (30, 5, 3, 1.0),  # peaked delay slower than the decay
        (3.3, 1.1, 3, 1.0),  # delay rate equal to the decay's
        (0.3, 200, 3, 5.0),  # coarse cells: the delay inside the first cell
        (50, 2, 2, 0.5),  # half-minute cells
        (60, 240, 6, 5.0),  # the bounds
    ],
)
def test_kernel_weights_are_exact_in_every_regime(delay, decay, shape, step):
    """The recursion gives the kernel's cell weights to rounding, where the FFT kernel it
    replaced was off by up to 6e-3 (its numerical convolution, used where the delay's rate
    is near the decay's or the shape is 1 with equal rates)."""
    n = 80
    exact = _reference_weights(delay, decay, shape, n, step)
    got = compiled.kernel_weights(delay, decay, shape, n, step)
    assert np.abs(got - exact).max() < 1e-10
    assert exact.sum() > 0.3  # the reference is not trivially small


@pytest.fixture(scope="module")
def regional():
    """The regional scenario (1-minute bins, seed 3) and its regions' baselines."""
    sim = simulate(scenarios.regional(days_before=4), 3)
    return sim, {key[-1]: base for key, base in series_baselines(sim.reports).items()}


@pytest.fixture(scope="module")
def windows(regional):
    """Three regions' windows around the regional scenario's outage (1-minute bins) and one
    at 5-minute bins."""
    sim, bases = regional
    t = sim.truth.iloc[0]
    lo, hi = t.start - pd.Timedelta("2h"), t.end + pd.Timedelta("4h")
    fine = [cut_window(bases[r], r, lo, hi) for r in list(bases)[:3]]
    coarse = sim.reports.assign(time=sim.reports["time"].dt.floor("5min"))
    coarse = coarse.groupby(["region", "time"], as_index=False)["reports"].sum()
    region = fine[0].region
    base5 = {key[-1]: b for key, b in series_baselines(coarse).items()}[region]
    return fine, cut_window(base5, region, lo, hi), (t.start - lo) / pd.Timedelta("1min")


def _direct_loglik(p: Params, w, shift: float) -> float:
    """The model written out: exposure per cell, an explicit convolution with the quadrature
    kernel, bin sums, the amplitude by a bounded search of the negative-binomial likelihood."""
    u = np.arange(w.n) * w.step + shift
    cover = np.clip(np.minimum(u + w.step, p.end) - np.maximum(u, p.start), 0, w.step)
    partly = np.clip(np.minimum(u + w.step, p.end) - np.maximum(u, p.end - p.partial), 0, None)
    cover = cover - (1 - p.severity) * partly  # the last ``partial`` minutes count ``severity``
    since = np.maximum(u + w.step / 2 - p.start, 0)
    x = w.activity * cover * (p.floor + (1 - p.floor) * np.exp(-since / p.eta))
    kernel = _reference_weights(p.delay, p.decay, p.shape, w.n, w.step)
    g = np.convolve(x, kernel)[: w.n].reshape(len(w.observed), -1).sum(axis=1)
    y, b, k = w.observed, w.expected, w.dispersion

    def ll(a: float) -> float:
        mu = b + a * g
        return float(np.sum(y * np.log(mu) - (y + k) * np.log(k + mu)))

    best = optimize.minimize_scalar(lambda a: -ll(a), bounds=(0, 1e5), method="bounded",
                                    options={"xatol": 1e-9})  # fmt: skip
    return max(-best.fun, ll(0.0))


@pytest.mark.parametrize(("shape", "partial"), [(1, 0.0), (3, 0.0), (1, 25.5), (3, 67.0)])
def test_profile_loglik_matches_the_model_written_out(windows, shape, partial):
    """Also with a partial recovery over the window's last ``partial`` minutes (at 35%
    severity), placed to the second: 25.5 minutes before the end, or all but its first."""
    fine, coarse, onset = windows
    p = Params(onset + 3, onset + 70, 4.0, 12.0, 0.4, 50.0, shape, partial=partial, severity=0.35)
    batch = [*fine, coarse]
    shifts = [0.0, 1.0, -2.0, 0.5]
    direct = [_direct_loglik(p, w, s) for w, s in zip(batch, shifts, strict=True)]
    one = [loglik(p.vector(), [w], [s]) for w, s in zip(batch, shifts, strict=True)]
    assert one == pytest.approx(direct, abs=1e-4)
    assert loglik(p.vector(), batch, shifts) == pytest.approx(sum(direct), abs=1e-3)
    # outside the bounds: no likelihood
    outside = Params(onset, onset + 0.2, 4.0, 12.0, 0.4, 50.0, shape)
    assert loglik(outside.vector(), batch, shifts) == -np.inf
    # a partial recovery longer than the window, or a severity under its bound: none either
    assert loglik(replace(p, partial=68.0).vector(), batch, shifts) == -np.inf
    assert loglik(replace(p, severity=0.01).vector(), batch, shifts) == -np.inf


def test_compiled_fit_reaches_scipy_nelder_mead(windows):
    """The compiled Nelder-Mead finds an optimum at least as good as scipy's, from the same
    simplex on the same likelihood, and the same window to within the tolerance."""
    fine, _, onset = windows
    start = Params(onset - 10, onset + 40, 4.0, 15.0, 0.5, 60.0)
    fitted, best = fit_model(fine, [0.0] * 3, start, restarts=0)
    batch, free = Batch.of(fine, [0.0] * 3), np.array(FIT)
    full = start.vector()
    steps = np.array([10.0, 10.0, 0.7, 0.7, 1.5, 0.7])
    simplex = np.vstack([full[free]] + [full[free] + np.eye(6)[i] * steps[i] for i in range(6)])

    def nll(v):
        x = full.copy()
        x[free] = v
        value = batch.loglik(x)[0]
        return -value if np.isfinite(value) else 1e300

    ref = optimize.minimize(nll, full[free], method="Nelder-Mead",
                            options={"initial_simplex": simplex, "xatol": 0.05, "fatol": 0.02,
                                     "maxiter": 1200, "maxfev": 1200})  # fmt: skip
    assert best >= -ref.fun - 0.05
    assert fitted.start == pytest.approx(ref.x[0], abs=1.0)
    assert fitted.end == pytest.approx(ref.x[1], abs=2.0)
    assert fitted.end - fitted.start > 30  # a real window, not a collapsed one


def test_the_fading_refit_reads_a_slow_noticing_delay_as_a_slow_report_tail(windows):
    """With an exponential noticing delay (shape 1) a fitted delay of 20 min and decay of 1
    give the same reports as a delay of 1 and decay of 20. Both lag long enough for the
    intervals' refit with short-lag, fading reports; it was run only when the decay was the
    long one, so a window read as a slow noticing delay kept an end interval too short."""
    from analysis.detect.intervals import fading_refit

    fine, _, onset = windows
    slow_delay = Params(onset, onset + 106.0, 20.0, 1.0, 0.15, 11.0)
    slow_tail = Params(onset, onset + 106.0, 1.0, 20.0, 0.15, 11.0)
    assert loglik(slow_delay.vector(), [fine[0]], [0.0]) == pytest.approx(
        loglik(slow_tail.vector(), [fine[0]], [0.0]), abs=1e-6
    )
    by_delay, _ = fading_refit(slow_delay, [fine[0]], [0.0])
    by_tail, _ = fading_refit(slow_tail, [fine[0]], [0.0])
    assert by_delay.start == pytest.approx(by_tail.start, abs=0.5)
    assert by_delay.end == pytest.approx(by_tail.end, abs=0.5)
    assert by_delay.end > slow_delay.end + 10  # the fading reading puts the end later
    # a short lag and a floor above its bound: nothing to refit
    assert fading_refit(replace(slow_tail, decay=2.0, floor=0.3), [fine[0]], [0.0]) is None


def test_the_fading_refit_does_not_read_a_report_tail_as_a_partial_recovery(regional):
    """The regional scenario's outage (six regions, reports lagging a few minutes, no partial
    recovery) read with a 21-minute report tail: each region's fading refit, which may now
    also end with a partial recovery, ends within 6 minutes of the true end (3.8 minutes
    early to 4.9 late). Without the partial recovery's bounds (at least 30 minutes, a
    severity of 0.2, flat reports), Italy's read a 29-minute partial recovery and ended 26
    minutes late, Turkey's a 13-minute one and ended 13 minutes late."""
    from analysis.detect.intervals import fading_refit

    sim, bases = regional
    lo = sim.truth["start"].min() - pd.Timedelta("2h")
    onset = (sim.truth["start"].min() - lo) / pd.Timedelta("1min")
    slow_tail = Params(onset, onset + 106.0, 1.0, 20.0, 0.15, 11.0)
    for t in sim.truth.itertuples():
        w = cut_window(bases[t.region], t.region, lo, t.end + pd.Timedelta("4h"))
        refit, _ = fading_refit(slow_tail, [w], [0.0])
        assert abs(refit.end - (t.end - lo) / pd.Timedelta("1min")) <= 6.0, t.region


def test_a_slow_exponential_report_tail_is_not_read_as_a_partial_recovery():
    """Reports at 4 times the baseline for two hours that fall after the recovery as two
    exponentials (half within 4 minutes, half within 35): the fit ends 4 minutes early and
    reads a 22-minute report tail. Its fading refit read a 52-minute partial recovery at a
    fifth of the outage's level, and ended 55 minutes late; the reports over that stretch
    fall to 0.61 of what it expects. The partial recovery is now refused, and the refit ends
    within 10 minutes of the truth."""
    from analysis.detect.intervals import FADE_FLOOR, fading_refit

    u = np.arange(420)
    lag = np.diff(1 - np.exp(-u[:31] / 2))
    excess = 150 * np.convolve(np.where((u >= 60) & (u < 180), 1.0, 0.0), lag)[: len(u)]
    since = np.clip(u - 180, 0, None)
    excess = np.where(u >= 180, excess[179] * (np.exp(-since / 4) + np.exp(-since / 35)) / 2,
                      excess)  # fmt: skip
    reports = np.random.default_rng(0).poisson(50 + excess).astype(float)
    w = Window("BRA", pd.Timestamp("2017-05-03 18:00", tz="UTC"), np.ones(len(u)), 1, reports,
               np.full(len(u), 50.0), 1e6, pd.Timedelta("1min"), False)  # fmt: skip
    fit, _ = fit_model([w], [0.0], Params(55.0, 150.0, 4.0, 15.0, 0.5, 60.0))
    assert abs(fit.end - 180) <= 5
    assert fit.delay + fit.decay > 20
    refit, _ = fading_refit(fit, [w], [0.0])
    assert refit.min_floor == FADE_FLOOR
    assert refit.partial == 0.0
    assert abs(refit.end - 180) <= 10


def _stub_fits(monkeypatch, fits: list, fading: tuple | None = None, *, decay: float = 2.0) -> None:
    """``fit_with_uncertainty`` with its fits stubbed: ``fits`` ((start, end), log-likelihood)
    in turn (a 1-minute delay and a ``decay`` in minutes), the fading refit ``fading`` (a
    Params and its log-likelihood, or None), a peaked refit moving start and end 5 minutes
    and standard errors equal to the number of free parameters they are taken over."""
    from analysis.detect import intervals

    made = iter([(Params(s, e, 1.0, decay, 0.5, 20.0), ll) for (s, e), ll in fits])
    monkeypatch.setattr(intervals, "fit_model", lambda *args, **kwargs: next(made))
    monkeypatch.setattr(intervals, "overdispersion", lambda *args, **kwargs: 1.0)
    monkeypatch.setattr(intervals, "standard_errors", lambda *args: (float(len(args[3])),) * 3)
    monkeypatch.setattr(intervals, "peaked_move", lambda *args: (5.0, 5.0))
    monkeypatch.setattr(intervals, "fading_refit", lambda *args: fading)


@pytest.mark.parametrize(
    ("fits", "kept", "others"),
    [
        ([((0, 60), 100.0), ((0, 90), 101.0)], (0, 60), ((0.0, 30.0),)),  # within the margin
        ([((0, 60), 100.0), ((0, 90), 103.0)], (0, 90), ((0.0, -30.0),)),  # clearly likelier
        ([((0, 1), 110.0), ((0, 90), 50.0)], (0, 90), ()),  # a collapse is not kept, nor added
        ([((0, 1), 10.0), ((0, 1.5), 20.0)], (0, 1.5), ((0.0, -0.5),)),  # unless every one is
    ],
)
def test_the_window_kept_from_two_starts(monkeypatch, fits, kept, others):
    """The first start's window stands unless another is likelier by 2 in log-likelihood; a
    collapsed window (under 2 minutes) only when every start's collapsed; the other windows
    join the envelope as (start, end) shifts from the kept one."""
    from analysis.detect import intervals

    _stub_fits(monkeypatch, fits)
    starts = (Params(0, 10, 4.0, 15.0, 0.5, 60.0),) * len(fits)
    params, ll, _, envelope, _ = intervals.fit_with_uncertainty([], [], starts, FIT)
    assert (params.start, params.end) == kept
    assert ll == dict(((s, e), v) for (s, e), v in fits)[kept]
    assert envelope.shifts == ((5.0, 5.0), *others)


@pytest.mark.parametrize(
    ("fading", "kept", "others"),
    [
        ((0, 300, 2.0, 111.0), (0, 300), ((0.0, -295.0),)),  # clearly likelier: it replaces
        ((0, 300, 2.0, 109.0), (0, 5), ((0.0, 295.0),)),  # within the margin: envelope only
        ((0, 300, 40.0, 150.0), (0, 5), ((0.0, 295.0),)),  # it lags longer: another reading
        ((0, 1, 2.0, 150.0), (0, 5), ((0.0, -4.0),)),  # collapsed
    ],
)
def test_the_fading_refit_replaces_the_fit_only_where_clearly_likelier(
    monkeypatch, fading, kept, others
):
    """The kept window (5 minutes, reports lagging 41 minutes) gives way to the fading refit
    when that is likelier by 10 and its reports lag no longer; otherwise the refit joins the
    envelope, as the replaced fit does when it gives way. The standard errors are taken over
    the kept reading's free parameters: the fading one's decay was fixed (5 of FIT's 6)."""
    from analysis.detect import intervals

    s, e, delay, ll = fading
    refit = (Params(s, e, delay, 5.0, 0.03, 25.0, min_floor=FADE_FLOOR), ll)  # as refitted
    _stub_fits(monkeypatch, [((0, 5), 100.0)], refit, decay=40.0)
    starts = (Params(0, 10, 1.0, 40.0, 0.15, 5.0),)
    params, _, se, envelope, _ = intervals.fit_with_uncertainty([], [], starts, FIT)
    assert (params.start, params.end) == kept
    assert envelope.shifts == ((5.0, 5.0), *others)
    assert se == ((5.0,) * 3 if kept == (0, 300) else (6.0,) * 3)
