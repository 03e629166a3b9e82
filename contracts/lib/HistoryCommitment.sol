// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {HistoryRootMismatch} from "./CommitmentErrors.sol";

/// @title HistoryCommitment
/// @notice Verifies checkpoints of a solver's history root (commitment/history.ts).
/// @dev History root = Merkle root over the checkpoints; leaf = sha256(0x05 || u64be step || state root).
library HistoryCommitment {
    /// @notice A history being rebuilt holds a zero state root at `index` (the zero hash is the padding
    ///         leaf of every tree, never a state root).
    error ZeroCheckpointRoot(uint256 index);

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

    /// @notice The history root of checkpoints `roots` on the schedule of a job: checkpoint i is at step
    ///         `min(i * interval, steps)` (commitment/history.ts, historyTree; padding leaves are the zero
    ///         hash, an empty subtree's node is the node hash of two empty children).
    /// @dev Hashes through the SHA-256 precompile in a scratch buffer above the free memory pointer, so memory
    ///      grows by the leaf array only (`abi.encodePacked` per hash would allocate 2n buffers and make the
    ///      memory cost quadratic). Reverts with {ZeroCheckpointRoot} on a zero root.
    /// @param roots The checkpoints' state roots, at least one.
    /// @param steps The job's steps (the last checkpoint's step).
    /// @param interval The job's checkpoint interval.
    /// @return root The history root.
    function rebuildRoot(bytes32[] calldata roots, uint64 steps, uint64 interval) internal view returns (bytes32 root) {
        uint256 n = roots.length;
        bytes32[] memory level = new bytes32[](n);
        uint256 zeroAt = type(uint256).max;
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            let out := add(level, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let r := calldataload(add(roots.offset, shl(5, i)))
                if iszero(r) { if eq(zeroAt, not(0)) { zeroAt := i } }
                let step := mul(i, interval)
                if gt(step, steps) { step := steps }
                // leaf: 0x05 || u64be step || root (41 bytes)
                mstore(scratch, shl(248, 0x05))
                mstore(add(scratch, 1), shl(192, step))
                mstore(add(scratch, 9), r)
                if iszero(staticcall(gas(), 0x02, scratch, 41, add(out, shl(5, i)), 0x20)) { revert(0, 0) }
            }
            // Levels up, in place: node = sha256(0x01 || left || right); a missing right child is the empty
            // subtree of that height.
            let empty := 0
            for {} gt(n, 1) {} {
                let half := shr(1, add(n, 1))
                for { let j := 0 } lt(j, half) { j := add(j, 1) } {
                    let l := shl(1, j)
                    let right := empty
                    if lt(add(l, 1), n) { right := mload(add(out, shl(5, add(l, 1)))) }
                    mstore(scratch, shl(248, 0x01))
                    mstore(add(scratch, 1), mload(add(out, shl(5, l))))
                    mstore(add(scratch, 33), right)
                    if iszero(staticcall(gas(), 0x02, scratch, 65, add(out, shl(5, j)), 0x20)) { revert(0, 0) }
                }
                mstore(scratch, shl(248, 0x01))
                mstore(add(scratch, 1), empty)
                mstore(add(scratch, 33), empty)
                if iszero(staticcall(gas(), 0x02, scratch, 65, scratch, 0x20)) { revert(0, 0) }
                empty := mload(scratch)
                n := half
            }
            root := mload(out)
        }
        if (zeroAt != type(uint256).max) revert ZeroCheckpointRoot(zeroAt);
    }
}
