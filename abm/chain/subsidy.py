"""Block subsidy in satoshis: 50 BTC halved every 210,000 blocks (GetBlockSubsidy)."""

from abm.chain.consensus import HALVING_INTERVAL, INITIAL_SUBSIDY_SAT


def block_subsidy_sat(height: int) -> int:
    """Subsidy of the block at `height`; zero from the 64th halving on, as Bitcoin Core."""
    if height < 0:
        raise ValueError(f"height {height} must be >= 0")
    halvings = height // HALVING_INTERVAL
    if halvings >= 64:  # a right shift by >= 64 is undefined in C++: Core returns 0
        return 0
    return INITIAL_SUBSIDY_SAT >> halvings


def subsidy_sum_sat(first_height: int, last_height: int) -> int:
    """Total subsidy of the blocks at heights first_height..last_height (inclusive)."""
    if last_height < first_height:
        return 0
    era = first_height // HALVING_INTERVAL
    if era == last_height // HALVING_INTERVAL and 0 <= era < 64:  # one era: a day's blocks
        return (last_height - first_height + 1) * (INITIAL_SUBSIDY_SAT >> era)
    total = 0
    height = first_height
    last_height = min(last_height, 64 * HALVING_INTERVAL - 1)  # no subsidy from then on
    while height <= last_height:
        era_end = (height // HALVING_INTERVAL + 1) * HALVING_INTERVAL - 1
        stop = min(era_end, last_height)
        total += (stop - height + 1) * block_subsidy_sat(height)
        height = stop + 1
    return total
