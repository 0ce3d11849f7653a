"""Small pure functions of the model, shared by both engines.

Each is plain Python when called from the SimPy engine and is compiled into the
fast engine (``register_jitable``), so a rule is written once. They take and return
floats and ints only; every random input is a uniform in [0, 1) drawn by the caller.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

INF = math.inf


# --- transforms of uniforms -------------------------------------------------

@register_jitable
def exponential(u: float) -> float:
    """A unit-rate exponential from a uniform in [0, 1) (inversion)."""
    return -math.log1p(-u)


@register_jitable
def normal_quantile(p: float) -> float:
    """The standard normal quantile (Acklam's rational approximation, refined by one
    Halley step against erfc to full double precision)."""
    if p <= 0.0:
        return -INF
    if p >= 1.0:
        return INF
    if p > 0.5:
        # 1 - p is exact here; refining in the lower tail keeps erfc's precision
        return -_lower_normal_quantile(1.0 - p)
    return _lower_normal_quantile(p)


@register_jitable
def _lower_normal_quantile(p: float) -> float:
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e00) * q
               - 2.549732539343734e00) * q + 4.374664141464968e00) * q + 2.938163982698783e00) / (
            (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e00) * q
             + 3.754408661907416e00) * q + 1.0)
    else:
        q = p - 0.5
        r = q * q
        x = (((((-3.969683028665376e01 * r + 2.209460984245205e02) * r - 2.759285104469687e02) * r
               + 1.383577518672690e02) * r - 3.066479806614716e01) * r + 2.506628277459239e00) * q / (
            ((((-5.447609879822406e01 * r + 1.615858368580409e02) * r - 1.556989798598866e02) * r
              + 6.680131188771972e01) * r - 1.328068155288572e01) * r + 1.0)
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@register_jitable
def lognormal(u: float, median: float, spread: float) -> float:
    """A lognormal variate given by its median and the sd of its logarithm (an
    infinite median means 'never')."""
    if spread == 0.0 or median == INF:
        return median
    return median * math.exp(spread * normal_quantile(u))


@register_jitable
def categorical(u: float, cumulative) -> int:
    """The index drawn by ``u`` from cumulative class probabilities (last entry 1)."""
    n = len(cumulative)
    for i in range(n - 1):
        if u < cumulative[i]:
            return i
    return n - 1


# --- the breach process: exact simulation by random time change ------------
# The intensity is m(t) * mu + excitation(t). Each of the two parts has its own
# unit-exponential clock that runs at that part's compensator; the part whose clock
# runs out first produces the next breach. Only the part that fired redraws its clock,
# so a change of m(t) moves later breaches smoothly instead of reshuffling them.

@register_jitable
def multiplier_after(tau: float, m0: float, decay: float) -> float:
    """m(t0 + tau) given m(t0) = m0; it relaxes toward 1 at rate ``decay`` (0: stays)."""
    if decay == 0.0 or m0 == 1.0:
        return m0
    return 1.0 + (m0 - 1.0) * math.exp(-decay * tau)


@register_jitable
def baseline_mass(tau: float, mu: float, m0: float, decay: float) -> float:
    """Integral of m(t) * mu over (t0, t0 + tau]."""
    if decay == 0.0 or m0 == 1.0:
        return mu * m0 * tau
    return mu * (tau + (m0 - 1.0) * (-math.expm1(-decay * tau)) / decay)


@register_jitable
def baseline_wait(mass: float, mu: float, m0: float, decay: float) -> float:
    """The tau at which ``baseline_mass`` reaches ``mass`` (INF if never)."""
    if mu == 0.0:
        return INF
    if decay == 0.0 or m0 == 1.0:
        return INF if m0 == 0.0 else mass / (mu * m0)
    # m(t) lies between m0 and 1, so the answer is bracketed; Newton steps that
    # leave the bracket are replaced by bisection.
    lo = mass / (mu * max(m0, 1.0))
    hi = mass / (mu * min(m0, 1.0)) if m0 > 0.0 else lo + (1.0 + mass / mu) / decay + 1.0 / decay
    tau = 0.5 * (lo + hi)
    for _ in range(200):
        f = baseline_mass(tau, mu, m0, decay) - mass
        if f > 0.0:
            hi = tau
        else:
            lo = tau
        slope = mu * multiplier_after(tau, m0, decay)
        step = tau - f / slope if slope > 0.0 else -1.0
        tau_next = step if lo < step < hi else 0.5 * (lo + hi)
        if abs(tau_next - tau) <= 1e-13 * max(tau_next, 1.0):
            return tau_next
        tau = tau_next
    return tau


@register_jitable
def excitation_mass(tau: float, excitation: float, beta: float) -> float:
    """Integral of excitation(t0) * exp(-beta * s) over s in (0, tau]."""
    return excitation * (-math.expm1(-beta * tau)) / beta


@register_jitable
def excitation_wait(mass: float, excitation: float, beta: float) -> float:
    """The tau at which ``excitation_mass`` reaches ``mass`` (INF if it never does:
    the excitation dies out first)."""
    total = excitation / beta
    if mass >= total:
        return INF
    return -math.log1p(-mass / total) / beta


# --- response rules --------------------------------------------------------

@register_jitable
def tier3_times(t_report: float, t_incident: float, delay: float, from_incident: bool,
                stand_down_per_hour: float, u_stand_down: float, objective_hours: float):
    """When a decided tier-3 response would start, when the violator would stand
    down, and when the triggering attack would reach its objective.

    The response starts ``delay`` after the incident (or after the report, for the
    variant), never before the report itself; the stand-down clock starts at the
    report, when the response is announced."""
    base = t_incident if from_incident else t_report
    start = max(base + delay, t_report)
    stand_down = INF if stand_down_per_hour == 0.0 else t_report + exponential(u_stand_down) / stand_down_per_hour
    return start, stand_down, t_incident + objective_hours


@register_jitable
def capped_multiplier(m: float, factor: float, cap: float) -> float:
    """The violator's multiplier after a response with ``factor`` takes effect."""
    return min(m * factor, cap)
