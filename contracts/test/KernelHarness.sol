// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RecomputeKernelVerifier} from "../kernel/RecomputeKernelVerifier.sol";
import {ModelOps} from "../kernel/ModelOps.sol";

/// @title KernelHarness
/// @notice Test-only: the recomputing kernel verifier with its internals exposed (the kernel itself, the operand
///         index rule) and a gas probe around {trueValue}'s body.
contract KernelHarness is RecomputeKernelVerifier {
    /// @notice See {RecomputeKernelVerifier-_kernel}.
    function kernel(
        uint8 code,
        int64[] calldata attrs,
        int256[][] calldata operands,
        uint256 element,
        uint32[] calldata outDims,
        bytes calldata proof
    ) external view returns (int256) {
        Context memory ctx; // the recomputing kernel reads only the element from the dispute context
        ctx.element = uint64(element);
        return _kernel(ctx, code, attrs, operands, outDims, proof);
    }

    /// @notice {kernel} for a term slice [termLo, termHi) of K = termCount terms from the partial value accIn
    ///         (the term-level ops: matmul, col_sum, col2im, softmax_ce_grad).
    function kernelTerms(
        uint8 code,
        int64[] calldata attrs,
        int256[][] calldata operands,
        uint256 element,
        uint32[] calldata outDims,
        uint64[3] calldata terms,
        int256 accIn,
        bytes calldata proof
    ) external view returns (int256) {
        Context memory ctx;
        ctx.element = uint64(element);
        (ctx.termLo, ctx.termHi, ctx.termCount) = (terms[0], terms[1], terms[2]);
        ctx.accIn = accIn;
        return _kernel(ctx, code, attrs, operands, outDims, proof);
    }

    /// @notice See {KernelVerifierBase-_operandIndices} and {ModelOps-operandIndices} (operand widths and roots play no part).
    function operandIndices(
        uint8 code,
        int64[] calldata attrs,
        uint32[] calldata outDims,
        uint32[][] calldata inDims,
        uint256 element,
        uint64 termLo,
        uint64 termHi,
        uint64 termCount
    ) external view returns (uint256[][] memory) {
        if (code > MAX_V1_OP_CODE) {
            return modelOps.operandIndices(code, attrs, outDims, inDims, element, ModelOps.TermSlice(termLo, termHi, termCount));
        }
        Tensor[] memory ts = new Tensor[](inDims.length);
        for (uint256 i = 0; i < inDims.length; ++i) ts[i] = Tensor(4, inDims[i], bytes32(0));
        return _operandIndices(code, attrs, outDims, ts, element, Terms(termLo, termHi, termCount));
    }

    /// @notice {trueValue}, also returning the gas its body used (execution only: no calldata, no intrinsic
    ///         transaction cost, no external-call overhead).
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
