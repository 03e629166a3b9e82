pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "../lib/pow2.circom";

// A rate num / 2^shift of the Adam ops with the engine's bounds (engine/ops/adamM.ts checkRate): shift in
// [0, 52], 0 <= num <= 2^shift. Outputs pow = 2^shift and the rounding offset half.
// Cost: Pow2(52) + 53 + 54 constraints.
template AdamRate() {
    signal input num;
    signal input shift;
    signal output pow;
    signal output half;

    component p = Pow2(52);
    p.s <== shift;
    pow <== p.pow;
    half <== p.half;
    component numBits = Num2Bits(53);
    numBits.in <== num;
    component gapBits = Num2Bits(53);
    gapBits.in <== pow - num;
}
