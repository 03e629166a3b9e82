pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "signed_range.circom";
include "util.circom";

// The protocol's rounding (docs/engine.md): out = floor((in + 2^(s-1)) / 2^s) for s > 0, out = in for s = 0
// (round half up, towards +infinity on ties, floor for negative values too).
//
// Witness: q, r with in + 2^(s-1) = q * 2^s + r. Constraints: r in [0, 2^s) by Num2Bits(s), q a signed
// (B - s + 1)-bit value, B = max(bits, s). |q * 2^s + r| < 2^(B+1) is far below the field modulus, so the
// equation holds over the integers and (q, r) is unique for any in: the template is sound on its own
// (it also bounds in). Completeness needs in in [-2^(bits-1), 2^(bits-1)) (the caller's range check).
// The witness is computed on the non-negative value in + 2^(s-1) + 2^B (2^B is a multiple of 2^s), because
// circom's \ and % are wrong for negative field values.
// Cost: bits + 1 constraints (s + B - s + 1) for s <= bits; 0 for s = 0.
template RoundShift(bits, s) {
    assert(s >= 0 && bits >= 1);
    signal input in;
    signal output out;

    if (s == 0) {
        out <== in;
    } else {
        var B = vtMax(bits, s);
        var K = 2 ** B;
        signal q;
        signal r;
        var y = in + 2 ** (s - 1) + K;
        r <-- y % (2 ** s);
        q <-- (y \ (2 ** s)) - 2 ** (B - s);

        component check = RoundShiftCheck(bits, s);
        check.in <== in;
        check.q <== q;
        check.r <== r;
        out <== q;
    }
}

// The constraints of RoundShift on given hints (q, r), separate so that tests can feed forged hints:
// in + 2^(s-1) = q * 2^s + r, r in [0, 2^s), q signed (max(bits, s) - s + 1)-bit. s >= 1.
template RoundShiftCheck(bits, s) {
    assert(s >= 1 && bits >= 1);
    signal input in;
    signal input q;
    signal input r;
    var B = vtMax(bits, s);

    in + 2 ** (s - 1) === q * 2 ** s + r;
    component rBits = Num2Bits(s);
    rBits.in <== r;
    component qRange = SignedRange(B - s + 1);
    qRange.in <== q;
}
