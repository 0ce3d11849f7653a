"""The model against closed forms: statistical tests of the fast engine's output.

Each check compares an estimate over replications with a theoretical value and fails
when they differ by more than Z_MAX standard errors, the standard error being taken
from the simulated sample itself (binomial for proportions, sample sd / sqrt(n) for
means). The seeds are fixed; each check was also run under ten other seeds, which
never came near the limit (see the helpers' ``*_checks(seed)`` functions).

Feedback is switched off throughout (every rate_factor = 1), so the breach process is
exactly a Poisson or Hawkes process and the policy only observes it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps

import stress
from conftest import make_config

# Two-sided normal tail beyond 4 SE: 6e-5 per check; with about 50 checks, a correct
# model would fail this module under about 3 seeds in a thousand.
Z_MAX = 4.0
SEED = 20260203

NO_FEEDBACK = ("tier1.rate_factor=1", "tier2.rate_factor=1", "tier3.rate_factor=1")
# Every breach is detected, attributed and reported the moment it happens.
PERFECT_MONITORING = ("monitoring.detection_probability=1", "monitoring.delay_median_hours=0",
                      "monitoring.delay_spread=0", "monitoring.attribution_probability=1",
                      "monitoring.false_reports_per_day=0")
POISSON = ("breaches.self_excitation=0",)


class Check(NamedTuple):
    what: str
    estimate: float
    theory: float
    se: float

    @property
    def z(self) -> float:
        return (self.estimate - self.theory) / self.se


def proportion(what: str, hits: np.ndarray, theory: float) -> Check:
    p = float(np.mean(hits))
    return Check(what, p, theory, math.sqrt(p * (1.0 - p) / len(hits)))


def mean(what: str, values: np.ndarray, theory: float) -> Check:
    values = np.asarray(values, dtype=np.float64)
    return Check(what, float(values.mean()), theory, float(values.std(ddof=1)) / math.sqrt(len(values)))


def variance(what: str, values: np.ndarray, theory: float) -> Check:
    # The sample variance's standard error, estimated from the squared deviations
    # (no normality assumed: Hawkes counts are skewed).
    values = np.asarray(values, dtype=np.float64)
    squares = (values - values.mean()) ** 2
    return Check(what, float(values.var(ddof=1)), theory, float(squares.std(ddof=1)) / math.sqrt(len(values)))


def assert_within(checks: list[Check]) -> None:
    bad = [c for c in checks if not abs(c.z) <= Z_MAX]
    assert not bad, "\n".join(f"{c.what}: estimate {c.estimate:.6g}, theory {c.theory:.6g}, "
                              f"se {c.se:.3g}, z = {c.z:+.2f}" for c in bad)


def class_probabilities() -> dict[str, float]:
    return {c.name: c.probability for c in make_config().breaches.classes}


def records(overrides, n: int, seed: int):
    cfg = make_config(*NO_FEEDBACK, *overrides)
    return stress.run(cfg, n=n, seed=seed, engine="fast", workers=1, keep_records=True).records


# --- 1. tier 3 under Poisson breaches: the first offensive ---------------------------
# With perfect, instant monitoring, a sure decision and no delay, tier 3 is reached at
# the first offensive breach. Offensives are a thinned Poisson process of rate
# r = baseline * p(offensive), so the time to tier 3 is exponential: P(T3 <= t) =
# 1 - exp(-r t).

TIER3_RULE = ("tier3.min_class=offensive", "tier3.decision_probability=1", "tier3.delay_hours=0",
              "tier3.stand_down_per_day=0", "tier3.requires_lower_tier=false")


def tier3_checks(seed: int, n: int = 100_000) -> list[Check]:
    baseline, horizon_days = 0.15, 180.0
    frame = records((*POISSON, *PERFECT_MONITORING, *TIER3_RULE, f"breaches.baseline_per_day={baseline}",
                     f"scenario.horizon_days={horizon_days}"), n, seed)
    return first_offensive_law(frame["tier3_hours"].to_numpy(), baseline, horizon_days)


def first_offensive_law(t3: np.ndarray, baseline: float, horizon_days: float) -> list[Check]:
    """The times of a tier reached at the first offensive, against the exponential law."""
    p_offensive = class_probabilities()["offensive"]  # the default scenario's 0.03
    rate = baseline * p_offensive / 24.0  # offensives per hour
    checks = [proportion(f"P(tier 3 by {d:g} days)", t3 <= d * 24.0, -math.expm1(-rate * d * 24.0))
              for d in (10, 30, 60, 90, 120, horizon_days)]
    # tier3_hours is NaN exactly when tier 3 was not reached
    checks.append(proportion("P(tier 3 within the horizon), from NaN", ~np.isnan(t3),
                             -math.expm1(-rate * horizon_days * 24.0)))
    return checks


def test_tier3_under_poisson_breaches_is_the_first_offensive():
    assert_within(tier3_checks(SEED))


def test_tier3_time_is_a_truncated_exponential():
    # The whole distribution: given that tier 3 is reached by H, its time has cdf
    # (1 - exp(-r t)) / (1 - exp(-r H)). Kolmogorov-Smirnov, at a false-alarm rate
    # of 1e-4 (about that of a 4-SE check).
    baseline, horizon = 0.15, 180.0 * 24.0
    frame = records((*POISSON, *PERFECT_MONITORING, *TIER3_RULE, f"breaches.baseline_per_day={baseline}",
                     "scenario.horizon_days=180"), 100_000, SEED + 1)
    p_offensive = class_probabilities()["offensive"]
    rate = baseline * p_offensive / 24.0
    t3 = frame["tier3_hours"].dropna().to_numpy()
    result = sps.kstest(t3, lambda t: np.expm1(-rate * t) / math.expm1(-rate * horizon))
    assert result.pvalue > 1e-4, result


# --- 2. the Hawkes process: mean and variance of the number of breaches ---------------
# Started empty at t = 0 with baseline mu, branching ratio n and kernel
# n * beta * exp(-beta s), the intensity's mean solves m' = beta * mu - (1 - n) * beta * m,
# m(0) = mu, whence (derived here; moments of this kind in e.g. Cui, Hawkes & Yi 2020,
# "An elementary derivation of moments of Hawkes processes", Adv. Appl. Prob. 52)
#   E N(t) = mu t / (1 - n) - mu n (1 - exp(-(1 - n) beta t)) / ((1 - n)^2 beta).
# The variance follows from the cluster (branching) representation of Hawkes & Oakes
# (1974), also derived here: immigrants arrive
# as a Poisson process of rate mu, so Var N(t) = mu * integral_0^t E[C(u)^2] du, where
# C(u) counts the members of a cluster within u of its root. Its children form a
# Poisson process of intensity n beta exp(-beta v), each the root of an independent
# cluster, which gives E C(u) = a - b exp(-c u) (a = 1/(1-n), b = n/(1-n),
# c = (1-n) beta) and a linear equation for E C(u)^2 (see hawkes_variance). For
# n = 0 both reduce to Poisson: mean = variance = mu t.


def hawkes_mean(mu: float, n: float, beta: float, t: float) -> float:
    """E N(t) for a Hawkes process started empty (rates per hour, t in hours)."""
    return mu * t / (1.0 - n) - mu * n * (-math.expm1(-(1.0 - n) * beta * t)) / ((1.0 - n) ** 2 * beta)


def hawkes_variance(mu: float, n: float, beta: float, t: float) -> float:
    """Var N(t) for a Hawkes process started empty.

    With m1(u) = E C(u) and m2(u) = E C(u)^2, the children's Poisson process gives
    m2(u) = m1(u)^2 + h(u), h(u) = integral_0^u n beta exp(-beta v) m2(u - v) dv, i.e.
    h' = -c h + n beta m1^2, h(0) = 0, which integrates in closed form; then
    Var N(t) = mu * integral_0^t m2(u) du. Its slope tends to mu / (1 - n)^3."""
    a, b, c = 1.0 / (1.0 - n), n / (1.0 - n), (1.0 - n) * beta

    def m2(u: float) -> float:
        decay = math.exp(-c * u)
        m1 = a - b * decay
        h = n * beta * (a * a * (1.0 - decay) / c - 2.0 * a * b * u * decay + b * b * decay * (1.0 - decay) / c)
        return m1 * m1 + h

    value, _ = integrate.quad(m2, 0.0, t, limit=200)
    return mu * value


def hawkes_case(baseline: float, n: float, decay_hours: float, horizon_days: float):
    return (f"breaches.baseline_per_day={baseline}", f"breaches.self_excitation={n}",
            f"breaches.decay_hours={decay_hours}", f"scenario.horizon_days={horizon_days}")


HAWKES_CASES = {
    # name: (baseline per day, branching ratio, decay hours, horizon days)
    "poisson": (0.15, 0.0, 48.0, 180.0),
    "default-like": (0.15, 0.6, 48.0, 180.0),
    # a short horizon against a slow kernel: far from the long-run rate, so the
    # transient term is large (E N = 16.9, against 10 for Poisson and 33.3 long-run)
    "transient": (1.0, 0.7, 96.0, 10.0),
}


def hawkes_checks(case: str, seed: int, n_reps: int = 40_000) -> list[Check]:
    baseline, n, decay_hours, horizon_days = HAWKES_CASES[case]
    frame = records(hawkes_case(baseline, n, decay_hours, horizon_days), n_reps, seed)
    mu, beta, t = baseline / 24.0, 1.0 / decay_hours, horizon_days * 24.0
    counts = frame["breaches"].to_numpy()
    return [mean(f"{case}: E N(t)", counts, hawkes_mean(mu, n, beta, t)),
            variance(f"{case}: Var N(t)", counts, hawkes_variance(mu, n, beta, t))]


def test_hawkes_formulas_reduce_to_poisson_and_to_the_long_run_rate():
    # the closed forms themselves, where they are known independently
    mu, beta, t = 0.2, 1.0 / 30.0, 1000.0
    assert math.isclose(hawkes_mean(mu, 0.0, beta, t), mu * t)
    assert math.isclose(hawkes_variance(mu, 0.0, beta, t), mu * t)
    long = 1e6
    slope_mean = (hawkes_mean(mu, 0.5, beta, 2 * long) - hawkes_mean(mu, 0.5, beta, long)) / long
    slope_var = (hawkes_variance(mu, 0.5, beta, 2 * long) - hawkes_variance(mu, 0.5, beta, long)) / long
    assert math.isclose(slope_mean, mu / 0.5, rel_tol=1e-9)
    assert math.isclose(slope_var, mu / 0.5**3, rel_tol=1e-6)


def test_poisson_breach_count_has_poisson_mean_and_variance():
    assert_within(hawkes_checks("poisson", SEED))


def test_hawkes_breach_count_mean_and_variance():
    assert_within(hawkes_checks("default-like", SEED) + hawkes_checks("transient", SEED))


def long_run_checks(seed: int, n_reps: int = 40_000) -> list[Check]:
    # Runs to two horizons; replication i meets the same breaches in both (common
    # random numbers), so N(H2) - N(H1) counts the breaches in (H1, H2]. Once the
    # transient has died out (exp(-(1 - n) beta H1) = 6e-6 here) its mean is the
    # long-run rate mu / (1 - n) times H2 - H1.
    baseline, n, decay_hours = 0.15, 0.6, 48.0
    h1, h2 = 60.0, 180.0
    early = records(hawkes_case(baseline, n, decay_hours, h1), n_reps, seed)["breaches"].to_numpy()
    late = records(hawkes_case(baseline, n, decay_hours, h2), n_reps, seed)["breaches"].to_numpy()
    assert np.all(late >= early)
    mu = baseline / 24.0
    return [mean("breaches in (60, 180] days", late - early, mu / (1.0 - n) * (h2 - h1) * 24.0)]


def test_hawkes_settles_at_the_long_run_rate():
    assert_within(long_run_checks(SEED))


# --- 3. tier 2 under Poisson breaches: the scan statistic ----------------------------
# When every breach counts, is reported at once and the decision is sure and instant,
# tier 2 is reached by t exactly when some window of length w inside [0, t] holds k
# breaches: P(T2 <= t) = P(S_w >= k) for a Poisson process on [0, t], the scan
# statistic. With psi = rate * w, p(i) and F(i) the Poisson(psi) pmf and cdf (zero for
# i < 0), Naus (1982), as given in Glaz, Naus & Wallenstein, "Scan Statistics" (2001),
# chapter 2:
#   Q2 = F(k-1)^2 - (k-1) p(k) p(k-2) - (k-1-psi) p(k) F(k-3)
#   Q3 = F(k-1)^3 - A1 + A2 + A3 - A4, with
#     A1 = 2 p(k) F(k-1) [(k-1) F(k-2) - psi F(k-3)]
#     A2 = p(k)^2 [(k-1)(k-2) F(k-3) - 2(k-2) psi F(k-4) + psi^2 F(k-5)] / 2
#     A3 = sum_{r=1}^{k-1} p(2k-r) F(r-1)^2
#     A4 = sum_{r=2}^{k-1} p(2k-r) p(r) [(r-1) F(r-2) - psi F(r-3)]
#   P(S_w >= k on [0, L w]) ~= 1 - Q2 (Q3 / Q2)^(L - 2).
# Q2 and Q3 are the exact probabilities of no cluster in [0, 2w] and [0, 3w], so the
# formula is exact at L = 2 and 3 (checked: 2 million simulated paths agree within
# 1 SE). At the parameters below and L = 4 .. 25.7 it is within 5e-4 of the frequency
# in 8 million simulated Poisson paths (whose own SE is 1.7e-4): under a third of this
# test's standard error, so the approximation cannot decide the test.

SCAN_K, SCAN_RATE, SCAN_WINDOW_DAYS, SCAN_HORIZON_DAYS = 4, 0.1, 7.0, 180.0  # L = 25.7


def poisson_pmf(i: int, psi: float) -> float:
    return math.exp(-psi + i * math.log(psi) - math.lgamma(i + 1)) if i >= 0 else 0.0


def poisson_cdf(i: int, psi: float) -> float:
    return sum(poisson_pmf(j, psi) for j in range(i + 1))


def naus_q2_q3(k: int, psi: float) -> tuple[float, float]:
    def p(i):
        return poisson_pmf(i, psi)

    def F(i):
        return poisson_cdf(i, psi)

    q2 = F(k - 1) ** 2 - (k - 1) * p(k) * p(k - 2) - (k - 1 - psi) * p(k) * F(k - 3)
    a1 = 2 * p(k) * F(k - 1) * ((k - 1) * F(k - 2) - psi * F(k - 3))
    a2 = 0.5 * p(k) ** 2 * ((k - 1) * (k - 2) * F(k - 3) - 2 * (k - 2) * psi * F(k - 4) + psi**2 * F(k - 5))
    a3 = sum(p(2 * k - r) * F(r - 1) ** 2 for r in range(1, k))
    a4 = sum(p(2 * k - r) * p(r) * ((r - 1) * F(r - 2) - psi * F(r - 3)) for r in range(2, k))
    q3 = F(k - 1) ** 3 - a1 + a2 + a3 - a4
    return q2, q3


def scan_probability(k: int, psi: float, L: float) -> float:
    """P(some window of length w in [0, L w] holds >= k events), Naus (1982)."""
    q2, q3 = naus_q2_q3(k, psi)
    return 1.0 - q2 * (q3 / q2) ** (L - 2.0)


# Where the tier-2 curve is checked, in windows: exact at 2 and 3, Naus's
# approximation beyond.
SCAN_LS = (2.0, 3.0, 6.0, 12.0, SCAN_HORIZON_DAYS / SCAN_WINDOW_DAYS)


def scan_checks(seed: int, n: int = 100_000) -> list[Check]:
    frame = records((*POISSON, *PERFECT_MONITORING, f"breaches.baseline_per_day={SCAN_RATE}",
                     f"scenario.horizon_days={SCAN_HORIZON_DAYS}", "tier2.min_class=minor",
                     f"tier2.threshold={SCAN_K}", f"tier2.window_days={SCAN_WINDOW_DAYS}",
                     "tier2.decision_probability=1", "tier2.decision_delay_hours=0",
                     "tier2.requires_lower_tier=false"), n, seed)
    return scan_law(frame["tier2_hours"].to_numpy())


def scan_law(t2: np.ndarray) -> list[Check]:
    """The times of a count tier (SCAN_K reports in SCAN_WINDOW_DAYS) against Naus's law."""
    psi = SCAN_RATE * SCAN_WINDOW_DAYS
    return [proportion(f"P(tier 2 by {L:.3g} windows)", t2 <= L * SCAN_WINDOW_DAYS * 24.0,
                       scan_probability(SCAN_K, psi, L)) for L in SCAN_LS]


def test_tier2_under_poisson_breaches_is_the_scan_statistic():
    assert_within(scan_checks(SEED))


def brute_force_scan_checks(seed: int, n: int = 200_000) -> list[Check]:
    # The formula against a plain simulation of Poisson paths (no stress code): the
    # first time k points fall within less than w of each other.
    rng = np.random.default_rng(seed)
    k, w, horizon = SCAN_K, SCAN_WINDOW_DAYS, SCAN_HORIZON_DAYS
    counts = rng.poisson(SCAN_RATE * horizon, size=n)
    width = int(counts.max())
    times = rng.uniform(0.0, horizon, size=(n, width))
    times[np.arange(width)[None, :] >= counts[:, None]] = np.inf
    times.sort(axis=1)
    ends = times[:, k - 1:]
    with np.errstate(invalid="ignore"):  # inf - inf past the last point
        close = ends - times[:, : width - k + 1] < w
    first = np.where(close, ends, np.inf).min(axis=1)
    return [proportion(f"brute force: P(S_w >= k by {L:.3g} windows)", first <= L * w,
                       scan_probability(k, SCAN_RATE * w, L)) for L in SCAN_LS]


def test_naus_formula_against_brute_force_poisson_paths():
    assert_within(brute_force_scan_checks(SEED))


def test_naus_formula_at_a_small_case_worked_by_hand():
    # k = 2: no two points within w on [0, 2w]. The formula gives Q2 = F(1)^2 - p(2) p(0)
    # = e^{-2 psi} ((1 + psi)^2 - psi^2 / 2). Directly, by the number of points in
    # [0, 2w] (Poisson(2 psi)): 0 or 1 point always pass, 2 uniform points are more
    # than w apart with probability 1/4, 3 or more never are:
    # e^{-2 psi} (1 + 2 psi + (2 psi)^2 / 2 / 4).
    psi = 0.8
    q2, _ = naus_q2_q3(2, psi)
    assert math.isclose(q2, math.exp(-2 * psi) * (1 + 2 * psi + psi**2 / 2), rel_tol=1e-12)


# --- 4. monitoring as thinning and displacement of the breach process ----------------
# Under Poisson breaches each breach is, independently, of class c with p_c, detected
# with d and attributed with a, and its report comes a lognormal delay D later. Each
# count below is then Poisson with the mean given (thinned, displaced Poisson
# processes; a report counts if it is verified before the horizon H):
#   breaches of class c:  mu H p_c
#   detected:            mu H d
#   reports:             mu d a E[(H - D)^+]     (integral_0^H P(D < u) du)
#   false reports:       f E[(H - D)^+]          (their own Poisson process, rate f)
#   military responses:  p_m (mu d a + f) E[(H - D - U W)^+]
# the last because every report (real or false) gets a warning and, with p_m, a
# response starting uniformly within W after it. For lognormal D with median m and
# log-sd s, E[(h - D)^+] = h Phi(z) - m exp(s^2 / 2) Phi(z - s), z = ln(h / m) / s.

THIN = dict(baseline=2.0, detection=0.7, attribution=0.8, median=48.0, spread=0.75, false=0.5,
            military=0.6, within=24.0, horizon_days=8.0)


def expected_shortfall(h: float, median: float, spread: float) -> float:
    """E[(h - D)^+] for lognormal D."""
    if h <= 0.0:
        return 0.0
    z = math.log(h / median) / spread
    return h * sps.norm.cdf(z) - median * math.exp(spread**2 / 2) * sps.norm.cdf(z - spread)


THIN_MONITORING = (*POISSON, f"breaches.baseline_per_day={THIN['baseline']}",
                   f"scenario.horizon_days={THIN['horizon_days']}",
                   f"monitoring.detection_probability={THIN['detection']}",
                   f"monitoring.attribution_probability={THIN['attribution']}",
                   f"monitoring.delay_median_hours={THIN['median']}", f"monitoring.delay_spread={THIN['spread']}",
                   f"monitoring.false_reports_per_day={THIN['false']}")


def thinning_checks(seed: int, n: int = 100_000) -> list[Check]:
    c = THIN
    frame = records((*THIN_MONITORING, f"tier1.military_response_probability={c['military']}",
                     f"tier1.response_within_hours={c['within']}", "tier1.min_class=minor",
                     "tier1.cooldown_hours=0"), n, seed)
    return thinning_law(frame, "tier1_responses")


def thinning_law(frame, responses: str) -> list[Check]:
    """Counts of breaches, detections, reports, false reports and the responses of the
    tier that warns on every report (column ``responses``) against their means."""
    c = THIN
    mu, f, horizon = c["baseline"] / 24.0, c["false"] / 24.0, c["horizon_days"] * 24.0
    classes = class_probabilities()
    reported = expected_shortfall(horizon, c["median"], c["spread"])
    responded, _ = integrate.quad(
        lambda v: expected_shortfall(horizon - v * c["within"], c["median"], c["spread"]), 0.0, 1.0)
    expected = {
        "breaches": mu * horizon,
        "detected": mu * horizon * c["detection"],
        "reports": mu * c["detection"] * c["attribution"] * reported,
        "false_reports": f * reported,
        responses: c["military"] * (mu * c["detection"] * c["attribution"] + f) * responded,
    } | {f"breaches_{name}": mu * horizon * p for name, p in classes.items()}
    checks = []
    for column, theory in expected.items():
        values = frame[column].to_numpy()
        checks.append(mean(f"E {column}", values, theory))
        # each is a count of a thinned, displaced Poisson process: variance = mean
        checks.append(variance(f"Var {column}", values, theory))
    # pooled class shares (classes are drawn independently of everything else)
    total = int(frame["breaches"].sum())
    for name, p in classes.items():
        share = int(frame[f"breaches_{name}"].sum()) / total
        checks.append(Check(f"share of {name}", share, p, math.sqrt(share * (1 - share) / total)))
    return checks


def test_monitoring_thins_and_delays_the_breach_process():
    assert_within(thinning_checks(SEED))


# --- 6. the same laws with the count tier first, in the middle or last of a plan ------
# A plan of today's form with three tiers and no feedback: a warning on every report
# (with THIN's military response), a count tier (SCAN_K reports in SCAN_WINDOW_DAYS)
# and a tier reached at the first offensive. Where the count tier stands must change
# nothing: its reach times follow Naus's law, the offensive tier's the exponential law,
# and the counts the thinning law, whatever the plan's order and draws.

def plan_with_count_tier(position: int) -> dict:
    from stress.config.loading import read_raw
    raw = {k: v for k, v in read_raw(None)[0].items() if k != "tiers"}
    warning = {"name": "warning", "trigger": "report", "min_class": "minor", "repeats": True,
               "response_probability": THIN["military"], "response_from": "report",
               "response_within_hours": THIN["within"]}
    scan = {"name": "scan", "trigger": "count", "min_class": "minor", "threshold": SCAN_K,
            "window_days": SCAN_WINDOW_DAYS, "decision_probability": 1.0}
    offensive = {"name": "first_offensive", "trigger": "report", "min_class": "offensive", "decision_probability": 1.0}
    tiers = [warning, offensive]
    tiers.insert(position, scan)
    return raw | {"tiers": tiers}


def count_tier_checks(position: int, seed: int, n: int = 100_000) -> list[Check]:
    base = plan_with_count_tier(position)
    scan = stress.run(make_config(*POISSON, *PERFECT_MONITORING, f"breaches.baseline_per_day={SCAN_RATE}",
                                  f"scenario.horizon_days={SCAN_HORIZON_DAYS}", base=base),
                      n=n, seed=seed, engine="fast", workers=1, keep_records=True).records
    checks = scan_law(scan["scan_hours"].to_numpy())
    checks += first_offensive_law(scan["first_offensive_hours"].to_numpy(), SCAN_RATE, SCAN_HORIZON_DAYS)
    thin = stress.run(make_config(*THIN_MONITORING, base=base), n=n, seed=seed + 1, engine="fast", workers=1,
                      keep_records=True).records
    return checks + thinning_law(thin, "warning_responses")


@pytest.mark.parametrize("position", [0, 1, 2], ids=["first", "middle", "last"])
def test_the_closed_forms_hold_wherever_the_count_tier_stands(position):
    assert_within(count_tier_checks(position, SEED))
