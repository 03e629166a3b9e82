// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {KernelMath} from "./KernelMath.sol";
import {ExpTable} from "./ExpTable.sol";
import {
    ArityMismatch,
    AttrCountMismatch,
    ShapeMismatch,
    UnsupportedCode,
    MalformedOperands,
    InvalidAttr,
    InvalidShift,
    NegativeSecondMoment,
    TermCountMismatch,
    TermSliceOutOfRange,
    SoftmaxTermInvalid,
    ExpIndexOutOfRange
} from "./KernelErrors.sol";

/// @title ModelOps
/// @notice The on-chain definition of the model ops of spec v2, codes 10..19 (docs/engine.md, "Ops for
///         convolutions" and "Ops for language models and Adam"; the TypeScript references engine/ops/*.ts
///         are the executable form): which operand elements one output element depends on
///         ({operandIndices}, mirrored by settlement/modelOpRule.ts), and its value from them ({recompute};
///         the folds: {poolTerms}, {softmaxTerms}).
/// @dev A contract of its own, created by KernelVerifierBase's constructor and called by it, because the
///      base with these rules inlined would pass the 24,576-byte code limit (EIP-170) in both verifiers.
///      Stateless and trusted: only its creator's address is ever called.
///
///      col2im is an accumulation like col_sum: its element is the sum of K = ceil(k/stride)^2 terms (the
///      column entries im2col copied from it, and zero terms where a candidate position falls outside the
///      image or the kernel: {col2imTerm}), narrowed by the game's level 4 to a slice of at most 8 terms.
///      maxpool's and maxpool_grad's elements are the last values of folds over their size x size window
///      (K = size^2, size^2 + 1: {poolTerms}), softmax_ce_grad's of a fold of K = 2n + 1 terms over its row
///      of n logits ({softmaxTerms}), narrowed by level 4 the same way. The other ops settle an element
///      whole from O(1) operands.
///
///      Bounds (SAFETY for the unchecked blocks): operands are decoded from 4- or 8-byte encodings (|v| <=
///      2^63) and attributes are int64; every product below is of two such values (< 2^127) or of such a
///      value and 2^52 and stays far inside int256; sums run over at most 2^32 such values.
contract ModelOps {
    uint8 internal constant RESHAPE = 10;
    uint8 internal constant IM2COL = 11;
    uint8 internal constant COL2IM = 12;
    uint8 internal constant MAXPOOL = 13;
    uint8 internal constant MAXPOOL_GRAD = 14;
    uint8 internal constant ONE_HOT = 15;
    uint8 internal constant SOFTMAX_CE_GRAD = 16;
    uint8 internal constant ADAM_M = 17;
    uint8 internal constant ADAM_V = 18;
    uint8 internal constant ADAM_UPDATE = 19;

    /// @notice Largest image side, channel count and class count the engine accepts (engine/ops/windowGeometry.ts).
    uint256 internal constant MAX_DIM = 4096;
    /// @notice Largest kernel, stride and pooling window side.
    uint256 internal constant MAX_WINDOW = 64;
    /// @notice 2^64: a softmax_ce_grad partial value holds (M, S) as S * PAIR_SHIFT + M ({softmaxTerms}), a
    ///         maxpool_grad one (M, A) as A * PAIR_SHIFT + M ({poolTerms}).
    int256 internal constant PAIR_SHIFT = 2 ** 64;
    /// @notice {_axis}'s answer for a col2im candidate outside the image or the kernel.
    uint256 internal constant NO_TERM = type(uint256).max;

    /// @notice A convolution's geometry (attrs H, W, C, k, stride, pad) and its output size.
    struct Conv {
        uint256 H;
        uint256 W;
        uint256 C;
        uint256 k;
        uint256 stride;
        uint256 pad;
        uint256 OH;
        uint256 OW;
    }

    /// @notice The game's term slice [lo, hi) of an accumulation and the declared K (IKernelVerifier.Context).
    struct TermSlice {
        uint256 lo;
        uint256 hi;
        uint256 count;
    }

    /// @notice What every step of a softmax_ce_grad fold reads besides its logit ({softmaxTerms}).
    struct SoftmaxRow {
        int64 fracBits;
        int256 one;
        uint256 n;
        int256 minus;
        bytes table;
    }

    /// @notice A pooling geometry (attrs H, W, C, size) and its output size.
    struct Pool {
        uint256 H;
        uint256 W;
        uint256 C;
        uint256 size;
        uint256 OH;
        uint256 OW;
    }

    // ================================================================== arity and operands

    /// @notice Number of inputs of op `code` (10..19).
    function arity(uint8 code) public pure returns (uint256) {
        if (code == MAXPOOL_GRAD || code == SOFTMAX_CE_GRAD || code == ADAM_M || code == ADAM_V) return 2;
        if (code == ADAM_UPDATE) return 3;
        if (code >= RESHAPE && code <= ONE_HOT) return 1;
        revert UnsupportedCode(code);
    }

    /// @notice The operand elements output element `e` of op `code` depends on, per input, ascending; checks
    ///         the attribute count, the attributes and that the operand shapes fit the op and the output:
    ///           10 reshape{shape}: x[e] (attrs = the output shape, same element count)
    ///           11 im2col{H,W,C,k,stride,pad}: the tapped image element, or none in the zero padding
    ///           12 col2im{...}: the column entries of e's terms [termLo, termHi) that exist (see {col2imTerm})
    ///           13 maxpool{H,W,C,size}: cells [termLo, termHi) of e's size x size window, row-major
    ///           14 maxpool_grad{...}(g, x): g at e's pooled element when the slice holds the last term
    ///              (size^2), else none; cells [termLo, min(termHi, size^2)) of x's window
    ///           15 one_hot{n}: x[e / n]
    ///           16 softmax_ce_grad{fracBits, one}(z, labels): per term t of [termLo, termHi), the logit of
    ///              row e / n at column {softmaxTermColumn}(n, e % n, t); labels[e / n] when the slice holds
    ///              the last term 2n, else none
    ///           17 adam_m, 18 adam_v (2 inputs), 19 adam_update (3 inputs): every input at e
    /// @param code The op code, 10..19.
    /// @param attrs The entry's attributes.
    /// @param outDims The output's shape.
    /// @param inDims The operand shapes, one per input.
    /// @param e The output element (the caller has checked e < the output's element count).
    /// @param terms col2im, the pools, softmax_ce_grad: the game's term slice [lo, hi) and the declared K
    ///        (INV-GAME-9); ignored otherwise.
    /// @return idx Per input, the element indices.
    function operandIndices(
        uint8 code,
        int64[] calldata attrs,
        uint32[] calldata outDims,
        uint32[][] calldata inDims,
        uint256 e,
        TermSlice calldata terms
    ) external pure returns (uint256[][] memory idx) {
        if (inDims.length != arity(code)) revert ArityMismatch(code, arity(code), inDims.length);
        idx = new uint256[][](inDims.length);
        if (code == RESHAPE) {
            _attrCount(code, attrs, outDims.length);
            if (outDims.length == 0 || outDims.length > 4) revert ShapeMismatch(code, type(uint256).max);
            for (uint256 i = 0; i < outDims.length; ++i) {
                if (attrs[i] != int64(uint64(outDims[i]))) revert InvalidAttr(code, i);
            }
            if (_count(inDims[0]) != _count(outDims)) revert ShapeMismatch(code, 0);
            idx[0] = _one(e);
        } else if (code == IM2COL) {
            Conv memory g = _conv(code, attrs);
            uint256 n = g.H * g.W * g.C;
            uint256 cols = g.k * g.k * g.C;
            if (inDims[0].length != 2 || _count(inDims[0]) % n != 0 || _count(inDims[0]) == 0) revert ShapeMismatch(code, 0);
            _expect2(code, outDims, (_count(inDims[0]) / n) * g.OH * g.OW, cols, type(uint256).max);
            (bool inside, uint256 tapped) = _tap(g, e / cols, e % cols);
            idx[0] = inside ? _one(tapped) : new uint256[](0);
        } else if (code == COL2IM) {
            Conv memory g = _conv(code, attrs);
            uint256 cols = g.k * g.k * g.C;
            uint32[] calldata d = inDims[0];
            if (d.length != 2 || d[1] != cols || d[0] == 0 || d[0] % (g.OH * g.OW) != 0) revert ShapeMismatch(code, 0);
            _expect2(code, outDims, (d[0] / (g.OH * g.OW)) * g.H * g.W, g.C, type(uint256).max);
            // INVARIANT: INV-GAME-9: only the true K settles, and the slice lies inside [0, K] and is not empty.
            _checkTerms(_per(g) * _per(g), terms);
            idx[0] = _slice(g, e, terms.lo, terms.hi);
        } else if (code == MAXPOOL || code == MAXPOOL_GRAD) {
            idx = _poolIndices(code, _pool(code, attrs), outDims, inDims, e, terms);
        } else if (code == ONE_HOT) {
            _attrCount(code, attrs, 1);
            uint256 classes = _attr(code, attrs, 0, 1, type(uint32).max);
            uint256 rank = inDims[0].length;
            if (rank == 0 || rank > 2) revert ShapeMismatch(code, 0);
            _expect2(code, outDims, _count(inDims[0]), classes, type(uint256).max);
            idx[0] = _one(e / classes);
        } else if (code == SOFTMAX_CE_GRAD) {
            _attrCount(code, attrs, 2);
            _attr(code, attrs, 0, 0, 52);
            _attr(code, attrs, 1, 1, uint64(type(int64).max));
            if (outDims.length != 2 || outDims[1] == 0) revert ShapeMismatch(code, type(uint256).max);
            _expect2(code, inDims[0], outDims[0], outDims[1], 0);
            if (inDims[1].length != 1 || inDims[1][0] != outDims[0]) revert ShapeMismatch(code, 1);
            uint256 n = outDims[1];
            uint256 k = 2 * n + 1;
            // INVARIANT: INV-GAME-9: only the true K settles, and the slice lies inside [0, K] and is not empty.
            _checkTerms(k, terms);
            uint256 row = e / n;
            uint256[] memory z = new uint256[](terms.hi - terms.lo);
            // SAFETY: row * n + column < m * n, the element count (<= 2^64).
            for (uint256 s = 0; s < z.length; ++s) z[s] = row * n + softmaxTermColumn(n, e % n, terms.lo + s);
            idx[0] = z;
            idx[1] = terms.hi == k ? _one(row) : new uint256[](0);
        } else {
            // adam_m, adam_v, adam_update: elementwise.
            _attrCount(code, attrs, code == ADAM_M ? 4 : 5);
            for (uint256 i = 0; i < inDims.length; ++i) {
                if (!_same(inDims[i], outDims)) revert ShapeMismatch(code, i);
                idx[i] = _one(e);
            }
        }
    }

    /// @dev {operandIndices} of maxpool and maxpool_grad: the slice's cells of the window (maxpool_grad: of
    ///      its second input, and its pooled gradient when the slice holds the last term).
    function _poolIndices(
        uint8 code,
        Pool memory p,
        uint32[] calldata outDims,
        uint32[][] calldata inDims,
        uint256 e,
        TermSlice calldata terms
    ) private pure returns (uint256[][] memory idx) {
        idx = new uint256[][](inDims.length);
        _poolShapes(code, p, outDims, inDims);
        uint256 cells = p.size * p.size;
        // INVARIANT: INV-GAME-9: only the true K settles, and the slice lies inside [0, K] and is not empty.
        _checkTerms(code == MAXPOOL ? cells : cells + 1, terms);
        if (code == MAXPOOL) {
            idx[0] = _window(p, e / p.C, e % p.C, terms.lo, terms.hi);
            return idx;
        }
        (uint256 pooledRow,) = _pooledRow(p, e / p.C);
        // The last term reads the pooled gradient; the others the window.
        idx[0] = terms.hi == cells + 1 ? _one(pooledRow * p.C + e % p.C) : new uint256[](0);
        idx[1] = _window(p, pooledRow, e % p.C, terms.lo, terms.hi < cells ? terms.hi : cells);
    }

    /// @dev Reverts unless the pool input is [B*H*W, C], the output (maxpool) or the gradient (maxpool_grad)
    ///      [B*OH*OW, C] and maxpool_grad's output the pool input's shape.
    function _poolShapes(uint8 code, Pool memory p, uint32[] calldata outDims, uint32[][] calldata inDims) private pure {
        uint32[] calldata x = inDims[code == MAXPOOL ? 0 : 1];
        if (x.length != 2 || x[1] != p.C || x[0] == 0 || x[0] % (p.H * p.W) != 0) revert ShapeMismatch(code, code == MAXPOOL ? 0 : 1);
        uint256 pooled = (x[0] / (p.H * p.W)) * p.OH * p.OW;
        if (code == MAXPOOL) {
            _expect2(code, outDims, pooled, p.C, type(uint256).max);
        } else {
            _expect2(code, inDims[0], pooled, p.C, 0);
            _expect2(code, outDims, x[0], p.C, type(uint256).max);
        }
    }

    /// @dev The declared K is `k` and the slice a non-empty part of [0, k] (INV-GAME-9).
    function _checkTerms(uint256 k, TermSlice calldata terms) private pure {
        if (terms.count != k) revert TermCountMismatch(k, terms.count);
        if (terms.lo >= terms.hi || terms.hi > k) revert TermSliceOutOfRange(terms.lo, terms.hi, k);
    }

    // ================================================================== values

    /// @notice The value of output element `e` of op `code` from the operand elements {operandIndices}
    ///         lists, exactly as engine/ops/*.ts computes it (col2im: the sum of the slice's terms;
    ///         softmax_ce_grad has its own entry, {softmaxTerms}).
    /// @param code The op code, 10..19 but 16.
    /// @param attrs The entry's attributes (already checked by {operandIndices}).
    /// @param operands Per input, the opened values, in {operandIndices}' order.
    /// @param e The output element.
    /// @return The true value of the element.
    function recompute(uint8 code, int64[] calldata attrs, int256[][] calldata operands, uint256 e)
        external
        pure
        returns (int256)
    {
        if (operands.length != arity(code)) revert MalformedOperands(code);
        if (code == RESHAPE) return _single(code, operands[0]);
        if (code == IM2COL) {
            // A tap in the zero padding opens nothing and is 0.
            if (operands[0].length == 0) return 0;
            return _single(code, operands[0]);
        }
        if (code == COL2IM) {
            // The sum of the slice's terms (the caller adds the agreed partial sum accIn before termLo).
            int256 sum;
            unchecked {
                // SAFETY: at most K <= 64^2 values of magnitude <= 2^63 (see the contract's bounds).
                for (uint256 i = 0; i < operands[0].length; ++i) sum += operands[0][i];
            }
            return sum;
        }
        if (code == ONE_HOT) {
            int256 x = _single(code, operands[0]);
            uint256 j = e % _attr(code, attrs, 0, 1, type(uint32).max);
            return (x >= 0 && uint256(x) == j) ? int256(1) : int256(0);
        }
        // softmax_ce_grad, maxpool and maxpool_grad are settled through their term level only: {softmaxTerms},
        // {poolTerms}.
        if (code == SOFTMAX_CE_GRAD || code == MAXPOOL || code == MAXPOOL_GRAD) revert UnsupportedCode(code);
        return _adam(code, attrs, operands);
    }

    /// @notice A fact about output element `e` that a settlement circuit takes as a public input (the
    ///         Groth16 verifier's, which proves the value from the opened operands): one_hot and
    ///         softmax_ce_grad: the column e % n; maxpool_grad: e's position in its window, (y % size) * size
    ///         + x % size; im2col: 1 when the tap is in the zero padding, else 0; the other ops: 0.
    function elementFact(uint8 code, int64[] calldata attrs, uint32[] calldata outDims, uint256 e)
        external
        pure
        returns (uint256)
    {
        if (code == ONE_HOT || code == SOFTMAX_CE_GRAD) {
            if (outDims.length != 2 || outDims[1] == 0) revert ShapeMismatch(code, type(uint256).max);
            return e % outDims[1];
        }
        if (code == MAXPOOL_GRAD) {
            Pool memory p = _pool(code, attrs);
            (, uint256 position) = _pooledRow(p, e / p.C);
            return position;
        }
        if (code == IM2COL) {
            Conv memory g = _conv(code, attrs);
            uint256 cols = g.k * g.k * g.C;
            (bool inside,) = _tap(g, e / cols, e % cols);
            return inside ? 0 : 1;
        }
        arity(code); // reverts on a code that is not one of ours
        return 0;
    }

    // ================================================================== kernels

    // ================================================================== max pooling's term level

    /// @notice The partial value at termHi of maxpool / maxpool_grad element `e`'s fold over its window
    ///         (settlement/poolTerms.ts, docs/protocol.md 3.3.1) from the agreed partial value `accIn` at
    ///         termLo; with P(0) = 0 and x_t the window's values, row-major:
    ///           maxpool (K = size^2):          P(t+1) = t == 0 ? x_0 : max(P(t), x_t)
    ///           maxpool_grad (K = size^2 + 1): P(t+1) = t == 0 ? (x_0, 0) : x_t > M ? (x_t, t) : P(t),
    ///                                          P(K) = A == position ? g : 0
    ///         where a maxpool_grad partial value holds the running max M and the position A of its first
    ///         occurrence (the tie rule) as A * 2^64 + M (M the signed low 64 bits), `position` is e's place
    ///         in its window ({elementFact}) and g the window's pooled gradient.
    /// @param code 13 or 14.
    /// @param attrs H, W, C, size (checked by {operandIndices}).
    /// @param operands In {operandIndices}' order: maxpool the slice's window values; maxpool_grad g (when
    ///        the slice holds the last term) and the slice's window values.
    /// @param e The output element.
    /// @param terms The game's term slice and K (checked by {operandIndices}).
    /// @param accIn The agreed partial value at terms.lo (the parties' word: 0 at term 0).
    /// @return acc The partial value at terms.hi.
    function poolTerms(
        uint8 code,
        int64[] calldata attrs,
        int256[][] calldata operands,
        uint256 e,
        TermSlice calldata terms,
        int256 accIn
    ) external pure returns (int256 acc) {
        if (operands.length != arity(code) || (code != MAXPOOL && code != MAXPOOL_GRAD)) revert MalformedOperands(code);
        int256[] calldata x = operands[code == MAXPOOL ? 0 : 1];
        acc = accIn;
        if (code == MAXPOOL) {
            if (x.length != terms.hi - terms.lo) revert MalformedOperands(code);
            for (uint256 s = 0; s < x.length; ++s) {
                if (terms.lo + s == 0 || x[s] > acc) acc = x[s];
            }
            return acc;
        }
        Pool memory p = _pool(code, attrs);
        uint256 cells = p.size * p.size;
        bool last = terms.hi == cells + 1;
        if (x.length != (last ? cells : terms.hi) - terms.lo || operands[0].length != (last ? 1 : 0)) revert MalformedOperands(code);
        for (uint256 s = 0; s < x.length; ++s) {
            uint256 t = terms.lo + s;
            // The first max wins ties: only a strictly larger value moves the position.
            if (t == 0) acc = x[s];
            else if (x[s] > int256(int64(acc))) acc = x[s] + int256(t) * PAIR_SHIFT;
        }
        if (last) {
            (, uint256 position) = _pooledRow(p, e / p.C);
            int256 m = int256(int64(acc));
            // Exact: acc - m is a multiple of 2^64 (an arithmetic shift floors).
            acc = (acc - m) >> 64 == int256(position) ? operands[0][0] : int256(0);
        }
    }

    // ================================================================== softmax_ce_grad's term level

    /// @notice The column of a row of n logits that term t of element column j's fold reads: t for the n
    ///         max terms, t - n for the n sum terms, j for the last (t = 2n).
    function softmaxTermColumn(uint256 n, uint256 j, uint256 t) public pure returns (uint256) {
        return t < n ? t : t < 2 * n ? t - n : j;
    }

    /// @notice The partial value at termHi of softmax_ce_grad element `e`'s fold (settlement/softmaxTerms.ts,
    ///         docs/protocol.md 3.3) from the agreed partial value `accIn` at termLo: a partial value holds
    ///         (M, S) as S * 2^64 + M (M the signed low 64 bits); with P(0) = 0,
    ///           t <  n: P(t+1) = (t == 0 ? z_0 : max(M, z_t), S)              (the row max)
    ///           t < 2n: P(t+1) = (M, S + EXP[min(expIndex(M - z_{t-n}), L)])  (the row sum)
    ///           t = 2n: P(2n+1) = floor((2 EXP[..(M - z_j)] one + S) / (2 S)) - (j == label ? one : 0)
    ///         so that P(2n+1) is the op's element (engine/ops/softmaxCeGrad.ts) bit for bit.
    /// @param attrs fracBits, one (checked by {operandIndices}).
    /// @param operands The slice's logits in {operandIndices}' order, and the label when the slice ends at 2n + 1.
    /// @param outDims The output's shape [m, n].
    /// @param e The output element.
    /// @param terms The game's term slice and K (checked by {operandIndices}).
    /// @param accIn The agreed partial value at terms.lo (the parties' word: 0 at term 0).
    /// @return acc The partial value at terms.hi.
    function softmaxTerms(
        int64[] calldata attrs,
        int256[][] calldata operands,
        uint32[] calldata outDims,
        uint256 e,
        TermSlice calldata terms,
        int256 accIn
    ) external pure returns (int256) {
        uint256 n = outDims[1];
        bool last = terms.hi == 2 * n + 1;
        if (operands.length != 2 || operands[0].length != terms.hi - terms.lo) revert MalformedOperands(SOFTMAX_CE_GRAD);
        if (operands[1].length != (last ? 1 : 0)) revert MalformedOperands(SOFTMAX_CE_GRAD);
        SoftmaxRow memory r = SoftmaxRow({
            fracBits: attrs[0],
            one: attrs[1],
            n: n,
            // The one-hot subtraction of the last term: `one` where the element's column is the label.
            minus: last && operands[1][0] >= 0 && uint256(operands[1][0]) == e % n ? int256(attrs[1]) : int256(0),
            table: ExpTable.TABLE
        });
        return _softmaxFold(r, operands[0], terms.lo, accIn);
    }

    /// @notice The exp-table word of the Groth16 softmax_ce_grad slice circuit (circuits/settle/softmax_terms8.circom):
    ///         for each of the 8 indices of `indices` (index s in bits [12 s, 12 s + 12)), the index and
    ///         EXP_TABLE at it, in bits [29 s, 29 s + 12) and [29 s + 12, 29 s + 29) of the word (232 bits < p).
    ///         The circuit constrains each index to be the one its slot's fold step reads, so the entry beside
    ///         it is the table's: the table is read here, on chain, not in the circuit.
    /// @dev Reverts with {ExpIndexOutOfRange} on an index past the last entry or bits above the 8 indices.
    function expTableWord(uint256 indices) external pure returns (uint256 word) {
        if (indices >> 96 != 0) revert ExpIndexOutOfRange(indices);
        bytes memory table = ExpTable.TABLE;
        for (uint256 s = 0; s < 8; ++s) {
            uint256 i = (indices >> (12 * s)) & 0xfff;
            if (i >= ExpTable.LENGTH) revert ExpIndexOutOfRange(indices);
            word |= (i | (ExpTable.entry(table, i) << 12)) << (29 * s);
        }
    }

    /// @dev The fold's steps over the slice's logits `z`, terms lo .. lo + z.length - 1, from `acc`.
    function _softmaxFold(SoftmaxRow memory r, int256[] calldata z, uint256 lo, int256 acc) private pure returns (int256) {
        for (uint256 s = 0; s < z.length; ++s) acc = _softmaxStep(r, lo + s, acc, z[s]);
        return acc;
    }

    /// @dev One step of the fold: P(t+1) from P(t) = `acc` and the logit `z` term t reads. Checked arithmetic
    ///      throughout: `acc` is the parties' word, and a value no honest party posts may revert.
    function _softmaxStep(SoftmaxRow memory r, uint256 t, int256 acc, int256 z) private pure returns (int256) {
        int256 m = int256(int64(acc));
        // Exact: acc - m is a multiple of 2^64 (an arithmetic shift floors, so a negative s is kept).
        int256 s = (acc - m) >> 64;
        if (t < r.n) return t == 0 ? z : (z > m ? z : m) + s * PAIR_SHIFT;
        if (m < z) revert SoftmaxTermInvalid(t);
        int256 v = int256(ExpTable.entry(r.table, _expIndex(m - z, r.fracBits)));
        if (t < 2 * r.n) return m + (s + v) * PAIR_SHIFT;
        if (s <= 0) revert SoftmaxTermInvalid(t);
        return KernelMath.floorDiv(2 * v * r.one + s, 2 * s) - r.minus;
    }

    /// @dev The table index of a logit distance d >= 0 with `fracBits` fraction bits: d in steps of
    ///      2^-INDEX_FRAC_BITS, rounded half up (expIndex of engine/ops/softmaxCeGrad.ts).
    function _expIndex(int256 d, int64 fracBits) private pure returns (uint256) {
        int256 idx = fracBits >= ExpTable.INDEX_FRAC_BITS
            ? KernelMath.roundShift(d, fracBits - ExpTable.INDEX_FRAC_BITS)
            : d << uint256(uint64(ExpTable.INDEX_FRAC_BITS - fracBits));
        // SAFETY: d >= 0 (the row max minus a row element) and roundShift of a non-negative value is >= 0.
        return uint256(idx);
    }

    /// @dev The Adam ops, elementwise: adam_m(m, g), adam_v(v, g), adam_update(w, m, v).
    function _adam(uint8 code, int64[] calldata attrs, int256[][] calldata operands) private pure returns (int256) {
        int256 x = _single(code, operands[0]);
        int256 y = _single(code, operands[1]);
        if (code == ADAM_M) {
            // m' = clamp(m + roundShift((g - m) * b1Num, b1Shift), lo, hi)
            return KernelMath.clamp(x + KernelMath.roundShift((y - x) * attrs[0], attrs[1]), attrs[2], attrs[3]);
        }
        if (code == ADAM_V) {
            // v' = clamp(v + roundShift((g2 - v) * b2Num, b2Shift), lo, hi), g2 = g * g scaled by 2^-gShift
            int256 g2 = _squareScaled(y, attrs[2]);
            return KernelMath.clamp(x + KernelMath.roundShift((g2 - x) * attrs[0], attrs[1]), attrs[3], attrs[4]);
        }
        // adam_update(w, m, v): w' = clamp(w - roundDiv(m * lrNum, (isqrt(v) + eps) * 2^lrShift), lo, hi)
        return _adamUpdate(attrs, x, y, _single(code, operands[2]));
    }

    /// @dev adam_v's scaled square: gShift >= 0: roundShift(g * g, gShift); else g * g * 2^-gShift.
    function _squareScaled(int256 g, int64 gShift) private pure returns (int256) {
        if (gShift >= 0) return KernelMath.roundShift(g * g, gShift);
        // INVARIANT: the engine accepts gShift in [-26, 52]; a larger left shift is not the engine's.
        if (gShift < -26) revert InvalidShift(gShift);
        return (g * g) << uint256(uint64(-gShift));
    }

    /// @dev adam_update: w - roundDiv(m * lrNum, den) clamped, den = (isqrt(v) + eps) * 2^lrShift.
    function _adamUpdate(int64[] calldata attrs, int256 w, int256 m, int256 v) private pure returns (int256) {
        if (v < 0) revert NegativeSecondMoment(v);
        int64 lrShift = attrs[1];
        if (lrShift < 0 || lrShift > KernelMath.MAX_SHIFT) revert InvalidShift(lrShift);
        if (attrs[2] < 1) revert InvalidAttr(ADAM_UPDATE, 2);
        int256 den = (int256(KernelMath.isqrt(uint256(v))) + attrs[2]) << uint256(uint64(lrShift));
        // roundDiv(a, b) = floor((2a + b) / (2b)): a / b rounded half up.
        int256 step = KernelMath.floorDiv(2 * m * attrs[0] + den, 2 * den);
        return KernelMath.clamp(w - step, attrs[3], attrs[4]);
    }

    // ================================================================== geometry

    /// @dev The convolution attributes, checked as engine/ops/windowGeometry.ts convOutput checks them.
    function _conv(uint8 code, int64[] calldata attrs) private pure returns (Conv memory g) {
        _attrCount(code, attrs, 6);
        g.H = _attr(code, attrs, 0, 1, MAX_DIM);
        g.W = _attr(code, attrs, 1, 1, MAX_DIM);
        g.C = _attr(code, attrs, 2, 1, MAX_DIM);
        g.k = _attr(code, attrs, 3, 1, MAX_WINDOW);
        g.stride = _attr(code, attrs, 4, 1, MAX_WINDOW);
        g.pad = _attr(code, attrs, 5, 0, g.k - 1);
        if (g.H + 2 * g.pad < g.k || g.W + 2 * g.pad < g.k) revert InvalidAttr(code, 3);
        g.OH = (g.H + 2 * g.pad - g.k) / g.stride + 1;
        g.OW = (g.W + 2 * g.pad - g.k) / g.stride + 1;
    }

    /// @dev The pooling attributes, checked as poolOutput checks them.
    function _pool(uint8 code, int64[] calldata attrs) private pure returns (Pool memory p) {
        _attrCount(code, attrs, 4);
        p.H = _attr(code, attrs, 0, 1, MAX_DIM);
        p.W = _attr(code, attrs, 1, 1, MAX_DIM);
        p.C = _attr(code, attrs, 2, 1, MAX_DIM);
        p.size = _attr(code, attrs, 3, 1, MAX_WINDOW);
        if (p.H % p.size != 0 || p.W % p.size != 0) revert InvalidAttr(code, 3);
        p.OH = p.H / p.size;
        p.OW = p.W / p.size;
    }

    /// @dev im2col's tap of column entry (row, j): row = (b, oy, ox), j = (ky, kx, c); the image element it
    ///      copies (flat index into the [B*H*W, C] input), or inside = false in the zero padding.
    function _tap(Conv memory g, uint256 row, uint256 j) private pure returns (bool inside, uint256 tapped) {
        uint256 per = g.OH * g.OW;
        // The padded coordinates oy*stride + ky and ox*stride + kx; inside the image when >= pad and < pad + H (W).
        uint256 py = ((row % per) / g.OW) * g.stride + j / (g.k * g.C);
        uint256 px = (row % g.OW) * g.stride + (j / g.C) % g.k;
        if (py < g.pad || px < g.pad || py - g.pad >= g.H || px - g.pad >= g.W) return (false, 0);
        return (true, (((row / per) * g.H + (py - g.pad)) * g.W + (px - g.pad)) * g.C + j % g.C);
    }

    /// @dev Candidate output positions per axis that can cover an input position: ceil(k / stride).
    function _per(Conv memory g) private pure returns (uint256) {
        return (g.k + g.stride - 1) / g.stride;
    }

    /// @notice Term t of col2im's element e (image element (b, iy, ix, c) of [B*H*W, C]), t in [0, K), K =
    ///         per^2, per = ceil(k / stride): with py = iy + pad, px = ix + pad, oy = floor(py / stride) -
    ///         (per - 1) + t / per and ox = floor(px / stride) - (per - 1) + t % per, the column entry
    ///         (b, oy, ox; ky = py - oy*stride, kx = px - ox*stride, c) when 0 <= oy < OH, 0 <= ox < OW,
    ///         ky < k and kx < k; else no entry (a zero term). Every column entry im2col copied from e is one
    ///         term, in ascending index order (engine/ops/col2im.ts sums exactly these).
    /// @return exists Whether the term is a column entry.
    /// @return index Its flat index in the [B*OH*OW, k*k*C] columns (0 when it does not exist).
    function col2imTerm(int64[] calldata attrs, uint256 e, uint256 t) external pure returns (bool exists, uint256 index) {
        return _term(_conv(COL2IM, attrs), e, t);
    }

    function _term(Conv memory g, uint256 e, uint256 t) private pure returns (bool, uint256) {
        // Per axis o * k + (kernel offset), or NO_TERM.
        uint256 y = _axis(g, (e / (g.C * g.W)) % g.H + g.pad, t / _per(g), g.OH);
        uint256 x = _axis(g, (e / g.C) % g.W + g.pad, t % _per(g), g.OW);
        if (y == NO_TERM || x == NO_TERM) return (false, 0);
        // Column row (b, oy, ox), column (ky, kx, c): ((row * k + ky) * k + kx) * C + c.
        uint256 row = ((e / (g.C * g.W * g.H)) * g.OH + y / g.k) * g.OW + x / g.k;
        return (true, ((row * g.k + y % g.k) * g.k + x % g.k) * g.C + e % g.C);
    }

    /// @dev One axis of a col2im term: for the padded coordinate p and the candidate a in [0, per), the output
    ///      position o = floor(p / stride) - (per - 1) + a and the kernel offset p - o*stride, as o * k + offset
    ///      when o is in [0, n) and the offset below k; else NO_TERM.
    function _axis(Conv memory g, uint256 p, uint256 a, uint256 n) private pure returns (uint256) {
        uint256 back = _per(g) - 1;
        uint256 o = p / g.stride + a;
        if (o < back) return NO_TERM;
        o -= back;
        // SAFETY: o <= floor(p / stride) (a <= per - 1), so o * stride <= p.
        if (o >= n || p - o * g.stride >= g.k) return NO_TERM;
        return o * g.k + (p - o * g.stride);
    }

    /// @dev The column entries of col2im's terms [lo, hi) of element e that exist, ascending.
    function _slice(Conv memory g, uint256 e, uint256 lo, uint256 hi) private pure returns (uint256[] memory out) {
        out = new uint256[](hi - lo);
        uint256 count = 0;
        for (uint256 t = lo; t < hi; ++t) {
            (bool exists, uint256 i) = _term(g, e, t);
            if (exists) out[count++] = i;
        }
        assembly ("memory-safe") {
            // SAFETY: shrinks the array to its `count` filled entries (count <= hi - lo, its allocated length).
            mstore(out, count)
        }
    }

    /// @dev The pooled row (b, oy, ox) of input row r = (b, y, x), and r's position in that window.
    function _pooledRow(Pool memory p, uint256 r) private pure returns (uint256 pooled, uint256 position) {
        uint256 b = r / (p.H * p.W);
        uint256 y = (r / p.W) % p.H;
        uint256 x = r % p.W;
        pooled = (b * p.OH + y / p.size) * p.OW + x / p.size;
        position = (y % p.size) * p.size + x % p.size;
    }

    /// @dev The input elements of pooled row r = (b, oy, ox), channel c: cells [lo, hi) of the window,
    ///      row-major (ky, kx); empty when lo >= hi.
    function _window(Pool memory p, uint256 r, uint256 c, uint256 lo, uint256 hi) private pure returns (uint256[] memory w) {
        // The window's top-left input row: (b, oy * size, ox * size).
        uint256 corner = ((r / (p.OH * p.OW)) * p.H + ((r / p.OW) % p.OH) * p.size) * p.W + (r % p.OW) * p.size;
        w = new uint256[](hi > lo ? hi - lo : 0);
        for (uint256 t = lo; t < hi; ++t) w[t - lo] = (corner + (t / p.size) * p.W + t % p.size) * p.C + c;
    }

    // ================================================================== helpers

    function _single(uint8 code, int256[] calldata v) private pure returns (int256) {
        if (v.length != 1) revert MalformedOperands(code);
        return v[0];
    }

    function _attrCount(uint8 code, int64[] calldata attrs, uint256 n) private pure {
        if (attrs.length != n) revert AttrCountMismatch(code, n, attrs.length);
    }

    /// @dev Attribute i as an integer in [min, max], else {InvalidAttr}.
    function _attr(uint8 code, int64[] calldata attrs, uint256 i, uint256 min, uint256 max) private pure returns (uint256) {
        int64 a = attrs[i];
        if (a < 0 || uint256(uint64(a)) < min || uint256(uint64(a)) > max) revert InvalidAttr(code, i);
        return uint256(uint64(a));
    }

    /// @dev Reverts with ShapeMismatch(code, which) unless `d` is [rows, cols].
    function _expect2(uint8 code, uint32[] calldata d, uint256 rows, uint256 cols, uint256 which) private pure {
        if (d.length != 2 || d[0] != rows || d[1] != cols) revert ShapeMismatch(code, which);
    }

    function _count(uint32[] calldata d) private pure returns (uint256 n) {
        n = 1;
        // Checked: a shape of more than 2^256 elements reverts (no shape the program commits comes near it).
        for (uint256 i = 0; i < d.length; ++i) n *= d[i];
    }

    function _same(uint32[] calldata a, uint32[] calldata b) private pure returns (bool) {
        if (a.length != b.length) return false;
        for (uint256 i = 0; i < a.length; ++i) if (a[i] != b[i]) return false;
        return true;
    }

    function _one(uint256 x) private pure returns (uint256[] memory r) {
        r = new uint256[](1);
        r[0] = x;
    }
}
