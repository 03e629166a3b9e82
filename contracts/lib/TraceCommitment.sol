// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {TooManyInputs, TooManyAttrs, TraceRootMismatch} from "./CommitmentErrors.sol";

/// @title TraceCommitment
/// @notice Verifies records of a step's op trace (commitment/trace.ts).
/// @dev Record hash = sha256(0x04 || u32be entry || u32be tensorId || u8 code || u8 #inputs ||
///      u32be inputs... || u8 #attrs || i64be attrs... || output root); the trace root is the Merkle
///      root of the records, record `entry` at leaf `entry`.
library TraceCommitment {
    /// @notice Domain tag of a trace record.
    uint8 internal constant RECORD_TAG = 0x04;

    /// @notice One trace entry (TraceEntry of commitment/trace.ts, without its name).
    struct Record {
        uint32 entry;
        uint32 tensorId;
        uint8 code;
        uint32[] inputs;
        int64[] attrs;
        bytes32 outputRoot;
    }

    /// @notice A trace record's hash.
    /// @dev Reverts with {TooManyInputs} or {TooManyAttrs} past 255 of either.
    /// @param entry The entry's position in the trace.
    /// @param tensorId The id of the tensor the entry produces.
    /// @param code The op code (0 for a batch input).
    /// @param inputs Tensor ids of the op's inputs.
    /// @param attrs The op's integer attributes.
    /// @param outputRoot The tensor root of the entry's output.
    /// @return h The record hash.
    function recordHash(
        uint32 entry,
        uint32 tensorId,
        uint8 code,
        uint32[] memory inputs,
        int64[] memory attrs,
        bytes32 outputRoot
    ) internal pure returns (bytes32 h) {
        uint256 ni = inputs.length;
        uint256 na = attrs.length;
        // INVARIANT: both counts are encoded in one byte; more must not alias fewer.
        if (ni > 255) revert TooManyInputs(ni);
        if (na > 255) revert TooManyAttrs(na);
        bytes memory buf;
        assembly ("memory-safe") {
            // Layout: [len][0x04][u32 entry][u32 tensorId][code][ni][u32 inputs...][na][i64 attrs...][outputRoot]
            buf := mload(0x40)
            let len := add(44, add(shl(2, ni), shl(3, na)))
            mstore(buf, len)
            let p := add(buf, 32)
            // SAFETY: every mstore below writes 32 bytes; each write is overwritten past its field by the
            // next one, and the last (outputRoot) ends exactly at p + len, inside the allocation.
            // shl(224, .) / shl(192, .) keep the low 32 / 64 bits: the u32be / i64be (two's complement)
            // encodings, whatever the upper bits of the memory word (int64 is stored sign-extended).
            mstore(p, shl(248, RECORD_TAG))
            mstore(add(p, 1), shl(224, entry))
            mstore(add(p, 5), shl(224, tensorId))
            mstore8(add(p, 9), code)
            mstore8(add(p, 10), ni)
            let q := add(p, 11)
            let d := add(inputs, 32)
            let end := add(d, shl(5, ni))
            for {} lt(d, end) {
                d := add(d, 32)
                q := add(q, 4)
            } { mstore(q, shl(224, mload(d))) }
            mstore8(q, na)
            q := add(q, 1)
            d := add(attrs, 32)
            end := add(d, shl(5, na))
            for {} lt(d, end) {
                d := add(d, 32)
                q := add(q, 8)
            } { mstore(q, shl(192, mload(d))) }
            mstore(q, outputRoot)
            mstore(0x40, add(p, and(add(len, 31), not(31))))
        }
        h = sha256(buf);
    }

    /// @notice A trace record's hash. See {recordHash}.
    /// @param r The record.
    /// @return The record hash.
    function recordHash(Record memory r) internal pure returns (bytes32) {
        return recordHash(r.entry, r.tensorId, r.code, r.inputs, r.attrs, r.outputRoot);
    }

    /// @notice Checks that `r` is record `r.entry` of the trace `traceRoot`.
    /// @dev Reverts with {TraceRootMismatch}, {TooManyInputs}, {TooManyAttrs}, or a {Sha256Merkle}
    ///      error on a malformed path.
    /// @param traceRoot The committed trace root.
    /// @param r The record.
    /// @param siblings The record's path in the trace tree, from the leaf level up.
    function verifyRecord(bytes32 traceRoot, Record memory r, bytes32[] calldata siblings) internal pure {
        // INVARIANT: the leaf index is the record's own entry number, so a record cannot be moved.
        bytes32 computed = Sha256Merkle.computeRoot(recordHash(r), r.entry, siblings);
        if (computed != traceRoot) revert TraceRootMismatch(traceRoot, computed);
    }
}
