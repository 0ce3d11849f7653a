"""Log-likelihoods of the breach process: Poisson and Hawkes, for event times and for
counts per period.

Time is in days from the start of the observation period; the Hawkes intensity is
``mu + n * beta * sum_i exp(-beta * (t - t_i))`` (baseline ``mu`` per day, branching
ratio ``n``, decay rate ``beta`` per day, mean excitation lifetime ``1 / beta``).

The event-time likelihood uses the O(n) recursion of Ozaki (1979):
``A_i = exp(-beta (t_i - t_{i-1})) (1 + A_{i-1})`` is the excitation at ``t_i`` in
units of ``n * beta``; its derivative in beta has a recursion of the same form, so the
gradient costs one more multiply-add per event. Compiled with numba: 10,000 events
take about 0.1 ms per evaluation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def hawkes_loglik(times: np.ndarray, horizon: float, mu: float, n: float, beta: float,
                  grad: np.ndarray) -> float:
    """Hawkes log-likelihood averaged over the rows of ``times`` (one row per jittered
    copy of the data, each sorted, all in [0, horizon]); its gradient in
    (mu, n, beta) is written into ``grad``."""
    rows, count = times.shape
    total = 0.0
    g_mu = 0.0
    g_n = 0.0
    g_beta = 0.0
    for r in range(rows):
        a = 0.0  # sum over earlier events of exp(-beta * gap)
        b = 0.0  # its derivative in beta
        previous = 0.0
        log_sum = 0.0
        inv_sum = 0.0
        a_sum = 0.0
        ab_sum = 0.0
        for i in range(count):
            t = times[r, i]
            if i > 0:
                gap = t - previous
                decay = math.exp(-beta * gap)
                b = decay * (b - gap * (1.0 + a))
                a = decay * (1.0 + a)
            previous = t
            rate = mu + n * beta * a
            inv = 1.0 / rate
            log_sum += math.log(rate)
            inv_sum += inv
            a_sum += a * inv
            ab_sum += (a + beta * b) * inv
        # The compensator's excitation part, n * sum_i (1 - exp(-beta (T - t_i))), from
        # the same recursion carried on to T: no second exp per event.
        gap = horizon - previous
        decay = math.exp(-beta * gap)
        a_end = decay * (1.0 + a) if count > 0 else 0.0
        b_end = decay * (b - gap * (1.0 + a)) if count > 0 else 0.0
        tail = count - a_end
        tail_beta = -b_end
        total += log_sum - mu * horizon - n * tail
        g_mu += inv_sum - horizon
        g_n += beta * a_sum - tail
        g_beta += n * ab_sum - n * tail_beta
    grad[0] = g_mu / rows
    grad[1] = g_n / rows
    grad[2] = g_beta / rows
    return total / rows


@njit(cache=True)
def hawkes_compensator(times: np.ndarray, mu: float, n: float, beta: float) -> np.ndarray:
    """The compensator at each event, ``Lambda(t_i)`` (``times`` sorted, 1-D): by the
    time-rescaling theorem its increments are unit exponentials under the model."""
    out = np.empty(times.shape[0])
    a = 0.0
    previous = 0.0
    for i in range(times.shape[0]):
        t = times[i]
        if i > 0:
            a = math.exp(-beta * (t - previous)) * (1.0 + a)
        previous = t
        # each earlier event has contributed n * (1 - exp(-beta * age)) so far
        out[i] = mu * t + n * (i - a)
    return out


@njit(cache=True)
def hawkes_intensity(times: np.ndarray, mu: float, n: float, beta: float, grid: np.ndarray) -> np.ndarray:
    """The conditional intensity just after each point of the sorted ``grid``, given
    the sorted event ``times`` (events at a grid point count as before it)."""
    out = np.empty(grid.shape[0])
    a = 0.0  # sum of exp(-beta * (at - t_i)) over the events so far
    at = 0.0
    j = 0
    for k in range(grid.shape[0]):
        g = grid[k]
        while j < times.shape[0] and times[j] <= g:
            a = a * math.exp(-beta * (times[j] - at)) + 1.0
            at = times[j]
            j += 1
        out[k] = mu + n * beta * a * math.exp(-beta * (g - at))
    return out


def excitation_at(times: np.ndarray, n: float, beta: float, at: float) -> float:
    """The self-excited part of the intensity at ``at`` from the events before it."""
    before = times[times < at]
    return float(n * beta * np.exp(-beta * (at - before)).sum())


def poisson_loglik(events: int, horizon: float, rate: float) -> float:
    """Log-likelihood of ``events`` event times in [0, horizon] at a constant rate."""
    if rate <= 0.0:
        return 0.0 if events == 0 else -math.inf
    return events * math.log(rate) - rate * horizon


# --- counts per period ---------------------------------------------------------------

def poisson_counts_loglik(counts: np.ndarray, lengths: np.ndarray, rate: float) -> float:
    """Log-likelihood of independent Poisson counts with means ``rate * lengths``."""
    from scipy.special import gammaln
    means = rate * lengths
    return float(np.sum(counts * np.log(means) - means - gammaln(counts + 1.0)))


@njit(cache=True)
def _counts_means(edges: np.ndarray, counts: np.ndarray, mu: float, n: float, beta: float
                  ) -> tuple[np.ndarray, float]:
    """Expected count of each period given the counts of the periods before it.

    The events of an earlier period are taken as spread uniformly over it (their times
    are unknown), which gives the excitation at the start of the period. Within the
    period the expected intensity then follows d/dt E[lambda] = beta (mu - (1 - n)
    E[lambda]) (the expected cascade of the exponential kernel): it relaxes toward
    mu / (1 - n) at rate beta (1 - n), and integrates in closed form. Also returns the
    excitation so estimated at the end of the last period."""
    k = counts.shape[0]
    out = np.empty(k)
    excitation = 0.0  # expected excitation at the start of the current period
    level = mu / (1.0 - n)
    gamma = beta * (1.0 - n)
    for i in range(k):
        length = edges[i + 1] - edges[i]
        relax = -math.expm1(-gamma * length) / gamma  # integral of exp(-gamma s) over the period
        out[i] = level * length + (mu + excitation - level) * relax
        # the excitation carried into the next period: the old part decays, and this
        # period's events (uniform in it) add n * beta * mean of exp(-beta * age)
        decay = math.exp(-beta * length)
        excitation = excitation * decay + counts[i] * n * (-math.expm1(-beta * length)) / length
    return out, excitation


def hawkes_counts_loglik(edges: np.ndarray, counts: np.ndarray, mu: float, n: float, beta: float) -> float:
    """Poisson quasi-log-likelihood of the counts under the Hawkes conditional means
    (``_counts_means``): a likelihood for the mean structure. It sees clustering across
    periods, not within one, so with periods much longer than the decay the branching
    ratio is weakly identified (and its intervals say so)."""
    from scipy.special import gammaln
    means = _counts_means(edges, counts.astype(np.float64), mu, n, beta)[0]
    return float(np.sum(counts * np.log(means) - means - gammaln(counts + 1.0)))


def hawkes_counts_means(edges: np.ndarray, counts: np.ndarray, mu: float, n: float, beta: float) -> np.ndarray:
    """The conditional expected count of each period (see ``_counts_means``)."""
    return _counts_means(edges, counts.astype(np.float64), mu, n, beta)[0]


def hawkes_counts_excitation(edges: np.ndarray, counts: np.ndarray, mu: float, n: float, beta: float) -> float:
    """The excitation (per day) at the end of the last period, taking each period's
    events as spread uniformly over it."""
    return float(_counts_means(edges, counts.astype(np.float64), mu, n, beta)[1])


# --- the profile over the decay ------------------------------------------------------

@njit(cache=True)
def _fixed_decay_value(a: np.ndarray, tails: np.ndarray, horizon: float, c: float, mu: float, n: float) -> float:
    """Average log-likelihood over rows at fixed beta (``c`` = beta): ``a`` holds each
    event's excitation sum A_i, ``tails`` each row's sum of 1 - exp(-beta (T - t_i))."""
    rows, count = a.shape
    total = 0.0
    for r in range(rows):
        s = 0.0
        for i in range(count):
            s += math.log(mu + n * c * a[r, i])
        total += s - mu * horizon - n * tails[r]
    return total / rows


@njit(cache=True)
def _excitation_sums(times: np.ndarray, horizon: float, beta: float, a: np.ndarray, tails: np.ndarray) -> None:
    """Fill ``a`` with each event's excitation sum A_i at decay ``beta`` and ``tails``
    with each row's sum of 1 - exp(-beta (T - t_i))."""
    rows, count = times.shape
    for r in range(rows):
        acc = 0.0
        previous = 0.0
        for i in range(count):
            t = times[r, i]
            if i > 0:
                acc = math.exp(-beta * (t - previous)) * (1.0 + acc)
            previous = t
            a[r, i] = acc
        tails[r] = count - (math.exp(-beta * (horizon - previous)) * (1.0 + acc) if count > 0 else 0.0)


@njit(cache=True)
def decay_profile(times: np.ndarray, horizon: float, betas: np.ndarray, n_max: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each decay rate in ``betas``: the maximum over (mu, n) of the Hawkes
    log-likelihood averaged over the rows of ``times``, and where it is reached.

    At a fixed beta the log-likelihood is concave in (mu, n) (a sum of logs of
    functions linear in them, less a linear term), so a projected Newton iteration
    finds the maximum reliably: this grid is the global search that the smooth
    optimiser then refines, and the cheap statistic of the bootstrap test of n = 0."""
    rows, count = times.shape
    g = betas.shape[0]
    out_mu = np.empty(g)
    out_n = np.empty(g)
    out_ll = np.empty(g)
    a = np.empty((rows, count))
    tails = np.empty(rows)
    mu = 0.5 * count / horizon
    n = 0.5
    for k in range(g):
        beta = betas[k]
        _excitation_sums(times, horizon, beta, a, tails)
        if n <= 0.0:
            n = 0.1  # restart off the boundary: a new decay may want excitation
            mu = 0.9 * count / horizon
        value = _fixed_decay_value(a, tails, horizon, beta, mu, n)
        for _ in range(200):
            g_mu = 0.0
            g_n = 0.0
            h_mm = 0.0
            h_mn = 0.0
            h_nn = 0.0
            for r in range(rows):
                for i in range(count):
                    x = beta * a[r, i]
                    inv = 1.0 / (mu + n * x)
                    g_mu += inv
                    g_n += x * inv
                    inv2 = inv * inv
                    h_mm -= inv2
                    h_mn -= x * inv2
                    h_nn -= x * x * inv2
                g_n -= tails[r]
            g_mu = g_mu / rows - horizon
            g_n /= rows
            h_mm /= rows
            h_mn /= rows
            h_nn /= rows
            # Newton direction; on a bound with the gradient pointing out, along mu only
            det = h_mm * h_nn - h_mn * h_mn
            if (n <= 0.0 and g_n <= 0.0) or (n >= n_max and g_n >= 0.0) or not det > 0.0:
                d_mu = -g_mu / h_mm
                d_n = 0.0
            else:
                d_mu = -(h_nn * g_mu - h_mn * g_n) / det
                d_n = -(h_mm * g_n - h_mn * g_mu) / det
            step = 1.0
            improved = False
            for _ in range(60):
                new_mu = mu + step * d_mu
                new_n = min(max(n + step * d_n, 0.0), n_max)
                if new_mu > 0.0:
                    new_value = _fixed_decay_value(a, tails, horizon, beta, new_mu, new_n)
                    if new_value >= value:
                        improved = True
                        break
                step *= 0.5
            if not improved:
                break
            change = new_value - value
            mu, n, value = new_mu, new_n, new_value
            if change <= 1e-10 * (1.0 + abs(value)):
                break
        out_mu[k] = mu
        out_n[k] = n
        out_ll[k] = value
    return out_mu, out_n, out_ll


@njit(cache=True)
def _one_free_slope(a: np.ndarray, tails: np.ndarray, horizon: float, beta: float, mu: float, n: float,
                    free: int) -> tuple[float, float]:
    """First and second derivative of the average log-likelihood at fixed beta in the
    free one of (mu, n) (``free`` 0: mu, 1: n)."""
    rows, count = a.shape
    g = 0.0
    h = 0.0
    for r in range(rows):
        for i in range(count):
            x = beta * a[r, i]
            inv = 1.0 / (mu + n * x)
            d = inv if free == 0 else x * inv
            g += d
            h -= d * d
        g -= horizon if free == 0 else tails[r]
    return g / rows, h / rows


@njit(cache=True)
def excitation_grid(times: np.ndarray, horizon: float, betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_excitation_sums`` at each decay rate in ``betas``: (decays, rows, events) and
    (decays, rows). Computed once, they serve every value of a profile."""
    rows, count = times.shape
    a = np.empty((betas.shape[0], rows, count))
    tails = np.empty((betas.shape[0], rows))
    for k in range(betas.shape[0]):
        _excitation_sums(times, horizon, betas[k], a[k], tails[k])
    return a, tails


@njit(cache=True)
def decay_profile_fixed(a_grid: np.ndarray, tails_grid: np.ndarray, horizon: float, betas: np.ndarray, fixed: int,
                        value: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """For each decay rate in ``betas`` (with its excitation sums from
    ``excitation_grid``): the maximum of the Hawkes log-likelihood (averaged over the
    rows) over one of (mu, n) with the other held: ``fixed`` 0 holds mu at ``value``
    and frees n in [low, high]; 1 holds n and frees mu. Returns the free parameter's
    maximiser and the maximum at each decay.

    At fixed beta the log-likelihood is concave in the free parameter, so its slope
    falls: the maximum is a bound where the slope points out, else the slope's one
    root, found by Newton steps kept inside a bisection bracket. With ``betas`` a grid,
    this is the global profile's search over the decay (``fit.profile_search``)."""
    count = a_grid.shape[2]
    free = 1 - fixed
    out_free = np.empty(betas.shape[0])
    out_ll = np.empty(betas.shape[0])
    # the first start makes the mean rate right (mu = rate (1 - n)); later ones are the
    # previous decay's solution, which moves little between neighbours on a grid
    rate = count / horizon
    guess = 1.0 - value / rate if fixed == 0 else rate * (1.0 - value)
    for k in range(betas.shape[0]):
        beta = betas[k]
        a = a_grid[k]
        tails = tails_grid[k]
        # Newton from the guess; the bracket [lo, hi] narrows as the slope's sign is
        # seen, and a bound is looked at only when a step leaves it (a slope pointing
        # out there puts the maximum on it)
        lo = low
        hi = high
        z = guess if low < guess < high else 0.5 * (low + high)
        for _ in range(200):
            g, h = _one_free_slope(a, tails, horizon, beta, value if fixed == 0 else z, z if fixed == 0 else value,
                                   free)
            if g > 0.0:
                lo = z
            else:
                hi = z
            candidate = z - g / h if h < 0.0 else 0.5 * (lo + hi)
            if not (lo < candidate < hi):
                if candidate <= low or candidate >= high:
                    bound = low if candidate <= low else high
                    slope = _one_free_slope(a, tails, horizon, beta, value if fixed == 0 else bound,
                                            bound if fixed == 0 else value, free)[0]
                    if (slope <= 0.0) if bound == low else (slope >= 0.0):
                        z = bound
                        break
                candidate = 0.5 * (lo + hi)  # Newton left the bracket: bisect
            if abs(candidate - z) <= 1e-13 * max(1.0, abs(z)) or hi - lo <= 1e-13 * max(1.0, abs(z)):
                z = candidate
                break
            z = candidate
        guess = z
        mu = value if fixed == 0 else z
        n = z if fixed == 0 else value
        out_free[k] = z
        out_ll[k] = _fixed_decay_value(a, tails, horizon, beta, mu, n)
    return out_free, out_ll
