// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {InvalidShift} from "./KernelErrors.sol";

/// @title KernelMath
/// @notice The engine's rounding and saturation (docs/engine.md, "Rounding, defined once"), in int256.
/// @dev Arithmetic here is checked (Solidity 0.8 default): the callers' values are far inside int256 (see
///      RecomputeKernelVerifier), so a check can never fire on a real operand; it is kept as a backstop.
library KernelMath {
    /// @notice Largest shift the engine accepts (`requantize`, `momentum`, `sgd_update` and the input
    ///         quantization reject shifts outside [0, 52]: engine/ops/*.ts, engine/spec.ts).
    int64 internal constant MAX_SHIFT = 52;

    /// @notice floor(a / d) for d > 0: rounds towards negative infinity, unlike Solidity's `/`, which
    ///         truncates towards zero (`-1 / 16 == 0`, but floor(-1/16) = -1).
    /// @param a The dividend.
    /// @param d The divisor, > 0 (callers pass a power of two).
    /// @return q floor(a / d).
    function floorDiv(int256 a, int256 d) internal pure returns (int256 q) {
        q = a / d;
        // Truncation and floor differ exactly when the division is inexact and the quotient is negative
        // (d > 0, so the quotient's sign is a's).
        if (a < 0 && q * d != a) q -= 1;
    }

    /// @notice roundShift(x, s) = floor((x + 2^(s-1)) / 2^s) for s > 0, x for s = 0: round half up
    ///         (towards +infinity on ties, for negative values too: -0.5 -> 0, -1.5 -> -1).
    /// @dev Reverts with {InvalidShift} outside [0, MAX_SHIFT].
    /// @param x The value.
    /// @param s The shift.
    /// @return The rounded, shifted value.
    function roundShift(int256 x, int64 s) internal pure returns (int256) {
        // INVARIANT: the engine's shifts are in [0, 52]; a program with another shift is not the engine's.
        if (s < 0 || s > MAX_SHIFT) revert InvalidShift(s);
        if (s == 0) return x;
        // SAFETY: 1 <= s <= 52, so d = 2^s fits easily and d / 2 = 2^(s-1) is exact.
        int256 d = int256(1) << uint256(uint64(s));
        return floorDiv(x + d / 2, d);
    }

    /// @notice clamp(x, lo, hi) = min(max(x, lo), hi), evaluated as the engine does: x < lo ? lo : x > hi ? hi : x.
    /// @param x The value.
    /// @param lo The lower bound.
    /// @param hi The upper bound.
    /// @return The clamped value.
    function clamp(int256 x, int256 lo, int256 hi) internal pure returns (int256) {
        return x < lo ? lo : x > hi ? hi : x;
    }

    /// @notice floor(sqrt(v)) (engine/isqrt.ts): Newton's method from above, exact for every uint256.
    /// @param v The value.
    /// @return r The largest r with r * r <= v.
    function isqrt(uint256 v) internal pure returns (uint256 r) {
        if (v < 2) return v;
        // A start at or above sqrt(v): 2^ceil(bits(v) / 2).
        uint256 bits = 0;
        for (uint256 t = v; t != 0; t >>= 1) ++bits;
        r = uint256(1) << ((bits + 1) / 2);
        // Newton's step never goes below floor(sqrt(v)) and decreases strictly until it reaches it.
        while (true) {
            uint256 next = (r + v / r) >> 1;
            if (next >= r) return r;
            r = next;
        }
    }
}
