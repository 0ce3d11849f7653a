"""Sobol' indices and Morris effects with intervals for both sources of their error:
the sampled design and the replications' noise.

SALib's estimators and its bootstrap over the design's rows (base samples,
trajectories) give the indices and their design error. Under common random numbers
the N replications are shared by all points, so their luck moves the estimated
effects as well as the level, and the design bootstrap, which holds the replications
fixed, cannot see it: on P(tier 1) = 1 - exp(-T r d a), 20 seeds at B = 1024 and N =
250, the 95% interval of ST(a) held the exact index 50% of the time (its seed-to-seed
SD 0.019 against a reported half-width 0.0083).

The replications' part comes from K blocks of replications (``stress.statistics.
blocks``): each resample draws K - 1 of the K blocks with replacement, recomputes every
point's estimate from them and the indices from those (K - 1 draws make the bootstrap
variance of a mean of blocks the unbiased s^2 / K rather than (K - 1) / K of it). The
two variances add (the points' own noise, which both resamplings see, is counted
twice: a small overstatement while the noise share is small), and the interval is
Student's t with Welch-Satterthwaite degrees of freedom (K - 1 for the replications'
part: 19 at K = 20, where a normal quantile would cover 93.5%).

An output whose variance over the design rests on a few replications, or is mostly
Monte Carlo noise, has no variance to apportion: ``no_variance`` says why, and no
indices are given.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

# Resamples of the design's rows (SALib's bootstrap) and of the replication blocks.
DESIGN_RESAMPLES = 500
BLOCK_RESAMPLES = 200
# Above this noise share the indices would mostly apportion noise.
MOSTLY_NOISE = 0.5
# Above this relative SD over resamples of the replications, the variance being
# apportioned is not known to within half of itself.
UNSETTLED = 0.5


class Spread(NamedTuple):
    """An index's error: the standard deviations from the design and from the
    replications, and the interval's half-width and degrees of freedom."""
    design_sd: float
    replication_sd: float
    half_width: float
    df: float


def spread(design_sd: float, replication_sd: float, design_df: int, replication_df: int,
           confidence: float = 0.95) -> Spread:
    """Half-width t * sqrt(design^2 + replications^2), t with Welch-Satterthwaite
    degrees of freedom."""
    from scipy.stats import t
    vd, vr = design_sd ** 2, replication_sd ** 2
    total = vd + vr
    if not total > 0.0:
        return Spread(design_sd, replication_sd, 0.0, math.inf)
    df = total ** 2 / (vd ** 2 / max(design_df, 1) + vr ** 2 / max(replication_df, 1))
    return Spread(design_sd, replication_sd, float(t.ppf(0.5 + confidence / 2.0, df) * math.sqrt(total)), float(df))


def block_resamples(hits: np.ndarray, n: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, points) point estimates, each from K - 1 of the K replication blocks
    drawn with replacement (the same draw for every point: the blocks are shared).
    ``hits``, ``n``: (points, K) counts and replications per block."""
    blocks = hits.shape[1]
    weights = rng.multinomial(blocks - 1, np.full(blocks, 1.0 / blocks), size=resamples).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ hits.T) / (weights @ n.T)


def no_variance(y: np.ndarray, hits: np.ndarray, n: np.ndarray, noise_share: float, seed: int) -> str | None:
    """Why an output's indices would apportion nothing, in words (None: they do not):
    no variance at all; a variance over the design that a few replications make (its
    relative SD over resamples of the blocks above ``UNSETTLED``: near 0 or 1 the
    points differ in a handful of replications' outcomes, which are shared, and indices
    reached 1.7); or one that is mostly the points' own noise (share above
    ``MOSTLY_NOISE``)."""
    variance = float(np.var(y, ddof=1))
    if not variance > 0.0:
        return f"it is the same at every point ({y[0]:.3g}): no input moves it"
    resampled = block_resamples(hits, n, BLOCK_RESAMPLES, np.random.default_rng(seed)).var(axis=1, ddof=1)
    unsettled = float(np.std(resampled, ddof=1)) / variance
    if unsettled > UNSETTLED:
        return (f"its variance over the design ({variance:.2g}) comes from a few replications: it moves by "
                f"{100 * unsettled:.0f}% (SD) between resamples of the replications (raise -n)")
    if noise_share == noise_share and noise_share > MOSTLY_NOISE:
        return (f"{100 * noise_share:.0f}% of its variance over the design is Monte Carlo noise, which the indices "
                f"would apportion among the inputs (raise -n)")
    return None


def _standardised(y: np.ndarray) -> np.ndarray:
    """Columns centred and scaled, as SALib's Sobol' analysis does to its output."""
    sd = y.std(axis=0)
    return (y - y.mean(axis=0)) / np.where(sd > 0.0, sd, 1.0)


def sobol_with_replications(problem: dict[str, Any], y: np.ndarray, hits: np.ndarray, n: np.ndarray, seed: int,
                            confidence: float = 0.95) -> dict[str, np.ndarray]:
    """SALib's first-order and total indices of ``y`` (Saltelli's design without second
    order) with half-widths ``S1_conf``, ``ST_conf`` for design and replications, and
    the two standard deviations of each (``*_sd_design``, ``*_sd_replications``)."""
    from SALib.analyze import sobol
    from SALib.util import extract_group_names
    rng = np.random.default_rng(seed)
    si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=DESIGN_RESAMPLES,
                       conf_level=confidence, seed=seed)
    _, groups = extract_group_names(problem)
    rows = y.size // (groups + 2)
    resampled = _standardised(block_resamples(hits, n, BLOCK_RESAMPLES, rng).T)   # (points, resamples)
    a, b, ab = _separate(resampled, groups)
    z = _z(confidence)
    out: dict[str, np.ndarray] = {"S1": np.asarray(si["S1"]), "ST": np.asarray(si["ST"])}
    for key, estimator in (("S1", sobol.first_order), ("ST", sobol.total_order)):
        design = np.asarray(si[f"{key}_conf"]) / z
        replicated = np.array([estimator(a, ab[:, j], b).std(ddof=1) for j in range(groups)])
        spreads = [spread(d, r, rows - 1, hits.shape[1] - 1, confidence) for d, r in zip(design, replicated)]
        out[f"{key}_conf"] = np.array([s.half_width for s in spreads])
        out[f"{key}_sd_design"] = design
        out[f"{key}_sd_replications"] = replicated
    return out


def _separate(resampled: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saltelli's blocks A, B and AB_j (axis 1) of outputs with one column per resample
    (SALib's ``separate_output_values`` takes one output vector)."""
    step = groups + 2
    return resampled[0::step], resampled[step - 1::step], np.stack([resampled[j + 1::step] for j in range(groups)],
                                                                   axis=1)


def morris_with_replications(problem: dict[str, Any], unit: np.ndarray, y: np.ndarray, hits: np.ndarray,
                             n: np.ndarray, levels: int, seed: int, confidence: float = 0.95
                             ) -> dict[str, np.ndarray]:
    """SALib's Morris screening of ``y`` with ``mu_star_conf`` for design and
    replications (and the two standard deviations)."""
    from SALib.analyze import morris
    rng = np.random.default_rng(seed)
    si = morris.analyze(problem, unit, y, num_levels=levels, conf_level=confidence, seed=seed)
    trajectories = unit.shape[0] // (len(si["mu_star"]) + 1)
    resampled = block_resamples(hits, n, BLOCK_RESAMPLES, rng)
    # mu* is not linear in the output; SALib recomputes it for each resample (its own
    # bootstrap kept to the minimum it allows)
    stars = np.array([np.asarray(morris.analyze(problem, unit, row, num_levels=levels, num_resamples=2,
                                                seed=seed)["mu_star"]) for row in resampled])
    design = np.asarray(si["mu_star_conf"]) / _z(confidence)
    replicated = stars.std(axis=0, ddof=1)
    spreads = [spread(d, r, trajectories - 1, hits.shape[1] - 1, confidence) for d, r in zip(design, replicated)]
    return {"mu": np.asarray(si["mu"]), "mu_star": np.asarray(si["mu_star"]), "sigma": np.asarray(si["sigma"]),
            "mu_star_conf": np.array([s.half_width for s in spreads]), "mu_star_sd_design": design,
            "mu_star_sd_replications": replicated}


def _z(confidence: float) -> float:
    from scipy.stats import norm
    return float(norm.ppf(0.5 + confidence / 2.0))
