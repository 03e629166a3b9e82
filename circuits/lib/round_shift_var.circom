pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "signed_range.circom";

// The protocol's rounding with the divisor a signal: out = floor((in + half) / pow), pow = 2^s and half =
// 2^(s-1) (0 for s = 0) from Pow2(maxS), so out = roundShift(in, s) (docs/engine.md), or pow = 1, half = 0
// for no shift at all. in is a signed value below 2^(bits-1) in magnitude (the caller's range check or
// construction).
//
// Witness: q, r with in + half = q * pow + r. Constraints: r in [0, 2^maxS) and pow - 1 - r in
// [0, 2^maxS) (so 0 <= r < pow for any pow <= 2^maxS), q a signed (bits + 1)-bit value. Every term is
// far below the field modulus (|q * pow + r| < 2^(bits + maxS + 1), bits + maxS + 1 <= 250), so the
// equation holds over the integers and (q, r) is unique.
// Cost: 2 maxS + bits + 1 constraints.
template RoundShiftVar(bits, maxS) {
    assert(bits >= 1 && maxS >= 1 && bits + maxS + 1 <= 250);
    signal input in;
    signal input pow;
    signal input half;
    signal output out;

    signal q;
    signal r;
    // Computed on the non-negative in + half + 2^bits * pow (circom's \ and % are wrong for negative
    // field values); 2^bits * pow is a multiple of pow.
    var K = 2 ** bits;
    var y = in + half + K * pow;
    r <-- y % pow;
    q <-- (y \ pow) - K;

    in + half === q * pow + r;
    component rBits = Num2Bits(maxS);
    rBits.in <== r;
    component gapBits = Num2Bits(maxS);
    gapBits.in <== pow - 1 - r;
    component qRange = SignedRange(bits + 1);
    qRange.in <== q;
    out <== q;
}
