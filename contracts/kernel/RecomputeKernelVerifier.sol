// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KernelVerifierBase} from "./KernelVerifierBase.sol";
import {KernelMath} from "./KernelMath.sol";
import {ModelOps} from "./ModelOps.sol";
import {ProofNotEmpty, MalformedOperands, UnsupportedCode} from "./KernelErrors.sol";

/// @title RecomputeKernelVerifier
/// @notice A kernel verifier that recomputes the disputed element in Solidity, exactly as docs/engine.md
///         defines each op (the TypeScript reference engine/ops/*.ts is the executable form). No proof:
///         `proof` must be empty. The deployment default (`veritrain deploy --kernel recompute`): after
///         level 4 no kernel is more than 8 multiply-adds, so recomputing costs less than a pairing check
///         (docs/protocol.md, "Why this binding, by measurement"); Groth16KernelVerifier settles the same
///         elements from a proof over the same opened operands.
/// @dev Bounds (SAFETY for every unchecked block below): operands are decoded from 4- or 8-byte two's
///      complement encodings, so |v| <= 2^63, and attributes are int64, so |a| <= 2^63. A product is then
///      below 2^126 and a sum of at most 2^32 products (k and m are u32 dims) below 2^158, far inside int256
///      (2^255). The engine's own declared exactness bound is tighter still: every intermediate value of an
///      accepted spec is below 2^53 (docs/engine.md, "Values and exactness").
contract RecomputeKernelVerifier is KernelVerifierBase {
    /// @notice Op codes of the model ops settled through the game's term level (ModelOps): col2im's terms
    ///         are summed; the pools' windows and softmax_ce_grad's row folded.
    uint8 internal constant COL2IM_CODE = 12;
    uint8 internal constant MAXPOOL_CODE = 13;
    uint8 internal constant MAXPOOL_GRAD_CODE = 14;
    uint8 internal constant SOFTMAX_CE_GRAD_CODE = 16;

    /// @inheritdoc KernelVerifierBase
    function _kernel(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) internal view override returns (int256) {
        if (proof.length != 0) revert ProofNotEmpty(proof.length);
        // The model ops (10..19): their definition on chain is ModelOps, which the base created.
        if (code > MAX_V1_OP_CODE) {
            ModelOps.TermSlice memory terms = ModelOps.TermSlice(ctx.termLo, ctx.termHi, ctx.termCount);
            if (code == SOFTMAX_CE_GRAD_CODE) return modelOps.softmaxTerms(attrs, operands, outDims, ctx.element, terms, ctx.accIn);
            if (code == MAXPOOL_CODE || code == MAXPOOL_GRAD_CODE) return modelOps.poolTerms(code, attrs, operands, ctx.element, terms, ctx.accIn);
            int256 v = modelOps.recompute(code, attrs, operands, ctx.element);
            // col2im is an accumulation: the slice's sum after the agreed partial sum (checked: accIn is the
            // parties' word, not an opened value).
            return code == COL2IM_CODE ? ctx.accIn + v : v;
        }
        if (code == 1) return _matmul(operands, ctx.accIn);
        if (code == 7) return _colSum(operands, ctx.accIn);
        if (operands.length == 0 || operands[0].length != 1) revert MalformedOperands(code);
        int256 x = operands[0][0];
        if (code == 3) {
            // requantize{shift, lo, hi}: clamp(roundShift(x, shift), lo, hi)
            return KernelMath.clamp(KernelMath.roundShift(x, attrs[0]), attrs[1], attrs[2]);
        }
        if (code == 4) return x > 0 ? x : int256(0); // relu: max(x, 0)
        if (operands.length != 2 || operands[1].length != 1) revert MalformedOperands(code);
        int256 y = operands[1][0];
        unchecked {
            // SAFETY: see the contract's bounds; sums and products of two such values cannot overflow.
            if (code == 2) return x + y; // bias_add: Z[i,j] + b[j]
            if (code == 5) return y > 0 ? x : int256(0); // relu_mask(g, p): p > 0 ? g : 0
            if (code == 6) {
                // mse_grad{one}(z, labels): z[i,j] - (j == label[i] ? one : 0)
                uint256 j = ctx.element % outDims[1];
                return (y >= 0 && uint256(y) == j) ? x - attrs[0] : x;
            }
            if (code == 8) {
                // momentum{muNum, muShift, lo, hi}(v, g): clamp(roundShift(v * muNum, muShift) + g, lo, hi)
                return KernelMath.clamp(KernelMath.roundShift(x * attrs[0], attrs[1]) + y, attrs[2], attrs[3]);
            }
            if (code == 9) {
                // sgd_update{lrNum, lrShift, lo, hi}(w, g): clamp(w - roundShift(g * lrNum, lrShift), lo, hi)
                return KernelMath.clamp(x - KernelMath.roundShift(y * attrs[0], attrs[1]), attrs[2], attrs[3]);
            }
        }
        revert UnsupportedCode(code);
    }

    /// @dev matmul: accIn + sum over the slice's t of op(A)[i, t] * op(B)[t, j]: the partial sum at termHi.
    function _matmul(int256[][] memory operands, int256 accIn) private pure returns (int256 acc) {
        if (operands.length != 2) revert MalformedOperands(1);
        int256[] memory a = operands[0];
        int256[] memory b = operands[1];
        if (a.length != b.length) revert MalformedOperands(1);
        int256 sum;
        unchecked {
            // SAFETY: at most 2^32 products of magnitude < 2^126: |sum| < 2^158 (see the contract's bounds).
            for (uint256 t = 0; t < a.length; ++t) sum += a[t] * b[t];
        }
        // Checked: accIn is the parties' word, not an opened value.
        acc = accIn + sum;
    }

    /// @dev col_sum: accIn + sum over the slice's rows t of D[t, j]: the partial sum at termHi.
    function _colSum(int256[][] memory operands, int256 accIn) private pure returns (int256 acc) {
        if (operands.length != 1) revert MalformedOperands(7);
        int256[] memory d = operands[0];
        int256 sum;
        unchecked {
            // SAFETY: at most 2^32 values of magnitude <= 2^63: |sum| <= 2^95.
            for (uint256 i = 0; i < d.length; ++i) sum += d[i];
        }
        // Checked: accIn is the parties' word, not an opened value.
        acc = accIn + sum;
    }
}
