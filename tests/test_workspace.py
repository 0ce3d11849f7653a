"""The compiled engine's workspace: reused across calls, grown on demand, and never
visible in the records."""

import numpy as np

from stress.config.loading import load_config
from stress.engines.fast import new_workspace, simulate_range
from stress.model.params import compile_params

from conftest import ROOT, same_records

HEAVY = ROOT / "configs" / "high-intensity.toml"
# Long verification delays keep ~100 reports pending at once (the event queue), and
# 60-day windows that count every class hold hundreds of reports (both windows); a
# severity threshold never met keeps the breach rate as it is.
CROWDED = ["monitoring.delay_median_hours=500", "tier2.min_class=minor", "tier2.window_days=60",
           "tier2.threshold=100000", "tier3.trigger=severity", "tier3.severity_threshold=1e9",
           "tier3.severity_window_days=60"]


def scenario(path=None, overrides=()):
    return compile_params(load_config(path, overrides))


def test_a_crowded_replication_grows_every_array_and_the_workspace_keeps_them():
    params = scenario(HEAVY, CROWDED)
    workspace = new_workspace()
    small = workspace.buffers
    values = simulate_range(params, 3, 0, 2, workspace=workspace)
    assert same_records(values, simulate_range(params, 3, 0, 2))
    grown = workspace.buffers
    assert grown.heap.shape[0] > small.heap.shape[0]
    assert grown.events.shape[0] == grown.free.shape[0] == grown.heap.shape[0]
    assert grown.windows.shape[1] > small.windows.shape[1]
    # the same replications again need no more room
    assert same_records(simulate_range(params, 3, 0, 2, workspace=workspace), values)
    assert workspace.buffers is grown


def test_records_do_not_depend_on_what_the_workspace_ran_before():
    default, heavy, crowded = scenario(), scenario(HEAVY), scenario(HEAVY, CROWDED)
    workspace = new_workspace()
    # scenarios, seeds (the cached seed prefix) and sizes in turn, with a crowded
    # replication growing the arrays in the middle
    calls = [(default, 1, 0, 50), (crowded, 3, 0, 1), (default, 1, 50, 1), (heavy, 2, 10, 3),
             (default, 2, 0, 20), (default, 1, 0, 50), (default, 2**64 - 1, 7, 5)]
    for params, seed, start, count in calls:
        expected = simulate_range(params, seed, start, count)
        assert same_records(simulate_range(params, seed, start, count, workspace=workspace), expected)


def test_single_replication_calls_make_the_records_of_one_call():
    # a sweep of single replications, one call each, as the job pipeline runs them
    params = scenario()
    workspace = new_workspace()
    singles = np.vstack([simulate_range(params, 9, i, 1, workspace=workspace) for i in range(60)])
    assert same_records(singles, simulate_range(params, 9, 0, 60))


def test_a_tasks_results_do_not_depend_on_the_batches_its_records_are_reduced_in(monkeypatch):
    # a worker reduces its records to tallies in batches (bounded memory); any batch size
    # gives the same arrays, pairs and replication sums included
    from stress.execution import tasks
    from stress.model import records
    from stress.statistics.tally import outputs_of
    a, b = scenario(), scenario(overrides=["tier3.delay_hours=24"])
    outputs = outputs_of(records.layout(load_config()))
    task = tasks.Task("fast", 5, ((0, 1), (0, 1), (1,)), (0, 300, 0), (300, 250, 70), {0: a, 1: b}, outputs,
                      {0: None, 1: None}, keep_records=True, replication_sums=True)
    whole = tasks.run_task(task)
    monkeypatch.setattr(tasks, "TALLY_ROWS", 100)
    batched = tasks.run_task(task)
    for name in ("units", "pairs", "cells", "records", "replication_blocks", "replication_sums"):
        assert np.array_equal(getattr(whole, name), getattr(batched, name), equal_nan=True), name
    for name, expected in whole.tallies._asdict().items():
        assert np.array_equal(expected, getattr(batched.tallies, name)), name


def test_a_blind_plan_has_a_kernel_without_the_mind_and_prepare_readies_each_one_needed():
    import subprocess
    import sys
    adversary = ROOT / "configs" / "adversary.toml"
    # a fresh process (the disk cache shared): running a blind plan readies its kernel only
    code = ("from stress.config.loading import load_config\n"
            "from stress.engines.fast import is_compiled, warm_up\n"
            "from stress.model.params import compile_params\n"
            f"blind, reading = compile_params(load_config(None)), compile_params(load_config({str(adversary)!r}))\n"
            "warm_up(blind)\n"
            "print(is_compiled(blind), is_compiled(reading))\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["True", "False"]
    from stress import engines
    from stress.engines.fast import is_compiled
    blind, reading = scenario(), scenario(adversary)
    engines.prepare("fast", [blind, reading, blind])
    assert is_compiled(blind) and is_compiled(reading)
