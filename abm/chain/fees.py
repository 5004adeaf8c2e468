"""Transaction fees collected by blocks: a per-block Gamma process with a set mean.

Fees of n blocks are one Gamma(n * shape, mean / shape) draw (the sum of n independent
per-block Gamma(shape, mean / shape) fees), rounded to whole satoshis. An optional backlog
elasticity raises the mean per block when blocks come slower than every 600 s, because a
slow block clears a larger mempool.
"""

import numpy as np

from abm.chain.consensus import TARGET_SPACING_S


class FeeProcess:
    """Per-block fees in satoshis with mean `mean_sat_per_block` at 600 s spacing."""

    def __init__(
        self, mean_sat_per_block: int, shape: float = 4.0, backlog_elasticity: float = 0.0
    ):
        if mean_sat_per_block < 0:
            raise ValueError(f"mean_sat_per_block {mean_sat_per_block} must be >= 0")
        if not shape > 0:
            raise ValueError(f"shape {shape} must be > 0")
        if backlog_elasticity < 0:
            raise ValueError(f"backlog_elasticity {backlog_elasticity} must be >= 0")
        self.mean_sat_per_block = int(mean_sat_per_block)
        self.shape = float(shape)
        self.backlog_elasticity = float(backlog_elasticity)

    def mean_sat(self, mean_interval_s: float) -> float:
        """Expected fees of one block when blocks arrive every `mean_interval_s` on average."""
        if mean_interval_s <= TARGET_SPACING_S or not self.backlog_elasticity:
            return self.mean_sat_per_block * 1.0  # slowdown 1.0 or elasticity 0: x ** 0.0 is 1.0
        slowdown = max(mean_interval_s / TARGET_SPACING_S, 1.0)
        return self.mean_sat_per_block * slowdown**self.backlog_elasticity

    def draw_sat(self, n_blocks: int, mean_interval_s: float, rng: np.random.Generator) -> int:
        """Total fees of `n_blocks` blocks mined at `mean_interval_s` spacing."""
        mean = self.mean_sat(mean_interval_s)
        if n_blocks == 0 or mean == 0:
            return 0
        return round(rng.gamma(n_blocks * self.shape, mean / self.shape))
