"""The verdict: what a calibration's numbers mean, in plain words, each a sentence or
two an analyst can read without the tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stress.calibration.fit import HOURS, MIXTURE_SIZE
from stress.calibration.goodness import KS_TABLE_SIZE
from stress.calibration.predictive import simulated_p
from stress.calibration.predictive import verdict as predictive_verdict

if TYPE_CHECKING:
    from stress.calibration.bootstrap import BootstrapTest
    from stress.calibration.classes import ClassFit
    from stress.calibration.fit import LikelihoodRatioTest, PoissonFit
    from stress.calibration.goodness import DispersionCheck, RescalingTest
    from stress.calibration.hawkes import HawkesFit
    from stress.calibration.predictive import PredictiveCheck
    from stress.calibration.result import DataSummary


_PER = {"day": "daily", "week": "weekly", "month": "monthly"}


def write_notes(summary: "DataSummary", poisson: "PoissonFit | None", hawkes: "HawkesFit | None",
                lr: "LikelihoodRatioTest | None", boot: "BootstrapTest | None",
                rescaling: "tuple[RescalingTest, ...]", dispersion: "tuple[DispersionCheck, ...]",
                predictive: "tuple[PredictiveCheck, ...]", classes: "ClassFit | None", chosen: str) -> list[str]:
    unit = summary.period_label
    notes = [f"Data: {summary.events} events in {summary.period.label} ({summary.period.days} days): "
             f"{summary.rate_per_day:.3f} per day; {_PER[unit]} counts have variance/mean "
             f"{summary.observed_dispersion:.2f} (1 for a Poisson process).",
             f"Ties: {summary.ties}."]
    empty = summary.selection.empty_count_cells
    if empty:
        notes.append(f"{empty} empty cell(s) of the count column {summary.selection.count_column!r} were read as "
                     f"0 events; if they mean \"not recorded\", cut the period to the recorded {unit}s.")
    if summary.selection.period_from_events:
        notes.append("The period was not given in full, so it starts or ends at an event: that overstates the "
                     "rate a little; give start and end as the dates the data cover.")
    dropped = summary.selection.dropped_imprecise
    if dropped:
        share = dropped / (dropped + summary.selection.rows_selected)
        notes.append(f"{dropped} of {dropped + summary.selection.rows_selected} filtered events ({share:.0%}, all "
                     f"periods) are dated only to a range of days (date_prec > {summary.selection.date_precision}) "
                     f"and were left out: the fitted rates describe the events dated to the day and understate all "
                     f"events by about that share; from Python, stress.calibrate(..., date_precision=None) "
                     f"keeps them, jittered within their date ranges.")
    if poisson is not None:
        r = poisson.rate
        notes.append(f"Poisson: rate {r.estimate:.3f} per day (95% CI {r.ci_low:.3f}-{r.ci_high:.3f}, exact).")
    if hawkes is not None:
        notes.extend(_hawkes_notes(hawkes, summary))
    if lr is not None:
        text = (f"Self-excitation test (n = 0 against n > 0): LR = {lr.statistic:.2f}, p = {lr.p_value:.3g} by the "
                f"50:50 chi-square(0)/(1) mixture, which is anti-conservative: the decay is not identified when "
                f"n = 0, and at 5% the mixture rejected {MIXTURE_SIZE} of Poisson logs in simulations")
        if boot is not None:
            text += (f"; so the parametric bootstrap ({boot.replicates} Poisson simulations, fitted the same way) "
                     f"decides: p = {boot.p_value:.3g}")
        else:
            text += ("; read it as a lower bound" + ("; there is no bootstrap for counts per period" if
                                                     summary.form == "counts" else "; a bootstrap would calibrate it"))
        p_value = boot.p_value if boot is not None else lr.p_value
        text += (". The Poisson process is rejected: breaches cluster." if p_value <= 0.05 else
                 ". No evidence of self-excitation beyond a Poisson process.")
        notes.append(text)
    for check in dispersion:
        name = _name(check.model)
        inside = check.simulated_low <= check.observed <= check.simulated_high
        notes.append(f"{name}: observed {_PER[unit]} variance/mean {check.observed:.2f}; the fitted {name} process gives "
                     f"{check.simulated_low:.2f}-{check.simulated_high:.2f} (90% of {check.simulations} simulations)"
                     + (": consistent." if inside else
                        f": it cannot produce this {'clustering' if check.observed > check.simulated_high else 'regularity'} "
                        f"(two-sided p {simulated_p(check.p_two_sided, check.simulations)})."))
    for test in rescaling:
        name = _name(test.model)
        how = (f" by a parametric bootstrap ({test.replicates} simulations of the fit, each refitted)"
               if test.replicates else
               f" from the KS table, which takes the fitted parameters as known: conservative (at 5% it "
               f"rejected {KS_TABLE_SIZE} of true models in simulations), so only a clear failure shows")
        notes.append(f"{name}: time-rescaling KS = {test.ks_statistic:.3f}"
                     + (f" (median of {test.copies} jittered copies)" if test.copies > 1 else "")
                     + f", p = {test.p_value:.3g}{how}"
                     + (": the rescaled gaps are consistent with Exp(1)." if test.p_value > 0.05 else
                        ": the rescaled gaps are not Exp(1), the model misses structure in the timing."))
    for check in predictive:
        notes.extend(predictive_verdict(check, unit))
    if classes is not None:
        for row in classes.rows:
            if row.events == 0:
                notes.append(f"Class {row.name} has no events in the data: its probability is estimated as 0 (95% "
                             f"upper limit {row.ci_high:.3g}). With 0 in the scenario no breach is ever of this "
                             f"class; set it by assumption if it must be possible.")
    degenerate = hawkes is not None and hawkes.near_critical
    if chosen == "poisson" and degenerate:
        reason = (" because the Hawkes fit is near-critical: neither model describes these data well; treat the "
                  "scenario's breach rate as a rough average, or calibrate on a shorter, steadier period.")
    elif chosen == "hawkes" and lr is not None:
        reason = " (the test of n = 0 rejects)."
    elif chosen == "poisson" and lr is not None:
        reason = " (no significant self-excitation)."
    else:
        reason = "."
    notes.append(f"The scenario gets the {_name(chosen)} fit{reason}")
    return notes


def _hawkes_notes(hawkes: "HawkesFit", summary: "DataSummary") -> list[str]:
    b, n, d = hawkes.estimates
    notes = [f"Hawkes: baseline {b.estimate:.3f} per day ({b.ci_low:.3f}-{b.ci_high:.3f}), branching ratio "
             f"{n.estimate:.2f} ({n.ci_low:.2f}-{n.ci_high:.2f}), decay {d.estimate:.3g} hours "
             f"({d.ci_low:.3g}-{d.ci_high:.3g}); 95% profile-likelihood intervals. Stationary rate "
             f"{hawkes.mean_rate:.3f} per day; each breach triggers {n.estimate:.2f} more on average."]
    if "decay" in hawkes.at_bound and hawkes.decay_hours > HOURS:
        notes.append("The decay sits at its upper limit (a tenth of the period): the data look like a slowly "
                     "changing level more than like short bursts of breaches.")
    if hawkes.near_critical:
        notes.append(f"The branching ratio is {hawkes.n:.4f}, at the edge of 1 (baseline {hawkes.mu:.2g} per day): "
                     "the fit describes the data "
                     "as a near-critical cascade, which is how a stationary Hawkes process imitates a level that "
                     "drifts over the period. It does not describe these data; its simulations and forecasts are "
                     "unreliable." + (" Counts per period cannot separate clustering within a period from a "
                                      "drifting level." if hawkes.data == "counts" else ""))
    if hawkes.n == 0.0:
        notes.append("The branching ratio is estimated as 0: no self-excitation; the decay is then not identified.")
    if summary.form == "events" and summary.resolution_days >= 1.0 and hawkes.decay_hours < HOURS:
        notes.append(f"The decay ({hawkes.decay_hours:.3g} hours) is shorter than the one-day resolution of the "
                     f"dates, which cannot resolve it: it rests on how many events share a day. In simulations with "
                     f"a true decay of 6 hours, day-dated data gave about 10 hours with intervals that missed the "
                     f"truth (at 24 hours and longer the intervals held); read it as 'within about a day'. The "
                     f"baseline and the branching ratio are not affected.")
    if hawkes.jitter_estimates.shape[0] > 1:
        spread = hawkes.jitter_estimates
        notes.append(f"Across the {spread.shape[0]} jittered copies the branching ratio ranges "
                     f"{spread[:, 1].min():.2f}-{spread[:, 1].max():.2f} and the decay {spread[:, 2].min():.3g}-"
                     f"{spread[:, 2].max():.3g} hours; the intervals above include this spread.")
    if hawkes.starts_agreeing < 2:
        notes.append(f"Only one of {hawkes.starts} optimiser starts reached the maximum: the likelihood surface "
                     f"is irregular; treat the decay with care.")
    return notes


def _name(model: str) -> str:
    return "Hawkes" if model == "hawkes" else "Poisson"
