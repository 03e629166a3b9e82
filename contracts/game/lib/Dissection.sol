// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Dissection
/// @notice The k-ary dissection of an interval [lo, hi] shared by level 1 (steps, {DisputeGame-bisectStep} /
///         {DisputeGame-respondStep}) and level 4 (terms, {DisputeGame-postTerms} / {DisputeGame-respondTerms}),
///         docs/protocol.md 3.1 and 3.3.1: the solver posts its values at m = min(PARTS - 1, hi - lo - 1)
///         points p_i = lo + floor((i + 1) * (hi - lo) / (m + 1)); the challenger names the first point it
///         disagrees with (choice j < m) or none (j = m), which picks the next interval. dispute/dissection.ts
///         mirrors it.
/// @dev Pure arithmetic on u64 interval ends; internal, so it is inlined into the game.
library Dissection {
    /// @notice An interval is cut into at most this many parts (at most PARTS - 1 posted points).
    uint256 internal constant PARTS = 8;

    /// @notice Number of dissection points of [lo, hi] (hi - lo >= 2): m = min(PARTS - 1, hi - lo - 1).
    function pointCount(uint64 lo, uint64 hi) internal pure returns (uint256) {
        uint256 inner = uint256(hi - lo) - 1;
        return inner < PARTS - 1 ? inner : PARTS - 1;
    }

    /// @notice Dissection point p_i = lo + floor((i + 1) * (hi - lo) / (m + 1)) of [lo, hi], for i < m: the
    ///         points are strictly increasing and strictly inside (lo, hi), since m + 1 <= hi - lo.
    function point(uint64 lo, uint64 hi, uint256 m, uint256 i) internal pure returns (uint64) {
        // SAFETY: (i + 1) / (m + 1) < 1, so the offset is below hi - lo and lo + offset < hi fits in uint64.
        return lo + uint64(((i + 1) * uint256(hi - lo)) / (m + 1));
    }

    /// @notice The interval the challenger's answer picks: `choice = j < m` (the first posted point it
    ///         disagrees with is p_j): [j == 0 ? lo : p_{j-1}, p_j]; `choice = m` (it agrees with every
    ///         point): [p_{m-1}, hi]. The caller takes the agreed value at the new lo from the posted value
    ///         at p_{j-1} when j != 0 (else it keeps its own) and the solver's claim at the new hi from the
    ///         posted value at p_j when j != m (else it keeps its own).
    /// @dev Requires 1 <= m <= hi - lo - 1 and choice <= m (the caller checks the choice against the posted
    ///      count). Both ends in one formula: p_{j-1} = lo + floor(j * (hi - lo) / (m + 1)) is lo for j = 0.
    function choose(uint64 lo, uint64 hi, uint256 m, uint256 choice) internal pure returns (uint64 newLo, uint64 newHi) {
        uint256 len = uint256(hi - lo);
        unchecked {
            // SAFETY: choice <= m < 2^64 and len < 2^64, so no product overflows; choice / (m + 1) < 1 and
            // (choice + 1) / (m + 1) < 1 for choice < m, so both offsets are below len and lo + offset < hi
            // fits in uint64.
            newLo = lo + uint64((choice * len) / (m + 1));
            newHi = choice == m ? hi : lo + uint64(((choice + 1) * len) / (m + 1));
        }
    }
}
