// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";

/// @title TestKernelVerifier
/// @notice Test-only kernel verifier: returns the value a test set for (entry, element); reverts for a pair
///         never set (a real verifier never returns an unchecked value), when told to reject, or when an
///         expected context is set and the game passed another.
contract TestKernelVerifier is IKernelVerifier {
    struct Slot {
        bool set;
        bytes32 value;
    }

    mapping(uint32 entry => mapping(uint64 element => Slot)) internal _values;
    /// @notice keccak256(abi.encode(ctx)) the next calls must match; zero for any context.
    bytes32 public expectedContext;
    /// @notice When true, every call reverts (a proof that does not verify).
    bool public rejecting;

    error ValueNotSet(uint32 entry, uint64 element);
    error Rejected();
    error UnexpectedContext(bytes32 expected, bytes32 actual);

    /// @notice Sets the true value of (entry, element).
    function setValue(uint32 entry, uint64 element, bytes32 value) external {
        _values[entry][element] = Slot(true, value);
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
        Slot storage s = _values[ctx.entry][ctx.element];
        if (!s.set) revert ValueNotSet(ctx.entry, ctx.element);
        return s.value;
    }
}
