// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";
import {KernelVerifierBase} from "./KernelVerifierBase.sol";
import {CircuitRegistry} from "./CircuitRegistry.sol";

/// @notice No settlement circuit is registered for this (code, attributes, classes) instantiation.
error NoCircuit(uint8 code, bytes32 key);
/// @notice The proof bytes are not abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, int256 output).
error MalformedProof(uint256 length);
/// @notice A public input does not encode to a field element below the BN254 scalar modulus (or the
///         claimed output is outside the injective signed range (-p/2, p/2)).
/// @param index The public input's position (0 = ctx, 1 = output, 2.. = operands).
error PublicInputOutOfField(uint256 index);
/// @notice The Groth16 verifier rejected the proof.
error ProofRejected(uint8 code, address verifier);
/// @notice The registry address holds no contract.
error NoRegistry(address registry);
/// @notice A matmul/col_sum term slice longer than the settle circuits' SLICE_TERMS.
error SliceTooLong(uint256 length, uint256 max);
/// @notice An opened slice or pool-window value outside the circuits' signed 54-bit range [-2^53, 2^53).
/// @param index The value's slot (a slice: a[0..7], then b as 8..15; a window: its position).
error SliceValueOutOfRange(uint256 index);
/// @notice More opened values than the circuit's slots (a term slice longer than SLICE_TERMS).
error TooManyOperands(uint256 count, uint256 max);

/// @title Groth16KernelVerifier
/// @notice Settles the ops (bias_add, requantize, relu, relu_mask, mse_grad, momentum, sgd_update, the term
///         slices of matmul, col_sum, col2im and softmax_ce_grad, and the model ops reshape, im2col, maxpool,
///         maxpool_grad, one_hot, adam_m, adam_v, adam_update) with a Groth16 proof instead of recomputing them
///         (RecomputeKernelVerifier is the recomputing twin: same interface, same decisions).
/// @dev Registry: a CircuitRegistry (one snarkjs-generated verifier contract per (code, attributes[, classes])
///      circuit, circuits/settle/*.circom, scripts/zk-setup.ts), fixed at construction of both, no owner: a
///      verifier set is a deployment decision, replaced by deploying a new registry and verifier. Key:
///      keccak256(abi.encode(code, attrs, classes)), classes = the output's column count for mse_grad (6), 0
///      for the other ops.
///
///      `proof` = abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c, int256 output) (settlement/prover.ts
///      writes it; b in the order the Solidity verifier expects), and for softmax_ce_grad (16) only
///      abi.encode(a, b, c, output, uint256 indices) (see below). Public inputs, in order:
///        ctx    = uint256(keccak256(abi.encode(Context))) mod p   (binds the proof to this dispute)
///        output = the claimed value (signed, x < 0 encoded as p + x)
///        the operand values the base contract opened against the agreed roots (same encoding),
///        and for mse_grad j = element % classes.
///      matmul (1) and col_sum (7), after level 4 of the game: one circuit each (circuits/settle/dot_slice_*8,
///      key with attrs [] whatever transA/transB: the opened operands are already op(A)'s row and op(B)'s
///      column slices), public inputs
///        ctx, output = accIn + sum of the slice's products, accIn,
///        then the opened values packed 4 per word ({_packSlice}: a[0..7], then b[0..7] for matmul),
///      the slice padded with zero terms to SLICE_TERMS. The base contract has already checked termCount
///      against the operand shapes (INV-GAME-9) and opened exactly the slice's elements.
///      col2im (12) is an accumulation (ModelOps settles its K = ceil(k/stride)^2 terms through the game's level
///      4): its slices are col_sum's (dot_slice_cs8 registered under code 12 too, attrs []).
///      maxpool (13) and maxpool_grad (14) are folds over their window (ModelOps.poolTerms, through level 4):
///      one circuit each for any pool size (circuits/settle/maxpool_terms8, maxpool_grad_terms8, attrs []),
///      public inputs ({_poolSlice})
///        ctx, output = the partial value at termHi, accIn, the slice's window values packed (2 words),
///        termLo, termHi, and for maxpool_grad g (0 unless the slice holds the last term), the element's
///        window position ({ModelOps-elementFact}) and size^2.
///      The other model ops 10..19 (ModelOps): one GENERIC circuit per op (key with attrs [], classes 0), the
///      attributes it needs and the element's fact ({ModelOps-elementFact}) as public inputs ({_modelOp}):
///        reshape, im2col: ctx, output, x (im2col: 0 for a tap in the zero padding, which opens nothing)
///        one_hot:         ctx, output, x, the element's column j
///        adam_m/v/update: ctx, output, one value per input, then every attribute
///      softmax_ce_grad (16), after level 4 of the game: a term slice of the element's fold of K = 2n + 1 terms
///      over its row (ModelOps.softmaxTerms), one GENERIC circuit (circuits/settle/softmax_terms8.circom, attrs
///      []), public inputs ({_softmaxTerms})
///        ctx, output = P(termHi), accIn = P(termLo), the slice's logits packed in 2 words as a dot slice's,
///        label (row e / n's, opened only when termHi = K; else 0), j = e % n, n, termLo, termHi, fracBits,
///        one, and the exp-table word: for each of the 8 slots, the index i_s named by the proof's `indices`
///        (12 bits each) and EXP_TABLE[i_s] read here (ModelOps.expTableWord), 29 bits a slot.
///      The circuit holds no table: it constrains i_s to be min(expIndex(M - z), 3017) of its slot's fold state
///      (0 for a max term or a slot past termHi), so the entry the contract read beside it is the one the fold
///      reads; a forged index is refused by the proof, an index past the table by expTableWord.
///      The claimed output is returned only if the proof verifies.

contract Groth16KernelVerifier is KernelVerifierBase {
    /// @notice BN254 scalar field modulus.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant HALF_P = (P - 1) / 2;
    uint256 internal constant PROOF_BYTES = 9 * 32;
    /// @notice Op code of mse_grad (the only op whose circuit also depends on the output shape).
    uint8 internal constant MSE_GRAD = 6;
    /// @notice Terms of the dot-slice circuits (DisputeGame.TERM_SLICE): a shorter slice pads with zeros.
    uint256 public constant SLICE_TERMS = 8;
    /// @notice Bits of each packed slice value (signed, offset by 2^(SLICE_BITS-1)), and values per word.
    uint256 internal constant SLICE_BITS = 54;
    uint256 internal constant SLICE_PER_WORD = 4;
    /// @notice The most public inputs of a generic model-op circuit (adam_update: ctx, output, 3 values, 5 attributes).
    uint256 internal constant MODEL_INPUTS = 10;
    uint8 internal constant IM2COL = 11;
    uint8 internal constant COL2IM = 12;
    uint8 internal constant MAXPOOL = 13;
    uint8 internal constant MAXPOOL_GRAD = 14;
    uint8 internal constant ONE_HOT = 15;
    uint8 internal constant SOFTMAX_CE_GRAD = 16;
    uint8 internal constant ADAM_M = 17;
    /// @notice Public inputs of softmax_ce_grad's slice circuit (circuits/settle/softmax_terms8.circom).
    uint256 internal constant SOFTMAX_INPUTS = 13;
    /// @notice The most logits per row (classes) that circuit proves (its range check of n); a spec may have
    ///         up to 65,536 (engine/spec.ts), which only recomputation settles.
    uint32 public constant SOFTMAX_MAX_CLASSES = 4096;

    /// @notice The circuits' verifier contracts (immutable, like this contract).
    CircuitRegistry public immutable registry;

    constructor(CircuitRegistry registry_) {
        if (address(registry_).code.length == 0) revert NoRegistry(address(registry_));
        registry = registry_;
    }

    /// @notice Verifier contract of a circuit key (zero: none registered): the registry's.
    function verifiers(bytes32 key) public view returns (address) {
        return registry.verifiers(key);
    }

    /// @notice Registry key of the circuit that settles instantiation (code, attrs, classes): the term slices
    ///         (matmul, col_sum, col2im, the pools) and the generic model-op circuits are registered with
    ///         attrs [] and classes 0, whatever the instantiation's; the other ops are keyed with theirs, and
    ///         so is a softmax_ce_grad of more than SOFTMAX_MAX_CLASSES classes (`classes`: the output's
    ///         column count for mse_grad and softmax_ce_grad), under which nothing is registered. What
    ///         chain/settleCoverage.ts asks for each op of a spec, so that a deployment's coverage is this
    ///         contract's own answer.
    function circuitKey(uint8 code, int64[] memory attrs, uint32 classes) public pure returns (bytes32) {
        // INVARIANT: a Groth16 deployment never reports a softmax row it cannot prove as covered: a job it
        // accepted could then not be settled by proof, and its honest party would lose on the clock.
        if (_generic(code) && (code != SOFTMAX_CE_GRAD || classes <= SOFTMAX_MAX_CLASSES)) return keccak256(abi.encode(code, new int64[](0), uint32(0)));
        return keccak256(abi.encode(code, attrs, classes));
    }

    /// @dev Whether op `code` is settled by its circuit registered without attributes: the term slices and
    ///      the model ops.
    function _generic(uint8 code) private pure returns (bool) {
        return code == 1 || code == 7 || code > MAX_V1_OP_CODE;
    }

    /// @notice The ctx public input of a dispute.
    function contextField(Context memory ctx) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(ctx))) % P;
    }

    /// @inheritdoc KernelVerifierBase
    function _kernel(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) internal view override returns (int256 output) {
        // softmax_ce_grad's proof carries its slice's exp-table indices after the output.
        if (proof.length != (code == SOFTMAX_CE_GRAD ? PROOF_BYTES + 32 : PROOF_BYTES)) revert MalformedProof(proof.length);
        if (code == SOFTMAX_CE_GRAD) return _softmaxTerms(ctx, attrs, operands, outDims, proof);
        // col2im is an accumulation like col_sum (ModelOps: its terms through the game's level 4): the same slice.
        if (code == 1 || code == 7 || code == COL2IM) return _dotSlice(ctx, code, operands, proof);
        if (code == MAXPOOL || code == MAXPOOL_GRAD) return _poolSlice(ctx, code, attrs, operands, outDims, proof);
        if (code > MAX_V1_OP_CODE) return _modelOp(ctx, code, attrs, operands, outDims, proof);
        uint32 classes = code == MSE_GRAD ? outDims[outDims.length - 1] : 0;
        bytes32 key = circuitKey(code, attrs, classes);
        address verifier = verifiers(key);
        if (verifier == address(0)) revert NoCircuit(code, key);
        output = abi.decode(proof[256:288], (int256));

        uint256 n = 2 + operands.length + (code == MSE_GRAD ? 1 : 0);
        uint256[] memory pub = new uint256[](n);
        pub[0] = contextField(ctx);
        pub[1] = _field(output, 1);
        for (uint256 i = 0; i < operands.length; ++i) {
            // Elementwise ops: one opened element per input.
            pub[2 + i] = _field(operands[i][0], 2 + i);
        }
        if (code == MSE_GRAD) pub[n - 1] = ctx.element % classes;
        _verify(code, verifier, proof, pub);
    }

    /// @dev matmul/col_sum/col2im: verifies output = accIn + sum of the slice's products (col_sum, col2im: of its
    ///      values) under ctx.
    function _dotSlice(Context memory ctx, uint8 code, int256[][] memory operands, bytes calldata proof)
        private
        view
        returns (int256)
    {
        uint256 len = operands[0].length;
        if (len > SLICE_TERMS) revert SliceTooLong(len, SLICE_TERMS);
        bool withB = code == 1;
        (address verifier, uint256[] memory pub) = _sliceInputs(ctx, code, operands[0], withB ? 7 : 5, proof);
        // matmul: b[0..7] in words 2-3, exactly as circuits/kernels/dot_slice_packed.circom recomputes them.
        if (withB) _packValues(pub, 3 + SLICE_TERMS / SLICE_PER_WORD, operands[1], SLICE_TERMS, SLICE_TERMS);
        _verify(code, verifier, proof, pub);
        return _output(proof);
    }

    /// @dev The public inputs every term-slice circuit starts with, in an array of `n`: ctx, the claimed
    ///      output, accIn, then the slice's `values` packed in pub[3..4] (a missing term 0), and the verifier
    ///      of the op's circuit.
    function _sliceInputs(Context memory ctx, uint8 code, int256[] memory values, uint256 n, bytes calldata proof)
        private
        view
        returns (address verifier, uint256[] memory pub)
    {
        verifier = _genericVerifier(code);
        pub = new uint256[](n);
        pub[0] = contextField(ctx);
        pub[1] = _field(_output(proof), 1);
        pub[2] = _field(ctx.accIn, 2);
        _packValues(pub, 3, values, SLICE_TERMS, 0);
    }

    /// @dev The claimed output a proof carries (abi.encode(a, b, c, output, ...)).
    function _output(bytes calldata proof) private pure returns (int256) {
        return abi.decode(proof[256:288], (int256));
    }

    /// @dev softmax_ce_grad: verifies output = P(termHi) of the element's fold from accIn = P(termLo) over the
    ///      slice's logits (public inputs in the contract's NatSpec); the exp-table entries the slice reads are
    ///      read here (ModelOps.expTableWord) at the indices the proof names, which the circuit pins down.
    function _softmaxTerms(
        Context memory ctx,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) private view returns (int256) {
        (address verifier, uint256[] memory pub) = _sliceInputs(ctx, SOFTMAX_CE_GRAD, operands[0], SOFTMAX_INPUTS, proof);
        // ModelOps.operandIndices checked the shapes ([m, n], n >= 1), the attributes and the slice (K = 2n + 1).
        uint256 n = outDims[1];
        // The label is opened only when the slice holds the last term; else 0.
        pub[5] = operands[1].length == 0 ? 0 : _field(operands[1][0], 5);
        pub[6] = ctx.element % n;
        pub[7] = n;
        pub[8] = ctx.termLo;
        pub[9] = ctx.termHi;
        pub[10] = uint256(uint64(attrs[0]));
        pub[11] = uint256(uint64(attrs[1]));
        pub[12] = modelOps.expTableWord(abi.decode(proof[288:320], (uint256)));
        _verify(SOFTMAX_CE_GRAD, verifier, proof, pub);
        return _output(proof);
    }

    /// @dev Packs `slots` values (vs, then zeros) into pub[word0..]: value t as v + 2^53 in bits
    ///      [54 * (t % 4), +54) of word word0 + t / 4 (circuits/lib/unpack.circom). Reverts on a value outside
    ///      [-2^53, 2^53) (SliceValueOutOfRange(first + t)).
    function _packValues(uint256[] memory pub, uint256 word0, int256[] memory vs, uint256 slots, uint256 first) private pure {
        if (vs.length > slots) revert TooManyOperands(vs.length, slots);
        for (uint256 t = 0; t < slots; ++t) {
            int256 v = t < vs.length ? vs[t] : int256(0);
            if (v < -int256(1 << 53) || v >= int256(1 << 53)) revert SliceValueOutOfRange(first + t);
            // SAFETY: 0 <= v + 2^53 < 2^54 and 4 fields of 54 bits stay below 2^216 < P.
            pub[word0 + t / SLICE_PER_WORD] |= uint256(v + int256(1 << 53)) << (SLICE_BITS * (t % SLICE_PER_WORD));
        }
    }

    /// @dev maxpool/maxpool_grad: verifies output = the fold's partial value at termHi from accIn over the
    ///      slice's window values under ctx (public inputs in the contract's NatSpec).
    function _poolSlice(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) private view returns (int256) {
        bool grad = code == MAXPOOL_GRAD;
        (address verifier, uint256[] memory pub) = _sliceInputs(ctx, code, operands[grad ? 1 : 0], grad ? 10 : 7, proof);
        pub[5] = ctx.termLo;
        pub[6] = ctx.termHi;
        if (grad) {
            // ModelOps opened g only when the slice holds the last term.
            pub[7] = operands[0].length == 0 ? 0 : _field(operands[0][0], 7);
            pub[8] = modelOps.elementFact(code, attrs, outDims, ctx.element);
            // SAFETY: ModelOps checked size in [1, 64]: size^2 <= 4096.
            pub[9] = uint256(uint64(attrs[3])) * uint256(uint64(attrs[3]));
        }
        _verify(code, verifier, proof, pub);
        return _output(proof);
    }

    /// @dev Ops 10..19: verifies output = the op's value from the opened operands under ctx with the op's
    ///      generic circuit (public inputs in the contract's NatSpec).
    function _modelOp(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) private view returns (int256 output) {
        uint256 fact = _fact(code, attrs, outDims, ctx.element);
        address verifier = _genericVerifier(code);
        output = abi.decode(proof[256:288], (int256));
        _verify(code, verifier, proof, _modelInputs(ctx, code, attrs, operands, output, fact));
    }

    /// @dev one_hot: the element's fact ({ModelOps-elementFact}); 0 for the other ops (unused).
    function _fact(uint8 code, int64[] memory attrs, uint32[] memory outDims, uint256 e) private view returns (uint256) {
        if (code != ONE_HOT) return 0;
        return modelOps.elementFact(code, attrs, outDims, e);
    }

    /// @dev The verifier of op `code`'s circuit registered with attrs [] and classes 0 (the dot slices and the
    ///      generic model-op circuits), else {NoCircuit}.
    function _genericVerifier(uint8 code) private view returns (address verifier) {
        bytes32 key = circuitKey(code, new int64[](0), 0);
        verifier = verifiers(key);
        if (verifier == address(0)) revert NoCircuit(code, key);
    }

    /// @dev The public inputs of a model op's circuit (see the contract's NatSpec).
    function _modelInputs(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        int256 output,
        uint256 fact
    ) private pure returns (uint256[] memory pub) {
        pub = new uint256[](MODEL_INPUTS);
        pub[0] = contextField(ctx);
        pub[1] = _field(output, 1);
        uint256 n = 2;
        // SAFETY: ModelOps.operandIndices opened exactly one element per input, but im2col's padding tap none.
        for (uint256 i = 0; i < operands.length; ++i) {
            pub[n] = operands[i].length == 0 ? 0 : _field(operands[i][0], n);
            ++n;
        }
        if (code >= ADAM_M) {
            // SAFETY: at most 3 inputs and 5 attributes (ModelOps checked the counts): within pub.
            for (uint256 i = 0; i < attrs.length; ++i) {
                pub[n] = _field(attrs[i], n);
                ++n;
            }
        }
        if (code == ONE_HOT) pub[n++] = fact;
        assembly ("memory-safe") {
            // SAFETY: n <= the allocated length: only shrinks the array to the inputs written.
            mstore(pub, n)
        }
    }

    /// @dev Calls the circuit's verifier with `pub` (every entry below P) and reverts unless it accepts.
    function _verify(uint8 code, address verifier, bytes calldata proof, uint256[] memory pub) private view {
        uint256 n = pub.length;
        for (uint256 i = 0; i < n; ++i) if (pub[i] >= P) revert PublicInputOutOfField(i);
        (bool ok, bytes memory ret) = verifier.staticcall(bytes.concat(_verifySelector(n), proof[0:256], abi.encodePacked(pub)));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert ProofRejected(code, verifier);
    }

    /// @dev A signed value as a field element (x < 0: p + x), injective on (-p/2, p/2).
    function _field(int256 x, uint256 index) private pure returns (uint256) {
        if (x >= 0) {
            if (uint256(x) > HALF_P) revert PublicInputOutOfField(index);
            return uint256(x);
        }
        // SAFETY: x > type(int256).min is not guaranteed; -(x + 1) never overflows.
        uint256 m = uint256(-(x + 1)) + 1;
        if (m > HALF_P) revert PublicInputOutOfField(index);
        return P - m;
    }

    /// @dev The selector of a snarkjs verifier's verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])
    ///      (static arrays, all inline).
    function _verifySelector(uint256 n) internal pure returns (bytes4) {
        return bytes4(keccak256(bytes.concat("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", bytes(_decimal(n)), "])")));
    }

    function _decimal(uint256 v) private pure returns (string memory s) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = bytes.concat(bytes1(uint8(48 + (v % 10))), b);
            v /= 10;
        }
        return string(b);
    }
}
