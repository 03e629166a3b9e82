// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha256Merkle} from "./Sha256Merkle.sol";
import {
    InvalidWidth,
    LeafLengthMismatch,
    RankTooLarge,
    ShapeTooLarge,
    ElementIndexOutOfRange,
    ProofDepthMismatch,
    TensorRootMismatch
} from "./CommitmentErrors.sol";

/// @title TensorCommitment
/// @notice Opens single elements of tensors committed by the engine (commitment/tensorCommit.ts).
/// @dev Encoding: elements row-major, little-endian two's complement of `width` bytes (4 or 8), cut into
///      1024-byte leaves (the last one zero-padded). Leaf hash = sha256(0x00 || leaf); data root = Merkle
///      root of the leaf hashes ({Sha256Merkle}, zero-hash padding to a power of two); tensor root =
///      sha256(0x02 || u8 width || u8 rank || u32be dims... || data root).
library TensorCommitment {
    /// @notice Bytes per tensor leaf (LEAF_BYTES in commitment/tensorCommit.ts).
    uint256 internal constant LEAF_BYTES = 1024;
    /// @notice Domain tag of a tensor root.
    uint8 internal constant TENSOR_TAG = 0x02;
    /// @notice Largest element count accepted (the engine's counts are below 2^53).
    uint256 internal constant MAX_ELEMENTS = 1 << 64;

    /// @notice The tensor root for a shape, width and data root.
    /// @dev Reverts with {RankTooLarge} when `dims` has more than 255 entries.
    /// @param width Element width in bytes (not checked here; {openElement} checks it).
    /// @param dims The tensor's shape.
    /// @param dataRoot Merkle root of the tensor's leaf hashes.
    /// @return root sha256(0x02 || u8 width || u8 rank || u32be dims... || dataRoot).
    function tensorRoot(uint8 width, uint32[] memory dims, bytes32 dataRoot) internal pure returns (bytes32 root) {
        uint256 rank = dims.length;
        // INVARIANT: the rank is encoded in one byte; a longer shape must not alias a shorter one.
        if (rank > 255) revert RankTooLarge(rank);
        bytes memory buf;
        assembly ("memory-safe") {
            // Layout: [len][0x02][width][rank][dims as u32be...][dataRoot]
            buf := mload(0x40)
            let len := add(35, shl(2, rank))
            mstore(buf, len)
            let p := add(buf, 32)
            mstore8(p, TENSOR_TAG)
            mstore8(add(p, 1), width)
            mstore8(add(p, 2), rank)
            let q := add(p, 3)
            let d := add(dims, 32)
            let end := add(d, shl(5, rank))
            // SAFETY: each mstore writes 32 bytes starting at q; later writes (the next dim, then
            // dataRoot) overwrite the excess, and the last one ends at p + len, inside the allocation.
            // shl(224, .) keeps the low 32 bits of each element, i.e. exactly its u32be encoding.
            for {} lt(d, end) {
                d := add(d, 32)
                q := add(q, 4)
            } { mstore(q, shl(224, mload(d))) }
            mstore(q, dataRoot)
            // Allocate len bytes, rounded up to a word.
            mstore(0x40, add(p, and(add(len, 31), not(31))))
        }
        root = sha256(buf);
    }

    /// @notice Hashes one tensor leaf: sha256(0x00 || leaf).
    /// @dev Reverts with {LeafLengthMismatch} unless `leaf` is exactly {LEAF_BYTES} long.
    /// @param leaf The leaf's bytes.
    /// @return The leaf hash.
    function leafHash(bytes calldata leaf) internal pure returns (bytes32) {
        // INVARIANT: every committed leaf is LEAF_BYTES long (the last one zero-padded).
        if (leaf.length != LEAF_BYTES) revert LeafLengthMismatch(leaf.length);
        return sha256(abi.encodePacked(bytes1(0x00), leaf));
    }

    /// @notice Number of elements of a shape (1 for rank 0).
    /// @dev Reverts with {RankTooLarge} or {ShapeTooLarge}.
    /// @param dims The shape.
    /// @return n The product of the dims.
    function elementCount(uint32[] memory dims) internal pure returns (uint256 n) {
        uint256 rank = dims.length;
        if (rank > 255) revert RankTooLarge(rank);
        n = 1;
        for (uint256 i = 0; i < rank; ++i) {
            // SAFETY: n <= 2^64 (checked below on the previous round) and dims[i] < 2^32,
            // so the product is below 2^96 and cannot overflow.
            unchecked {
                n *= dims[i];
            }
            if (n > MAX_ELEMENTS) revert ShapeTooLarge();
        }
    }

    /// @notice Depth of a Merkle tree over `n` >= 1 leaves: ceil(log2(n)) (merkle.ts depthFor).
    /// @param n The number of leaves.
    /// @return d The depth.
    function depthFor(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    /// @notice Opens element `index` (row-major) of the tensor committed as `root`.
    /// @dev Reverts with {InvalidWidth}, {LeafLengthMismatch}, {RankTooLarge}, {ShapeTooLarge},
    ///      {ElementIndexOutOfRange}, {ProofDepthMismatch}, {TensorRootMismatch}, or
    ///      {Sha256Merkle-ProofTooLong}/{Sha256Merkle-IndexOutOfRange} on a malformed path.
    /// @param root The committed tensor root.
    /// @param width Element width in bytes, 4 or 8.
    /// @param dims The tensor's shape.
    /// @param index The element's row-major index.
    /// @param leaf The 1024-byte leaf holding the element (leaf number index / (1024 / width)).
    /// @param siblings The leaf's Merkle path in the data tree, from the leaf level up.
    /// @return value The element, sign-extended.
    function openElement(
        bytes32 root,
        uint8 width,
        uint32[] memory dims,
        uint256 index,
        bytes calldata leaf,
        bytes32[] calldata siblings
    ) internal pure returns (int256 value) {
        // INVARIANT: the only widths the engine encodes; also makes perLeaf exact (1024 % width == 0).
        if (width != 4 && width != 8) revert InvalidWidth(width);
        uint256 perLeaf = LEAF_BYTES / width;
        {
            uint256 count = elementCount(dims);
            // INVARIANT: never open a padding element past the end of the tensor.
            if (index >= count) revert ElementIndexOutOfRange(index, count);
            // INVARIANT: the path has the data tree's exact depth, so an opening has one encoding.
            uint256 depth = depthFor((count + perLeaf - 1) / perLeaf);
            if (siblings.length != depth) revert ProofDepthMismatch(depth, siblings.length);
        }
        {
            // leafHash checks leaf.length == LEAF_BYTES, which the decoding below relies on.
            bytes32 dataRoot = Sha256Merkle.computeRoot(leafHash(leaf), index / perLeaf, siblings);
            bytes32 computed = tensorRoot(width, dims, dataRoot);
            // INVARIANT: the leaf, its position, the shape and the width are all bound by the root.
            if (computed != root) revert TensorRootMismatch(root, computed);
        }
        // SAFETY: (index % perLeaf) * width <= LEAF_BYTES - width, and leaf.length == LEAF_BYTES.
        value = decodeElement(leaf, (index % perLeaf) * width, width);
    }

    /// @dev The `width`-byte little-endian two's complement integer at `leaf[offset:]`, sign-extended.
    ///      The caller guarantees width is 4 or 8 and offset + width <= leaf.length.
    function decodeElement(bytes calldata leaf, uint256 offset, uint8 width) internal pure returns (int256 value) {
        assembly ("memory-safe") {
            // SAFETY: the caller checked that the `width` bytes used lie inside `leaf`. calldataload reads
            // 32 bytes; we keep the first 8 (bytes past the leaf, or past the calldata, which read as
            // zero, are discarded by signextend when width is 4).
            let x := shr(192, calldataload(add(leaf.offset, offset)))
            // Byte-reverse the 8 bytes: the first byte of the element becomes the least significant.
            x := or(shr(8, and(x, 0xFF00FF00FF00FF00)), shl(8, and(x, 0x00FF00FF00FF00FF)))
            x := or(shr(16, and(x, 0xFFFF0000FFFF0000)), shl(16, and(x, 0x0000FFFF0000FFFF)))
            x := or(shr(32, x), shl(32, and(x, 0xFFFFFFFF)))
            // Two's complement of the low `width` bytes, sign-extended to 256 bits.
            value := signextend(sub(width, 1), x)
        }
    }
}
