pragma circom 2.1.0;

include "../lib/signed_range.circom";
include "../lib/is_positive.circom";

// Op 5 (ReLU backward), one element: out = p > 0 ? g : 0; g signed bitsG-wide, p signed bitsP-wide.
template ReluMask(bitsG, bitsP) {
    signal input g;
    signal input p;
    signal output out;

    component gRange = SignedRange(bitsG);
    gRange.in <== g;
    component pPos = IsPositiveSigned(bitsP);
    pPos.in <== p;
    out <== pPos.pos * g;
}
