// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Custom errors shared by the commitment libraries (TensorCommitment, StateCommitment,
// HistoryCommitment, TraceCommitment, DatasetCommitment, ProgramCommitment) and their users. Merkle-path errors
// (ProofTooLong, IndexOutOfRange) come from Sha256Merkle.

// ---------------------------------------------------------------- tensors

/// @notice A tensor element width other than 4 or 8 bytes.
/// @param width The width supplied.
error InvalidWidth(uint8 width);

/// @notice A tensor leaf that is not exactly LEAF_BYTES (1024) bytes long.
/// @param length The length supplied.
error LeafLengthMismatch(uint256 length);

/// @notice A shape with more than 255 dimensions (the rank is encoded in one byte).
/// @param rank The number of dimensions supplied.
error RankTooLarge(uint256 rank);

/// @notice A shape with more than 2^64 elements.
error ShapeTooLarge();

/// @notice An element index at or past the tensor's element count.
/// @param index The element index supplied.
/// @param count The tensor's element count (product of its dims).
error ElementIndexOutOfRange(uint256 index, uint256 count);

/// @notice A Merkle path whose length is not the depth of the tensor's data tree.
/// @param expected ceil(log2(number of leaves)).
/// @param actual The number of siblings supplied.
error ProofDepthMismatch(uint256 expected, uint256 actual);

/// @notice The opening does not reproduce the tensor root (wrong leaf, path, index, shape or width).
/// @param expected The committed tensor root.
/// @param computed The root implied by the opening.
error TensorRootMismatch(bytes32 expected, bytes32 computed);

// ---------------------------------------------------------------- state

/// @notice The zero hash offered as a committed leaf: it is the padding leaf of every tree,
///         never the hash of a real object.
error PaddingLeaf();

/// @notice A state tensor index whose leaf index (index + 1) would overflow.
/// @param tensorIndex The tensor index supplied.
error TensorIndexOutOfRange(uint256 tensorIndex);

/// @notice The path does not reproduce the state root.
/// @param expected The committed state root.
/// @param computed The root implied by the path.
error StateRootMismatch(bytes32 expected, bytes32 computed);

// ---------------------------------------------------------------- history

/// @notice The path does not reproduce the history root.
/// @param expected The committed history root.
/// @param computed The root implied by the path.
error HistoryRootMismatch(bytes32 expected, bytes32 computed);

// ---------------------------------------------------------------- trace

/// @notice A trace record with more than 255 inputs (the count is encoded in one byte).
/// @param count The number of inputs supplied.
error TooManyInputs(uint256 count);

/// @notice A trace record with more than 255 attributes (the count is encoded in one byte).
/// @param count The number of attributes supplied.
error TooManyAttrs(uint256 count);

/// @notice The path does not reproduce the trace root.
/// @param expected The committed trace root.
/// @param computed The root implied by the path.
error TraceRootMismatch(bytes32 expected, bytes32 computed);

// ---------------------------------------------------------------- dataset

/// @notice The path does not reproduce the dataset's Merkle root.
/// @param expected The committed Merkle root of the example leaves.
/// @param computed The root implied by the path.
error DatasetRootMismatch(bytes32 expected, bytes32 computed);

/// @notice A batch index drawn from an empty dataset (n = 0).
error EmptyDataset();

// ---------------------------------------------------------------- program

/// @notice The path does not reproduce the job's program root.
/// @param expected The committed program root.
/// @param computed The root implied by the path.
error ProgramRootMismatch(bytes32 expected, bytes32 computed);

/// @notice A program description (a state tensor or the entry producing a tensor) or a trace record that is
///         not the one a tensor needs: another tensor id, state index or entry.
/// @param expectedEntry The entry (or state index) that must describe or hold the tensor.
/// @param expectedTensorId The tensor's id.
/// @param entry The entry (or state index) supplied.
/// @param tensorId The tensor id supplied.
error OperandMismatch(uint256 expectedEntry, uint256 expectedTensorId, uint256 entry, uint256 tensorId);
