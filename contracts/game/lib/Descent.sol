// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Sha256Merkle} from "../../lib/Sha256Merkle.sol";
import {TensorCommitment} from "../../lib/TensorCommitment.sol";

/// @title Descent
/// @notice The Merkle descent of levels 2 (trace trees) and 3 (data trees), docs/protocol.md 3.2 and 3.3:
///         a round reveals the 2^r nodes r = min(LEVELS, depth - round) levels below a party's current node;
///         they must hash up to it ({subtreeRoot}), and the game descends to the leftmost position where the
///         two parties' lists differ ({leftmostDifference}). Also the leaf count of a data tree
///         ({leafCount}). dispute/treeNodes.ts mirrors it.
/// @dev Pure functions over calldata node lists; internal, so they are inlined into the game.
library Descent {
    /// @notice A round goes down at most this many levels (2^3 = 8 nodes per reveal).
    uint8 internal constant LEVELS = 3;

    /// @notice Levels the round at (`depth`, `round`) goes down: min(LEVELS, depth - round).
    /// @dev Requires round < depth (a descent phase ends at round == depth).
    function levels(uint8 depth, uint8 round) internal pure returns (uint8) {
        uint8 left;
        unchecked {
            // SAFETY: round < depth (required), so the difference does not wrap.
            left = depth - round;
        }
        return left < LEVELS ? left : LEVELS;
    }

    /// @notice The root of the complete subtree whose nodes at its lowest level are `nodes` (a power of two
    ///         of them): log2(length) levels of Sha256Merkle.nodeHash, computed in place in a memory copy.
    function subtreeRoot(bytes32[] calldata nodes) internal pure returns (bytes32) {
        bytes32[] memory level = nodes;
        for (uint256 n = level.length >> 1; n != 0; n >>= 1) {
            for (uint256 j; j < n; ++j) {
                level[j] = Sha256Merkle.nodeHash(level[2 * j], level[2 * j + 1]);
            }
        }
        return level[0];
    }

    /// @notice The leftmost position at which `a` and `b` differ.
    /// @dev Requires that they differ at a position inside both (the game's two lists have the same length
    ///      and hash up to different nodes); otherwise the scan runs past the end and reverts.
    function leftmostDifference(bytes32[] calldata a, bytes32[] calldata b) internal pure returns (uint256 i) {
        while (a[i] == b[i]) {
            unchecked {
                // SAFETY: the bounds-checked reads stop i below both lengths, far from 2^256.
                ++i;
            }
        }
    }

    /// @notice Number of 1 KiB leaves of a tensor of `n` elements of `width` bytes (at least one).
    function leafCount(uint256 n, uint256 width) internal pure returns (uint256) {
        uint256 leaves = (n * width + TensorCommitment.LEAF_BYTES - 1) / TensorCommitment.LEAF_BYTES;
        return leaves == 0 ? 1 : leaves;
    }
}
