// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {PaddingLeaf, TensorIndexOutOfRange, StateRootMismatch} from "./CommitmentErrors.sol";

/// @title StateCommitment
/// @notice Verifies openings of a training-state root (commitment/stateRoot.ts).
/// @dev The state root is the Merkle root of [header hash, tensor root 0, tensor root 1, ...] (state
///      tensors in stateLayout order); header hash = sha256(0x03 || u16be version || spec hash ||
///      u64be step || u64be data cursor || rng).
library StateCommitment {
    /// @notice Domain tag of a state header.
    bytes1 internal constant HEADER_TAG = 0x03;
    /// @notice STATE_VERSION of commitment/stateRoot.ts.
    uint16 internal constant STATE_VERSION = 1;

    /// @notice The state header hash.
    /// @param specHash The job spec's hash.
    /// @param step Steps done.
    /// @param dataCursor Examples consumed.
    /// @param rng The RNG state that draws the next batch.
    /// @return sha256(0x03 || u16be 1 || specHash || u64be step || u64be dataCursor || rng).
    function headerHash(bytes32 specHash, uint64 step, uint64 dataCursor, bytes32 rng)
        internal
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked(HEADER_TAG, STATE_VERSION, specHash, step, dataCursor, rng));
    }

    /// @notice Checks that state tensor `tensorIndex` of the state `stateRoot` has root `tensorRoot`.
    /// @dev Reverts with {PaddingLeaf}, {TensorIndexOutOfRange}, {StateRootMismatch}, or a
    ///      {Sha256Merkle} error on a malformed path. The caller must bound `tensorIndex` by the
    ///      number of state tensors of the spec.
    /// @param stateRoot The committed state root.
    /// @param tensorIndex The tensor's position in the state layout (its leaf is tensorIndex + 1).
    /// @param tensorRoot The claimed tensor root.
    /// @param siblings The leaf's path in the state tree, from the leaf level up.
    function verifyTensorRoot(bytes32 stateRoot, uint256 tensorIndex, bytes32 tensorRoot, bytes32[] calldata siblings)
        internal
        pure
    {
        // INVARIANT: padding leaves past the last tensor are zero; no real tensor root is.
        if (tensorRoot == bytes32(0)) revert PaddingLeaf();
        // INVARIANT: leaf 0 is the header; tensorIndex + 1 must not wrap onto it.
        if (tensorIndex == type(uint256).max) revert TensorIndexOutOfRange(tensorIndex);
        bytes32 computed = Sha256Merkle.computeRoot(tensorRoot, tensorIndex + 1, siblings);
        if (computed != stateRoot) revert StateRootMismatch(stateRoot, computed);
    }

    /// @notice Checks the header fields of the state `stateRoot` (leaf 0 of the state tree).
    /// @dev Reverts with {StateRootMismatch}, or a {Sha256Merkle} error on a malformed path.
    /// @param stateRoot The committed state root.
    /// @param specHash The job spec's hash.
    /// @param step Steps done.
    /// @param dataCursor Examples consumed.
    /// @param rng The RNG state.
    /// @param siblings Leaf 0's path in the state tree, from the leaf level up.
    function verifyHeader(
        bytes32 stateRoot,
        bytes32 specHash,
        uint64 step,
        uint64 dataCursor,
        bytes32 rng,
        bytes32[] calldata siblings
    ) internal pure {
        bytes32 computed = Sha256Merkle.computeRoot(headerHash(specHash, step, dataCursor, rng), 0, siblings);
        if (computed != stateRoot) revert StateRootMismatch(stateRoot, computed);
    }
}
