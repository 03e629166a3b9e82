// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KernelVerifierBase} from "../kernel/KernelVerifierBase.sol";
import {Groth16KernelVerifier, SliceValueOutOfRange} from "../kernel/Groth16KernelVerifier.sol";
import {CircuitRegistry} from "../kernel/CircuitRegistry.sol";
import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";

/// @title OpeningsGasHarness
/// @notice Test-only gas probe: the settlement's openings alone (KernelVerifierBase with a kernel that
///         returns 0 and checks nothing), so that bench:zk can split a Groth16 settlement into its openings
///         and its proof check on the same calldata (docs/protocol.md, "Where a Groth16 settlement's gas goes").
contract OpeningsGasHarness is KernelVerifierBase {
    /// @dev Never a verifier: it accepts any value. The probe only measures what opening the operands costs.
    function _kernel(Context memory, uint8, int64[] memory, int256[][] memory, uint32[] memory, bytes calldata)
        internal
        pure
        override
        returns (int256)
    {
        return 0;
    }

    /// @notice {trueValue}'s body and the gas it used (execution only: no calldata, no intrinsic cost).
    function gasTrueValue(Context calldata ctx, bytes calldata operands, bytes calldata proof)
        external
        view
        returns (bytes32 value, uint256 gasUsed)
    {
        uint256 g = gasleft();
        value = _trueValue(ctx, operands, proof);
        gasUsed = g - gasleft();
    }
}

/// @title Groth16GasHarness
/// @notice Test-only gas probe of Groth16KernelVerifier: its {trueValue} body (openings + proof check) and a
///         circuit verifier's call alone (what the pairing check and the public-input MSM cost).
contract Groth16GasHarness is Groth16KernelVerifier {
    constructor(CircuitRegistry registry_) Groth16KernelVerifier(registry_) {}

    /// @notice {trueValue}'s body and the gas it used (execution only).
    function gasTrueValue(Context calldata ctx, bytes calldata operands, bytes calldata proof)
        external
        view
        returns (bytes32 value, uint256 gasUsed)
    {
        uint256 g = gasleft();
        value = _trueValue(ctx, operands, proof);
        gasUsed = g - gasleft();
    }

    /// @notice One call of a snarkjs verifier with `pub` (as Groth16KernelVerifier makes it) and its gas.
    /// @param proof The first 256 bytes of a settlement proof (a, b, c).
    function gasVerify(address verifier, bytes calldata proof, uint256[] calldata pub)
        external
        view
        returns (bool accepted, uint256 gasUsed)
    {
        bytes memory data = bytes.concat(_verifySelector(pub.length), proof[0:256], abi.encodePacked(pub));
        uint256 g = gasleft();
        (bool ok, bytes memory ret) = verifier.staticcall(data);
        gasUsed = g - gasleft();
        accepted = ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }
}

/// @title HashedInputGasHarness
/// @notice Test-only probe of the single-public-input prototype (bench/zk/singleInput.ts). A contract of its
///         own: inside Groth16GasHarness it took that harness past EIP-170 once Groth16KernelVerifier settled
///         softmax_ce_grad's slices.
contract HashedInputGasHarness {
    /// @notice The selector of a one-input snarkjs verifier's verifyProof.
    bytes4 internal constant VERIFY_ONE = bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])"));

    /// @notice The single-public-input prototype (bench/zk/singleInput.ts, circuits/single-input/): hashes the
    ///         dispute context and the values as circuits/single-input/hashed_context.circom does
    ///         (h = sha256(uint248(ctx >> 8) || (v + 2^53) as uint56 ...) >> 3), calls a one-input verifier
    ///         with h, and returns the gas of both (hash and call).
    function gasVerifyHashed(address verifier, bytes calldata proof, IKernelVerifier.Context calldata ctx, int256[] calldata values)
        external
        view
        returns (bool accepted, uint256 gasUsed)
    {
        uint256 g = gasleft();
        uint256[] memory pub = new uint256[](1);
        pub[0] = hashedInput(ctx, values);
        (bool ok, bytes memory ret) = verifier.staticcall(bytes.concat(VERIFY_ONE, proof[0:256], abi.encodePacked(pub)));
        gasUsed = g - gasleft();
        accepted = ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    /// @notice The prototype's public input (see {gasVerifyHashed}); reverts on a value outside [-2^53, 2^53).
    function hashedInput(IKernelVerifier.Context calldata ctx, int256[] calldata values) public pure returns (uint256) {
        uint256 n = values.length;
        uint256 c = uint256(keccak256(abi.encode(ctx))) >> 8;
        // One allocation, the last one (so the stores below that run past its data stay above the free memory
        // pointer), written in place: 31 bytes of context, then 7 bytes a value.
        bytes memory msg_ = new bytes(31 + 7 * n);
        assembly ("memory-safe") {
            // SAFETY: writes the 31 context bytes and one byte that the first value overwrites (n = 0: a byte
            // past the data, in the allocation's padding).
            mstore(add(msg_, 32), shl(8, c))
        }
        for (uint256 i = 0; i < n; ++i) {
            int256 v = values[i];
            if (v < -int256(1 << 53) || v >= int256(1 << 53)) revert SliceValueOutOfRange(i);
            // SAFETY: 0 <= v + 2^53 < 2^54 fits 56 bits.
            uint256 u = uint256(v + int256(1 << 53));
            assembly ("memory-safe") {
                // SAFETY: value i's 7 bytes at data offset 31 + 7i; the 25 zero bytes after them are overwritten
                // by the next values, or lie past the data (padding, then above the free memory pointer).
                mstore(add(add(msg_, 63), mul(i, 7)), shl(200, u))
            }
        }
        return uint256(sha256(msg_)) >> 3;
    }
}
