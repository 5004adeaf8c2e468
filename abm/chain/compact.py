"""Compact target encoding (a header's nBits) and difficulty, bit for bit as Bitcoin Core.

`bits_to_target` is arith_uint256::SetCompact, `target_to_bits` is GetCompact and
`difficulty` is GetDifficulty from rpc/blockchain.cpp. Targets are Python ints that stand
for 256-bit unsigned integers.
"""

_UINT256 = 2**256


def bits_to_target(bits: int) -> int:
    """Decode a compact nBits into its 256-bit target (SetCompact).

    Raises:
        ValueError: if `bits` is not a 32-bit value, or encodes a negative number or one
            that overflows 256 bits (Bitcoin Core's fNegative / fOverflow).
    """
    if not 0 <= bits <= 0xFFFFFFFF:
        raise ValueError(f"compact bits {bits!r} is not a 32-bit unsigned value")
    size = bits >> 24
    word = bits & 0x007FFFFF
    if size <= 3:  # Core shifts first and then tests the sign and overflow of what is left
        word >>= 8 * (3 - size)
    if word != 0 and bits & 0x00800000:
        raise ValueError(f"compact bits {bits:#010x} encodes a negative target (sign bit set)")
    if word != 0 and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32)):
        raise ValueError(f"compact bits {bits:#010x} overflows 256 bits")
    if size <= 3:
        return word
    return (word << (8 * (size - 3))) % _UINT256


def target_to_bits(target: int) -> int:
    """Encode a 256-bit target as compact nBits (GetCompact), dropping low-order bits."""
    if not 0 <= target < _UINT256:
        raise ValueError(f"target {target!r} is not a 256-bit unsigned integer")
    size = (target.bit_length() + 7) // 8
    if size <= 3:
        compact = (target << (8 * (3 - size))) & 0xFFFFFFFFFFFFFFFF
    else:
        compact = (target >> (8 * (size - 3))) & 0xFFFFFFFFFFFFFFFF
    if compact & 0x00800000:  # the mantissa's top bit would read as a sign: shift a byte
        compact >>= 8
        size += 1
    return compact | (size << 24)


def difficulty(bits: int) -> float:
    """Difficulty of a compact target relative to difficulty 1 (Bitcoin Core's GetDifficulty).

    Like Bitcoin Core, reads the 24-bit mantissa including its sign bit and works in
    doubles, so it is defined for every 32-bit value with a nonzero mantissa.
    """
    shift = (bits >> 24) & 0xFF
    mantissa = bits & 0x00FFFFFF
    if mantissa == 0:
        raise ValueError(f"compact bits {bits:#010x} has a zero mantissa: difficulty undefined")
    diff = float(0x0000FFFF) / float(mantissa)
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return diff


def bits_for_difficulty(target_difficulty: float) -> int:
    """Compact bits of about `target_difficulty` (to set up a starting chain state)."""
    if not target_difficulty >= 1.0:
        raise ValueError(f"difficulty {target_difficulty!r} must be >= 1")
    difficulty_one_target = 0xFFFF << 208  # target of bits 0x1d00ffff
    return target_to_bits(int(difficulty_one_target / target_difficulty))
