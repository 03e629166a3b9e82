pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "../lib/signed_range.circom";
include "../lib/pow2.circom";
include "../lib/isqrt.circom";
include "../lib/clamp_var.circom";

// Op 19, one element, generic over the attributes (engine/ops/adamUpdate.ts):
//   den  = (isqrt(v) + eps) * 2^lrShift
//   step = floor((2 m lrNum + den) / (2 den))
//   out  = clamp(w - step, lo, hi)
// w, m, lo, hi signed 54-bit, v in [0, 2^53), lrNum in [0, 2^53), lrShift in [0, 52], eps in [1, 2^53].
// Exact: den < 2^106, the numerator < 2^108 in magnitude, step < 2^108.
// The division is a witness (q, rem) with num = q * 2den + rem, 0 <= rem < 2den, q a signed 110-bit value:
// |q * 2den + rem| < 2^218, so the equation holds over the integers and (q, rem) is unique.
template AdamUpdate() {
    signal input w;
    signal input m;
    signal input v;
    signal input lrNum;
    signal input lrShift;
    signal input eps;
    signal input lo;
    signal input hi;
    signal output out;

    component wR = SignedRange(54);
    wR.in <== w;
    component mR = SignedRange(54);
    mR.in <== m;
    component loR = SignedRange(54);
    loR.in <== lo;
    component hiR = SignedRange(54);
    hiR.in <== hi;
    component lrBits = Num2Bits(53);
    lrBits.in <== lrNum;
    component epsBits = Num2Bits(53);
    epsBits.in <== eps - 1;
    component p = Pow2(52);
    p.s <== lrShift;

    component root = Isqrt(53);
    root.in <== v;
    signal den <== (root.out + eps) * p.pow;
    signal prod <== m * lrNum;
    signal num <== 2 * prod + den;

    signal q;
    signal rem;
    var K = 2 ** 109;
    var y = num + K * 2 * den;
    rem <-- y % (2 * den);
    q <-- (y \ (2 * den)) - K;
    num === q * 2 * den + rem;
    component remBits = Num2Bits(107);
    remBits.in <== rem;
    component gapBits = Num2Bits(107);
    gapBits.in <== 2 * den - 1 - rem;
    component qR = SignedRange(110);
    qR.in <== q;

    component c = ClampVar(112);
    c.in <== w - q;
    c.lo <== lo;
    c.hi <== hi;
    out <== c.out;
}
