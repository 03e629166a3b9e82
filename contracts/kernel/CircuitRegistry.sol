// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A registration repeats an instantiation or has no verifier.
error BadRegistration(uint256 index);

/// @title CircuitRegistry
/// @notice The Groth16 settlement circuits of a deployment: one snarkjs-generated verifier contract per
///         (code, attributes, classes) circuit (circuits/settle/*.circom, scripts/zk-setup.ts), FIXED AT
///         CONSTRUCTION and immutable afterwards (no owner): a verifier set is a deployment decision, replaced by
///         deploying a new registry and a new Groth16KernelVerifier over it.
/// @dev A contract of its own rather than Groth16KernelVerifier's constructor arguments: the kernel
///      verifier's creation code already holds ModelOps's (KernelVerifierBase creates it), and with the
///      registrations appended its initcode passed EIP-3860's 49,152 bytes at 23 circuits.
///      Key: keccak256(abi.encode(code, attrs, classes)), classes = the output's column count for mse_grad, 0
///      for the other ops; the dot slices and the generic model-op circuits are keyed with attrs [].
contract CircuitRegistry {
    struct Registration {
        uint8 code;
        int64[] attrs;
        uint32 classes;
        address verifier;
    }

    /// @notice Verifier contract of each circuit key (zero: none registered).
    mapping(bytes32 => address) public verifiers;

    event CircuitRegistered(uint8 indexed code, bytes32 indexed key, address verifier);

    constructor(Registration[] memory regs) {
        for (uint256 i = 0; i < regs.length; ++i) {
            Registration memory r = regs[i];
            bytes32 key = circuitKey(r.code, r.attrs, r.classes);
            // INVARIANT: one verifier per key, never zero, never replaced.
            if (r.verifier == address(0) || verifiers[key] != address(0)) revert BadRegistration(i);
            verifiers[key] = r.verifier;
            emit CircuitRegistered(r.code, key, r.verifier);
        }
    }

    /// @notice Registry key of a circuit.
    function circuitKey(uint8 code, int64[] memory attrs, uint32 classes) public pure returns (bytes32) {
        return keccak256(abi.encode(code, attrs, classes));
    }
}
