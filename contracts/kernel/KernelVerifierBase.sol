// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";
import {ProgramCommitment} from "../lib/ProgramCommitment.sol";
import {TraceCommitment} from "../lib/TraceCommitment.sol";
import {StateCommitment} from "../lib/StateCommitment.sol";
import {TensorCommitment} from "../lib/TensorCommitment.sol";
import {DatasetCommitment} from "../lib/DatasetCommitment.sol";
import {Sha256Merkle} from "../lib/Sha256Merkle.sol";
import {InvalidWidth, OperandMismatch} from "../lib/CommitmentErrors.sol";
import {KernelMath} from "./KernelMath.sol";
import {ModelOps} from "./ModelOps.sol";
import {
    OperandsTooShort,
    EntryMismatch,
    EntryOutOfRange,
    UnsupportedCode,
    ProofNotEmpty,
    MisplacedEntry,
    DisputedElementOutOfRange,
    StateOutCountMismatch,
    OperandNotAgreed,
    UnknownTensor,
    ArityMismatch,
    AttrCountMismatch,
    OpeningCountMismatch,
    ShapeMismatch,
    InvalidFlag,
    MissingLeaf,
    ExtraLeaves,
    DatasetMismatch,
    FeatureCountMismatch,
    TermCountMismatch,
    TermSliceOutOfRange
} from "./KernelErrors.sol";

/// @title KernelVerifierBase
/// @notice Settles one disputed item of a step (docs/protocol.md, 3.4): opens every operand the item
///         depends on against the roots both parties agree on, and recomputes the item (anchors, batch
///         inputs) or hands the operands to {_kernel} (ops 1..19), implemented by RecomputeKernelVerifier
///         (recomputes) or by a zk verifier. The operand rule of the model ops 10..19 lives in {modelOps}.
/// @dev What is trusted: the context (the game fixed it: program root, dataset root, agreed pre-state
///      root, a trace root whose entries before `ctx.entry` are agreed, the entry, the element). Everything
///      in `operands` is checked against those roots; nothing is taken on the prover's word.
///
///      `operands` encoding (chain/settlementOperands.ts writes it):
///
///          abi.encode(ProgramCommitment.Entry entry,     // program leaf 1 + ctx.entry
///                     bytes32[] entryPath,
///                     ProgramCommitment.Header header,   // program leaf 0
///                     bytes32[] headerPath,
///                     <opening>)                         // by entry.code:
///            255 (post-state anchor): PostAnchorOpening
///            0   (batch input):       BatchOpening
///            1..9 (op):               InputOpening[]  (one per entry input, in the entry's input order)
///
///      i.e. the tuple encoding of {PostAnchorOperands}, {BatchOperands} or {OpOperands}, which share the
///      first four fields ({Envelope}). It is read in place from calldata (no copy of the leaves).
///
///      Operand tensor ids (engine/graph.ts): 0 = x (entry 1), 1 = labels (entry 2), 2 .. 2+S-1 = state
///      tensor id-2 (opened from the pre-state root, its width and shape from program leaf 1 + E + j),
///      >= firstOpTensorId = op output, entry 3 + (id - firstOpTensorId) (opened through its record in the
///      trace, its width and shape from its program entry; the entry must precede the disputed one).
abstract contract KernelVerifierBase is IKernelVerifier {
    /// @notice Code of a batch-input entry (INPUT_CODE of commitment/trace.ts).
    uint8 internal constant INPUT_CODE = 0;
    /// @notice Code of the post-state anchor (POST_ANCHOR_CODE of commitment/trace.ts).
    uint8 internal constant POST_ANCHOR_CODE = 255;
    /// @notice Largest op code this verifier settles (docs/engine.md, "Op set"): 1..9 are protocol v1's ops,
    ///         10..19 spec v2's model ops ({ModelOps}). Public, so that a client can tell a deployment that
    ///         settles the model ops from an older one (chain/settleCoverage.ts; an older one has no getter).
    uint8 public constant MAX_OP_CODE = 19;
    /// @notice Largest op code of protocol v1, whose rules this contract holds itself.
    uint8 internal constant MAX_V1_OP_CODE = 9;

    /// @notice The operand rule and recomputation of ops 10..19, created here (trusted: this contract's own).
    ModelOps public immutable modelOps;

    constructor() {
        modelOps = new ModelOps();
    }

    /// @notice Graph tensor id of x and of the labels (engine/graph.ts).
    uint32 internal constant X_TENSOR = 0;
    uint32 internal constant LABELS_TENSOR = 1;
    /// @notice Trace entries of x and the labels, and of the first op (commitment/trace.ts).
    uint32 internal constant X_ENTRY = 1;
    uint32 internal constant LABELS_ENTRY = 2;
    uint256 internal constant FIRST_OP_ENTRY = 3;
    /// @notice Graph tensor id of state tensor 0.
    uint256 internal constant FIRST_STATE_TENSOR = ProgramCommitment.FIRST_STATE_TENSOR;

    /// @notice Leaf 0 of the pre-state root: the header fields and their path.
    struct PreState {
        bytes32 specHash;
        uint64 step;
        uint64 dataCursor;
        bytes32 rng;
        bytes32[] path;
    }

    /// @notice A trace record and its path in the trace tree.
    struct RecordOpening {
        TraceCommitment.Record record;
        bytes32[] path;
    }

    /// @notice Post-state anchor: the pre-state header and, for each state tensor j, the record of
    ///         entry header.stateOutEntries[j].
    struct PostAnchorOpening {
        PreState pre;
        RecordOpening[] stateOut;
    }

    /// @notice The preimage of the job's dataset root.
    struct DatasetInfo {
        uint32 count;
        uint32 features;
        uint32 classes;
        bytes32 merkleRoot;
    }

    /// @notice One example of the dataset and its path in the example tree.
    struct ExampleOpening {
        bytes pixels;
        uint8 label;
        bytes32[] path;
    }

    /// @notice Batch input: the pre-state header (its rng draws the batch), the dataset description and
    ///         the example of the disputed element's row.
    struct BatchOpening {
        PreState pre;
        DatasetInfo dataset;
        ExampleOpening example;
    }

    /// @notice The term slice [lo, hi) of a matmul/col_sum settlement and the declared K (from the context).
    struct Terms {
        uint256 lo;
        uint256 hi;
        uint256 count;
    }

    /// @notice One 1 KiB data leaf of an operand and its path in the operand's data tree.
    struct LeafOpening {
        bytes data;
        bytes32[] siblings;
    }

    /// @notice One operand of an op. A state operand uses `state`, `tensorRoot`; a trace operand
    ///         `producer`, `record`; the other pair is left zero/empty and ignored.
    /// @dev `programPath`: path of `state` (program leaf 1 + E + j) or of `producer` (leaf 1 + entry).
    ///      `rootPath`: path of `tensorRoot` in the pre-state tree (leaf j + 1) or of `record` in the trace.
    ///      `leaves`: the distinct data leaves holding the elements the op needs, in the order of first
    ///      use (the elements are visited in ascending index order, see {_operandIndices}).
    struct InputOpening {
        ProgramCommitment.StateTensor state;
        bytes32 tensorRoot;
        ProgramCommitment.Entry producer;
        TraceCommitment.Record record;
        bytes32[] programPath;
        bytes32[] rootPath;
        LeafOpening[] leaves;
    }

    /// @notice The four fields every encoding starts with.
    struct Envelope {
        ProgramCommitment.Entry entry;
        bytes32[] entryPath;
        ProgramCommitment.Header header;
        bytes32[] headerPath;
    }

    /// @notice Operands of the post-state anchor.
    struct PostAnchorOperands {
        ProgramCommitment.Entry entry;
        bytes32[] entryPath;
        ProgramCommitment.Header header;
        bytes32[] headerPath;
        PostAnchorOpening opening;
    }

    /// @notice Operands of a batch input.
    struct BatchOperands {
        ProgramCommitment.Entry entry;
        bytes32[] entryPath;
        ProgramCommitment.Header header;
        bytes32[] headerPath;
        BatchOpening opening;
    }

    /// @notice Operands of an op.
    struct OpOperands {
        ProgramCommitment.Entry entry;
        bytes32[] entryPath;
        ProgramCommitment.Header header;
        bytes32[] headerPath;
        InputOpening[] inputs;
    }

    /// @notice An operand tensor, once bound to the agreed roots.
    struct Tensor {
        uint8 width;
        uint32[] dims;
        bytes32 root;
    }

    /// @inheritdoc IKernelVerifier
    function trueValue(Context calldata ctx, bytes calldata operands, bytes calldata proof) external view returns (bytes32 value) {
        return _trueValue(ctx, operands, proof);
    }

    /// @notice The op's value of one output element from its opened operand elements.
    /// @param ctx The dispute's context (a proof must be bound to it: docs/protocol.md, 3.4); its
    ///        `element` is the output element (row-major) whose value is wanted.
    /// @param code The op code, 1..19.
    /// @param attrs The entry's attributes (encodeAttrs order, docs/engine.md), count already checked.
    /// @param operands Per input, the values of the elements {_operandIndices} lists, in that order.
    /// @param outDims The output's shape.
    /// @param proof The verifier-specific proof.
    /// @return The true value of output element `element`.
    function _kernel(
        Context memory ctx,
        uint8 code,
        int64[] memory attrs,
        int256[][] memory operands,
        uint32[] memory outDims,
        bytes calldata proof
    ) internal view virtual returns (int256);

    /// @notice {trueValue}'s body (internal, so that a harness can measure it).
    function _trueValue(Context calldata ctx, bytes calldata operands, bytes calldata proof) internal view returns (bytes32) {
        // The head of the five-field tuple; every further offset is checked by Solidity's calldata accessors
        // against calldatasize, and every value read is then bound by a hash to a context root.
        if (operands.length < 160) revert OperandsTooShort(operands.length);
        Envelope calldata env;
        assembly ("memory-safe") {
            // SAFETY: a calldata struct pointer is the offset of its head; the tuple starts at the bytes' data.
            env := operands.offset
        }
        // INVARIANT: the entry's description is program leaf 1 + ctx.entry (verifyEntry uses entry.entry).
        if (env.entry.entry != ctx.entry) revert EntryMismatch(ctx.entry, env.entry.entry);
        ProgramCommitment.Entry memory entry = env.entry;
        ProgramCommitment.verifyEntry(ctx.programRoot, entry, env.entryPath);
        ProgramCommitment.Header memory header = env.header;
        ProgramCommitment.verifyHeader(ctx.programRoot, header, env.headerPath);
        if (ctx.entry >= header.entries) revert EntryOutOfRange(ctx.entry, header.entries);

        uint8 code = entry.code;
        if (code == POST_ANCHOR_CODE) {
            if (proof.length != 0) revert ProofNotEmpty(proof.length);
            return _postAnchor(ctx, header, operands);
        }
        if (code == INPUT_CODE) {
            if (proof.length != 0) revert ProofNotEmpty(proof.length);
            return bytes32(uint256(_batchInput(ctx, entry, operands)));
        }
        if (code >= 1 && code <= MAX_OP_CODE) return bytes32(uint256(_op(ctx, entry, header, operands, proof)));
        revert UnsupportedCode(code);
    }

    // ------------------------------------------------------------------ post-state anchor

    /// @dev The true post-state root: header (step + 1, cursor + batch, next rng) and the output roots of
    ///      the state-producing entries, all of which precede the anchor and are therefore agreed. An output
    ///      root is used as the state tensor's root as is: this relies on the producing op's output having
    ///      the state slot's width, which holds because engine/spec.ts caps masterMax and velocityMax at
    ///      2^31 - 1 (both are 4-byte tensors).
    function _postAnchor(Context calldata ctx, ProgramCommitment.Header memory header, bytes calldata operands)
        private
        pure
        returns (bytes32)
    {
        // INVARIANT: the post-state anchor is the trace's last entry.
        if (uint256(ctx.entry) + 1 != header.entries) revert MisplacedEntry(ctx.entry, type(uint32).max, POST_ANCHOR_CODE);
        PostAnchorOperands calldata o;
        assembly ("memory-safe") {
            o := operands.offset
        }
        PostAnchorOpening calldata a = o.opening;
        uint256 s = header.stateTensors;
        if (header.stateOutEntries.length != s) revert StateOutCountMismatch(s, header.stateOutEntries.length);
        if (a.stateOut.length != s) revert StateOutCountMismatch(s, a.stateOut.length);

        bytes32[] memory leaves = new bytes32[](s + 1);
        leaves[0] = _postHeader(ctx, a.pre, header.batchSize);
        for (uint256 j = 0; j < s; ++j) {
            uint32 e = header.stateOutEntries[j];
            // INVARIANT: only entries before the disputed one are agreed.
            if (e >= ctx.entry) revert OperandNotAgreed(type(uint32).max, e, ctx.entry);
            TraceCommitment.Record memory r = a.stateOut[j].record;
            if (r.entry != e) revert OperandMismatch(e, r.tensorId, r.entry, r.tensorId);
            TraceCommitment.verifyRecord(ctx.traceRoot, r, a.stateOut[j].path);
            leaves[j + 1] = r.outputRoot;
        }
        return _merkleRoot(leaves);
    }

    /// @dev Opens the pre-state header and returns the post-state header hash.
    function _postHeader(Context calldata ctx, PreState calldata pre, uint32 batchSize) private pure returns (bytes32) {
        StateCommitment.verifyHeader(ctx.preStateRoot, pre.specHash, pre.step, pre.dataCursor, pre.rng, pre.path);
        // Checked arithmetic: a u64 step or cursor at its maximum reverts (Panic) rather than wraps; no
        // real job comes near it.
        return StateCommitment.headerHash(
            pre.specHash, pre.step + 1, pre.dataCursor + batchSize, DatasetCommitment.nextRng(pre.rng)
        );
    }

    /// @dev Merkle root over `leaves` with the fixed depth ceil(log2 n) and zero-hash padding of
    ///      commitment/merkle.ts (one leaf: the leaf itself).
    function _merkleRoot(bytes32[] memory leaves) private pure returns (bytes32) {
        uint256 n = leaves.length;
        uint256 width = 1;
        while (width < n) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < n; ++i) level[i] = leaves[i];
        // Missing leaves stay bytes32(0): hashing them level by level gives the empty-subtree constants.
        while (width > 1) {
            width >>= 1;
            for (uint256 i = 0; i < width; ++i) level[i] = Sha256Merkle.nodeHash(level[2 * i], level[2 * i + 1]);
        }
        return level[0];
    }

    // ------------------------------------------------------------------ batch inputs

    /// @dev x[i, j] = clamp(roundShift(pixel[index_i, j], inputShift), 0, inputMax); labels[i] = label[index_i],
    ///      index_i = uint256(sha256(tag || rng || u32 i)) mod count (docs/engine.md, "Data and batches").
    function _batchInput(Context calldata ctx, ProgramCommitment.Entry memory entry, bytes calldata operands)
        private
        pure
        returns (int256)
    {
        bool isX = ctx.entry == X_ENTRY && entry.tensorId == X_TENSOR;
        // INVARIANT: entries 1 and 2 are x and the labels; no other entry is recomputed from the dataset.
        if (!isX && !(ctx.entry == LABELS_ENTRY && entry.tensorId == LABELS_TENSOR)) {
            revert MisplacedEntry(ctx.entry, entry.tensorId, INPUT_CODE);
        }
        if (entry.dims.length != (isX ? 2 : 1)) revert ShapeMismatch(INPUT_CODE, type(uint256).max);
        if (entry.attrs.length != (isX ? 2 : 0)) revert AttrCountMismatch(INPUT_CODE, isX ? 2 : 0, entry.attrs.length);
        uint256 count = TensorCommitment.elementCount(entry.dims);
        if (ctx.element >= count) revert DisputedElementOutOfRange(ctx.element, count);

        BatchOperands calldata o;
        assembly ("memory-safe") {
            o := operands.offset
        }
        BatchOpening calldata b = o.opening;
        uint256 features = _checkDataset(ctx, b, isX ? entry.dims[1] : 0);
        // The example of the element's row: x is [B, features] row-major, the labels are [B].
        _verifyExample(ctx, b, isX ? ctx.element / features : ctx.element);
        if (!isX) return int256(uint256(b.example.label));
        // SAFETY: a pixel is one byte; roundShift checks the shift, and the clamp bounds are int64.
        int256 pixel = int256(uint256(uint8(b.example.pixels[ctx.element % features])));
        return KernelMath.clamp(KernelMath.roundShift(pixel, entry.attrs[0]), 0, entry.attrs[1]);
    }

    /// @dev Binds the dataset description to the job's dataset root and returns its feature count, checked
    ///      against the example's length and (x entry: programFeatures != 0) the program's row width.
    function _checkDataset(Context calldata ctx, BatchOpening calldata b, uint256 programFeatures)
        private
        pure
        returns (uint256 features)
    {
        DatasetInfo calldata d = b.dataset;
        bytes32 computed = DatasetCommitment.datasetRoot(d.count, d.features, d.classes, d.merkleRoot);
        if (computed != ctx.datasetRoot) revert DatasetMismatch(ctx.datasetRoot, computed);
        features = d.features;
        uint256 len = b.example.pixels.length;
        if (len != features || (programFeatures != 0 && programFeatures != features)) {
            revert FeatureCountMismatch(programFeatures, features, len);
        }
    }

    /// @dev Opens the pre-state header (its rng), draws the example index of batch row `row` and checks
    ///      the example against the dataset's Merkle root.
    function _verifyExample(Context calldata ctx, BatchOpening calldata b, uint256 row) private pure {
        PreState calldata pre = b.pre;
        StateCommitment.verifyHeader(ctx.preStateRoot, pre.specHash, pre.step, pre.dataCursor, pre.rng, pre.path);
        // SAFETY: row < dims[0] <= 2^32 - 1 (element < count and dims are u32), so the u32 cast is exact.
        uint256 index = DatasetCommitment.batchIndex(pre.rng, uint32(row), b.dataset.count);
        ExampleOpening calldata ex = b.example;
        DatasetCommitment.verifyExample(b.dataset.merkleRoot, index, ex.pixels, ex.label, ex.path);
    }

    // ------------------------------------------------------------------ ops

    /// @dev Opens every operand of the op, then the elements output element `ctx.element` depends on, and
    ///      hands them to {_kernel}.
    function _op(
        Context calldata ctx,
        ProgramCommitment.Entry memory entry,
        ProgramCommitment.Header memory header,
        bytes calldata operands,
        bytes calldata proof
    ) private view returns (int256) {
        _checkSignature(entry);
        uint256 count = TensorCommitment.elementCount(entry.dims);
        if (ctx.element >= count) revert DisputedElementOutOfRange(ctx.element, count);
        int256[][] memory values = _openOperands(ctx, entry, header, _inputOpenings(operands));
        return _kernel(ctx, entry.code, entry.attrs, values, entry.dims, proof);
    }

    /// @dev The entry's input and attribute counts fit its op. The model ops check both with their operand
    ///      rule ({ModelOps-operandIndices}: ArityMismatch, AttrCountMismatch), before any value is used, so
    ///      they cost no call of their own here.
    function _checkSignature(ProgramCommitment.Entry memory entry) private pure {
        uint8 code = entry.code;
        if (code > MAX_V1_OP_CODE) return;
        uint256 n = entry.inputs.length;
        if (n != _arity(code)) revert ArityMismatch(code, _arity(code), n);
        if (entry.attrs.length != _attrCount(code)) revert AttrCountMismatch(code, _attrCount(code), entry.attrs.length);
    }

    /// @dev Per input of the entry, the values of the elements {_operandIndices} lists.
    function _openOperands(
        Context calldata ctx,
        ProgramCommitment.Entry memory entry,
        ProgramCommitment.Header memory header,
        InputOpening[] calldata ins
    ) private view returns (int256[][] memory values) {
        uint256 n = entry.inputs.length;
        if (ins.length != n) revert OpeningCountMismatch(n, ins.length);
        Tensor[] memory ts = new Tensor[](n);
        for (uint256 i = 0; i < n; ++i) ts[i] = _openOperand(ctx, header, entry.inputs[i], ins[i]);
        Terms memory terms = Terms(ctx.termLo, ctx.termHi, ctx.termCount);
        uint256[][] memory idx = entry.code > MAX_V1_OP_CODE
            ? modelOps.operandIndices(entry.code, entry.attrs, entry.dims, _dimsOf(ts), ctx.element, ModelOps.TermSlice(terms.lo, terms.hi, terms.count))
            : _operandIndices(entry.code, entry.attrs, entry.dims, ts, ctx.element, terms);
        values = new int256[][](n);
        for (uint256 i = 0; i < n; ++i) values[i] = _openElements(ts[i], idx[i], ins[i].leaves, i);
    }

    /// @dev The operand shapes.
    function _dimsOf(Tensor[] memory ts) private pure returns (uint32[][] memory d) {
        d = new uint32[][](ts.length);
        for (uint256 i = 0; i < ts.length; ++i) d[i] = ts[i].dims;
    }

    /// @dev The fifth field of an op's operands.
    function _inputOpenings(bytes calldata operands) private pure returns (InputOpening[] calldata) {
        OpOperands calldata o;
        assembly ("memory-safe") {
            o := operands.offset
        }
        return o.inputs;
    }

    /// @dev Binds operand tensor `id` (width, shape, root) to the program and to the agreed roots.
    function _openOperand(
        Context calldata ctx,
        ProgramCommitment.Header memory header,
        uint32 id,
        InputOpening calldata op
    ) private pure returns (Tensor memory t) {
        if (id >= FIRST_STATE_TENSOR && id < FIRST_STATE_TENSOR + header.stateTensors) {
            // A state tensor: the agreed pre-state holds it.
            (t.width, t.dims) = ProgramCommitment.openStateTensor(ctx.programRoot, header.entries, id, op.state, op.programPath);
            StateCommitment.verifyTensorRoot(ctx.preStateRoot, id - FIRST_STATE_TENSOR, op.tensorRoot, op.rootPath);
            t.root = op.tensorRoot;
            return t;
        }
        uint256 e = _entryOfTensor(header, id);
        // INVARIANT: an operand comes from an entry both traces agree on: one before the disputed entry.
        if (e >= ctx.entry) revert OperandNotAgreed(id, e, ctx.entry);
        if (op.producer.entry != e) revert OperandMismatch(e, id, op.producer.entry, op.producer.tensorId);
        (t.width, t.dims) = ProgramCommitment.openProducer(ctx.programRoot, id, op.producer, op.programPath);
        TraceCommitment.Record memory r = op.record;
        if (r.entry != e || r.tensorId != id) revert OperandMismatch(e, id, r.entry, r.tensorId);
        TraceCommitment.verifyRecord(ctx.traceRoot, r, op.rootPath);
        t.root = r.outputRoot;
    }

    /// @dev Trace entry of a batch input or op output (entryOfTensor of commitment/trace.ts).
    function _entryOfTensor(ProgramCommitment.Header memory header, uint32 id) private pure returns (uint256) {
        if (id == X_TENSOR) return X_ENTRY;
        if (id == LABELS_TENSOR) return LABELS_ENTRY;
        if (id < header.firstOpTensorId) revert UnknownTensor(id);
        return FIRST_OP_ENTRY + (id - header.firstOpTensorId);
    }

    /// @dev Opens the elements `idx` (ascending) of `t` from `leaves` (distinct leaves, in order of first
    ///      use): the first element of each leaf through {TensorCommitment-openElement}, which checks the leaf
    ///      against the root, the others decoded from the same, already checked, leaf.
    function _openElements(Tensor memory t, uint256[] memory idx, LeafOpening[] calldata leaves, uint256 input)
        private
        pure
        returns (int256[] memory v)
    {
        if (t.width != 4 && t.width != 8) revert InvalidWidth(t.width);
        uint256 perLeaf = TensorCommitment.LEAF_BYTES / t.width;
        uint256 count = TensorCommitment.elementCount(t.dims);
        v = new int256[](idx.length);
        uint256 used = 0;
        for (uint256 k = 0; k < idx.length; ++k) {
            uint256 i = idx[k];
            if (k != 0 && i / perLeaf == idx[k - 1] / perLeaf) {
                // Same leaf as the previous element (used >= 1): already checked against the root.
                // INVARIANT: never decode padding past the tensor's end.
                if (i >= count) revert DisputedElementOutOfRange(i, count);
                // SAFETY: leaves[used - 1] passed openElement, so it is LEAF_BYTES long, and
                // (i % perLeaf) * width <= LEAF_BYTES - width.
                v[k] = TensorCommitment.decodeElement(leaves[used - 1].data, (i % perLeaf) * t.width, t.width);
            } else {
                if (used == leaves.length) revert MissingLeaf(input, i / perLeaf);
                v[k] = TensorCommitment.openElement(t.root, t.width, t.dims, i, leaves[used].data, leaves[used].siblings);
                ++used;
            }
        }
        if (used != leaves.length) revert ExtraLeaves(input, leaves.length, used);
    }

    /// @notice The operand elements output element `e` of op `code` depends on, per input, ascending.
    /// @dev Also checks that the operand shapes fit the op and the output shape (so that a program whose
    ///      shapes disagree is rejected rather than read out of bounds):
    ///        1 matmul{transA,transB}: op(A)[i, t] and op(B)[t, j] for t in [terms.lo, terms.hi), i = e / n,
    ///          j = e % n (the game's term slice of row i of op(A) times column j of op(B))
    ///        2 bias_add: Z[e], b[e % n]          3 requantize, 4 relu: X[e]
    ///        5 relu_mask, 8 momentum, 9 sgd_update: both inputs at e
    ///        6 mse_grad: z[e], labels[e / n]     7 col_sum: D[t, e] for t in [terms.lo, terms.hi)
    ///      For 1 and 7 the declared K must be the shapes' K and the slice inside [0, K] (INV-GAME-9).
    ///      chain/settlementOperands.ts (operandIndices) mirrors this exactly.
    /// @param code The op code.
    /// @param attrs The entry's attributes.
    /// @param outDims The output's shape.
    /// @param ts The operand tensors (only their dims are read).
    /// @param e The output element.
    /// @param terms matmul/col_sum: the term slice and the declared K (ignored for the other ops).
    /// @return idx Per input, the element indices.
    function _operandIndices(
        uint8 code,
        int64[] memory attrs,
        uint32[] memory outDims,
        Tensor[] memory ts,
        uint256 e,
        Terms memory terms
    ) internal pure returns (uint256[][] memory idx) {
        idx = new uint256[][](ts.length);
        if (code == 1) return _matmulIndices(attrs, outDims, ts[0].dims, ts[1].dims, e, terms);
        if (code == 7) {
            uint32[] memory d = ts[0].dims;
            if (d.length != 2) revert ShapeMismatch(code, 0);
            if (outDims.length != 1 || outDims[0] != d[1]) revert ShapeMismatch(code, type(uint256).max);
            _checkTerms(terms, d[0]);
            uint256[] memory col = new uint256[](terms.hi - terms.lo);
            // SAFETY: t * n + e < m * n <= 2^64 (elementCount bound).
            for (uint256 t = terms.lo; t < terms.hi; ++t) col[t - terms.lo] = t * d[1] + e;
            idx[0] = col;
            return idx;
        }
        if (code == 2 || code == 6) {
            // bias_add (Z [m,n], b [n]) and mse_grad (z [m,n], labels [m]).
            if (outDims.length != 2) revert ShapeMismatch(code, type(uint256).max);
            if (!_sameDims(ts[0].dims, outDims)) revert ShapeMismatch(code, 0);
            uint32[] memory d1 = ts[1].dims;
            uint256 n = outDims[1];
            if (d1.length != 1 || d1[0] != (code == 2 ? outDims[1] : outDims[0])) revert ShapeMismatch(code, 1);
            idx[0] = _one(e);
            idx[1] = _one(code == 2 ? e % n : e / n);
            return idx;
        }
        // Elementwise: requantize, relu (one input); relu_mask, momentum, sgd_update (two).
        for (uint256 i = 0; i < ts.length; ++i) {
            if (!_sameDims(ts[i].dims, outDims)) revert ShapeMismatch(code, i);
            idx[i] = _one(e);
        }
    }

    /// @dev See {_operandIndices}. op(A) is [m, k] (A stored [k, m] when transA), op(B) is [k, n].
    function _matmulIndices(
        int64[] memory attrs,
        uint32[] memory outDims,
        uint32[] memory a,
        uint32[] memory b,
        uint256 e,
        Terms memory terms
    ) private pure returns (uint256[][] memory idx) {
        bool transA = _flag(attrs[0]);
        bool transB = _flag(attrs[1]);
        if (a.length != 2) revert ShapeMismatch(1, 0);
        if (b.length != 2) revert ShapeMismatch(1, 1);
        (uint256 m, uint256 k) = transA ? (uint256(a[1]), uint256(a[0])) : (uint256(a[0]), uint256(a[1]));
        (uint256 k2, uint256 n) = transB ? (uint256(b[1]), uint256(b[0])) : (uint256(b[0]), uint256(b[1]));
        if (k2 != k) revert ShapeMismatch(1, 1);
        if (outDims.length != 2 || outDims[0] != m || outDims[1] != n) revert ShapeMismatch(1, type(uint256).max);
        _checkTerms(terms, k);
        uint256 i = e / n;
        uint256 j = e % n;
        uint256 len = terms.hi - terms.lo;
        uint256[] memory ra = new uint256[](len);
        uint256[] memory cb = new uint256[](len);
        // SAFETY: every index is below the operand's element count (<= 2^64): no overflow.
        for (uint256 s = 0; s < len; ++s) {
            uint256 t = terms.lo + s;
            ra[s] = transA ? t * m + i : i * k + t;
            cb[s] = transB ? j * k + t : t * n + j;
        }
        idx = new uint256[][](2);
        idx[0] = ra;
        idx[1] = cb;
    }

    /// @dev Checks the game's term slice against the true K of the operand shapes.
    function _checkTerms(Terms memory terms, uint256 k) private pure {
        // INVARIANT: INV-GAME-9 (defence in depth: the game already refused any K but the program's at
        // declaration): only the true K settles, and the slice lies inside [0, K] and is not empty.
        if (terms.count != k) revert TermCountMismatch(k, terms.count);
        if (terms.lo >= terms.hi || terms.hi > k) revert TermSliceOutOfRange(terms.lo, terms.hi, k);
    }

    /// @dev Number of inputs of op `code` (docs/engine.md, "Op set").
    function _arity(uint8 code) private pure returns (uint256) {
        return (code == 3 || code == 4 || code == 7) ? 1 : 2;
    }

    /// @dev Number of attributes of op `code` (encodeAttrs of engine/ops/*.ts).
    function _attrCount(uint8 code) private pure returns (uint256) {
        if (code == 1) return 2; // transA, transB
        if (code == 3) return 3; // shift, lo, hi
        if (code == 6) return 1; // one
        if (code == 8 || code == 9) return 4; // num, shift, lo, hi
        return 0; // bias_add, relu, relu_mask, col_sum
    }

    function _flag(int64 x) private pure returns (bool) {
        if (x != 0 && x != 1) revert InvalidFlag(x);
        return x == 1;
    }

    function _sameDims(uint32[] memory a, uint32[] memory b) private pure returns (bool) {
        if (a.length != b.length) return false;
        for (uint256 i = 0; i < a.length; ++i) if (a[i] != b[i]) return false;
        return true;
    }

    function _one(uint256 x) private pure returns (uint256[] memory r) {
        r = new uint256[](1);
        r[0] = x;
    }
}
