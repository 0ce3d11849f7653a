"""Small pure functions of the model, shared by both engines.

Each is plain Python when called from the SimPy engine and is compiled into the
fast engine (``register_jitable``), so a rule is written once. They take and return
floats and ints only; every random input is a uniform in [0, 1) drawn by the caller.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

INF = math.inf
# Stands in for the objective draw of a false report: no attack, no objective.
NO_OBJECTIVE = -1.0


# --- transforms of uniforms -------------------------------------------------

@register_jitable
def exponential(u: float) -> float:
    """A unit-rate exponential from a uniform in [0, 1) (inversion). log(1 - u) is
    2.5 times faster than log1p(-u) and differs by at most 1.2e-16 absolute."""
    return -math.log(1.0 - u)


@register_jitable
def _expm1_series(x: float) -> float:
    """exp(x) - 1 for |x| < 1e-2, to ~1e-16 relative."""
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0))))))


@register_jitable
def _exp_expm1(x: float):
    """exp(x) and exp(x) - 1, both from the series when |x| < 1e-2 (no exp call)."""
    if abs(x) < 1e-2:
        em = _expm1_series(x)
        return 1.0 + em, em
    e = math.exp(x)
    return e, e - 1.0


@register_jitable
def expm1(x: float) -> float:
    """exp(x) - 1 to ~1e-15 relative: a Taylor series near 0, exp(x) - 1 elsewhere
    (half the cost of math.expm1, which dominated the breach process)."""
    return _exp_expm1(x)[1]


@register_jitable
def normal_quantile(p: float) -> float:
    """The standard normal quantile: Wichura's algorithm AS 241 (PPND16, Applied
    Statistics 37(3), 1988), rational approximations good to about 1e-16."""
    if p <= 0.0:
        return -INF
    if p >= 1.0:
        return INF
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                         + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r
                       + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                     + 1.3314166789178437745e2) * r + 3.3871328727963666080e0) / (
            ((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                 + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r
               + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
             + 4.2313330701600911252e1) * r + 1.0)
    r = math.sqrt(-math.log(p if q < 0.0 else 1.0 - p))
    if r <= 5.0:
        r -= 1.6
        x = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                  + 2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r
                + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
              + 4.63033784615654529590e0) * r + 1.42343711074968357734e0) / (
            ((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                 + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
               + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
             + 2.05319162663775882187e0) * r + 1.0)
    else:
        r -= 5.0
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                  + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
              + 5.46378491116411436990e0) * r + 6.65790464350110377720e0) / (
            ((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                 + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
               + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
             + 5.99832206555887937690e-1) * r + 1.0)
    return -x if q < 0.0 else x


@register_jitable
def lognormal(u: float, median: float, spread: float) -> float:
    """A lognormal variate given by its median and the sd of its logarithm (an
    infinite median means 'never')."""
    if spread == 0.0 or median == INF:
        return median
    return median * math.exp(spread * normal_quantile(u))


@register_jitable
def categorical(u: float, cumulative) -> int:
    """The index drawn by ``u`` from cumulative class probabilities (last entry 1):
    the number of bins ``u`` has passed. Counting rather than stopping at the first
    bin leaves the compiled code no branch to mispredict (0.8 ns against 3.6 ns)."""
    index = 0
    for i in range(len(cumulative) - 1):
        index += u >= cumulative[i]
    return index


# --- the breach process: exact simulation by random time change ------------
# The intensity is m(t) * mu + excitation(t). Each of the two parts has its own
# unit-exponential clock that runs at that part's compensator; the part whose clock
# runs out first produces the next breach. Only the part that fired redraws its clock,
# so a change of m(t) moves later breaches smoothly instead of reshuffling them.

@register_jitable
def relax(tau: float, mu: float, m0: float, decay: float, inv_decay: float):
    """Over (t0, t0 + tau], given m(t0) = m0 relaxing toward 1 at rate ``decay`` (0:
    it stays): the baseline's mass, the integral of m(t) * mu, and m(t0 + tau). One
    exp serves both."""
    if decay == 0.0 or m0 == 1.0:
        return mu * m0 * tau, m0
    e, em = _exp_expm1(-decay * tau)
    return mu * (tau - (m0 - 1.0) * em * inv_decay), 1.0 + (m0 - 1.0) * e


@register_jitable
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
        e, em = _exp_expm1(-decay * tau)
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


@register_jitable
def excitation_mass(tau: float, excitation: float, beta: float) -> float:
    """Integral of excitation(t0) * exp(-beta * s) over s in (0, tau]."""
    return -excitation * expm1(-beta * tau) / beta


@register_jitable
def excitation_wait(mass: float, excitation: float, beta: float, inv_beta: float) -> float:
    """The tau at which ``excitation_mass`` reaches ``mass`` (INF if it never does:
    the excitation, whose total mass is excitation / beta, dies out first)."""
    scaled = mass * beta
    if scaled >= excitation:
        return INF
    return -math.log(1.0 - scaled / excitation) * inv_beta


# --- response rules --------------------------------------------------------

@register_jitable
def tier3_times(t_report: float, t_incident: float, delay: float, from_incident: bool,
                stand_down_per_hour: float, u_stand_down: float, u_objective: float,
                objective_median: float, objective_spread: float):
    """When a decided tier-3 response would start, when the violator would stand
    down, and when the triggering attack would reach its objective.

    The response starts ``delay`` after the incident (or after the report, for the
    variant), never before the report itself; the stand-down clock starts at the
    report, when the response is announced. A negative ``u_objective`` marks a false
    report: no attack, no objective."""
    base = t_incident if from_incident else t_report
    start = max(base + delay, t_report)
    stand_down = INF if stand_down_per_hour == 0.0 else t_report + exponential(u_stand_down) / stand_down_per_hour
    objective = INF if u_objective < 0.0 else t_incident + lognormal(u_objective, objective_median, objective_spread)
    return start, stand_down, objective


@register_jitable
def capped_multiplier(m: float, factor: float, cap: float) -> float:
    """The violator's multiplier after a response with ``factor`` takes effect."""
    return min(m * factor, cap)
