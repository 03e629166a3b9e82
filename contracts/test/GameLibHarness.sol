// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Dissection} from "../game/lib/Dissection.sol";
import {Descent} from "../game/lib/Descent.sol";

/// @title GameLibHarness
/// @notice Test-only contract exposing the game's pure libraries ({Dissection}, {Descent}) as external
///         functions, so that they are checked alone against their TypeScript mirrors (dispute/dissection.ts,
///         dispute/treeNodes.ts).
contract GameLibHarness {
    /// @notice See {Dissection-pointCount}.
    function pointCount(uint64 lo, uint64 hi) external pure returns (uint256) {
        return Dissection.pointCount(lo, hi);
    }

    /// @notice See {Dissection-point}.
    function point(uint64 lo, uint64 hi, uint256 m, uint256 i) external pure returns (uint64) {
        return Dissection.point(lo, hi, m, i);
    }

    /// @notice See {Dissection-choose}.
    function choose(uint64 lo, uint64 hi, uint256 m, uint256 choice) external pure returns (uint64, uint64) {
        return Dissection.choose(lo, hi, m, choice);
    }

    /// @notice See {Descent-levels}.
    function levels(uint8 depth, uint8 round) external pure returns (uint8) {
        return Descent.levels(depth, round);
    }

    /// @notice See {Descent-subtreeRoot}.
    function subtreeRoot(bytes32[] calldata nodes) external pure returns (bytes32) {
        return Descent.subtreeRoot(nodes);
    }

    /// @notice See {Descent-leftmostDifference}.
    function leftmostDifference(bytes32[] calldata a, bytes32[] calldata b) external pure returns (uint256) {
        return Descent.leftmostDifference(a, b);
    }

    /// @notice See {Descent-leafCount}.
    function leafCount(uint256 n, uint256 width) external pure returns (uint256) {
        return Descent.leafCount(n, width);
    }
}
