"""Mainnet consensus constants, as in Bitcoin Core's chainparams.cpp and consensus/amount.h."""

COIN_SAT = 100_000_000  # satoshis per BTC
POW_LIMIT = 2**224 - 1  # mainnet powLimit: 0x00000000ffff...ff (32 bytes)
POW_LIMIT_BITS = 0x1D00FFFF  # GetCompact(powLimit)
TARGET_TIMESPAN_S = 14 * 24 * 60 * 60  # nPowTargetTimespan: two weeks
TARGET_SPACING_S = 10 * 60  # nPowTargetSpacing: ten minutes
RETARGET_INTERVAL = TARGET_TIMESPAN_S // TARGET_SPACING_S  # 2016 blocks
HALVING_INTERVAL = 210_000  # nSubsidyHalvingInterval
INITIAL_SUBSIDY_SAT = 50 * COIN_SAT
