"""Yes/no outcomes per point and block of replications: what an interval needs to see
the replications' noise when the points share them.

Under common random numbers every point runs replications 0..N-1, so the luck of
replication i moves all points together, and an index computed from the points'
estimates (a Sobol' index, a Morris effect) moves with it: not only the level, the
effects too. A bootstrap over the points holds the replications fixed and cannot see
that. Cutting the N replications into K blocks of consecutive replications (block k:
replications k * size .. (k + 1) * size - 1) gives K independent copies of the
replications' luck, each shared by all points; resampling the blocks as well as the
points (``stress.statistics.sensitivity``) brings it into the interval.

A block is the pipeline's unit of work for the job that asks for blocks (the job's
chunk of replications), so each unit's tallies are one point's counts in one block.
"""

from __future__ import annotations

import math

import numpy as np

from stress.statistics.tally import Outputs, UnitTallies

# Blocks of replications: enough for the replications' share of an index's variance to
# be estimated with 19 degrees of freedom (its standard error to within about 16%).
BLOCKS = 20


def block_size(replications: int, blocks: int = BLOCKS) -> int:
    """Replications per block: N / K rounded up (the last block may be shorter)."""
    return max(1, math.ceil(replications / blocks))


class ReplicationBlocks:
    """Per point and block, the replications run and how many had each of the job's
    ``outputs.outcomes`` (reached at least each tier, then each proportion's flag); with
    ``means``, also the first ``means`` mean metrics' sums and how many replications
    defined each."""

    def __init__(self, points: int, replications: int, outputs: Outputs, blocks: int = BLOCKS,
                 means: int = 0) -> None:
        self.size = block_size(replications, blocks)
        self.blocks = math.ceil(replications / self.size)
        self.outcomes = outputs.outcomes
        self.tiers = len(outputs.tiers)
        self.n = np.zeros((points, self.blocks), dtype=np.int64)
        self.counts = np.zeros((points, self.blocks, len(self.outcomes)), dtype=np.int64)
        self.sums = np.zeros((points, self.blocks, means))
        self.defined = np.zeros((points, self.blocks, means), dtype=np.int64)

    def add(self, units: np.ndarray, tallies: UnitTallies) -> None:
        """Add units (rows: point, first replication, count), each within one block."""
        points, blocks = units[:, 0], units[:, 1] // self.size
        reached = np.bincount(tallies.reach_unit.astype(np.int64) * self.tiers + tallies.reach_tier,
                              weights=tallies.reach_count, minlength=len(units) * self.tiers)
        counts = np.concatenate([reached.astype(np.int64).reshape(len(units), self.tiers), tallies.flags], axis=1)
        np.add.at(self.n, (points, blocks), tallies.n)
        np.add.at(self.counts, (points, blocks), counts)
        if self.sums.shape[2]:
            width = self.sums.shape[2]
            np.add.at(self.sums, (points, blocks), tallies.sums[:, :width])
            np.add.at(self.defined, (points, blocks), tallies.counts[:, :width])

    def outcome(self, name: str) -> np.ndarray:
        """(points, blocks) counts of one outcome: a tier probability (``tier2_p``) or a
        proportion (``p_false_escalation``)."""
        tier = name.removesuffix("_p")
        return self.counts[:, :, self.outcomes.index(tier if tier in self.outcomes[:self.tiers] else name)]
