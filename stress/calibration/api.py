"""``calibrate``: fit, test and validate a breach process on event data, and write it
into a scenario.

Steps: read and select the data (``dataset``); fit the Poisson process (closed
form) and the Hawkes process (``hawkes``; events dated to the day are fitted as
jittered copies); test n = 0 (boundary mixture and parametric bootstrap); check the
fit (time rescaling, dispersion of weekly counts against simulations with the
engines' breach clock); validate on the test period if one is given; estimate class
probabilities; write the scenario; and say what it all means (``notes``).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from stress.calibration import likelihood
from stress.calibration.bootstrap import BootstrapTest, bootstrap_lr_test, rescaling_null
from stress.calibration.classes import ClassSpec, fit_classes, parse_classes
from stress.calibration.counts import CountSeries
from stress.calibration.dataset import Dataset, check_lengths, load_dataset
from stress.calibration.events import UCDP_SEVERITY, EventLog
from stress.calibration.fit import (CHI2_95, HOURS, LikelihoodRatioTest, PoissonFit, compare_models, fit_poisson,
                                    likelihood_ratio_test)
from stress.calibration.goodness import (DispersionCheck, RescalingTest, dispersion_check, dispersion_ratio,
                                         rescaled_gaps_hawkes, rescaled_gaps_poisson, time_rescaling)
from stress.calibration.hawkes import HawkesFit, fit_hawkes_counts, fit_hawkes_events
from stress.calibration.notes import write_notes
from stress.calibration.predictive import PredictiveCheck, predictive_check
from stress.calibration.result import CalibrationResult, DataSummary, PlotData
from stress.calibration.scenario import scenario_for
from stress.calibration.selection import WhereSpec
from stress.calibration.simulate import simulate_counts
from stress.errors import UsageError

MODELS = ("poisson", "hawkes", "both")
SCENARIO_MODELS = ("auto", "poisson", "hawkes")
# SeedSequence spawn key of the stream that jitters event times within their day
JITTER_KEY = 0x717E
WEEK = 7


def calibrate(events: str | Path | pd.DataFrame, *,
              format: Literal["csv", "parquet", "ucdp"] | None = None,
              time_column: str | None = None,
              where: WhereSpec = None,
              start: str | date | None = None,
              end: str | date | None = None,
              classes: str | ClassSpec | None = None,
              model: Literal["poisson", "hawkes", "both"] = "both",
              test_start: str | date | None = None,
              test_end: str | date | None = None,
              base: str | Path | None = None,
              seed: int = 0,
              count_column: str | None = None,
              date_precision: int | None = 1,
              jitters: int = 10,
              simulations: int = 1000,
              bootstrap: int = 199,
              class_intervals: Literal["goodman", "wilson"] = "goodman",
              scenario_model: Literal["auto", "poisson", "hawkes"] = "auto",
              fitted_on: date | None = None,
              budget: float | None = None) -> CalibrationResult:
    """Calibrate the breach process to ``events`` (a file or a data frame).

    ``format``: csv, parquet or ucdp (UCDP GED columns: time ``date_start``, window
    to ``date_end``, only ``date_prec <= date_precision`` kept, ``None`` keeps all;
    classes default to the ``best`` deaths column). ``where``: filters
    ``{column: values}`` or ``["COL=V1,V2", ...]``. ``start``/``end``: the fitting
    period (default: first to last event, or to the day before ``test_start``).
    ``classes``: ``"COL:name=lo-hi,..."``. ``count_column``: the data are counts per
    day, week or month in that column. ``jitters``: copies of day-dated data, each
    event placed uniformly within its day. ``simulations``: runs of the fitted process
    for the dispersion and out-of-sample checks; ``bootstrap``: replicates of the
    parametric bootstraps of the test of n = 0 and of the time-rescaling tests (0:
    the boundary mixture and the KS table only, labelled anti-conservative and
    conservative). ``scenario_model``: which fit the scenario gets; auto = Hawkes if
    the test rejects n = 0 at 5%, else Poisson. ``budget``: refuse a calibration
    estimated at more CPU hours than this (default
    ``stress.model.cost.DEFAULT_BUDGET_HOURS``), before fitting."""
    _check_options(model, seed, jitters, simulations, bootstrap, scenario_model, date_precision, format)
    spec = parse_classes(classes, UCDP_SEVERITY if format == "ucdp" else None)
    data = load_dataset(events, format=format, time_column=time_column, where=where, start=start, end=end,
                        test_start=test_start, test_end=test_end, count_column=count_column, classes=spec,
                        date_precision=date_precision if format == "ucdp" else None)
    train = data.train
    fit_poisson_model = model in ("poisson", "both")
    fit_hawkes_model = model in ("hawkes", "both")
    if fit_hawkes_model and train.count < 3:
        raise UsageError(f"{data.selection.source}: {train.count} event(s) in {train.period.label}: fewer than the "
                         f"Hawkes model's 3 parameters")
    check_lengths(data)
    _check_work(data, fit_hawkes_model, 2 if model == "both" else 1, jitters, bootstrap, simulations, budget)

    if isinstance(train, EventLog):
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(JITTER_KEY,))))
        copies = train.jittered(generator, jitters)
        poisson, hawkes, boot = _fit_events(train, copies, fit_hawkes_model, seed, bootstrap)
    else:
        copies = None
        poisson, hawkes, boot = _fit_counts(train, fit_hawkes_model)
    # the test of n = 0 needs the Poisson fit; it is reported when asked for
    lr = likelihood_ratio_test(poisson.loglik, hawkes.loglik) if hawkes is not None else None
    poisson = poisson if fit_poisson_model else None
    comparison = compare_models({name: (fit.parameters, fit.loglik) for name, fit in
                                 (("poisson", poisson), ("hawkes", hawkes)) if fit is not None},
                                _observations(train))

    processes = _processes(poisson, hawkes)
    rescaling = _rescaling(copies, poisson, hawkes, train, seed, bootstrap) if copies is not None else []
    dispersion, edges, observed, bands = _dispersion_checks(processes, train, seed, simulations)
    predictive, test_edges, test_counts, test_bands = [], None, None, {}
    if data.test is not None:
        predictive, test_edges, test_counts, test_bands = _out_of_sample(processes, copies, train, data.test, seed,
                                                                         simulations)
    class_fit = None
    if spec is not None and isinstance(train, EventLog):
        class_fit = fit_classes(train.severity, spec, data.selection.source, class_intervals)

    chosen = _choose(scenario_model, model, poisson, hawkes, lr, boot)
    fitted_on = fitted_on or date.today()
    summary = _summary(data, copies)
    scenario = scenario_for(base, chosen, poisson, hawkes, class_fit, summary, lr, boot, fitted_on)
    notes = write_notes(summary, poisson, hawkes, lr, boot, tuple(rescaling), tuple(dispersion), tuple(predictive),
                        class_fit, chosen)
    test_times = None
    if copies is not None and isinstance(data.test, EventLog):
        test_times = data.test.jittered(generator, 1)[0]
    plot_data = PlotData(None if copies is None else copies[0], test_times, edges, observed, bands, test_edges,
                         test_counts, test_bands)
    return CalibrationResult(summary, poisson, hawkes, comparison, lr, boot, class_fit, tuple(rescaling),
                             tuple(dispersion), tuple(predictive), chosen, tuple(notes), seed, fitted_on, scenario,
                             plot_data)


# CPU of a calibration (measured 2026-12-04 on the project's machine): a fit of the
# Hawkes model costs about 20-30 us per event, and the fit is repeated for each jittered
# copy and each bootstrap replicate (100,000 events took 400 s spread over three years,
# 680 s all on one day); the checks cost about 0.1 us per simulated event.
HAWKES_SECONDS_PER_EVENT_FIT = 30e-6
SIMULATED_EVENT_SECONDS = 0.1e-6


def _check_work(data: Dataset, hawkes: bool, models: int, jitters: int, bootstrap: int, simulations: int,
                budget: float | None) -> None:
    """Refuse a calibration estimated to need more CPU than ``budget`` hours, before fitting."""
    from stress.model import cost
    train = data.train
    events = isinstance(train, EventLog)
    fits = (jitters + bootstrap) if events else 1
    simulated = train.count + (data.test.count if data.test is not None else 0)
    seconds = (train.count * fits * HAWKES_SECONDS_PER_EVENT_FIT if hawkes else 0.0) + \
        simulations * models * simulated * SIMULATED_EVENT_SECONDS
    fitting = (f", the Hawkes model fitted {fits:,} times" + (f" (to {jitters} jittered copies and {bootstrap} "
                                                              f"bootstrap replicates)" if events else "")
               if hawkes else "")
    cost.check_seconds(seconds, budget, "calibration", f"{train.count:,} events in {train.period.label}{fitting}, "
                                                       f"{simulations:,} simulations of {models} model(s)")


def _dispersion_checks(processes: dict[str, tuple[float, float, float]], train: EventLog | CountSeries, seed: int,
                       simulations: int) -> tuple[list[DispersionCheck], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Each model's dispersion check over the whole periods of the training data,
    with the counting periods, the observed counts and each model's 5/50/95% band."""
    edges, observed, whole = _periods(train)
    edges, observed = edges[:whole + 1], observed[:whole]
    checks, bands = [], {}
    for name, (mu, n, beta) in processes.items():
        # the data start mid-process: the simulations start at the stationary mean
        # excitation mu n / (1 - n), not at none as a fresh ceasefire does
        simulated = simulate_counts(mu, n, beta, edges, seed, simulations, excitation=mu * n / (1.0 - n))
        checks.append(dispersion_check(name, observed, simulated, _width(train)))
        bands[name] = np.quantile(simulated, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf").astype(np.float64)
    return checks, edges, observed, bands


def _out_of_sample(processes: dict[str, tuple[float, float, float]], copies: np.ndarray | None,
                   train: EventLog | CountSeries, test: EventLog | CountSeries, seed: int, simulations: int
                   ) -> tuple[list[PredictiveCheck], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Each model's predictive check of the test period, with its whole counting
    periods, their observed counts and each model's band."""
    edges, counts, whole = _periods(test)
    checks, bands = [], {}
    for name, process in processes.items():
        carried = _carried_excitation(copies, process, train, test)
        simulated = simulate_counts(*process, edges, seed, simulations, excitation=carried)
        check = predictive_check(name, test.period, counts, simulated, _width(test), whole)
        checks.append(check)
        bands[name] = check.band
    return checks, edges[:whole + 1], counts[:whole], bands


def _check_options(model: str, seed: int, jitters: int, simulations: int, bootstrap: int, scenario_model: str,
                   date_precision: int | None, format: str | None) -> None:
    if model not in MODELS:
        raise UsageError(f"model {model!r}: use one of {', '.join(MODELS)}")
    if scenario_model not in SCENARIO_MODELS:
        raise UsageError(f"scenario_model {scenario_model!r}: use one of {', '.join(SCENARIO_MODELS)}")
    if scenario_model != "auto" and model not in (scenario_model, "both"):
        raise UsageError(f"scenario_model {scenario_model!r} needs that model fitted; model is {model!r}")
    for name, value, least in (("seed", seed, 0), ("jitters", jitters, 1), ("simulations", simulations, 100),
                               ("bootstrap", bootstrap, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise UsageError(f"{name} {value!r}: must be a whole number >= {least}")
    if bootstrap and bootstrap < 19:
        raise UsageError(f"bootstrap {bootstrap}: use 0 (no bootstrap) or at least 19 replicates")
    if date_precision is not None and (isinstance(date_precision, bool) or date_precision not in (1, 2, 3, 4, 5)):
        raise UsageError(f"date_precision {date_precision!r}: UCDP's date_prec runs from 1 (exact day) to 5; "
                         f"or None to keep all")


Fits = tuple[PoissonFit | None, HawkesFit | None, BootstrapTest | None]


def _fit_events(train: EventLog, copies: np.ndarray, with_hawkes: bool, seed: int, replicates: int) -> Fits:
    count, horizon = train.count, train.horizon
    poisson = fit_poisson(count, horizon, likelihood.poisson_loglik(count, horizon, count / horizon))
    if not with_hawkes:
        return poisson, None, None
    boot = None
    threshold = CHI2_95
    if replicates:
        boot = bootstrap_lr_test(copies, horizon, 0.0 if train.exact else train.resolution, seed, replicates)
        threshold = boot.critical_value_5pct
    return poisson, fit_hawkes_events(copies, horizon, zero_threshold=threshold), boot


def _fit_counts(train: CountSeries, with_hawkes: bool) -> Fits:
    count, exposure = train.count, train.horizon
    loglik = likelihood.poisson_counts_loglik(train.counts, train.lengths, count / exposure)
    poisson = fit_poisson(count, exposure, loglik)
    return poisson, (fit_hawkes_counts(train.edges, train.counts) if with_hawkes else None), None


def _observations(train: EventLog | CountSeries) -> int:
    return train.count if isinstance(train, EventLog) else len(train.counts)


def _processes(poisson: PoissonFit | None, hawkes: HawkesFit | None) -> dict[str, tuple[float, float, float]]:
    """(mu per day, n, beta per day) of each fitted model, for simulation."""
    out = {}
    if poisson is not None:
        out["poisson"] = (poisson.rate.estimate, 0.0, 1.0)
    if hawkes is not None:
        out["hawkes"] = (hawkes.mu, hawkes.n, hawkes.beta)
    return out


def _rescaling(copies: np.ndarray, poisson: PoissonFit | None, hawkes: HawkesFit | None, train: EventLog,
               seed: int, replicates: int) -> list[RescalingTest]:
    """Each model's time-rescaling test, its p-value from a parametric bootstrap of
    ``replicates`` simulations (0: the KS table's, conservative)."""
    resolution = 0.0 if train.exact else train.resolution

    def null(model: str, process: tuple[float, float, float]) -> np.ndarray | None:
        if not replicates:
            return None
        return rescaling_null(model, process, train.horizon, resolution, copies.shape[0], seed, replicates)

    out = []
    if poisson is not None:
        out.append(time_rescaling("poisson", [rescaled_gaps_poisson(c, poisson.rate.estimate) for c in copies],
                                  null("poisson", (poisson.rate.estimate, 0.0, 1.0))))
    if hawkes is not None:
        out.append(time_rescaling("hawkes", [rescaled_gaps_hawkes(c, hawkes.mu, hawkes.n, hawkes.beta)
                                             for c in copies], null("hawkes", (hawkes.mu, hawkes.n, hawkes.beta))))
    return out


def _periods(data: EventLog | CountSeries) -> tuple[np.ndarray, np.ndarray, int]:
    """Counting periods (edges in days from the period's start), the observed counts
    and how many of the periods are whole: weeks for event logs (a shorter last one
    covers the rest of the period), the data's own periods for count series."""
    if isinstance(data, EventLog):
        whole = data.period.days // WEEK
        edges = np.arange(whole + 1, dtype=np.float64) * WEEK
        if data.period.days > whole * WEEK:
            edges = np.append(edges, float(data.period.days))
        index = np.minimum(np.floor(data.low / WEEK).astype(np.int64), edges.size - 2)
        return edges, np.bincount(index, minlength=edges.size - 1), whole
    return data.edges - data.edges[0], data.counts, data.counts.size


def _width(data: EventLog | CountSeries) -> float:
    return float(WEEK) if isinstance(data, EventLog) else float(np.mean(data.lengths))


def _carried_excitation(copies: np.ndarray | None, process: tuple[float, float, float],
                        train: EventLog | CountSeries, test: EventLog | CountSeries) -> float:
    """The self-excited intensity at the test period's start left by the training
    events (averaged over the jittered copies; for counts, with each period's events
    spread uniformly over it)."""
    mu, n, beta = process
    if n == 0.0:
        return 0.0
    offset = float((test.period.start - train.period.start).days)
    if copies is not None:
        return float(np.mean([likelihood.excitation_at(c, n, beta, offset) for c in copies]))
    at_end = likelihood.hawkes_counts_excitation(train.edges, train.counts, mu, n, beta)
    return at_end * float(np.exp(-beta * (offset - train.edges[-1])))


def _choose(scenario_model: str, model: str, poisson: PoissonFit | None, hawkes: HawkesFit | None,
            lr: LikelihoodRatioTest | None, boot: BootstrapTest | None) -> str:
    """The model the scenario gets: as asked, the one fitted model, or with both the
    Hawkes process if the test of n = 0 rejects at 5% and its fit is usable."""
    if scenario_model != "auto":
        return scenario_model
    if model != "both":
        return model
    assert hawkes is not None and lr is not None
    # p <= 0.05 rejects: the bootstrap's p = (1 + exceedances) / (B + 1) reaches 0.05 exactly
    p_value = boot.p_value if boot is not None else lr.p_value
    # a near-critical fit is a drifting level written as a cascade: as a scenario's
    # breach process it would be meaningless
    return "hawkes" if p_value <= 0.05 and hawkes.n > 0.0 and not hawkes.near_critical else "poisson"


def _summary(data: Dataset, copies: np.ndarray | None) -> DataSummary:
    train = data.train
    if isinstance(train, EventLog):
        observed = dispersion_ratio(train.counts(WEEK))
        if train.exact:
            ties = "exact event times: no jitter"
        else:
            window = _duration(train.resolution)
            wider = bool(np.any(train.high - train.low > train.resolution + 1e-9))
            ties = (f"event times known to the {window}{' or a longer date range' if wider else ''}: fitted as "
                    f"{copies.shape[0]} seeded copies with each event placed uniformly at random within its "
                    f"{'window' if wider else window}; estimates maximise the log-likelihood averaged over the "
                    f"copies, and the spread across copies widens the standard errors and intervals (Rubin's rules)")
        return DataSummary(data.selection, "events", train.period, train.count, train.count / train.horizon, "week",
                           observed, train.resolution, copies.shape[0], ties, data.test.period if data.test else None,
                           data.test.count if data.test else None)
    observed = dispersion_ratio(train.counts)
    ties = (f"counts per {train.unit}: the Hawkes fit maximises a likelihood for counts per period (Poisson "
            f"given the conditional mean), so it sees clustering between {train.unit}s, not within one")
    return DataSummary(data.selection, "counts", train.period, train.count, train.count / train.horizon, train.unit,
                       observed, math.nan, 1, ties, data.test.period if data.test else None,
                       data.test.count if data.test else None)


def _duration(days: float) -> str:
    for share, name in ((1.0, "day"), (1.0 / 24.0, "hour"), (1.0 / 1440.0, "minute"), (1.0 / 86400.0, "second")):
        if abs(days - share) < 1e-12:
            return name
    return f"{days * HOURS:g} hours"
