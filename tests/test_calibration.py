"""Calibration end to end: the Donbas example (UCDP GED, DPR and LPR dyads, Minsk II)
fitted on 2016-2018 and validated on 2019-2021, the calibrated scenario, the tables
and the figures; and the other input forms through ``calibrate``."""

from __future__ import annotations

import io
import json
import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stress.calibration import DONBAS_DYADS, calibrate, example_path, figures
from stress.calibration.result import CalibrationResult
from stress.config.loading import default_config_text, load_config
from stress.errors import UsageError

DONBAS = {"dyad_name": list(DONBAS_DYADS)}
CLASSES = "best:minor=0-1,major=2-9,offensive=10-"


@pytest.fixture(scope="module")
def donbas() -> CalibrationResult:
    return calibrate(example_path(), format="ucdp", where=DONBAS, start="2016-01-01", end="2018-12-31",
                     model="both", test_start="2019-01-01", test_end="2021-12-31", classes=CLASSES, seed=0,
                     fitted_on=date(2026, 1, 15))


def test_the_data_selected(donbas: CalibrationResult) -> None:
    data = donbas.data
    assert data.events == 207 and data.period.days == 1096
    assert data.test_events == 342
    assert data.copies == 10 and data.resolution_days == 1.0
    assert "uniformly at random within its day" in data.ties


def test_poisson_fit_is_exact(donbas: CalibrationResult) -> None:
    rate = donbas.poisson.rate
    assert rate.estimate == pytest.approx(207 / 1096, rel=1e-12)
    assert rate.ci_low == pytest.approx(0.16401, abs=1e-4) and rate.ci_high == pytest.approx(0.21643, abs=1e-4)
    assert rate.config_key == "breaches.baseline_per_day"


def test_hawkes_fit_and_the_test_of_no_clustering(donbas: CalibrationResult) -> None:
    hawkes = donbas.hawkes
    for estimate in hawkes.estimates:
        assert estimate.ci_low < estimate.estimate < estimate.ci_high
        assert estimate.std_error > 0
    assert 0.2 < hawkes.n < 0.45 and hawkes.branching.ci_low > 0.05
    assert 10.0 < hawkes.decay_hours < 200.0
    # the stationary rate of the fit reproduces the observed rate
    assert hawkes.mean_rate == pytest.approx(207 / 1096, rel=0.02)
    assert hawkes.jitter_estimates.shape == (10, 3)
    assert donbas.lr_test.statistic > 20 and donbas.lr_test.p_value < 1e-5
    assert donbas.bootstrap.p_value <= 0.01 and donbas.bootstrap.critical_value_5pct > 2.71
    assert donbas.comparison_frame().set_index("model").loc["hawkes", "delta_aic"] == 0.0
    assert donbas.scenario_model == "hawkes"


def test_goodness_of_fit(donbas: CalibrationResult) -> None:
    ks = {t.model: t for t in donbas.rescaling}
    # the bootstrap's p-values decide; the KS table's, with the fitted parameters taken
    # as known, is far larger for the Hawkes fit (0.68 against 0.105)
    assert ks["poisson"].p_value < 0.01 and ks["hawkes"].p_value > 0.05
    assert ks["hawkes"].replicates == 199 and ks["hawkes"].p_value_table > 2 * ks["hawkes"].p_value
    dispersion = {d.model: d for d in donbas.dispersion}
    assert dispersion["poisson"].observed == pytest.approx(1.674, abs=1e-3)
    assert dispersion["poisson"].simulated_high < 1.3 < dispersion["poisson"].observed
    assert dispersion["hawkes"].simulated_low < dispersion["hawkes"].observed < dispersion["hawkes"].simulated_high


def test_out_of_sample_reports_the_level_shift(donbas: CalibrationResult) -> None:
    checks = {p.model: p for p in donbas.predictive}
    for check in checks.values():
        assert check.observed_total == 342 and check.periods == 156
        assert 1.5 < check.level_ratio < 1.8
        assert check.total_p_two_sided < 0.01 and check.predicted_high < 300
        assert check.coverage_90 < check.coverage_90_expected
        assert len(check.pit_histogram) == 10 and np.mean(check.pit_histogram) == pytest.approx(1.0)
        assert sum(row.observed for row in check.count_table) == 156
    # the clustering carries over, the level does not
    hawkes = checks["hawkes"]
    assert hawkes.dispersion_low < hawkes.observed_dispersion < hawkes.dispersion_high
    text = " ".join(donbas.notes)
    assert "level shift, not noise" in text and "under-predicts" in text
    assert "1.66x" in text


def test_class_probabilities(donbas: CalibrationResult) -> None:
    rows = {r.name: r for r in donbas.classes.rows}
    assert (rows["minor"].events, rows["major"].events, rows["offensive"].events) == (149, 58, 0)
    assert rows["offensive"].ci_low == 0.0 and 0.0 < rows["offensive"].ci_high < 0.05
    assert "Goodman" in donbas.classes.method
    assert any("Class offensive has no events" in note for note in donbas.notes)


def test_calibrated_scenario_runs_and_records_the_fit(donbas: CalibrationResult, tmp_path: Path) -> None:
    text = donbas.scenario_toml()
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    breaches = config.breaches
    assert breaches.baseline_per_day == pytest.approx(donbas.hawkes.mu, rel=1e-3)
    assert breaches.self_excitation == pytest.approx(donbas.hawkes.n, rel=1e-3)
    assert breaches.decay_hours == pytest.approx(donbas.hawkes.decay_hours, rel=1e-3)
    assert [c.name for c in breaches.classes] == ["minor", "major", "offensive"]
    assert breaches.classes[0].probability == pytest.approx(149 / 207, abs=1e-6)
    for part in ("fitted on 2026-01-15", "2016-01-01 to 2018-12-31",
                 "dyad_name = Government of Ukraine - DPR, Government of Ukraine - LPR", "date_prec <= 1",
                 "donbas_ucdp_2016_2021.csv", "bootstrap p", "CC BY 4.0"):
        assert part in text, part
    # everything but the breach process is the base scenario's
    fitted, base = tomllib.loads(text), tomllib.loads(default_config_text())
    assert {k: v for k, v in fitted.items() if k != "breaches"} == {k: v for k, v in base.items() if k != "breaches"}
    assert "# assumption: half a year after the ceasefire starts" in text  # the base's comments stay


def test_tables_and_dict(donbas: CalibrationResult) -> None:
    frame = donbas.to_frame()
    assert list(frame.columns) == ["model", "parameter", "config_key", "unit", "estimate", "std_error", "ci_low",
                                   "ci_high", "interval"]
    assert set(frame["config_key"]) >= {"breaches.baseline_per_day", "breaches.self_excitation",
                                        "breaches.decay_hours", "breaches.classes.minor.probability"}
    assert len(donbas.goodness_frame()) == 4 and len(donbas.predictive_frame()) == 2
    assert not donbas.count_distribution_frame().empty and len(donbas.pit_frame()) == 20
    data = donbas.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["scenario_model"] == "hawkes"
    # the infinite upper limit of the offensive class's severity range is None, not inf
    offensive = [row for row in data["classes"]["rows"] if row["class"] == "offensive"][0]
    assert offensive["high"] is None


def test_figures(donbas: CalibrationResult) -> None:
    drawn = figures(donbas)
    assert set(drawn) == {"qq", "intensity", "counts"}
    for figure in drawn.values():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=40)
        assert buffer.getvalue()[:4] == b"\x89PNG"


def test_same_seed_same_result_other_seed_other_jitter() -> None:
    options = dict(format="ucdp", where=DONBAS, start="2016-01-01", end="2018-12-31", jitters=3, simulations=200,
                   bootstrap=19, fitted_on=date(2026, 1, 1))
    first, again = calibrate(example_path(), seed=4, **options), calibrate(example_path(), seed=4, **options)
    other = calibrate(example_path(), seed=5, **options)
    assert first.to_dict() == again.to_dict()
    assert first.scenario_toml() == again.scenario_toml()
    assert first.hawkes.n != other.hawkes.n


def test_class_names_the_base_does_not_use() -> None:
    with pytest.raises(UsageError, match="has no entry for class low, high.*name the classes as the base does"):
        calibrate(example_path(), format="ucdp", where=DONBAS, classes="low=0-1,high=2-", jitters=1,
                  simulations=100, bootstrap=0)


def test_monthly_counts_end_to_end(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    months = pd.date_range("2014-01-01", periods=72, freq="MS")
    counts = rng.poisson(6.0, size=72)
    path = tmp_path / "monthly.csv"
    pd.DataFrame({"month": months.strftime("%Y-%m"), "events": counts}).to_csv(path, index=False)
    result = calibrate(path, time_column="month", count_column="events", end="2018-12-31",
                       test_start="2019-01-01", simulations=200)
    assert result.data.form == "counts" and result.data.period_label == "month"
    assert result.poisson.rate.estimate == pytest.approx(counts[:60].sum() / 1826, rel=1e-12)
    assert result.rescaling == () and result.hawkes.data == "counts"
    assert result.predictive[0].periods == 12
    assert result.scenario_model == "poisson"  # Poisson counts: no significant self-excitation
    load_config_text(result.scenario_toml(), tmp_path)


def test_exact_times_from_a_data_frame(tmp_path: Path) -> None:
    from stress.calibration import simulate_times

    days = simulate_times(0.5, 0.6, 2.0, 1500.0, seed=12)
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.round(days * 86400.0, 3), unit="s")
    frame = pd.DataFrame({"when": stamps.strftime("%Y-%m-%dT%H:%M:%S.%f")})
    result = calibrate(frame, time_column="when", start="2020-01-01", end="2024-02-08", jitters=1,
                       simulations=200, bootstrap=19)
    assert result.data.copies == 1 and result.data.resolution_days < 1e-6
    assert result.hawkes.branching.ci_low < 0.6 < result.hawkes.branching.ci_high
    assert result.scenario_model == "hawkes"


def load_config_text(text: str, folder: Path) -> None:
    path = folder / "calibrated.toml"
    path.write_text(text, encoding="utf-8")
    load_config(path)


def test_one_model_only() -> None:
    options = dict(format="ucdp", where=DONBAS, start="2016-01-01", end="2018-12-31", jitters=2, simulations=100,
                   bootstrap=19)
    poisson = calibrate(example_path(), model="poisson", **options)
    assert poisson.hawkes is None and poisson.lr_test is None and poisson.bootstrap is None
    assert poisson.scenario_model == "poisson" and [r.model for r in poisson.dispersion] == ["poisson"]
    assert "self_excitation = 0.0" in poisson.scenario_toml()
    hawkes = calibrate(example_path(), model="hawkes", **options)
    assert hawkes.poisson is None and hawkes.lr_test is not None  # the test of n = 0 still runs
    assert hawkes.scenario_model == "hawkes" and list(hawkes.to_frame()["model"]) == ["hawkes"] * 3


def test_the_mixture_p_value_is_labelled_anti_conservative_wherever_shown(donbas: CalibrationResult) -> None:
    lr_note = next(n for n in donbas.notes if n.startswith("Self-excitation test"))
    assert "anti-conservative" in lr_note and "bootstrap" in lr_note
    assert "anti-conservative" in donbas.to_dict()["lr_test"]["size"]
    assert "mixture: anti-conservative" in donbas.scenario
    # the JSON's verdict is the bootstrap's
    assert donbas.to_dict()["lr_test"]["rejects_poisson"] == (donbas.bootstrap.p_value <= 0.05)
    ks_notes = [n for n in donbas.notes if "time-rescaling" in n]
    assert len(ks_notes) == 2 and all("parametric bootstrap" in n for n in ks_notes)
