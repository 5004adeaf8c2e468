"""Consensus-exact Bitcoin: compact targets, retargets, subsidy, fees and block arrivals."""

from abm.chain.blocks import HASHES_PER_DIFFICULTY, Chain, ChainStep, Retarget
from abm.chain.compact import bits_for_difficulty, bits_to_target, difficulty, target_to_bits
from abm.chain.consensus import (
    COIN_SAT,
    HALVING_INTERVAL,
    POW_LIMIT,
    POW_LIMIT_BITS,
    RETARGET_INTERVAL,
    TARGET_SPACING_S,
    TARGET_TIMESPAN_S,
)
from abm.chain.fees import FeeProcess
from abm.chain.retarget import MAX_TIMESPAN_S, MIN_TIMESPAN_S, next_bits, permitted_transition
from abm.chain.subsidy import block_subsidy_sat, subsidy_sum_sat

__all__ = [
    "COIN_SAT",
    "HALVING_INTERVAL",
    "HASHES_PER_DIFFICULTY",
    "MAX_TIMESPAN_S",
    "MIN_TIMESPAN_S",
    "POW_LIMIT",
    "POW_LIMIT_BITS",
    "RETARGET_INTERVAL",
    "TARGET_SPACING_S",
    "TARGET_TIMESPAN_S",
    "Chain",
    "ChainStep",
    "FeeProcess",
    "Retarget",
    "bits_for_difficulty",
    "bits_to_target",
    "block_subsidy_sat",
    "difficulty",
    "next_bits",
    "permitted_transition",
    "subsidy_sum_sat",
    "target_to_bits",
]
