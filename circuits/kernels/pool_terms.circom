pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../lib/unpack.circom";
include "../lib/signed_range.circom";

// A term slice of a max-pooling window's fold (settlement/poolTerms.ts, ModelOps.poolTerms): terms
// [lo, hi) of at most 8, from the agreed partial value accIn at lo to the partial value out at hi.
//   grad = 0, maxpool (K = cells):      P(t+1) = t == 0 ? x_t : max(P(t), x_t)
//   grad = 1, maxpool_grad (K = cells + 1): P holds (M, A) as A * 2^64 + M; for t < cells
//     P(t+1) = t == 0 ? (x_t, 0) : x_t > M ? (x_t, t) : (M, A), and P(K) = A == pos ? g : 0.
// x: the slice's window values packed 4 per word (54-bit signed, offset 2^53; slot s is term lo + s,
// zero past the window). lo, hi, cells, pos come from the verifier (the context's slice, the attributes,
// ModelOps.elementFact); hi - lo must be in [1, 8]. accIn: maxpool a signed 54-bit value, maxpool_grad a
// pair with M signed 54-bit and 0 <= A < 2^13 (a window holds at most 64^2 cells): the honest partial
// values, each with exactly one decomposition. Cost: about 1,000 (maxpool) / 1,200 (maxpool_grad).
template PoolTerms(grad) {
    signal input accIn;
    signal input packed[2];
    signal input lo;
    signal input hi;
    signal input g;
    signal input pos;
    signal input cells;
    signal output out;

    component x = Unpack(8, 54, 4);
    for (var w = 0; w < 2; w++) x.packed[w] <== packed[w];

    // active[s] = (s < hi - lo), hi - lo in [1, 8].
    component hot[8];
    var hotSum = 0;
    for (var c = 1; c <= 8; c++) {
        hot[c - 1] = IsEqual();
        hot[c - 1].in[0] <== hi - lo;
        hot[c - 1].in[1] <== c;
        hotSum += hot[c - 1].out;
    }
    hotSum === 1;
    signal active[8];
    for (var s = 0; s < 8; s++) {
        var a = 0;
        for (var c = s + 1; c <= 8; c++) a += hot[c - 1].out;
        active[s] <== a;
    }
    // Term 0 (the window's first value) can only be slot 0.
    component first = IsZero();
    first.in <== lo;

    // The running max M and (maxpool_grad) the position A of its first occurrence.
    signal M[9];
    signal A[9];
    component mRange = SignedRange(54);
    if (grad == 0) {
        M[0] <== accIn;
        A[0] <== 0;
    } else {
        M[0] <-- accIn - ((accIn + 2 ** 63) \ 2 ** 64) * 2 ** 64;
        A[0] <-- (accIn + 2 ** 63) \ 2 ** 64;
        component aBits = Num2Bits(13);
        aBits.in <== A[0];
        accIn === A[0] * 2 ** 64 + M[0];
    }
    mRange.in <== M[0];

    // Slot s reads the window (grad: only while t = lo + s < cells).
    component loBits = Num2Bits(13);
    loBits.in <== lo * grad;
    component cellBits = Num2Bits(13);
    cellBits.in <== cells * grad;
    component inWin[8];
    component gt[8];
    signal moves[8];
    signal isFirst[8];
    signal picked[8];
    signal nextM[8];
    signal nextA[8];
    for (var s = 0; s < 8; s++) {
        // gt: M < x (both signed 54-bit, offset into [0, 2^54)).
        gt[s] = LessThan(54);
        gt[s].in[0] <== M[s] + 2 ** 53;
        gt[s].in[1] <== x.out[s] + 2 ** 53;
        if (grad == 0) {
            moves[s] <== active[s];
        } else {
            inWin[s] = LessThan(14);
            inWin[s].in[0] <== lo + s;
            inWin[s].in[1] <== cells;
            moves[s] <== active[s] * inWin[s].out;
        }
        // Take x when it is the first term or strictly larger (the first max wins ties).
        if (s == 0) {
            isFirst[s] <== first.out;
        } else {
            isFirst[s] <== 0;
        }
        picked[s] <== isFirst[s] + (1 - isFirst[s]) * gt[s].out;
        nextM[s] <== M[s] + picked[s] * (x.out[s] - M[s]);
        nextA[s] <== A[s] + picked[s] * (lo + s - A[s]);
        M[s + 1] <== M[s] + moves[s] * (nextM[s] - M[s]);
        A[s + 1] <== A[s] + moves[s] * grad * (nextA[s] - A[s]);
    }

    if (grad == 0) {
        out <== M[8];
    } else {
        // The slice ends on the last term (t = cells) iff hi = cells + 1: then P(K) = A == pos ? g : 0.
        component endsLast = IsEqual();
        endsLast.in[0] <== hi;
        endsLast.in[1] <== cells + 1;
        component atPos = IsEqual();
        atPos.in[0] <== A[8];
        atPos.in[1] <== pos;
        signal routed <== atPos.out * g;
        signal pair <== A[8] * 2 ** 64 + M[8];
        out <== pair + endsLast.out * (routed - pair);
    }
}
