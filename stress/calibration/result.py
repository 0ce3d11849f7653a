"""The result of a calibration: fits, tests, checks, the calibrated scenario and the
verdict, with tables (``to_frame`` and friends) and a JSON-safe ``to_dict``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stress.calibration.bootstrap import BootstrapTest
from stress.calibration.classes import ClassFit
from stress.calibration.dataset import Selection
from stress.calibration.fit import Estimate, LikelihoodRatioTest, ModelRow, PoissonFit
from stress.calibration.goodness import DispersionCheck, RescalingTest
from stress.calibration.hawkes import HawkesFit
from stress.calibration.predictive import PredictiveCheck
from stress.calibration.selection import Period


@dataclass(frozen=True)
class DataSummary:
    """What was fitted: the selection, the periods, and how ties were handled."""

    selection: Selection
    form: str  # "events" or "counts"
    period: Period
    events: int
    rate_per_day: float
    period_label: str  # "week" for event logs; the count series' unit otherwise
    observed_dispersion: float  # variance/mean of counts per period_label
    resolution_days: float  # event logs: the window of one timestamp (0: exact)
    copies: int  # jittered copies fitted (1: none)
    ties: str  # how ties were handled, in words
    test_period: Period | None
    test_events: int | None


@dataclass(frozen=True)
class PlotData:
    """What the figures draw: events (days since the period's start, first jittered
    copy), counts per period, and each model's simulated band (5%, 50%, 95%)."""

    times: np.ndarray | None
    test_times: np.ndarray | None
    edges: np.ndarray
    counts: np.ndarray
    bands: dict[str, np.ndarray]
    test_edges: np.ndarray | None
    test_counts: np.ndarray | None
    test_bands: dict[str, np.ndarray]


@dataclass(frozen=True)
class CalibrationResult:
    """Everything ``calibrate`` found. ``scenario_model`` is the model written into
    the scenario; ``notes`` the verdict in plain words."""

    data: DataSummary
    poisson: PoissonFit | None
    hawkes: HawkesFit | None
    comparison: tuple[ModelRow, ...]
    lr_test: LikelihoodRatioTest | None
    bootstrap: BootstrapTest | None
    classes: ClassFit | None
    rescaling: tuple[RescalingTest, ...]
    dispersion: tuple[DispersionCheck, ...]
    predictive: tuple[PredictiveCheck, ...]
    scenario_model: str
    notes: tuple[str, ...]
    seed: int
    fitted_on: date
    scenario: str = field(repr=False)
    plot_data: PlotData = field(repr=False)
    path: Path | None = None          # the result folder, when one was written

    @property
    def verdict(self) -> tuple[str, ...]:
        return self.notes

    def scenario_toml(self) -> str:
        """The calibrated scenario's TOML text."""
        return self.scenario

    def estimates(self) -> list[Estimate]:
        out: list[Estimate] = []
        if self.poisson is not None:
            out.append(self.poisson.rate)
        if self.hawkes is not None:
            out.extend(self.hawkes.estimates)
        if self.classes is not None:
            for row in self.classes.rows:
                out.append(Estimate("classes", f"P({row.name})", f"breaches.classes.{row.name}.probability", "",
                                    row.probability, _proportion_se(row.probability, self.classes.events),
                                    row.ci_low, row.ci_high, self.classes.method))
        return out

    def to_frame(self) -> pd.DataFrame:
        """The parameter table: one row per fitted parameter."""
        rows = [{"model": e.model, "parameter": e.parameter, "config_key": e.config_key, "unit": e.unit,
                 "estimate": e.estimate, "std_error": e.std_error, "ci_low": e.ci_low, "ci_high": e.ci_high,
                 "interval": e.interval} for e in self.estimates()]
        return pd.DataFrame(rows, columns=["model", "parameter", "config_key", "unit", "estimate", "std_error",
                                           "ci_low", "ci_high", "interval"])

    def comparison_frame(self) -> pd.DataFrame:
        """Log-likelihood, AIC and BIC per model."""
        return pd.DataFrame([dataclasses.asdict(row) for row in self.comparison],
                            columns=["model", "parameters", "loglik", "aic", "bic", "delta_aic"])

    def goodness_frame(self) -> pd.DataFrame:
        """Time-rescaling KS test and dispersion check, one row per model and check."""
        rows = []
        for r in self.rescaling:
            rows.append({"model": r.model, "check": "time rescaling (KS vs Exp(1))", "observed": r.ks_statistic,
                         "expected_low": math.nan, "expected_high": math.nan, "p_value": r.p_value,
                         "detail": (f"median over {r.copies} jittered copies" if r.copies > 1 else
                                    f"{r.events} gaps") + f"; p by {r.method}"
                                   + (f" (the KS table's: {r.p_value_table:.3g}" + (
                                      f", {r.p_value_min:.3g}-{r.p_value_max:.3g} over the copies"
                                      if r.copies > 1 else "") + ", conservative)" if r.replicates else
                                      (f" ({r.p_value_min:.3g}-{r.p_value_max:.3g} over the copies)"
                                       if r.copies > 1 else ""))})
        for d in self.dispersion:
            rows.append({"model": d.model, "check": f"variance/mean of counts per {self.data.period_label}",
                         "observed": d.observed, "expected_low": d.simulated_low, "expected_high": d.simulated_high,
                         "p_value": d.p_two_sided,
                         "detail": f"90% range of {d.simulations} simulations; share at least as dispersed "
                                   f"{d.p_upper:.3g}"})
        return pd.DataFrame(rows, columns=["model", "check", "observed", "expected_low", "expected_high", "p_value",
                                           "detail"])

    def classes_frame(self) -> pd.DataFrame:
        """Class counts and probabilities with their intervals."""
        columns = ["class", "low", "high", "events", "probability", "ci_low", "ci_high"]
        if self.classes is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame([[r.name, r.low, r.high, r.events, r.probability, r.ci_low, r.ci_high]
                             for r in self.classes.rows], columns=columns)

    def predictive_frame(self) -> pd.DataFrame:
        """The out-of-sample checks, one row per model."""
        rows = []
        for p in self.predictive:
            rows.append({"model": p.model, "test_period": p.period.label, "observed_total": p.observed_total,
                         "predicted_mean": p.predicted_mean, "predicted_low": p.predicted_low,
                         "predicted_high": p.predicted_high, "level_ratio": p.level_ratio, "total_pit": p.total_pit,
                         "total_p_two_sided": p.total_p_two_sided, "coverage_90": p.coverage_90,
                         "coverage_90_expected": p.coverage_90_expected,
                         "observed_dispersion": p.observed_dispersion, "dispersion_low": p.dispersion_low,
                         "dispersion_high": p.dispersion_high, "periods": p.periods, "simulations": p.simulations})
        return pd.DataFrame(rows)

    def count_distribution_frame(self) -> pd.DataFrame:
        """Observed against expected numbers of test periods with each count."""
        rows = [{"model": p.model, "count": r.count, "observed": r.observed, "expected": r.expected,
                 "low": r.low, "high": r.high} for p in self.predictive for r in p.count_table]
        return pd.DataFrame(rows, columns=["model", "count", "observed", "expected", "low", "high"])

    def pit_frame(self) -> pd.DataFrame:
        """PIT histogram heights (1 = calibrated) per model."""
        rows = [{"model": p.model, "bin_low": i / len(p.pit_histogram), "bin_high": (i + 1) / len(p.pit_histogram),
                 "height": h} for p in self.predictive for i, h in enumerate(p.pit_histogram)]
        return pd.DataFrame(rows, columns=["model", "bin_low", "bin_high", "height"])

    def to_dict(self) -> dict[str, Any]:
        """Everything but the plot arrays, JSON-safe (NaN and infinities as None)."""
        out = {
            "data": _plain(self.data),
            "parameters": _records(self.to_frame()),
            "comparison": _records(self.comparison_frame()),
            # the bootstrap decides where there is one: the mixture's p is anti-conservative
            "lr_test": None if self.lr_test is None else {**_plain(self.lr_test), "rejects_poisson": (
                self.bootstrap.p_value <= 0.05 if self.bootstrap is not None else self.lr_test.rejects_poisson)},
            "bootstrap": _plain(self.bootstrap),
            "classes": None if self.classes is None else {"column": self.classes.column,
                                                          "method": self.classes.method,
                                                          "rows": _records(self.classes_frame())},
            "goodness": _records(self.goodness_frame()),
            "predictive": _records(self.predictive_frame()),
            "predictive_counts": _records(self.count_distribution_frame()),
            "pit": _records(self.pit_frame()),
            "jitter_spread": self._jitter_spread(),
            "hawkes_working": None if self.hawkes is None else {
                "parameters": ["log baseline per day", "branching ratio", "log beta per day (decay hours = 24 / beta)"],
                "estimate": list(self.hawkes.working), "covariance": self.hawkes.covariance.tolist()},
            "scenario_model": self.scenario_model,
            "notes": list(self.notes),
            "seed": self.seed,
            "fitted_on": self.fitted_on.isoformat(),
        }
        return _plain(out)

    def _jitter_spread(self) -> dict[str, Any] | None:
        if self.hawkes is None or self.hawkes.jitter_estimates.shape[0] == 0:
            return None
        spread = self.hawkes.jitter_estimates
        names = ("baseline_per_day", "self_excitation", "decay_hours")
        return {name: {"min": spread[:, i].min(), "median": float(np.median(spread[:, i])), "max": spread[:, i].max()}
                for i, name in enumerate(names)}


def _proportion_se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n) if n > 0 else math.nan


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_plain(row) for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    """A JSON-safe copy: dataclasses and mappings to dicts, numpy to Python, dates to
    ISO text, NaN and infinities to None; arrays are left out of dataclasses."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not isinstance(getattr(value, f.name), np.ndarray)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return str(value)
