// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TensorCommitment} from "../../lib/TensorCommitment.sol";
import {InvalidWidth, LeafLengthMismatch} from "../../lib/CommitmentErrors.sol";
import {IdenticalLeaves} from "./GameErrors.sol";

/// @title LeafDiff
/// @notice Finds the first element at which two 1 KiB tensor leaves differ, and decodes it from both
///         (docs/protocol.md, section 3.3; encoding of commitment/tensorCommit.ts).
/// @dev Elements are decoded by {TensorCommitment-decodeElement} (little-endian two's complement of `width`
///      bytes, sign-extended), the decoder of every tensor opening.
library LeafDiff {
    /// @notice The first element slot at which `a` and `b` differ, and its value in each.
    /// @dev Reverts with {InvalidWidth} unless width is 4 or 8, {LeafLengthMismatch} unless both leaves are
    ///      {TensorCommitment-LEAF_BYTES} long, {IdenticalLeaves} if they are equal.
    /// @param a The first leaf (the solver's).
    /// @param b The second leaf (the challenger's).
    /// @param width Element width in bytes, 4 or 8.
    /// @return slot The element's position inside the leaf (0 .. 1024 / width - 1).
    /// @return va Its value in `a`, sign-extended.
    /// @return vb Its value in `b`, sign-extended.
    function firstDifference(bytes calldata a, bytes calldata b, uint8 width)
        internal
        pure
        returns (uint256 slot, int256 va, int256 vb)
    {
        // INVARIANT: the only widths the engine encodes; 1024 % width == 0, so no element straddles leaves.
        if (width != 4 && width != 8) revert InvalidWidth(width);
        if (a.length != TensorCommitment.LEAF_BYTES) revert LeafLengthMismatch(a.length);
        if (b.length != TensorCommitment.LEAF_BYTES) revert LeafLengthMismatch(b.length);
        uint256 byteIndex = type(uint256).max;
        assembly ("memory-safe") {
            // SAFETY: both leaves are LEAF_BYTES (1024) long, so every 32-byte word read lies inside them.
            for { let o := 0 } lt(o, 1024) { o := add(o, 32) } {
                let x := xor(calldataload(add(a.offset, o)), calldataload(add(b.offset, o)))
                if x {
                    // Leading zero bytes of x: the first differing byte of the word (byte 0 = most significant).
                    let n := 0
                    for {} iszero(byte(n, x)) { n := add(n, 1) } {}
                    byteIndex := add(o, n)
                    break
                }
            }
        }
        if (byteIndex == type(uint256).max) revert IdenticalLeaves();
        slot = byteIndex / width;
        va = TensorCommitment.decodeElement(a, slot * width, width);
        vb = TensorCommitment.decodeElement(b, slot * width, width);
    }
}
