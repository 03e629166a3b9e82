// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TensorCommitment} from "../lib/TensorCommitment.sol";
import {StateCommitment} from "../lib/StateCommitment.sol";
import {HistoryCommitment} from "../lib/HistoryCommitment.sol";
import {TraceCommitment} from "../lib/TraceCommitment.sol";
import {DatasetCommitment} from "../lib/DatasetCommitment.sol";

/// @title CommitmentHarness
/// @notice Test-only contract exposing the commitment libraries as external functions, plus
///         `gas*` variants returning the gas a library call used (execution only: no calldata, no
///         intrinsic transaction cost, no ABI decoding).
contract CommitmentHarness {
    // ------------------------------------------------------------ TensorCommitment

    /// @notice See {TensorCommitment-tensorRoot}.
    function tensorRoot(uint8 width, uint32[] calldata dims, bytes32 dataRoot) external pure returns (bytes32) {
        return TensorCommitment.tensorRoot(width, dims, dataRoot);
    }

    /// @notice See {TensorCommitment-leafHash}.
    function leafHash(bytes calldata leaf) external pure returns (bytes32) {
        return TensorCommitment.leafHash(leaf);
    }

    /// @notice See {TensorCommitment-openElement}.
    function openElement(
        bytes32 root,
        uint8 width,
        uint32[] calldata dims,
        uint256 index,
        bytes calldata leaf,
        bytes32[] calldata siblings
    ) external pure returns (int256) {
        return TensorCommitment.openElement(root, width, dims, index, leaf, siblings);
    }

    /// @notice {openElement}, also returning the gas the library call used.
    function gasOpenElement(
        bytes32 root,
        uint8 width,
        uint32[] calldata dims,
        uint256 index,
        bytes calldata leaf,
        bytes32[] calldata siblings
    ) external view returns (int256 value, uint256 gasUsed) {
        uint32[] memory d = dims; // the copy to memory is part of a caller's cost: keep it inside
        uint256 g = gasleft();
        value = TensorCommitment.openElement(root, width, d, index, leaf, siblings);
        gasUsed = g - gasleft();
    }

    // ------------------------------------------------------------ StateCommitment

    /// @notice See {StateCommitment-headerHash}.
    function headerHash(bytes32 specHash, uint64 step, uint64 dataCursor, bytes32 rng) external pure returns (bytes32) {
        return StateCommitment.headerHash(specHash, step, dataCursor, rng);
    }

    /// @notice See {StateCommitment-verifyTensorRoot}.
    function verifyTensorRoot(bytes32 stateRoot, uint256 tensorIndex, bytes32 tensorRoot_, bytes32[] calldata siblings)
        external
        pure
    {
        StateCommitment.verifyTensorRoot(stateRoot, tensorIndex, tensorRoot_, siblings);
    }

    /// @notice See {StateCommitment-verifyHeader}.
    function verifyHeader(
        bytes32 stateRoot,
        bytes32 specHash,
        uint64 step,
        uint64 dataCursor,
        bytes32 rng,
        bytes32[] calldata siblings
    ) external pure {
        StateCommitment.verifyHeader(stateRoot, specHash, step, dataCursor, rng, siblings);
    }

    // ------------------------------------------------------------ HistoryCommitment

    /// @notice See {HistoryCommitment-checkpointLeaf}.
    function checkpointLeaf(uint64 step, bytes32 stateRoot) external pure returns (bytes32) {
        return HistoryCommitment.checkpointLeaf(step, stateRoot);
    }

    /// @notice See {HistoryCommitment-verifyCheckpoint}.
    function verifyCheckpoint(
        bytes32 historyRoot,
        uint256 index,
        uint64 step,
        bytes32 stateRoot,
        bytes32[] calldata siblings
    ) external pure {
        HistoryCommitment.verifyCheckpoint(historyRoot, index, step, stateRoot, siblings);
    }

    /// @notice See {HistoryCommitment-rebuildRoot}.
    function rebuildRoot(bytes32[] calldata roots, uint64 steps, uint64 interval) external view returns (bytes32) {
        return HistoryCommitment.rebuildRoot(roots, steps, interval);
    }

    /// @notice {verifyCheckpoint}, returning the gas the library call used.
    function gasVerifyCheckpoint(
        bytes32 historyRoot,
        uint256 index,
        uint64 step,
        bytes32 stateRoot,
        bytes32[] calldata siblings
    ) external view returns (uint256 gasUsed) {
        uint256 g = gasleft();
        HistoryCommitment.verifyCheckpoint(historyRoot, index, step, stateRoot, siblings);
        gasUsed = g - gasleft();
    }

    // ------------------------------------------------------------ TraceCommitment

    /// @notice See {TraceCommitment-recordHash}.
    function recordHash(
        uint32 entry,
        uint32 tensorId,
        uint8 code,
        uint32[] calldata inputs,
        int64[] calldata attrs,
        bytes32 outputRoot
    ) external pure returns (bytes32) {
        return TraceCommitment.recordHash(entry, tensorId, code, inputs, attrs, outputRoot);
    }

    /// @notice See {TraceCommitment-verifyRecord}.
    function verifyRecord(bytes32 traceRoot, TraceCommitment.Record calldata r, bytes32[] calldata siblings)
        external
        pure
    {
        TraceCommitment.verifyRecord(traceRoot, r, siblings);
    }

    /// @notice {verifyRecord}, returning the gas the library call used (record hash + path).
    function gasVerifyRecord(bytes32 traceRoot, TraceCommitment.Record calldata r, bytes32[] calldata siblings)
        external
        view
        returns (uint256 gasUsed)
    {
        TraceCommitment.Record memory m = r;
        uint256 g = gasleft();
        TraceCommitment.verifyRecord(traceRoot, m, siblings);
        gasUsed = g - gasleft();
    }

    // ------------------------------------------------------------ DatasetCommitment

    /// @notice See {DatasetCommitment-exampleLeaf}.
    function exampleLeaf(bytes calldata pixels, uint8 label) external pure returns (bytes32) {
        return DatasetCommitment.exampleLeaf(pixels, label);
    }

    /// @notice See {DatasetCommitment-datasetRoot}.
    function datasetRoot(uint32 count, uint32 features, uint32 classes, bytes32 merkleRoot)
        external
        pure
        returns (bytes32)
    {
        return DatasetCommitment.datasetRoot(count, features, classes, merkleRoot);
    }

    /// @notice See {DatasetCommitment-verifyExample}.
    function verifyExample(
        bytes32 merkleRoot,
        uint256 index,
        bytes calldata pixels,
        uint8 label,
        bytes32[] calldata siblings
    ) external pure {
        DatasetCommitment.verifyExample(merkleRoot, index, pixels, label, siblings);
    }

    /// @notice See {DatasetCommitment-batchIndex}.
    function batchIndex(bytes32 rng, uint32 i, uint256 n) external pure returns (uint256) {
        return DatasetCommitment.batchIndex(rng, i, n);
    }

    /// @notice See {DatasetCommitment-nextRng}.
    function nextRng(bytes32 rng) external pure returns (bytes32) {
        return DatasetCommitment.nextRng(rng);
    }

    /// @notice See {DatasetCommitment-initialRng}.
    function initialRng(bytes32 seed) external pure returns (bytes32) {
        return DatasetCommitment.initialRng(seed);
    }
}
