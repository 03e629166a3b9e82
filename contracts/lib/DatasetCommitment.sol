// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {DatasetRootMismatch, EmptyDataset} from "./CommitmentErrors.sol";

/// @title DatasetCommitment
/// @notice The dataset commitment (commitment/dataset.ts) and the job's batch randomness
///         (engine/random.ts), recomputed on chain.
/// @dev Example leaf = sha256(0x07 || pixels || u8 label); dataset root = sha256(0x06 || u32be count ||
///      u32be features || u32be classes || Merkle root of the example leaves). RNG: rng0 =
///      sha256("veritrain.rng.init.v1\0" || seed), rng' = sha256("veritrain.rng.next.v1\0" || rng);
///      batch index i = uint256(sha256("veritrain.batch.v1\0" || rng || u32be i)) mod n.
library DatasetCommitment {
    /// @notice Domain tag of a dataset root.
    bytes1 internal constant DATASET_TAG = 0x06;
    /// @notice Domain tag of an example leaf.
    bytes1 internal constant EXAMPLE_TAG = 0x07;
    /// @notice "veritrain.batch.v1" and its NUL terminator (TAG_BATCH in engine/random.ts).
    bytes19 internal constant BATCH_TAG = "veritrain.batch.v1\x00";
    /// @notice "veritrain.rng.next.v1" and its NUL terminator (TAG_RNG_NEXT).
    bytes22 internal constant RNG_NEXT_TAG = "veritrain.rng.next.v1\x00";
    /// @notice "veritrain.rng.init.v1" and its NUL terminator (TAG_RNG_INIT).
    bytes22 internal constant RNG_INIT_TAG = "veritrain.rng.init.v1\x00";

    /// @notice An example's leaf hash.
    /// @param pixels The example's feature bytes.
    /// @param label The example's class.
    /// @return sha256(0x07 || pixels || label).
    function exampleLeaf(bytes calldata pixels, uint8 label) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(EXAMPLE_TAG, pixels, label));
    }

    /// @notice The dataset root a job spec carries.
    /// @param count Number of examples.
    /// @param features Bytes per example.
    /// @param classes Number of classes.
    /// @param merkleRoot Merkle root of the example leaves.
    /// @return sha256(0x06 || u32be count || u32be features || u32be classes || merkleRoot).
    function datasetRoot(uint32 count, uint32 features, uint32 classes, bytes32 merkleRoot)
        internal
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked(DATASET_TAG, count, features, classes, merkleRoot));
    }

    /// @notice Checks that example `index` of the dataset tree `merkleRoot` is (pixels, label).
    /// @dev Reverts with {DatasetRootMismatch}, or a {Sha256Merkle} error on a malformed path. The
    ///      caller binds `merkleRoot` to the spec's dataset root with {datasetRoot}, and checks
    ///      pixels.length == features and index < count.
    /// @param merkleRoot Merkle root of the example leaves.
    /// @param index The example's index.
    /// @param pixels The example's feature bytes.
    /// @param label The example's class.
    /// @param siblings The leaf's path, from the leaf level up.
    function verifyExample(
        bytes32 merkleRoot,
        uint256 index,
        bytes calldata pixels,
        uint8 label,
        bytes32[] calldata siblings
    ) internal pure {
        bytes32 computed = Sha256Merkle.computeRoot(exampleLeaf(pixels, label), index, siblings);
        if (computed != merkleRoot) revert DatasetRootMismatch(merkleRoot, computed);
    }

    /// @notice Example index `i` of the batch drawn from RNG state `rng` over `n` examples.
    /// @dev Reverts with {EmptyDataset} when n = 0.
    /// @param rng The step's RNG state.
    /// @param i Position in the batch.
    /// @param n Number of examples.
    /// @return uint256(sha256("veritrain.batch.v1\0" || rng || u32be i)) mod n.
    function batchIndex(bytes32 rng, uint32 i, uint256 n) internal pure returns (uint256) {
        // INVARIANT: a named error rather than a division-by-zero panic.
        if (n == 0) revert EmptyDataset();
        return uint256(sha256(abi.encodePacked(BATCH_TAG, rng, i))) % n;
    }

    /// @notice The RNG state after one step.
    /// @param rng The current RNG state.
    /// @return sha256("veritrain.rng.next.v1\0" || rng).
    function nextRng(bytes32 rng) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(RNG_NEXT_TAG, rng));
    }

    /// @notice The RNG state of step 0.
    /// @param seed The job's 32-byte seed.
    /// @return sha256("veritrain.rng.init.v1\0" || seed).
    function initialRng(bytes32 seed) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(RNG_INIT_TAG, seed));
    }
}
