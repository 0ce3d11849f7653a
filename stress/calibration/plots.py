"""Figures of a calibration: the time-rescaling Q-Q plot, the fitted intensity over
time with the events, and counts per week against the simulated band.

Each function returns a ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot
state, no display); the caller saves or shows it. matplotlib is imported here only.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from stress.calibration import likelihood

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from stress.calibration.result import CalibrationResult

COLOURS = {"poisson": "tab:blue", "hawkes": "tab:red"}
NAMES = {"poisson": "Poisson", "hawkes": "Hawkes"}
ROLLING_DAYS = 90.0


def _figure(width: float = 8.0, height: float = 4.5) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _dates(start: date, days: np.ndarray) -> np.ndarray:
    """Days since ``start`` as datetime64 (to the minute)."""
    return np.datetime64(start, "m") + np.round(np.asarray(days) * 1440.0).astype("timedelta64[m]")


def _time_axis(axes: "Axes", start: date, days: float) -> None:
    """The time axis spans the data exactly: matplotlib's margins would reach before
    year 1 or after 9999 (which it cannot draw) for data near those ends."""
    axes.set_xlim(*_dates(start, np.array([0.0, days])))


def qq_plot(result: "CalibrationResult") -> "Figure":
    """Rescaled gaps against Exp(1) quantiles, one series per model, with the KS
    test's 95% band: under a correct model the points follow the diagonal."""
    figure = _figure(5.5, 5.0)
    axes = figure.add_subplot()
    if not result.rescaling:
        axes.text(0.5, 0.5, "no event times: the time-rescaling check needs an event log", ha="center",
                  va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return figure
    top = 0.0
    for test in result.rescaling:
        gaps = np.sort(test.gaps)
        k = gaps.size
        probabilities = (np.arange(1, k + 1) - 0.5) / k
        theoretical = -np.log1p(-probabilities)
        label = f"{NAMES[test.model]} (KS p = {test.p_value:.2g})"
        axes.plot(theoretical, gaps, ".", markersize=3, color=COLOURS[test.model], label=label)
        top = max(top, theoretical[-1], gaps[-1])
    k = result.rescaling[0].gaps.size
    grid = np.linspace(0.0, 1.0 - 1.0 / (k + 1), 400)
    width = 1.358 / np.sqrt(k)  # the KS statistic's 95% point
    axes.plot(-np.log1p(-grid), -np.log1p(-grid), color="black", linewidth=1)
    axes.plot(-np.log1p(-grid), -np.log1p(-np.clip(grid + width, 0, 1 - 1e-12)), ":", color="grey",
              linewidth=1, label="95% KS band")
    axes.plot(-np.log1p(-grid), -np.log1p(-np.clip(grid - width, 0, 1)), ":", color="grey", linewidth=1)
    axes.set_xlim(0, top * 1.02)
    axes.set_ylim(0, top * 1.02)
    axes.set_xlabel("Exp(1) quantile")
    axes.set_ylabel("rescaled gap (compensator increment)")
    copies = result.rescaling[0].copies
    axes.set_title("Time rescaling" + (f" (first of {copies} jittered copies)" if copies > 1 else ""))
    axes.legend(loc="upper left", fontsize="small")
    return figure


def intensity_plot(result: "CalibrationResult", points: int = 4000) -> "Figure":
    """The fitted conditional intensity (per day) over the training period, and over
    the test period driven by its events, with the events as a rug below."""
    figure = _figure(10.0, 4.0)
    axes = figure.add_subplot()
    data = result.plot_data
    start = result.data.period.start
    if data.times is None:
        return _counts_intensity(figure, axes, result)
    times = data.times
    horizon = float(result.data.period.days)
    span = horizon
    if data.test_times is not None and result.data.test_period is not None:
        offset = float((result.data.test_period.start - start).days)
        times = np.concatenate([times, data.test_times + offset])
        span = offset + result.data.test_period.days
        axes.axvspan(_dates(start, np.array([offset]))[0], _dates(start, np.array([span]))[0], color="0.92",
                     label="test period")
    grid = np.linspace(0.0, span, points)
    if result.hawkes is not None:
        h = result.hawkes
        intensity = likelihood.hawkes_intensity(np.sort(times), h.mu, h.n, h.beta, grid)
        axes.plot(_dates(start, grid), intensity, color=COLOURS["hawkes"], linewidth=0.8,
                  label=f"Hawkes intensity (mu {h.mu:.3f}, n {h.n:.2f}, decay {h.decay_hours:.3g} h)")
    if result.poisson is not None:
        axes.axhline(result.poisson.rate.estimate, color=COLOURS["poisson"], linestyle="--", linewidth=1,
                     label=f"Poisson rate {result.poisson.rate.estimate:.3f}")
    # the observed level: events in the trailing window, per day
    window = min(ROLLING_DAYS, span / 4.0)
    ordered = np.sort(times)
    inside = np.searchsorted(ordered, grid, side="right") - np.searchsorted(ordered, grid - window, side="right")
    shown = grid >= window
    axes.plot(_dates(start, grid[shown]), inside[shown] / window, color="black", linewidth=1.2,
              label=f"observed, trailing {window:.0f} days")
    axes.plot(_dates(start, times), np.zeros(times.size), "|", color="black", markersize=8, alpha=0.5,
              label="events")
    axes.set_ylabel("breaches per day")
    _time_axis(axes, start, span)
    axes.set_ylim(bottom=-0.05 * max(axes.get_ylim()[1], 1e-9))
    axes.set_title("Fitted intensity and events")
    axes.legend(loc="upper left", fontsize="small")
    return figure


def _counts_intensity(figure: "Figure", axes: "Axes", result: "CalibrationResult") -> "Figure":
    """For a count series: counts per day of each period, and the fitted rates."""
    data = result.plot_data
    start = result.data.period.start
    rate = data.counts / np.diff(data.edges)
    axes.stairs(rate, _dates(start, data.edges), color="black", label="observed per day")
    if result.hawkes is not None:
        h = result.hawkes
        means = likelihood.hawkes_counts_means(data.edges, data.counts, h.mu, h.n, h.beta)
        axes.stairs(means / np.diff(data.edges), _dates(start, data.edges), color=COLOURS["hawkes"],
                    label="Hawkes conditional mean per day")
    if result.poisson is not None:
        axes.axhline(result.poisson.rate.estimate, color=COLOURS["poisson"], linestyle="--",
                     label=f"Poisson rate {result.poisson.rate.estimate:.3f}")
    axes.set_ylabel("events per day")
    _time_axis(axes, start, float(data.edges[-1]))
    axes.set_title(f"Counts per {result.data.period_label} and the fitted rates")
    axes.legend(loc="upper left", fontsize="small")
    return figure


def counts_plot(result: "CalibrationResult") -> "Figure":
    """Observed counts per week (or per period of a count series) against each
    model's simulated 90% band, over the training period and the test period."""
    figure = _figure(10.0, 4.5)
    axes = figure.add_subplot()
    data = result.plot_data
    start = result.data.period.start
    pieces = [(start, data.edges, data.counts, data.bands, "")]
    if data.test_edges is not None and result.data.test_period is not None:
        pieces.append((result.data.test_period.start, data.test_edges, data.test_counts, data.test_bands, " (test)"))
    labelled: set[str] = set()
    for first, edges, counts, bands, _ in pieces:
        x = _dates(first, edges)
        for model, band in bands.items():
            label = None if model in labelled else f"{NAMES[model]}: 90% of simulations"
            labelled.add(model)
            axes.fill_between(x, np.append(band[0], band[0][-1]), np.append(band[2], band[2][-1]), step="post",
                              color=COLOURS[model], alpha=0.2, label=label)
        axes.stairs(counts, x, color="black", linewidth=0.8,
                    label=None if "observed" in labelled else "observed")
        labelled.add("observed")
    if len(pieces) > 1:
        boundary = _dates(pieces[1][0], np.array([0.0]))[0]
        axes.axvline(boundary, color="grey", linestyle=":", linewidth=1)
        axes.text(boundary, axes.get_ylim()[1], " test period", va="top", fontsize="small", color="grey")
    axes.set_ylabel(f"events per {result.data.period_label}")
    last_start, last_edges = pieces[-1][0], pieces[-1][1]
    _time_axis(axes, start, float((last_start - start).days + last_edges[-1]))
    axes.set_title(f"Counts per {result.data.period_label}: observed and simulated from the fit")
    axes.legend(loc="upper left", fontsize="small")
    return figure


def figures(result: "CalibrationResult") -> dict[str, "Figure"]:
    """All figures by name (``qq``, ``intensity``, ``counts``)."""
    return {"qq": qq_plot(result), "intensity": intensity_plot(result), "counts": counts_plot(result)}
