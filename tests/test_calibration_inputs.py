"""Calibration: reading and selecting data, and every kind of bad input as a
``UsageError`` whose message says what, where and what is allowed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from stress.calibration.classes import parse_classes
from stress.calibration.dataset import Dataset, load_dataset
from stress.calibration.reading import DONBAS_DYADS, example_path
from stress.calibration.selection import parse_where
from stress.errors import UsageError, UserError

DONBAS = {"dyad_name": DONBAS_DYADS}


@pytest.fixture
def monthly(tmp_path: Path) -> Path:
    """Monthly counts in the Line of Control file's form: a byte-order mark, CRLF line
    ends, sector columns whose empty cells mean 0, and a total column."""
    rng = np.random.default_rng(0)
    lines = ["Month_wise,Poonch,Rajouri,Total_cfv"]
    for year in range(2013, 2020):
        for month in range(1, 13):
            a, b = rng.poisson(3), rng.poisson(2)
            lines.append(f"{year}-{month:02d},{a or ''},{b or ''},{a + b}")
    path = tmp_path / "loc.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def load(events: Path | pd.DataFrame, **options: object) -> Dataset:
    settings = dict(format=None, time_column=None, where=None, start=None, end=None, test_start=None,
                    test_end=None, count_column=None, classes=None, date_precision=None)
    settings.update(options)
    return load_dataset(events, **settings)


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_known_facts_of_the_donbas_subset() -> None:
    data = load(example_path(), format="ucdp", where=DONBAS, date_precision=1, start="2016-01-01",
                end="2021-12-31")
    assert data.train.count == 549
    assert data.train.count / data.train.horizon == pytest.approx(0.250, abs=5e-4)
    weekly = data.train.counts(7)
    assert weekly.size == 313
    assert weekly.var(ddof=1) / weekly.mean() == pytest.approx(1.78, abs=0.005)
    assert data.selection.dropped_imprecise == 435
    assert data.train.resolution == 1.0 and np.all(data.train.high - data.train.low == 1.0)


def test_ucdp_windows_when_imprecise_dates_are_kept() -> None:
    data = load(example_path(), format="ucdp", where=DONBAS, date_precision=None)
    assert data.train.count == 984
    widths = data.train.high - data.train.low
    assert widths.min() == 1.0 and widths.max() > 7.0  # date_start to date_end, whole days
    copies = data.train.jittered(np.random.default_rng(1), 3)
    assert np.all((copies >= data.train.low.min()) & (copies < data.train.horizon))


def test_where_accepts_text_and_mappings() -> None:
    assert parse_where("dyad_name=A - B,C") == (("dyad_name", ("A - B", "C")),)
    assert parse_where({"date_prec": 1, "side_b": ["DPR", "LPR"]}) == (("date_prec", ("1",)),
                                                                     ("side_b", ("DPR", "LPR")))
    data = load(example_path(), format="ucdp", where=["date_prec=1", "side_b=DPR"], date_precision=None)
    assert data.train.count == data.selection.rows_selected > 0


def test_timestamps_are_known_to_their_recorded_precision(tmp_path: Path) -> None:
    minutes = write(tmp_path, "t\n2020-01-01T10:15\n2020-01-01T10:15\n2020-01-02T08:00\n2020-01-05T23:59\n")
    data = load(minutes, time_column="t")
    assert data.train.resolution == pytest.approx(1 / 1440)
    exact = write(tmp_path, "t\n2020-01-01T10:15:00.5\n2020-01-02T08:00:01.25\n2020-01-05T23:59:00\n", "x.csv")
    assert load(exact, time_column="t").train.exact


def test_parquet_and_data_frames_read_like_csv(tmp_path: Path) -> None:
    frame = pd.read_csv(example_path(), comment="#")
    path = tmp_path / "donbas.parquet"
    frame.to_parquet(path)
    for source in (path, frame):
        data = load(source, format="ucdp", where=DONBAS, date_precision=1)
        assert data.train.count == 549


def test_monthly_counts(tmp_path: Path, monthly: Path) -> None:
    data = load(monthly, time_column="Month_wise", count_column="Total_cfv", start="2013-01-01",
                end="2017-12-31", test_start="2018-01-01")
    assert data.train.unit == "month" and len(data.train.counts) == 60
    assert data.train.edges[1] == 31 and data.train.horizon == 1826
    assert len(data.test.counts) == 24
    sector = load(monthly, time_column="Month_wise", count_column="Poonch")
    assert sector.selection.empty_count_cells > 0 and sector.train.count > 0
    gaps = write(tmp_path, "month,n\n2020-01,3\n2020-02,\n2020-03,4\n2020-04,1\n")
    data = load(gaps, time_column="month", count_column="n")
    assert list(data.train.counts) == [3, 0, 4, 1] and data.selection.empty_count_cells == 1


def test_classes_parse_and_count() -> None:
    spec = parse_classes("best:minor=0-1,major=2-9,offensive=10-")
    assert spec.names == ("minor", "major", "offensive") and spec.highs[-1] == float("inf")
    assert parse_classes("minor=0,major=1-", "best").column == "best"


# --- bad input: each a UsageError naming what and where --------------------------------

def check(message_parts: list[str], call: Callable[[], object]) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    message = str(caught.value)
    for part in message_parts:
        assert part in message, f"{part!r} not in {message!r}"
    assert isinstance(caught.value, UserError) and isinstance(caught.value, ValueError)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    check(["nowhere.csv", "no such file"], lambda: load(tmp_path / "nowhere.csv", time_column="t"))
    check(["format 'xls'", "csv, parquet, ucdp"], lambda: load(example_path(), format="xls"))


def test_missing_column(monthly: Path) -> None:
    check(["donbas_ucdp_2016_2021.csv", "time_column 'date'", "no such column", "date_start"],
          lambda: load(example_path(), time_column="date"))
    check(["time_column is required"], lambda: load(example_path()))
    check(["count_column 'total'", "did you mean 'Total_cfv'"],
          lambda: load(monthly, time_column="Month_wise", count_column="total"))


def test_unparsable_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment line\nid,date\n1,2020-01-03\n2,03/01/2020\n3,2020-01-09\n")
    check(["events.csv", "time_column 'date'", "line 4", "'03/01/2020'", "ISO"],
          lambda: load(path, time_column="date"))
    numbers = write(tmp_path, "id,date\n1,5\n2,6\n", "numbers.csv")
    check(["holds numbers, not dates"], lambda: load(numbers, time_column="date"))


def test_unknown_filter_column_or_value() -> None:
    check(["where column 'dyad'", "no such column", "dyad_name"],
          lambda: load(example_path(), format="ucdp", where={"dyad": ["x"]}))
    check(["where dyad_name='Government of Ukraine - DNR'", "no row has this value",
           "did you mean 'Government of Ukraine - DPR'"],
          lambda: load(example_path(), format="ucdp", where={"dyad_name": ["Government of Ukraine - DNR"]}))
    check(["where date_prec=one", "numbers"],
          lambda: load(example_path(), format="ucdp", where=["date_prec=one"]))
    check(["where 'dyad_name'", "COLUMN=VALUE"], lambda: parse_where(["dyad_name"]))


def test_no_events_after_filtering() -> None:
    check(["no events after filtering", "dyad_name=Government of Ukraine - LPR", "side_b=DPR"],
          lambda: load(example_path(), format="ucdp",
                       where=["dyad_name=Government of Ukraine - LPR", "side_b=DPR"]))
    check(["no events in the period 2030-01-01 to 2030-12-31"],
          lambda: load(example_path(), format="ucdp", where=DONBAS, start="2030-01-01", end="2030-12-31"))


def test_fewer_events_than_parameters(tmp_path: Path) -> None:
    from stress.calibration import calibrate

    path = write(tmp_path, "date\n2020-01-03\n2020-01-09\n")
    check(["events.csv", "2 event(s)", "fewer than the Hawkes model's 3 parameters"],
          lambda: calibrate(path, time_column="date"))
    counts = write(tmp_path, "month,n\n2020-01,3\n2020-02,1\n", "counts.csv")
    check(["2 whole month(s)", "fewer counts than the Hawkes model's 3 parameters"],
          lambda: load(counts, time_column="month", count_column="n"))


def test_non_monotone_timestamps(tmp_path: Path) -> None:
    path = write(tmp_path, "month,n\n2020-01,3\n2020-03,1\n2020-02,2\n", "counts.csv")
    check(["counts.csv", "2020-02-01 at line 4 does not come after 2020-03-01 at line 3", "increasing order"],
          lambda: load(path, time_column="month", count_column="n"))
    with_gap = write(tmp_path, "month,n\n2020-01,3\n2020-02,1\n2020-04,2\n", "gap.csv")
    check(["without gaps", "2020-02-01 is followed by 2020-04-01"],
          lambda: load(with_gap, time_column="month", count_column="n"))
    backwards = write(tmp_path, "date_start,date_end,date_prec,best\n2020-01-05,2020-01-03,2,1\n", "ucdp.csv")
    check(["line 2", "date_end 2020-01-03 is before date_start 2020-01-05"],
          lambda: load(backwards, format="ucdp", date_precision=None))


def test_period_running_backwards() -> None:
    check(["start 2019-01-01 is after end 2018-01-01"],
          lambda: load(example_path(), format="ucdp", where=DONBAS, start="2019-01-01", end="2018-01-01"))
    check(["test_start 2021-01-01 is after test_end 2020-01-01"],
          lambda: load(example_path(), format="ucdp", where=DONBAS, end="2018-12-31", test_start="2021-01-01",
                       test_end="2020-01-01"))
    check(["test period 2018-01-01 to 2021-12-31 overlaps the fitting period 2016-01-09 to 2018-12-31"],
          lambda: load(example_path(), format="ucdp", where=DONBAS, end="2018-12-31", test_start="2018-01-01"))
    check(["start '2016-13-01'", "YYYY-MM-DD"], lambda: load(example_path(), format="ucdp", start="2016-13-01"))


def test_bad_classes(tmp_path: Path) -> None:
    check(["classes 'best:minor=1-0'", "runs backwards"], lambda: parse_classes("best:minor=1-0"))
    check(["must start above the end of minor"], lambda: parse_classes("best:minor=0-1,major=1-3"))
    check(["classes column 'deaths'", "no such column"],
          lambda: load(example_path(), format="ucdp", classes=parse_classes("deaths:a=0-1")))
    from stress.calibration import calibrate

    check(["classes", "with best = 2, 3", "fall in no class", "minor=0-1"],
          lambda: calibrate(example_path(), format="ucdp", where=DONBAS, classes="minor=0-1,offensive=10-",
                            bootstrap=0, simulations=100, jitters=1))


def test_bad_options() -> None:
    from stress.calibration import calibrate

    check(["model 'negbin'", "poisson, hawkes, both"], lambda: calibrate(example_path(), model="negbin"))
    check(["seed -1", ">= 0"], lambda: calibrate(example_path(), seed=-1))
    check(["jitters 0"], lambda: calibrate(example_path(), jitters=0))
    check(["test_end given without test_start"],
          lambda: load(example_path(), format="ucdp", test_end="2020-01-01"))


def test_periods_too_short_to_check_or_too_long_to_simulate_are_refused(tmp_path: Path) -> None:
    from stress.calibration import calibrate

    # 3 events within 2 days: RuntimeWarnings, then an IndexError in the counts plot
    three = write(tmp_path, "date\n2020-01-01\n2020-01-01\n2020-01-02\n")
    check(["events.csv: the fitting period 2020-01-01 to 2020-01-02 is 2 day(s)", "at least 3 whole weeks",
           "--from and --to"], lambda: calibrate(three, time_column="date"))
    # a million identical dates: the same, or no answer after 560 s
    same = pd.DataFrame({"date": ["2020-01-01"] * 1_000_000})
    check(["is 1 day(s)", "at least 3 whole weeks"], lambda: calibrate(same, time_column="date", model="poisson"))
    # year 1 to 9999: a matplotlib error after 61 s and gigabytes of simulated weeks
    ages = write(tmp_path, "date\n0001-01-01\n5000-06-01\n9999-12-31\n", "ages.csv")
    check(["ages.csv: the fitting period 0001-01-01 to 9999-12-31 spans 9,999 years", "at most 100"],
          lambda: calibrate(ages, time_column="date"))
    test_week = write(tmp_path, "date\n2020-01-01\n2020-01-09\n2020-01-20\n2020-02-02\n", "short.csv")
    check(["the test period 2020-02-01 to 2020-02-02 is 2 day(s)", "--test-from and --test-to"],
          lambda: calibrate(test_week, time_column="date", model="poisson", test_start="2020-02-01"))


def test_data_near_year_1_and_9999_are_plotted(tmp_path: Path) -> None:
    from stress.calibration import calibrate
    from stress.calibration.plots import figures

    # the plots' margins reached past the years matplotlib can draw
    for text in ("date\n0001-01-05\n0020-06-01\n0050-12-01\n", "date\n9950-01-05\n9970-06-01\n9999-12-01\n"):
        result = calibrate(write(tmp_path, text), time_column="date", model="poisson")
        for figure in figures(result).values():
            figure.savefig(io.BytesIO(), format="png")  # drawing is where it failed


def test_a_calibration_over_its_budget_is_refused_before_fitting() -> None:
    from stress.calibration import calibrate
    from stress.errors import BudgetExceeded

    with pytest.raises(BudgetExceeded, match=r"this calibration would take about .* of CPU: 207 events in "
                                             r"2016-01-01 to 2018-12-31, the Hawkes model fitted 209 times"):
        calibrate(example_path(), format="ucdp", where=DONBAS, start="2016-01-01", end="2018-12-31", budget=1e-4)


def test_empty_count_cells_are_read_as_zero_and_said(tmp_path: Path) -> None:
    from stress.calibration import calibrate

    path = write(tmp_path, "day,n\n2020-01-01,3\n2020-01-02,\n2020-01-03,NaN\n2020-01-04,2\n2020-01-05,1\n")
    result = calibrate(path, time_column="day", count_column="n", model="poisson")
    assert result.data.events == 6
    assert any("2 empty cell(s) of the count column 'n' were read as 0 events" in n for n in result.notes)
    assert not any("dayly" in n for n in result.notes)
