pragma circom 2.1.0;

include "../lib/signed_range.circom";
include "../lib/round_shift_var.circom";
include "../lib/clamp_var.circom";
include "./adam_attrs.circom";

// Op 17, one element, generic over the attributes (engine/ops/adamM.ts):
//   out = clamp(m + roundShift((g - m) * b1Num, b1Shift), lo, hi)
// m, g, lo, hi signed 54-bit (every safe integer), b1Shift in [0, 52], 0 <= b1Num <= 2^b1Shift.
// Exact integer arithmetic (no intermediate is bounded by 2^53 here): (g - m) * b1Num < 2^106, the sum
// m + q < 2^107 in magnitude.
template AdamM() {
    signal input m;
    signal input g;
    signal input b1Num;
    signal input b1Shift;
    signal input lo;
    signal input hi;
    signal output out;

    component mR = SignedRange(54);
    mR.in <== m;
    component gR = SignedRange(54);
    gR.in <== g;
    component loR = SignedRange(54);
    loR.in <== lo;
    component hiR = SignedRange(54);
    hiR.in <== hi;
    component rate = AdamRate();
    rate.num <== b1Num;
    rate.shift <== b1Shift;

    component rs = RoundShiftVar(107, 52);
    rs.in <== (g - m) * b1Num;
    rs.pow <== rate.pow;
    rs.half <== rate.half;
    component c = ClampVar(109);
    c.in <== m + rs.out;
    c.lo <== lo;
    c.hi <== hi;
    out <== c.out;
}
