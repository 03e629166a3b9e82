pragma circom 2.1.0;
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../lib/unpack.circom";
include "../lib/signed_range.circom";
include "../lib/pow2.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 16 softmax_ce_grad,
// a term slice [termLo, termHi) of at most 8 terms (DisputeGame.TERM_SLICE) of the fold of K = 2n + 1 terms
// whose last value is the disputed element (settlement/softmaxTerms.ts, ModelOps.softmaxTerms). A partial
// value holds (M, S) as S * 2^64 + M; with P(0) = 0 and z_t the logit term t reads,
//   t <  n:  P(t+1) = pair(t == 0 ? z_0 : max(M, z_t), t == 0 ? 0 : S)
//   t < 2n:  P(t+1) = pair(M, S + EXP[min(expIndex(M - z_t), 3017)])
//   t = 2n:  P(2n+1) = floor((2 EXP[min(expIndex(M - z_j), 3017)] one + S) / (2 S)) - (j == label ? one : 0)
// GENERIC: one circuit for every (fracBits, one, n) (registered with attrs []).
//
// The exp table is read by the CONTRACT, not here: the prover names the index each slot reads (0 for a slot
// in the max phase or past termHi), Groth16KernelVerifier reads EXP_TABLE at those indices (ModelOps) and passes
// index and entry of slot s packed in `table`, bits [29 s, 29 s + 12) the index and [29 s + 12, 29 s + 29) the
// entry. This circuit constrains each index to be exactly min(expIndex(M - z), 3017) of its slot's fold
// state, so the entry beside it is the table's (the contract read it): a forged index does not verify.
//
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the claimed
// P(termHi), signed field encoding), accIn (the agreed P(termLo)), packed[2] (the slice's opened logits, 4
// signed 54-bit values per word offset by 2^53, missing terms 0), label (row i's label when termHi = K, else
// 0), j (element % n), n, termLo, termHi, fracBits, one, table.
// Range checks: logits and M signed 54-bit; accIn = S * 2^64 + M with S in [0, 2^29) (n <= 4096 entries of at
// most 2^16 each); fracBits in [0, 52]; one in [1, 2^63); n in [1, 4096]; 1 <= termHi - termLo <= 8, termLo
// >= 0, termHi <= 2n + 1. Every quantity below stays far under p: the equations hold over the integers.
template SoftmaxTerms8() {
    var SLOTS = 8;
    var LAST = 3017;
    signal input ctx;
    signal input out;
    signal input accIn;
    signal input packed[2];
    signal input label;
    signal input j;
    signal input n;
    signal input termLo;
    signal input termHi;
    signal input fracBits;
    signal input one;
    signal input table;

    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;

    // ---- the operands
    component zs = Unpack(SLOTS, 54, 4);
    for (var w = 0; w < 2; w++) zs.packed[w] <== packed[w];
    signal z[SLOTS];
    for (var s = 0; s < SLOTS; s++) z[s] <== zs.out[s];

    component tb = Num2Bits(29 * SLOTS);
    tb.in <== table;
    signal idx[SLOTS];
    signal ent[SLOTS];
    for (var s = 0; s < SLOTS; s++) {
        var a = 0;
        for (var b = 0; b < 12; b++) a += tb.out[29 * s + b] * 2 ** b;
        idx[s] <== a;
        var e = 0;
        for (var b = 0; b < 17; b++) e += tb.out[29 * s + 12 + b] * 2 ** b;
        ent[s] <== e;
    }

    // accIn = S0 * 2^64 + M0, M0 signed 54-bit, S0 in [0, 2^29): unique (|accIn| < 2^94).
    signal M[SLOTS + 1];
    signal S[SLOTS + 1];
    var TWO64 = 2 ** 64;
    // Hints on the non-negative accIn + 2^53 + 2^100 (circom's \ and % are wrong for negative field values):
    // its low 64 bits are M0 + 2^53, the rest S0 + 2^36.
    var accOff = accIn + 2 ** 53 + 2 ** 100;
    M[0] <-- (accOff % TWO64) - 2 ** 53;
    S[0] <-- (accOff \ TWO64) - 2 ** 36;
    accIn === S[0] * TWO64 + M[0];
    component mRange = SignedRange(54);
    mRange.in <== M[0];
    component sRange = Num2Bits(29);
    sRange.in <== S[0];

    // ---- attributes and the slice
    component fb = Num2Bits(6);
    fb.in <== fracBits;
    component fbMax = LessThan(6);
    fbMax.in[0] <== fracBits;
    fbMax.in[1] <== 53;
    fbMax.out === 1;
    // fracBits >= 8 iff one of bits 3..5 is set.
    signal nb45 <== (1 - fb.out[4]) * (1 - fb.out[5]);
    signal lt8 <== (1 - fb.out[3]) * nb45;
    // expIndex(d) = floor((d * mul + half) / pow): fracBits >= 8: mul 1, pow 2^(fracBits - 8), half its
    // rounding offset; fracBits < 8: mul 2^(8 - fracBits), pow 1, half 0.
    signal sh <== (1 - lt8) * (fracBits - 8);
    component pw = Pow2(44);
    pw.s <== sh;
    component ml = Pow2(8);
    ml.s <== 8 - fracBits + sh;
    signal pow <== pw.pow;
    signal half <== pw.half;
    signal mul <== ml.pow;

    // one in [1, 2^63): 63 bits and not 0 (an inverse exists).
    component oneRange = Num2Bits(63);
    oneRange.in <== one;
    signal oneInv;
    oneInv <-- one != 0 ? 1 / one : 0;
    one * oneInv === 1;
    component nRange = Num2Bits(12);
    nRange.in <== n - 1;
    signal len <== termHi - termLo;
    component lenRange = Num2Bits(3);
    lenRange.in <== len - 1;
    component loRange = Num2Bits(14);
    loRange.in <== termLo;
    component hiRange = Num2Bits(14);
    hiRange.in <== 2 * n + 1 - termHi;

    // Phases of slot s (term t = termLo + s): max (t < n), sum (n <= t < 2n), last (t = 2n), inactive (t >= termHi).
    component first = IsZero();
    first.in <== termLo;
    component max0 = LessThan(14);
    max0.in[0] <== termLo;
    max0.in[1] <== n;
    component atN[SLOTS];
    component atLast[SLOTS];
    component atEnd[SLOTS];
    signal maxPhase[SLOTS];
    signal active[SLOTS];
    signal maxA[SLOTS];
    signal reads[SLOTS];
    signal lastA[SLOTS];
    for (var s = 0; s < SLOTS; s++) {
        if (s == 0) {
            maxPhase[s] <== max0.out;
            active[s] <== 1;
        } else {
            atN[s] = IsZero();
            atN[s].in <== termLo + s - n;
            maxPhase[s] <== maxPhase[s - 1] - atN[s].out;
            atEnd[s] = IsZero();
            atEnd[s].in <== len - s;
            active[s] <== active[s - 1] - atEnd[s].out;
        }
        atLast[s] = IsZero();
        atLast[s].in <== termLo + s - 2 * n;
        maxA[s] <== active[s] * maxPhase[s];
        reads[s] <== active[s] - maxA[s];
        lastA[s] <== active[s] * atLast[s].out;
    }

    // ---- the fold
    component dRange[SLOTS];
    component gapRange[SLOTS];
    component highRange[SLOTS];
    component idxMax[SLOTS];
    component clamped[SLOTS];
    signal maxv[SLOTS];
    signal mNew[SLOTS];
    signal x[SLOTS];
    signal gap[SLOTS];
    signal gapR[SLOTS];
    signal exact[SLOTS];
    signal high[SLOTS];
    signal sumA[SLOTS];
    signal sKeep;
    for (var s = 0; s < SLOTS; s++) {
        // diff = M - z, signed 55-bit (both signed 54-bit); nonneg: M >= z.
        dRange[s] = SignedRange(55);
        dRange[s].in <== M[s] - z[s];
        maxv[s] <== z[s] + dRange[s].nonneg * (M[s] - z[s]);
        if (s == 0) {
            // t = 0: P(1) = pair(z_0, 0) whatever P(0).
            mNew[s] <== maxv[s] + first.out * (z[s] - maxv[s]);
        } else {
            mNew[s] <== maxv[s];
        }
        M[s + 1] <== M[s] + maxA[s] * (mNew[s] - M[s]);

        // A slot that reads the table (sum or last term): the distance is >= 0 and idx is its clamped index.
        reads[s] * (1 - dRange[s].nonneg) === 0;
        (1 - reads[s]) * idx[s] === 0;
        idxMax[s] = Num2Bits(12);
        idxMax[s].in <== LAST - idx[s];
        x[s] <== (M[s] - z[s]) * mul + half;
        gap[s] <== x[s] - idx[s] * pow;
        // idx * pow <= x (x < 2^63: d < 2^54, mul <= 2^8, half < 2^43) ...
        gapR[s] <== reads[s] * gap[s];
        gapRange[s] = Num2Bits(63);
        gapRange[s].in <== gapR[s];
        // ... and, unless idx is the clamp 3017, x < (idx + 1) * pow (pow <= 2^44).
        clamped[s] = IsZero();
        clamped[s].in <== idx[s] - LAST;
        exact[s] <== reads[s] * (1 - clamped[s].out);
        high[s] <== exact[s] * (pow - 1 - gap[s]);
        highRange[s] = Num2Bits(44);
        highRange[s].in <== high[s];

        sumA[s] <== reads[s] - lastA[s];
        if (s == 0) {
            sKeep <== S[0] * (1 - first.out);
            S[s + 1] <== sKeep + sumA[s] * ent[s];
        } else {
            S[s + 1] <== S[s] + sumA[s] * ent[s];
        }
    }

    // ---- the last term (at most one slot, the slice's last: the state after the fold is the state before it)
    var hasLastV = 0;
    signal vParts[SLOTS];
    var v = 0;
    for (var s = 0; s < SLOTS; s++) {
        hasLastV += lastA[s];
        vParts[s] <== lastA[s] * ent[s];
        v += vParts[s];
    }
    signal hasLast <== hasLastV;
    signal ve <== v;
    // S >= 1 at the last term (S < 2^30: S0 < 2^29 plus at most 8 entries < 2^17).
    signal sPos <== hasLast * (S[SLOTS] - 1);
    component sPosRange = Num2Bits(30);
    sPosRange.in <== sPos;
    signal num <== 2 * ve * one + S[SLOTS];
    // The divisor 2S (1 when no slot is the last term, the quotient then unused): num = q den + r, 0 <= r < den.
    signal den <== 2 * S[SLOTS] + 1 - hasLast;
    signal q;
    signal r;
    q <-- num \ den;
    r <-- num % den;
    num === q * den + r;
    component qRange = Num2Bits(82);
    qRange.in <== q;
    component rRange = Num2Bits(32);
    rRange.in <== r;
    component rGap = Num2Bits(32);
    rGap.in <== den - 1 - r;
    component isLabel = IsZero();
    isLabel.in <== label - j;
    signal minusSel <== hasLast * isLabel.out;
    signal minus <== minusSel * one;
    signal pairOut <== S[SLOTS] * TWO64 + M[SLOTS];
    out === pairOut + hasLast * (q - minus - pairOut);
}

component main {public [ctx, out, accIn, packed, label, j, n, termLo, termHi, fracBits, one, table]} = SoftmaxTerms8();
