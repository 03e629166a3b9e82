// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "../lib/Sha256Merkle.sol";

/// @title Sha256MerkleHarness
/// @notice Test-only contract exposing the {Sha256Merkle} library as external functions.
contract Sha256MerkleHarness {
    /// @notice See {Sha256Merkle-verify}.
    function verify(bytes32 root, bytes32 leafHash_, uint256 index, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        return Sha256Merkle.verify(root, leafHash_, index, siblings);
    }

    /// @notice See {Sha256Merkle-computeRoot}.
    function computeRoot(bytes32 leafHash_, uint256 index, bytes32[] calldata siblings)
        external
        pure
        returns (bytes32)
    {
        return Sha256Merkle.computeRoot(leafHash_, index, siblings);
    }

    /// @notice See {Sha256Merkle-leafHash}.
    function leafHash(bytes calldata data) external pure returns (bytes32) {
        return Sha256Merkle.leafHash(data);
    }

    /// @notice See {Sha256Merkle-nodeHash}.
    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return Sha256Merkle.nodeHash(left, right);
    }
}
