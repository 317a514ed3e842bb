"""The reporting model's inner loop, compiled with numba: excess shapes, profiled amplitudes
and the negative-binomial log-likelihood of a batch of windows.

A fit evaluates the likelihood hundreds of times on a few windows, so the time goes to the
overhead of many small array operations rather than to arithmetic. Here one call runs the
whole evaluation for every window.

The lag kernel (gamma noticing delay of whole shape ``a``, rate ``r``, plus exponential
report decay of rate ``l``) has cell weights ``w_j = F((j + 1) h) - F(j h)`` that are sums of
polynomials in ``j`` times ``exp(-r h j)`` and of ``exp(-l h j)``. Its convolution with the
outage's exposure is therefore an exact recursion (a rational filter with ``a`` poles at
``exp(-r h)`` and one at ``exp(-l h)``): ``O(n a)`` per window, with no FFT.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _erlang_cdf(a: int, x: float) -> float:
    """P(Gamma(a, 1) <= x) for whole ``a``, by its series below 1 (no cancellation)."""
    if x <= 0.0:
        return 0.0
    if x < 1.0:
        term = 1.0
        for k in range(1, a + 1):
            term *= x / k
        total, k = 0.0, a
        while term > 1e-17 * total:
            total += term
            k += 1
            term *= x / k
        return math.exp(-x) * total
    term, total = 1.0, 1.0
    for k in range(1, a):
        term *= x / k
        total += term
    return 1.0 - math.exp(-x) * total


@njit(cache=True)
def _lag_cdf(t: float, a: int, r: float, lam: float) -> float:
    """CDF at ``t`` minutes of gamma(a, rate r) + exponential(rate lam)."""
    if t <= 0.0:
        return 0.0
    d = r - lam
    if abs(d) * t < 1.0:  # the tail's integral by its series in d: no cancellation
        total, term, m = 0.0, 1.0, 0
        while True:
            piece = term / (a + m)
            total += piece
            m += 1
            term *= -d * t / m
            if abs(piece) < 1e-17 * abs(total) or m > 60:
                break
        fact = 1.0
        for k in range(2, a):
            fact *= k
        tail = math.exp(-lam * t) * (r * t) ** a / fact * total
    else:
        power, series = 1.0, 1.0
        for k in range(1, a):
            power *= d * t / k
            series += power
        tail = (r / d) ** a * (math.exp(-lam * t) - math.exp(-r * t) * series)
    return _erlang_cdf(a, r * t) - tail


@njit(cache=True)
def kernel_filter(delay: float, decay: float, shape: int, step: float):
    """The lag kernel on cells of ``step`` minutes as a filter: numerator taps (``shape + 1``)
    and the poles (``shape`` at ``exp(-step shape / delay)``, one at ``exp(-step / decay)``)."""
    r, lam = shape / max(delay, 1e-3), 1.0 / max(decay, 1e-3)
    poles = np.empty(shape + 1)
    poles[:shape] = math.exp(-r * step)
    poles[shape] = math.exp(-lam * step)
    denominator = np.zeros(shape + 2)
    denominator[0] = 1.0
    for i in range(shape + 1):  # multiply by (1 - pole z)
        for j in range(i + 1, 0, -1):
            denominator[j] -= poles[i] * denominator[j - 1]
    taps = np.zeros(shape + 1)
    previous = 0.0
    for j in range(shape + 1):
        cdf = _lag_cdf((j + 1) * step, shape, r, lam)
        weight = cdf - previous
        previous = cdf
        for m in range(j, shape + 1):  # taps = (weights * denominator)[:shape + 1]
            taps[m] += weight * denominator[m - j]
    return taps, poles


@njit(cache=True)
def kernel_weights(delay: float, decay: float, shape: int, n: int, step: float) -> np.ndarray:
    """The first ``n`` cell weights of the lag kernel (the filter's impulse response)."""
    impulse = np.zeros(n)
    impulse[0] = 1.0
    taps, poles = kernel_filter(delay, decay, shape, step)
    out = np.empty(n)
    _convolve(impulse, taps, poles, out)
    return out


@njit(cache=True)
def _convolve(x, taps, poles, out) -> None:
    """``out`` = the kernel (``taps`` over the ``poles``) convolved with ``x``: the taps, then
    one first-order recursion per pole (stable where poles repeat)."""
    n = len(x)
    for i in range(n):
        acc = 0.0
        for m in range(min(len(taps), i + 1)):
            acc += taps[m] * x[i - m]
        out[i] = acc
    for pole in poles:
        for i in range(1, n):
            out[i] += pole * out[i - 1]


@njit(cache=True)
def excess_into(params, shift, activity, step, per_bin, taps, poles, g) -> None:
    """Excess shape per bin (amplitude 1) into ``g``: the outage's activity-weighted
    exposure per cell (``params``: start, end, floor, eta, the partial recovery's start and
    the share of exposure left from it to the end, in minutes from the window's origin;
    cells start at ``shift``) convolved with the kernel and summed into bins of ``per_bin``
    cells."""
    start, end, floor, eta = params[0], params[1], params[2], params[3]
    partial_from, severity = params[4], params[5]
    n = len(activity)
    x = np.zeros(n)
    for i in range(n):
        u = i * step + shift
        cover = min(u + step, end) - max(u, start)
        if cover > 0.0:
            since = max(u + step / 2 - start, 0.0)
            after = max(min(u + step, end) - max(u, partial_from), 0.0)
            exposure = min(cover, step) - (1.0 - severity) * after
            x[i] = activity[i] * exposure * (floor + (1 - floor) * math.exp(-since / eta))
    echo = np.empty(n)
    _convolve(x, taps, poles, echo)
    g[:] = 0.0
    for i in range(n):
        if echo[i] > 0.0:
            g[i // per_bin] += echo[i]


@njit(cache=True)
def newton_amplitude(g, y, b, k: float, start: float) -> float:
    """The amplitude A >= 0 maximising the negative-binomial log-likelihood of counts ``y``
    (NaN: missing) with means ``b + A g`` and size ``k``, searched from ``start`` (NaN: the
    moment estimate). Newton's method where the log-likelihood is concave in A; where it is
    not (far out, with very overdispersed counts) A doubles or halves along the gradient."""
    if math.isnan(start):
        excess, scale = 0.0, 0.0
        for i in range(len(g)):
            if g[i] > 0.0 and not math.isnan(y[i]):
                excess += y[i] - b[i]
                scale += g[i]
        a = max(excess / scale, 0.0) if scale > 0.0 else 0.0
    else:
        a = max(start, 0.0)
    for _ in range(60):
        grad, hess = 0.0, 0.0
        for i in range(len(g)):
            if g[i] > 0.0 and not math.isnan(y[i]):
                mu = b[i] + a * g[i]
                r, q = g[i] / mu, g[i] / (k + mu)
                grad += y[i] * r - (y[i] + k) * q
                hess += (y[i] + k) * q * q - y[i] * r * r
        outward = 2 * a + 1e-6 if grad > 0 else a / 2
        new = max(a - grad / hess if hess < 0 else outward, a / 10, 0.0)
        move = new - a
        gain = grad * move - 0.5 * abs(hess) * move**2 if hess < 0 else np.inf
        a = new
        if gain < 1e-6 or (new == 0.0 and grad <= 0):
            break
    return a


@njit(cache=True)
def nb_loglik(y, mu, k: float) -> float:
    """Negative-binomial log-likelihood of counts ``y`` (NaN: missing, skipped) with means
    ``mu`` and size ``k``, up to terms that do not depend on ``mu``."""
    total = 0.0
    for i in range(len(y)):
        if not math.isnan(y[i]):
            total += y[i] * math.log(mu[i]) - (y[i] + k) * math.log(k + mu[i])
    return total


@njit(cache=True)
def batch_loglik(params, kernel, shape, shifts, activity, cells, steps, per_bin, observed,
                 expected, bins, dispersion, amplitudes, shapes) -> float:  # fmt: skip
    """Profile log-likelihood of windows packed end to end (``cells`` and ``bins``: each
    window's offsets into the per-cell and per-bin arrays). ``kernel``: delay and decay in
    minutes; ``amplitudes``: each window's search start (NaN: moment estimate), overwritten
    with its maximising amplitude; ``shapes``: the excess shapes, written per bin."""
    total = 0.0
    taps, poles = kernel_filter(kernel[0], kernel[1], shape, steps[0])
    for w in range(len(shifts)):
        if w > 0 and steps[w] != steps[w - 1]:
            taps, poles = kernel_filter(kernel[0], kernel[1], shape, steps[w])
        c0, c1, b0, b1 = cells[w], cells[w + 1], bins[w], bins[w + 1]
        g = shapes[b0:b1]
        excess_into(params, shifts[w], activity[c0:c1], steps[w], per_bin[w], taps, poles, g)
        y, b = observed[b0:b1], expected[b0:b1]
        a = newton_amplitude(g, y, b, dispersion[w], amplitudes[w])
        amplitudes[w] = a
        total += nb_loglik(y, b + a * g, dispersion[w])
    return total


@njit(cache=True)
def parameters(v, bounds, span: float):
    """The model's parameters from the fitted vector ``v`` (start, end, log delay, log decay,
    logit floor above the floor's lower bound, log eta, log shape, the floor's lower bound: never
    fitted; then the partial recovery's length before the end, in minutes, and the severity
    left during it): whether they lie inside the bounds (``bounds``: rows delay, decay, eta,
    shape, severity; a window of at least half a minute, from 30 minutes before the windows
    to 30 after their ``span``, and a partial recovery within it), then (start, end, floor,
    eta, partial recovery's start, severity), (delay, decay) and the shape."""
    delay, decay, eta = math.exp(v[2]), math.exp(v[3]), math.exp(v[5])
    shape = round(math.exp(v[6]))
    inside = (
        v[1] - v[0] >= 0.5
        and bounds[0, 0] <= delay <= bounds[0, 1]
        and bounds[1, 0] <= decay <= bounds[1, 1]
        and bounds[2, 0] <= eta <= bounds[2, 1]
        and bounds[3, 0] <= shape <= bounds[3, 1]
        and bounds[4, 0] <= v[9] <= bounds[4, 1]
        and 0.0 <= v[8] <= v[1] - v[0]
        and v[0] >= -30
        and v[1] <= span + 30
    )
    floor = v[7] + (1 - v[7]) / (1 + math.exp(-v[4]))
    at = np.array([v[0], v[1], floor, eta, v[1] - v[8], v[9]])
    return inside, at, np.array([delay, decay]), shape


@njit(cache=True)
def fit_nelder_mead(full, free, simplex, xatol, fatol, maxfev, model, packed, amplitudes):
    """Minimise the negative profile log-likelihood over the entries ``free`` of the vector
    ``full`` (the others fixed) by Nelder-Mead from ``simplex`` (rows: vertices; reflection
    1, expansion 2, contraction and shrink 1/2), until the vertices lie within ``xatol`` of
    the best and their values within ``fatol``, or after ``maxfev`` evaluations. ``model``:
    (bounds, span); ``packed``: :func:`batch_loglik`'s window arrays. Returns the
    best free entries, the best value and the evaluations used."""
    dim = len(free)
    sim = simplex.copy()
    values = np.empty(dim + 1)
    calls = 0
    x = full.copy()
    for i in range(dim + 1):
        values[i] = _negative(sim[i], free, x, model, packed, amplitudes)
        calls += 1
    order = np.argsort(values, kind="mergesort")
    sim, values = sim[order], values[order]
    while calls < maxfev:
        spread_x = np.max(np.abs(sim[1:] - sim[0]))
        if spread_x <= xatol and np.max(np.abs(values[0] - values[1:])) <= fatol:
            break
        centre = sim[:-1].sum(axis=0) / dim
        worst = sim[-1].copy()
        reflected = 2 * centre - worst
        f_r = _negative(reflected, free, x, model, packed, amplitudes)
        calls += 1
        shrink = False
        if f_r < values[0]:
            expanded = 3 * centre - 2 * worst
            f_e = _negative(expanded, free, x, model, packed, amplitudes)
            calls += 1
            if f_e < f_r:
                sim[-1], values[-1] = expanded, f_e
            else:
                sim[-1], values[-1] = reflected, f_r
        elif f_r < values[-2]:
            sim[-1], values[-1] = reflected, f_r
        else:
            outside = f_r < values[-1]
            point = 1.5 * centre - 0.5 * worst if outside else 0.5 * centre + 0.5 * worst
            f_c = _negative(point, free, x, model, packed, amplitudes)
            calls += 1
            if (outside and f_c <= f_r) or (not outside and f_c < values[-1]):
                sim[-1], values[-1] = point, f_c
            else:
                shrink = True
        if shrink:
            for j in range(1, dim + 1):
                sim[j] = sim[0] + 0.5 * (sim[j] - sim[0])
                values[j] = _negative(sim[j], free, x, model, packed, amplitudes)
                calls += 1
        order = np.argsort(values, kind="mergesort")
        sim, values = sim[order], values[order]
    return sim[0].copy(), values[0], calls


@njit(cache=True)
def loglik_at(x, model, packed, amplitudes) -> float:
    """Profile log-likelihood at the parameter vector ``x`` (``-inf`` outside the bounds);
    ``model``, ``packed`` and ``amplitudes`` as for :func:`fit_nelder_mead`. The excess shapes
    are left in ``packed``'s last array."""
    bounds, span = model
    inside, params, kernel, shape = parameters(x, bounds, span)
    if not inside:
        return -np.inf
    shifts, activity, cells, steps, per_bin, observed, expected, bins, dispersion, shapes = packed
    return batch_loglik(params, kernel, shape, shifts, activity, cells, steps, per_bin,
                        observed, expected, bins, dispersion, amplitudes, shapes)  # fmt: skip


@njit(cache=True)
def _negative(point, free, x, model, packed, amplitudes) -> float:
    """Negative profile log-likelihood at ``x`` with its ``free`` entries set to ``point``
    (1e300 outside the bounds)."""
    for i in range(len(free)):
        x[free[i]] = point[i]
    value = loglik_at(x, model, packed, amplitudes)
    return -value if math.isfinite(value) else 1e300
