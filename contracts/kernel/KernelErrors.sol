// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Custom errors of the kernel verifiers (KernelVerifierBase, RecomputeKernelVerifier, KernelMath). Opening
// failures against a root revert with the commitment libraries' errors (CommitmentErrors.sol:
// ProgramRootMismatch, TraceRootMismatch, StateRootMismatch, TensorRootMismatch, DatasetRootMismatch, ...).

// ---------------------------------------------------------------- envelope

/// @notice `operands` is shorter than the five head words of its encoding.
/// @param length The length supplied.
error OperandsTooShort(uint256 length);

/// @notice The program entry supplied is not the disputed one.
/// @param expected The context's entry.
/// @param supplied The program entry's number.
error EntryMismatch(uint32 expected, uint32 supplied);

/// @notice The disputed entry is past the program's last entry.
/// @param entry The context's entry.
/// @param entries The program's number of entries.
error EntryOutOfRange(uint32 entry, uint32 entries);

/// @notice An entry code that has no settlement: the pre-state anchor (254, agreed by construction) or a
///         code the protocol does not define.
/// @param code The program entry's code.
error UnsupportedCode(uint8 code);

/// @notice A proof supplied where the verifier recomputes (anchors, batch inputs, and every op of the recomputing verifier).
/// @param length The proof's length.
error ProofNotEmpty(uint256 length);

/// @notice The program places an anchor or a batch input where the trace layout forbids it.
/// @param entry The entry.
/// @param tensorId The entry's tensor id.
/// @param code The entry's code.
error MisplacedEntry(uint32 entry, uint32 tensorId, uint8 code);

/// @notice The disputed element is outside the entry's output tensor.
/// @param element The context's element.
/// @param count The output's element count.
error DisputedElementOutOfRange(uint256 element, uint256 count);

// ---------------------------------------------------------------- post-state anchor

/// @notice A number of state-producing entries or of their openings that is not the number of state tensors.
/// @param expected The program header's state tensor count.
/// @param supplied The count found.
error StateOutCountMismatch(uint256 expected, uint256 supplied);

// ---------------------------------------------------------------- operands

// OperandMismatch (a record or program description that is not the operand's) is in
// contracts/lib/CommitmentErrors.sol: ProgramCommitment's tensor openings raise it too.

/// @notice An operand opened from a trace entry at or after the disputed one: only earlier entries are
///         the same in both traces.
/// @param tensorId The operand's tensor id.
/// @param entry The entry that holds it.
/// @param disputed The disputed entry.
error OperandNotAgreed(uint32 tensorId, uint256 entry, uint32 disputed);

/// @notice A tensor id that is neither a batch input, a state tensor nor an op output of the program.
/// @param tensorId The tensor id.
error UnknownTensor(uint32 tensorId);

/// @notice The entry's number of inputs is not its op's arity.
/// @param code The op code.
/// @param expected The op's arity.
/// @param actual The program entry's number of inputs.
error ArityMismatch(uint8 code, uint256 expected, uint256 actual);

/// @notice The entry's number of attributes is not its op's.
/// @param code The op code.
/// @param expected The op's attribute count.
/// @param actual The program entry's number of attributes.
error AttrCountMismatch(uint8 code, uint256 expected, uint256 actual);

/// @notice A number of operand openings that is not the entry's number of inputs.
/// @param expected The entry's number of inputs.
/// @param supplied The number of openings.
error OpeningCountMismatch(uint256 expected, uint256 supplied);

/// @notice Operand shapes that do not fit the op and its output shape.
/// @param code The op code.
/// @param input The input (0-based) whose shape does not fit, or the output (type(uint256).max).
error ShapeMismatch(uint8 code, uint256 input);

/// @notice A matmul transpose flag other than 0 or 1.
/// @param value The attribute.
error InvalidFlag(int64 value);

/// @notice An operand's element lies in a leaf that was not supplied (leaves go in the order of first use).
/// @param input The input (0-based).
/// @param leafIndex The leaf needed.
error MissingLeaf(uint256 input, uint256 leafIndex);

/// @notice More leaves supplied for an operand than its elements use.
/// @param input The input (0-based).
/// @param supplied The number of leaves supplied.
/// @param used The number used.
error ExtraLeaves(uint256 input, uint256 supplied, uint256 used);

// ---------------------------------------------------------------- batch inputs

/// @notice The dataset description does not hash to the job's dataset root.
/// @param expected The context's dataset root.
/// @param computed The root of the description supplied.
error DatasetMismatch(bytes32 expected, bytes32 computed);

/// @notice The x entry's row width, the dataset's feature count and the example's length disagree.
/// @param programFeatures The x entry's second dimension.
/// @param datasetFeatures The dataset's feature count.
/// @param exampleBytes The example's byte length.
error FeatureCountMismatch(uint256 programFeatures, uint256 datasetFeatures, uint256 exampleBytes);

// ---------------------------------------------------------------- kernels

/// @notice A shift outside [0, 52] (the engine's range).
/// @param shift The attribute.
error InvalidShift(int64 shift);

/// @notice Operand value arrays that do not have the lengths the op needs.
/// @param code The op code.
error MalformedOperands(uint8 code);

/// @notice A matmul/col_sum settlement whose declared term count K (the solver's, from the game) is not
///         the K of the operand shapes (INV-GAME-9): nobody can settle it.
error TermCountMismatch(uint256 expected, uint256 declared);

/// @notice A matmul/col_sum settlement whose term slice [lo, hi) is empty or reaches past K.
error TermSliceOutOfRange(uint256 lo, uint256 hi, uint256 count);

/// @notice An op attribute outside the range the engine accepts (a model op, code 10..19: a dimension, a
///         window, a flag or a divisor; engine/ops/*.ts rejects the same spec).
/// @param code The op code.
/// @param index The attribute's position (encodeAttrs order).
error InvalidAttr(uint8 code, uint256 index);

/// @notice adam_update with a negative second moment (its square root is undefined; the engine's v >= 0).
error NegativeSecondMoment(int256 v);

/// @notice A softmax_ce_grad term step from an agreed partial value no honest party posts (docs/protocol.md,
///         3.3): a row max below a logit of its row, or a row sum that is not positive at the last term.
/// @param term The term t of the fold.
error SoftmaxTermInvalid(uint256 term);
/// @notice An exp-table index a Groth16 softmax_ce_grad proof names that is past the table's last entry
///         (ModelOps.expTableWord), or bits set above its 8 indices.
/// @param indices The proof's packed indices.
error ExpIndexOutOfRange(uint256 indices);
