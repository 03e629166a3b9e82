// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Sha256Merkle
/// @notice Verifies inclusion proofs in binary Merkle trees hashed with SHA-256
///         (the EVM precompile at address 0x02).
/// @dev Domain-separated encoding, shared with the off-chain TypeScript side:
///        data leaf hash:  sha256(0x00 || leafBytes)
///        internal node:   sha256(0x01 || left || right)   (1 + 32 + 32 = 65 bytes)
///      A proof lists the sibling hashes from the leaf level upwards. Bit `i` of
///      `index` is 1 when the node on the path at level `i` is a right child
///      (its sibling is on the left) and 0 when it is a left child.
///      The tree depth is `siblings.length`; `index` must fit in that many bits,
///      otherwise the proof is rejected with {IndexOutOfRange}, so one leaf has
///      exactly one valid (index, siblings) encoding per tree depth.
library Sha256Merkle {
    /// @notice Domain tag prefixed to a data leaf before hashing.
    bytes1 internal constant LEAF_TAG = 0x00;
    /// @notice Domain tag prefixed to the two children of an internal node.
    bytes1 internal constant NODE_TAG = 0x01;
    /// @notice Largest supported proof length (tree depth).
    uint256 internal constant MAX_DEPTH = 256;

    /// @notice The proof has more levels than {MAX_DEPTH}.
    /// @param depth The number of siblings supplied.
    error ProofTooLong(uint256 depth);

    /// @notice `index` has a bit set at or above `depth`, so it cannot address
    ///         a leaf in a tree of that depth.
    /// @param index The leaf index supplied.
    /// @param depth The number of siblings supplied.
    error IndexOutOfRange(uint256 index, uint256 depth);

    /// @notice Hashes raw leaf data: `sha256(0x00 || data)`.
    /// @param data The leaf's bytes.
    /// @return The domain-separated leaf hash.
    function leafHash(bytes calldata data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(LEAF_TAG, data));
    }

    /// @notice Hashes two children into their parent: `sha256(0x01 || left || right)`.
    /// @param left The left child hash.
    /// @param right The right child hash.
    /// @return The parent hash.
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(NODE_TAG, left, right));
    }

    /// @notice Recomputes the root implied by a leaf hash and its proof.
    /// @dev Reverts with {ProofTooLong} or {IndexOutOfRange} on a malformed proof.
    /// @param leaf The leaf hash (already domain-separated, see {leafHash}).
    /// @param index The leaf's position; bit i selects the side at level i.
    /// @param siblings Sibling hashes, from the leaf level up to just below the root.
    /// @return computed The root implied by the proof.
    function computeRoot(bytes32 leaf, uint256 index, bytes32[] calldata siblings)
        internal
        pure
        returns (bytes32 computed)
    {
        uint256 depth = siblings.length;
        if (depth > MAX_DEPTH) revert ProofTooLong(depth);
        if (depth < MAX_DEPTH && (index >> depth) != 0) revert IndexOutOfRange(index, depth);

        computed = leaf;
        // One 65-byte buffer [0x01 | left | right] for every level, and the free memory pointer restored
        // after each hash, so that a path costs no memory growth per level.
        bytes memory buf = new bytes(65);
        uint256 freePtr;
        assembly ("memory-safe") {
            mstore8(add(buf, 32), 0x01) // NODE_TAG
            freePtr := mload(0x40)
        }
        for (uint256 i = 0; i < depth;) {
            bytes32 sibling = siblings[i];
            assembly ("memory-safe") {
                // Bit i of index = 1: this node is a right child, its sibling goes on the left.
                // SAFETY: buf's data is buf+32 .. buf+97; both stores end at buf+97 at most.
                switch and(shr(i, index), 1)
                case 0 {
                    mstore(add(buf, 33), computed)
                    mstore(add(buf, 65), sibling)
                }
                default {
                    mstore(add(buf, 33), sibling)
                    mstore(add(buf, 65), computed)
                }
            }
            computed = sha256(buf);
            assembly ("memory-safe") {
                // SAFETY: the only memory allocated since freePtr was read is sha256's argument and
                // return-data scratch, which nothing references (the digest is a value).
                mstore(0x40, freePtr)
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @notice Checks that `leaf` sits at position `index` of the tree with root `root`.
    /// @dev Returns false for a well-formed proof that does not match; reverts with
    ///      {ProofTooLong} or {IndexOutOfRange} for a malformed one.
    /// @param root The expected Merkle root.
    /// @param leaf The leaf hash (already domain-separated, see {leafHash}).
    /// @param index The leaf's position; bit i selects the side at level i.
    /// @param siblings Sibling hashes, from the leaf level up to just below the root.
    /// @return True when the proof reproduces `root`.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        return computeRoot(leaf, index, siblings) == root;
    }
}
