pragma circom 2.1.0;

include "../lib/signed_range.circom";

// Op 2, one element: out = z + b; z signed bitsZ-wide, b signed bitsB-wide.
template BiasAdd(bitsZ, bitsB) {
    signal input z;
    signal input b;
    signal output out;

    component zRange = SignedRange(bitsZ);
    zRange.in <== z;
    component bRange = SignedRange(bitsB);
    bRange.in <== b;
    out <== z + b;
}
