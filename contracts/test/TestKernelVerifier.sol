// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";

/// @title TestKernelVerifier
/// @notice Test-only kernel verifier: returns the value a test set for (entry, element) (matmul/col_sum
///         settlements after level 4: for (entry, element, termHi, termCount), the true partial sum at termHi
///         under the true K); reverts for a key never set (so a wrong declared K cannot be settled, as with a
///         real verifier, INV-GAME-9) (a real verifier never returns an unchecked value), when told to reject, or when an
///         expected context is set and the game passed another.
contract TestKernelVerifier is IKernelVerifier {
    struct Slot {
        bool set;
        bytes32 value;
    }

    mapping(bytes32 key => Slot) internal _values;
    /// @notice keccak256(abi.encode(ctx)) the next calls must match; zero for any context.
    bytes32 public expectedContext;
    /// @notice When true, every call reverts (a proof that does not verify).
    bool public rejecting;

    error ValueNotSet(uint32 entry, uint64 element, uint64 termHi, uint64 termCount);
    error Rejected();
    error UnexpectedContext(bytes32 expected, bytes32 actual);

    /// @notice Sets the true value of (entry, element).
    function setValue(uint32 entry, uint64 element, bytes32 value) external {
        _values[_key(entry, element, 0, 0)] = Slot(true, value);
    }

    /// @notice Sets the true partial sum at `termHi` of (entry, element), valid only with K = `termCount`.
    function setSliceValue(uint32 entry, uint64 element, uint64 termHi, uint64 termCount, bytes32 value) external {
        _values[_key(entry, element, termHi, termCount)] = Slot(true, value);
    }

    /// @notice Requires every following call's context to equal `ctx` (pass a zeroed one to stop).
    function expectContext(Context calldata ctx) external {
        expectedContext = ctx.programRoot == bytes32(0) ? bytes32(0) : keccak256(abi.encode(ctx));
    }

    /// @notice Makes every following call revert, or not.
    function setRejecting(bool r) external {
        rejecting = r;
    }

    /// @inheritdoc IKernelVerifier
    function trueValue(Context calldata ctx, bytes calldata, bytes calldata) external view returns (bytes32) {
        if (rejecting) revert Rejected();
        bytes32 want = expectedContext;
        if (want != bytes32(0)) {
            bytes32 got = keccak256(abi.encode(ctx));
            if (got != want) revert UnexpectedContext(want, got);
        }
        Slot storage s = _values[_key(ctx.entry, ctx.element, ctx.termHi, ctx.termCount)];
        if (!s.set) revert ValueNotSet(ctx.entry, ctx.element, ctx.termHi, ctx.termCount);
        return s.value;
    }

    function _key(uint32 entry, uint64 element, uint64 termHi, uint64 termCount) private pure returns (bytes32) {
        return keccak256(abi.encode(entry, element, termHi, termCount));
    }
}
