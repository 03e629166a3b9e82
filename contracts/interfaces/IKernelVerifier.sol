// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IKernelVerifier
/// @notice Settles the last step of a dispute: the true value of one element of one op-trace entry,
///         computed from operands opened against roots both parties agree on. Pluggable like a one-step
///         VM: RecomputeKernelVerifier recomputes the kernel in Solidity, Groth16KernelVerifier checks a proof.
/// @dev Entries (docs/protocol.md, section 3.4): 255 = the post-state anchor (the value is the true
///      post-state root); 0 = a batch input (x: entry 1, labels: entry 2; the value is recomputed from
///      the dataset); 1..9 = an op of docs/engine.md. Element values are int256 encoded as bytes32.
interface IKernelVerifier {
    /// @notice What the dispute agreed on and what it is about.
    struct Context {
        /// The job's step program (commitment/program.ts).
        bytes32 programRoot;
        /// The job's dataset root (docs/commitments.md, "Dataset").
        bytes32 datasetRoot;
        /// The agreed state root before the disputed step.
        bytes32 preStateRoot;
        /// A trace root whose entries before `entry` are agreed by both parties (the solver's).
        bytes32 traceRoot;
        /// The disputed trace entry.
        uint32 entry;
        /// The disputed element of the entry's output (unused for the post-state anchor).
        uint64 element;
        /// The term-level ops (level 4 of the game: matmul, col_sum, col2im, softmax_ce_grad): the term
        /// slice [termLo, termHi) of the element's accumulation or fold, K as the solver declared it, and
        /// the agreed partial value at termLo. Zero for every other entry.
        uint64 termLo;
        uint64 termHi;
        uint64 termCount;
        int256 accIn;
    }

    /// @notice The true value of the disputed item.
    /// @dev Reverts if an opening does not match the context's roots or the proof does not verify;
    ///      never returns a value it has not checked. `operands` and `proof` are verifier-specific
    ///      encodings (each implementation documents its own).
    /// @param ctx The dispute's agreed roots and subject.
    /// @param operands The openings the verifier needs (program leaves, records, elements, examples).
    /// @param proof A zk proof, or empty for verifiers that recompute.
    /// @return value bytes32(int256 element value), or the post-state root for the post-state anchor; for
    ///         matmul/col_sum the true partial sum at termHi: accIn + sum_{termLo <= t < termHi} a_t * b_t.
    ///         Reverts unless termCount is the true K of the operand shapes and termHi <= K (INV-GAME-9).
    function trueValue(Context calldata ctx, bytes calldata operands, bytes calldata proof) external view returns (bytes32 value);
}
