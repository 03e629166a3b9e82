// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProgramCommitment} from "../lib/ProgramCommitment.sol";

/// @title ProgramHarness
/// @notice Test-only contract exposing {ProgramCommitment} as external functions.
contract ProgramHarness {
    /// @notice See {ProgramCommitment-headerHash}.
    function headerHash(ProgramCommitment.Header calldata h) external pure returns (bytes32) {
        return ProgramCommitment.headerHash(h);
    }

    /// @notice See {ProgramCommitment-entryHash}.
    function entryHash(ProgramCommitment.Entry calldata p) external pure returns (bytes32) {
        return ProgramCommitment.entryHash(p);
    }

    /// @notice See {ProgramCommitment-stateHash}.
    function stateHash(ProgramCommitment.StateTensor calldata s) external pure returns (bytes32) {
        return ProgramCommitment.stateHash(s);
    }

    /// @notice See {ProgramCommitment-verifyHeader}; returns true or reverts.
    function verifyHeader(bytes32 root, ProgramCommitment.Header calldata h, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        ProgramCommitment.verifyHeader(root, h, siblings);
        return true;
    }

    /// @notice See {ProgramCommitment-verifyEntry}; returns true or reverts.
    function verifyEntry(bytes32 root, ProgramCommitment.Entry calldata p, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        ProgramCommitment.verifyEntry(root, p, siblings);
        return true;
    }

    /// @notice See {ProgramCommitment-verifyState}; returns true or reverts.
    function verifyState(
        bytes32 root,
        uint32 entries,
        ProgramCommitment.StateTensor calldata s,
        bytes32[] calldata siblings
    ) external pure returns (bool) {
        ProgramCommitment.verifyState(root, entries, s, siblings);
        return true;
    }

    /// @notice See {ProgramCommitment-openTensor}: the described tensor's width and shape, or a revert.
    function openTensor(bytes32 root, uint32 entries, uint256 id, ProgramCommitment.TensorDescription calldata d)
        external
        pure
        returns (uint8 width, uint32[] memory dims)
    {
        return ProgramCommitment.openTensor(root, entries, id, d);
    }
}
