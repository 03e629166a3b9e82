// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {HistoryRootMismatch} from "./CommitmentErrors.sol";

/// @title HistoryCommitment
/// @notice Verifies checkpoints of a solver's history root (commitment/history.ts).
/// @dev History root = Merkle root over the checkpoints; leaf = sha256(0x05 || u64be step || state root).
library HistoryCommitment {
    /// @notice Domain tag of a checkpoint leaf.
    bytes1 internal constant CHECKPOINT_TAG = 0x05;

    /// @notice A checkpoint's leaf hash.
    /// @param step The checkpoint's step.
    /// @param stateRoot The state root at that step.
    /// @return sha256(0x05 || u64be step || stateRoot).
    function checkpointLeaf(uint64 step, bytes32 stateRoot) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(CHECKPOINT_TAG, step, stateRoot));
    }

    /// @notice Checks that checkpoint `index` of `historyRoot` is (step, stateRoot).
    /// @dev Reverts with {HistoryRootMismatch}, or a {Sha256Merkle} error on a malformed path.
    /// @param historyRoot The committed history root.
    /// @param index The checkpoint's position in the history.
    /// @param step The checkpoint's step.
    /// @param stateRoot The checkpoint's state root.
    /// @param siblings The leaf's path, from the leaf level up.
    function verifyCheckpoint(
        bytes32 historyRoot,
        uint256 index,
        uint64 step,
        bytes32 stateRoot,
        bytes32[] calldata siblings
    ) internal pure {
        // INVARIANT: the leaf binds the step, so a state root cannot be claimed for another step.
        bytes32 computed = Sha256Merkle.computeRoot(checkpointLeaf(step, stateRoot), index, siblings);
        if (computed != historyRoot) revert HistoryRootMismatch(historyRoot, computed);
    }
}
