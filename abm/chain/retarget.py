"""Bitcoin's difficulty retarget, bit for bit as Bitcoin Core computes it.

The retarget uses the time between the first and last block of a 2016-block period
(2015 intervals: Satoshi's off-by-one is kept), clamps it to a factor of four either way,
scales the old target with 256-bit wraparound as arith_uint256 does, and caps at powLimit.
"""

from abm.chain.compact import bits_to_target, target_to_bits
from abm.chain.consensus import POW_LIMIT, RETARGET_INTERVAL, TARGET_TIMESPAN_S

MIN_TIMESPAN_S = TARGET_TIMESPAN_S // 4  # 302,400 s
MAX_TIMESPAN_S = TARGET_TIMESPAN_S * 4  # 4,838,400 s
_UINT256 = 2**256


def _scaled_target(old_bits: int, timespan_s: int) -> int:
    """Old target * timespan / two weeks, capped at powLimit (arith_uint256 wraps at 2**256)."""
    target = (bits_to_target(old_bits) * timespan_s) % _UINT256
    return min(target // TARGET_TIMESPAN_S, POW_LIMIT)


def next_bits(prev_bits: int, first_block_time: int, last_block_time: int) -> int:
    """Compact target for the first block of a new period (CalculateNextWorkRequired).

    Args:
        prev_bits: nBits of the last block of the finished period.
        first_block_time: header time of the period's first block (integer seconds).
        last_block_time: header time of the period's last block (integer seconds).
    """
    timespan_s = int(last_block_time) - int(first_block_time)
    timespan_s = min(max(timespan_s, MIN_TIMESPAN_S), MAX_TIMESPAN_S)
    return target_to_bits(_scaled_target(prev_bits, timespan_s))


def permitted_transition(height: int, old_bits: int, new_bits: int) -> bool:
    """Whether `new_bits` may follow `old_bits` at `height` (PermittedDifficultyTransition).

    Off a retarget height the bits must not change; on one, the new target must lie within
    the (compact-rounded) targets of the two clamp limits.
    """
    if height % RETARGET_INTERVAL != 0:
        return old_bits == new_bits
    observed = bits_to_target(new_bits)
    largest = bits_to_target(target_to_bits(_scaled_target(old_bits, MAX_TIMESPAN_S)))
    smallest = bits_to_target(target_to_bits(_scaled_target(old_bits, MIN_TIMESPAN_S)))
    return smallest <= observed <= largest
