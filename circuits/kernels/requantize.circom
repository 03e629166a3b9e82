pragma circom 2.1.0;

include "../lib/signed_range.circom";
include "../lib/round_shift.circom";
include "../lib/clamp.circom";
include "../lib/util.circom";

// Op 3, one element: out = clamp(roundShift(x, shift), lo, hi); x a signed bits-wide value.
template Requantize(bits, shift, lo, hi) {
    signal input x;
    signal output out;

    component xRange = SignedRange(bits);
    xRange.in <== x;
    component rs = RoundShift(bits, shift);
    rs.in <== x;
    // roundShift of a signed bits-wide value is a signed (max(bits, shift) - shift + 1)-bit value
    // (bits itself when shift = 0).
    var qBits = shift == 0 ? bits : vtMax(bits, shift) - shift + 1;
    component c = Clamp(qBits, lo, hi);
    c.in <== rs.out;
    out <== c.out;
}
