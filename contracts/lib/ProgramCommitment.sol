// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {TooManyInputs, TooManyAttrs, RankTooLarge, ProgramRootMismatch, OperandMismatch} from "./CommitmentErrors.sol";

/// @title ProgramCommitment
/// @notice Verifies leaves of a job's step program (commitment/program.ts): what each op-trace entry
///         must be, and how to decode every tensor a dispute may open.
/// @dev Leaf 0: header = sha256(0x08 || u32 entries || u32 stateTensors || u32 batchSize ||
///      u32 firstOpTensorId || u32 stateOutEntries...).
///      Leaf 1 + e: entry e = sha256(0x09 || u32 entry || u32 tensorId || u8 code || u8 #inputs ||
///      u32 inputs... || u8 #attrs || i64 attrs... || u8 width || u8 rank || u32 dims...).
///      Leaf 1 + entries + j: state tensor j = sha256(0x0a || u32 j || u32 tensorId || u8 width ||
///      u8 rank || u32 dims...). All integers big-endian.
library ProgramCommitment {
    uint8 internal constant HEADER_TAG = 0x08;
    uint8 internal constant ENTRY_TAG = 0x09;
    uint8 internal constant STATE_TAG = 0x0a;
    /// @notice Graph tensor id of state tensor 0 (engine/graph.ts: 0 = x, 1 = labels, 2 .. 2 + S - 1 the
    ///         state tensors, then the op outputs): state tensor j is graph tensor 2 + j.
    uint256 internal constant FIRST_STATE_TENSOR = 2;

    /// @notice The program header (ProgramHeader of commitment/program.ts).
    struct Header {
        uint32 entries;
        uint32 stateTensors;
        uint32 batchSize;
        uint32 firstOpTensorId;
        uint32[] stateOutEntries;
    }

    /// @notice What trace entry `entry` must be (ProgramEntry of commitment/program.ts).
    struct Entry {
        uint32 entry;
        uint32 tensorId;
        uint8 code;
        uint32[] inputs;
        int64[] attrs;
        uint8 width;
        uint32[] dims;
    }

    /// @notice How state tensor `index` is encoded (ProgramStateTensor of commitment/program.ts).
    struct StateTensor {
        uint32 index;
        uint32 tensorId;
        uint8 width;
        uint32[] dims;
    }

    /// @notice A graph tensor's description in the program with the path of its leaf: state tensor `state`
    ///         (leaf 1 + entries + state.index) when `isState`, else the entry `producer` whose output the tensor
    ///         is (leaf 1 + producer.entry: a batch input or an op). The form not used is left empty.
    struct TensorDescription {
        bool isState;
        StateTensor state;
        Entry producer;
        bytes32[] path;
    }

    /// @notice The header's leaf hash.
    function headerHash(Header memory h) internal pure returns (bytes32) {
        bytes memory buf = abi.encodePacked(HEADER_TAG, h.entries, h.stateTensors, h.batchSize, h.firstOpTensorId);
        return sha256(bytes.concat(buf, _u32s(h.stateOutEntries)));
    }

    /// @notice An entry's leaf hash.
    /// @dev Reverts with {TooManyInputs}, {TooManyAttrs} or {RankTooLarge} past 255 of any.
    function entryHash(Entry memory p) internal pure returns (bytes32) {
        // INVARIANT: counts are encoded in one byte; more must not alias fewer.
        if (p.inputs.length > 255) revert TooManyInputs(p.inputs.length);
        if (p.attrs.length > 255) revert TooManyAttrs(p.attrs.length);
        if (p.dims.length > 255) revert RankTooLarge(p.dims.length);
        return sha256(
            bytes.concat(
                abi.encodePacked(ENTRY_TAG, p.entry, p.tensorId, p.code, uint8(p.inputs.length)),
                _u32s(p.inputs),
                abi.encodePacked(uint8(p.attrs.length)),
                _i64s(p.attrs),
                abi.encodePacked(p.width, uint8(p.dims.length)),
                _u32s(p.dims)
            )
        );
    }

    /// @notice A state tensor's leaf hash.
    function stateHash(StateTensor memory s) internal pure returns (bytes32) {
        if (s.dims.length > 255) revert RankTooLarge(s.dims.length);
        return sha256(bytes.concat(abi.encodePacked(STATE_TAG, s.index, s.tensorId, s.width, uint8(s.dims.length)), _u32s(s.dims)));
    }

    /// @notice Checks the header against a program root (leaf 0).
    function verifyHeader(bytes32 root, Header memory h, bytes32[] calldata siblings) internal pure {
        _check(root, headerHash(h), 0, siblings);
    }

    /// @notice Checks that `p` is entry `p.entry` of the program (leaf 1 + entry).
    function verifyEntry(bytes32 root, Entry memory p, bytes32[] calldata siblings) internal pure {
        // INVARIANT: the leaf index is the entry's own number, so a description cannot be moved.
        _check(root, entryHash(p), uint256(p.entry) + 1, siblings);
    }

    /// @notice Checks that `s` is state tensor `s.index` of a program with `entries` trace entries.
    function verifyState(bytes32 root, uint32 entries, StateTensor memory s, bytes32[] calldata siblings) internal pure {
        _check(root, stateHash(s), 1 + uint256(entries) + s.index, siblings);
    }

    /// @notice Opens graph tensor `id`'s description as state tensor j = id - 2 of a program of `entries` trace
    ///         entries (leaf 1 + entries + j): its width and shape.
    /// @dev Reverts with {OperandMismatch} when `s` describes another tensor, {ProgramRootMismatch} when it
    ///      is not the program's.
    function openStateTensor(bytes32 root, uint32 entries, uint256 id, StateTensor calldata s, bytes32[] calldata siblings)
        internal
        pure
        returns (uint8 width, uint32[] memory dims)
    {
        // INVARIANT: state tensor j is graph tensor 2 + j: the description of another tensor cannot stand in.
        if (s.tensorId != id || uint256(s.index) + FIRST_STATE_TENSOR != id) {
            revert OperandMismatch(id < FIRST_STATE_TENSOR ? type(uint256).max : id - FIRST_STATE_TENSOR, id, s.index, s.tensorId);
        }
        StateTensor memory m = s;
        verifyState(root, entries, m, siblings);
        return (m.width, m.dims);
    }

    /// @notice Opens the program entry `p` whose output is graph tensor `id` (leaf 1 + p.entry): the output's
    ///         width and shape.
    /// @dev In a program every tensor is the output of one entry at most (and a state tensor of none), so a
    ///      program entry naming `id` as its output is its producer; a caller that knows which entry that must
    ///      be (from the header's numbering: KernelVerifierBase) checks `p.entry` as well. Reverts with
    ///      {OperandMismatch} when `p` outputs another tensor, {ProgramRootMismatch} when it is not the program's.
    function openProducer(bytes32 root, uint256 id, Entry calldata p, bytes32[] calldata siblings)
        internal
        pure
        returns (uint8 width, uint32[] memory dims)
    {
        if (p.tensorId != id) revert OperandMismatch(p.entry, id, p.entry, p.tensorId);
        Entry memory m = p;
        verifyEntry(root, m, siblings);
        return (m.width, m.dims);
    }

    /// @notice {openStateTensor} or {openProducer}, as the description `d` says.
    function openTensor(bytes32 root, uint32 entries, uint256 id, TensorDescription calldata d)
        internal
        pure
        returns (uint8 width, uint32[] memory dims)
    {
        return d.isState ? openStateTensor(root, entries, id, d.state, d.path) : openProducer(root, id, d.producer, d.path);
    }

    function _check(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata siblings) private pure {
        bytes32 computed = Sha256Merkle.computeRoot(leaf, index, siblings);
        if (computed != root) revert ProgramRootMismatch(root, computed);
    }

    /// @dev Big-endian u32s, packed: one 32-byte store per element (its 4 high bytes), each store's zero tail
    ///      overwritten by the next element's.
    function _u32s(uint32[] memory xs) private pure returns (bytes memory out) {
        uint256 n = xs.length;
        out = new bytes(n * 4);
        assembly ("memory-safe") {
            // SAFETY: `out` was allocated last, so the 28-byte zero tail of the last store lies at or past the free
            // memory pointer (temporary memory, never read as part of `out`); a memory uint32[] element is a clean
            // word, so shl(224) leaves exactly its 4 bytes, big-endian, at the top.
            let dst := add(out, 32)
            let src := add(xs, 32)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(dst, mul(i, 4)), shl(224, mload(add(src, mul(i, 32)))))
            }
        }
    }

    /// @dev Big-endian two's complement i64s, packed: one 32-byte store per element (its low 8 bytes, at the
    ///      top), each store's zero tail overwritten by the next element's.
    function _i64s(int64[] memory xs) private pure returns (bytes memory out) {
        uint256 n = xs.length;
        out = new bytes(n * 8);
        assembly ("memory-safe") {
            // SAFETY: as in _u32s; an int64 element is a sign-extended word, and shl(192) keeps its low 8 bytes
            // (the two's complement of the i64) and drops the sign extension.
            let dst := add(out, 32)
            let src := add(xs, 32)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(dst, mul(i, 8)), shl(192, mload(add(src, mul(i, 32)))))
            }
        }
    }
}
