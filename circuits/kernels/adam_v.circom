pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../lib/signed_range.circom";
include "../lib/pow2.circom";
include "../lib/round_shift_var.circom";
include "../lib/clamp_var.circom";
include "./adam_attrs.circom";

// Op 18, one element, generic over the attributes (engine/ops/adamV.ts):
//   g2  = gShift >= 0 ? roundShift(g * g, gShift) : g * g * 2^-gShift
//   out = clamp(v + roundShift((g2 - v) * b2Num, b2Shift), lo, hi)
// v, g, lo, hi signed 54-bit, gShift in [-26, 52], b2Shift in [0, 52], 0 <= b2Num <= 2^b2Shift. Exact:
// g2 < 2^132, (g2 - v) * b2Num < 2^186, v + q < 2^187.
// Both branches of g2 are one RoundShiftVar of g * g * mul by div: (mul, div) = (2^-gShift, 1) for a
// negative gShift, (1, 2^gShift) otherwise.
template AdamV() {
    signal input v;
    signal input g;
    signal input b2Num;
    signal input b2Shift;
    signal input gShift;
    signal input lo;
    signal input hi;
    signal output out;

    component vR = SignedRange(54);
    vR.in <== v;
    component gR = SignedRange(54);
    gR.in <== g;
    component loR = SignedRange(54);
    loR.in <== lo;
    component hiR = SignedRange(54);
    hiR.in <== hi;
    component rate = AdamRate();
    rate.num <== b2Num;
    rate.shift <== b2Shift;

    // u = gShift + 26 in [0, 78]; neg = gShift < 0; a = |gShift| in [0, 52].
    signal u <== gShift + 26;
    component uBits = Num2Bits(7);
    uBits.in <== u;
    component uMax = LessThan(7);
    uMax.in[0] <== u;
    uMax.in[1] <== 79;
    uMax.out === 1;
    component isNeg = LessThan(7);
    isNeg.in[0] <== u;
    isNeg.in[1] <== 26;
    signal neg <== isNeg.out;
    signal a <== (u - 26) * (1 - 2 * neg);
    component pa = Pow2(52);
    pa.s <== a;
    signal mulM1 <== neg * (pa.pow - 1);
    signal sq <== g * g;
    component g2 = RoundShiftVar(133, 52);
    g2.in <== sq * (1 + mulM1);
    g2.pow <== pa.pow - mulM1;
    g2.half <== (1 - neg) * pa.half;

    component rs = RoundShiftVar(187, 52);
    rs.in <== (g2.out - v) * b2Num;
    rs.pow <== rate.pow;
    rs.half <== rate.half;
    component c = ClampVar(189);
    c.in <== v + rs.out;
    c.lo <== lo;
    c.hi <== hi;
    out <== c.out;
}
