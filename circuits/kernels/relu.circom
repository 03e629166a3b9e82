pragma circom 2.1.0;

include "../lib/signed_range.circom";

// Op 4, one element: out = max(x, 0); x a signed bits-wide value. Cost: bits + 1.
template Relu(bits) {
    signal input x;
    signal output out;

    component xRange = SignedRange(bits);
    xRange.in <== x;
    out <== xRange.nonneg * x;
}
