"""Block arrivals: a Poisson process at the current difficulty, with retargets mid-span.

`Chain.advance` draws exponential gaps in vectorized chunks that never cross the end of a
2016-block period, so a retarget reached mid-span takes effect for the rest of the span.
Exponential gaps are memoryless, so a chunk's unused draws can be discarded at a span or
period boundary without biasing arrivals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from abm.chain.compact import bits_to_target, difficulty
from abm.chain.consensus import POW_LIMIT, RETARGET_INTERVAL
from abm.chain.fees import FeeProcess
from abm.chain.retarget import next_bits
from abm.chain.subsidy import subsidy_sum_sat

HASHES_PER_DIFFICULTY = 2**32  # expected hashes per block at difficulty 1
_EMPTY = np.empty(0)
_EMPTY.flags.writeable = False


@dataclass(frozen=True, slots=True)
class Retarget:
    """A difficulty change: first height at `new_bits`, and when the old period ended."""

    height: int
    time_s: float  # time of the last block of the finished period
    old_bits: int
    new_bits: int
    timespan_s: int  # last minus first block time of the finished period, before clamping


@dataclass(slots=True)
class ChainStep:
    """What one `Chain.advance` produced."""

    blocks: int
    timestamps: np.ndarray  # float64 absolute times of the new blocks, increasing
    first_height: int  # height of the first new block (or of the next block if none)
    subsidy_sat: int
    fees_sat: int
    retargets: list[Retarget] = field(default_factory=list)


class Chain:
    """Tip state of a simulated Bitcoin chain and its block-arrival process.

    `bits` is the compact target the next block must meet: the chain retargets as soon as
    the last block of a period is found. `epoch_start_s` is the time of the first block of
    the period the tip belongs to (needed for the next retarget). `clock_s` is simulated
    "now"; the tip's time is at or before it.
    """

    def __init__(
        self,
        height: int,
        bits: int,
        time_s: float,
        epoch_start_s: float | None = None,
        fees: FeeProcess | None = None,
    ):
        if height < 0:
            raise ValueError(f"height {height} must be >= 0")
        target = bits_to_target(bits)
        if not 0 < target <= POW_LIMIT:
            raise ValueError(f"compact bits {bits:#010x} is outside (0, powLimit]")
        if not math.isfinite(time_s):
            raise ValueError(f"time_s {time_s!r} must be finite")
        if epoch_start_s is None:
            if height % RETARGET_INTERVAL != 0:
                raise ValueError(
                    f"epoch_start_s is required: height {height} is not the first block of "
                    f"its {RETARGET_INTERVAL}-block period"
                )
            epoch_start_s = time_s
        if epoch_start_s > time_s:
            raise ValueError(f"epoch_start_s {epoch_start_s} is after the tip time {time_s}")
        self.height = height
        self.bits = bits
        self.time_s = float(time_s)
        self.epoch_start_s = float(epoch_start_s)
        self.clock_s = float(time_s)
        self.fees = fees if fees is not None else FeeProcess(0)
        self._difficulty = difficulty(bits)
        self._period_closed = False  # True once `bits` already holds the next period's target

    @property
    def difficulty(self) -> float:
        """Difficulty of the next block (Bitcoin Core's GetDifficulty of `bits`)."""
        return self._difficulty

    def expected_interval_s(self, hashrate_hs: float) -> float:
        """Mean block interval at the current difficulty: D * 2**32 / hashrate."""
        return self._difficulty * HASHES_PER_DIFFICULTY / hashrate_hs

    def _retarget_if_due(self, records: list[Retarget]) -> None:
        """Close the period if the tip is its last block: the next block gets new bits."""
        if self._period_closed or self.height % RETARGET_INTERVAL != RETARGET_INTERVAL - 1:
            return
        first, last = math.floor(self.epoch_start_s), math.floor(self.time_s)
        new = next_bits(self.bits, first, last)
        records.append(Retarget(self.height + 1, self.time_s, self.bits, new, last - first))
        self.bits = new
        self._difficulty = difficulty(new)
        self._period_closed = True

    def advance(self, hashrate_hs: float, duration_s: float, rng: np.random.Generator) -> ChainStep:
        """Mine for `duration_s` seconds at `hashrate_hs` (H/s); return the blocks found."""
        if not (math.isfinite(hashrate_hs) and hashrate_hs >= 0):
            raise ValueError(f"hashrate_hs {hashrate_hs!r} must be finite and >= 0")
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"duration_s {duration_s!r} must be finite and > 0")
        end = self.clock_s + duration_s
        first_height = self.height + 1
        retargets: list[Retarget] = []
        pieces: list[np.ndarray] = []
        fees_sat = 0
        t = self.clock_s
        while hashrate_hs > 0:
            self._retarget_if_due(retargets)
            mean_s = self.expected_interval_s(hashrate_hs)
            next_height = self.height + 1
            period_left = RETARGET_INTERVAL - next_height % RETARGET_INTERVAL
            expected = (end - t) / mean_s
            n = min(period_left, int(expected + 5.0 * math.sqrt(expected) + 8.0))
            times = np.add.accumulate(rng.exponential(mean_s, n))  # cumsum, without its wrapper
            times += t
            k = int(times.searchsorted(end))
            if k:
                found = times[:k]
                pieces.append(found)
                if next_height % RETARGET_INTERVAL == 0:
                    self.epoch_start_s = float(found[0])
                    self._period_closed = False
                self.height += k
                self.time_s = float(found[-1])
                fees_sat += self.fees.draw_sat(k, mean_s, rng)
            if k < n:
                break
            t = float(times[-1])
        self._retarget_if_due(retargets)
        self.clock_s = end
        timestamps = (
            pieces[0] if len(pieces) == 1 else (np.concatenate(pieces) if pieces else _EMPTY)
        )
        return ChainStep(  # positional: half the cost of keywords, once a day
            self.height - first_height + 1,  # blocks
            timestamps,
            first_height,
            subsidy_sum_sat(first_height, self.height),
            fees_sat,
            retargets,
        )
