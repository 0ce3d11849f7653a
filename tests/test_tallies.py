"""What the pipeline adds up from workers' tallies is what the records say."""

import numpy as np
import pytest

import stress
from stress.model import records
from stress.statistics.intervals import histogram_quantile
from stress.statistics.tally import bin_count_for, bin_width_for, outputs_of, reach_times


@pytest.mark.parametrize("n, workers", [(3_000, 1), (60_000, 2)])
def test_reach_counts_and_quantiles_are_those_of_the_records(n, workers):
    # 3,000 replications keep a point's reach histogram sparse; 60,000 turn it dense
    # (more occupied bins than the histogram has), and two workers pack many units a task
    result = stress.run(n=n, seed=2, workers=workers, engine="fast", keep_records=True, save_records=False)
    horizon = result.summary.horizon_hours
    width, bins = bin_width_for(horizon), bin_count_for(horizon)
    layout = records.layout(result.config)
    times = reach_times(result.records[list(layout.names)].to_numpy(dtype=np.float64), outputs_of(layout))
    for k, row in enumerate(result.summary.tier_rows):
        reached = times[~np.isnan(times[:, k]), k]
        assert row["n_reached"] == len(reached)
        counts = np.bincount(np.minimum((reached / width).astype(np.int64), bins - 1), minlength=bins)
        for q, key in ((0.1, "p10_hours_to_reach"), (0.5, "median_hours_to_reach"), (0.9, "p90_hours_to_reach")):
            assert row[key] == histogram_quantile(counts, width, q), (row["tier"], key)
