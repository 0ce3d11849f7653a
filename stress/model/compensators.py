"""The breach process's compensators and their inverses, shared by both engines.

The intensity is m(t) * mu + excitation(t). Each of the two parts has its own
unit-exponential clock that runs at that part's compensator (``stress.model.clock``);
these functions integrate each part over a stretch of time and find when a given
mass is used up.
"""

from __future__ import annotations

import math

from stress.model.jit import jitable

from stress.model.variates import INF, exp_expm1, expm1


@jitable
def relax(tau: float, mu: float, m0: float, decay: float, inv_decay: float):
    """Over (t0, t0 + tau], given m(t0) = m0 relaxing toward 1 at rate ``decay`` (0:
    it stays): the baseline's mass, the integral of m(t) * mu, and m(t0 + tau). One
    exp serves both."""
    if decay == 0.0 or m0 == 1.0:
        return mu * m0 * tau, m0
    e, em = exp_expm1(-decay * tau)
    return mu * (tau - (m0 - 1.0) * em * inv_decay), 1.0 + (m0 - 1.0) * e


@jitable
def baseline_wait(mass: float, mu: float, inv_mu: float, m0: float, decay: float, inv_decay: float):
    """The tau at which the baseline's mass (``relax``) reaches ``mass`` (INF if never),
    and m(t0 + tau): the breach that tau times would otherwise need an exp for it."""
    if mu == 0.0:
        return INF, m0
    if decay == 0.0 or m0 == 1.0:
        rate = mu * m0
        return (INF if rate == 0.0 else mass / rate), m0  # a denormal m0 can make the rate 0
    # In units of mass / mu, solve g(tau) = tau - c (exp(-decay tau) - 1) / decay = target,
    # where m(t) = 1 + c exp(-decay t) moves monotonically from m0 toward 1. Start from
    # the series inversion of g to third order, then take Chebyshev steps (cubic like
    # Halley's, with one division fewer; the derivatives come free with the one exp
    # per step) until the error bound err_next <= bound * step**3 says the next iterate
    # is good to 1e-12 relative. The bracket [lo, hi] (the rates at the two ends)
    # guards against rounding. This runs at every baseline breach and every response,
    # so there are two divisions and one exp in the usual case.
    c = m0 - 1.0
    target = mass * inv_mu
    if target == 0.0:
        return 0.0, m0  # the clock has run out (and with m0 = 0 the slope at 0 is 0)
    inv_m0 = 1.0 / m0 if m0 > 0.0 else INF
    if inv_m0 < INF:
        lo, hi = target * min(1.0, inv_m0), target * max(1.0, inv_m0)
        inv_low = max(inv_m0, 1.0)  # 1 / min(m0, 1)
        # Chebyshev's error constant 2 A^2 + |B|, A = g2 / (2 g1), B = g3 / (6 g1) for
        # the derivatives g1, g2, g3 of g, at its largest over the bracket
        bound = decay * decay * abs(c) * (1.0 / 6.0 + 0.5 * abs(c) * inv_low) * inv_low
        # third-order Lagrange inversion of g(tau) = m0 tau - (c decay / 2) tau^2 + ...
        first = target * inv_m0
        cd = c * decay * inv_m0
        tau = first * (1.0 + first * (0.5 * cd + first * cd * decay * (0.5 * c * inv_m0 - 1.0 / 6.0)))
    else:
        lo, hi = target, target + (1.0 + target) * inv_decay + inv_decay
        bound = INF
        tau = 0.5 * (lo + hi)
    tau = min(max(tau, lo), hi)
    for _ in range(100):
        e, em = exp_expm1(-decay * tau)
        f = tau - c * em * inv_decay - target
        if f == 0.0:
            return tau, 1.0 + c * e
        if f > 0.0:
            hi = tau
        else:
            lo = tau
        g1 = m0 + c * em  # m(tau) = 1 + c e, without the cancellation when m0 is near 0
        if not g1 > 0.0:
            # only with m0 = 0 and tau so small that m(tau) underflows: halve the bracket
            tau = 0.5 * (lo + hi)
            continue
        inv_g1 = 1.0 / g1
        newton = f * inv_g1
        step = newton * (1.0 - 0.5 * newton * decay * c * e * inv_g1)
        tau_next = tau - step
        if not lo <= tau_next <= hi:
            tau_next = 0.5 * (lo + hi)
        elif abs(step) <= 1e-14 * tau_next or (abs(step) < 1.0 and bound * abs(step * step * step) <= 1e-12 * tau_next):
            # exp(-decay * tau_next) = e * exp(z): a series for the usual tiny z
            z = decay * step
            if abs(z) < 1e-3:
                return tau_next, 1.0 + c * e * (1.0 + z * (1.0 + z * (0.5 + z * (1.0 / 6.0 + z * (1.0 / 24.0)))))
            return tau_next, 1.0 + c * math.exp(-decay * tau_next)
        tau = tau_next
    return tau, 1.0 + c * math.exp(-decay * tau)


@jitable
def excitation_mass(tau: float, excitation: float, beta: float) -> float:
    """Integral of excitation(t0) * exp(-beta * s) over s in (0, tau]."""
    return -excitation * expm1(-beta * tau) / beta


@jitable
def excitation_wait(mass: float, excitation: float, beta: float, inv_beta: float) -> float:
    """The tau at which ``excitation_mass`` reaches ``mass`` (INF if it never does:
    the excitation, whose total mass is excitation / beta, dies out first)."""
    scaled = mass * beta
    if scaled >= excitation:
        return INF
    return -math.log(1.0 - scaled / excitation) * inv_beta
