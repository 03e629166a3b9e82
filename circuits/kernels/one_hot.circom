pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";

// Op 15, one element (engine/ops/oneHot.ts): out = (x == j) ? 1 : 0, j = the element's column (e % n, from
// ModelOps.elementFact on chain). Any x: the comparison is exact on the field encoding, which is injective
// on the signed values the verifier accepts.
template OneHot() {
    signal input x;
    signal input j;
    signal output out;

    component eq = IsEqual();
    eq.in[0] <== x;
    eq.in[1] <== j;
    out <== eq.out;
}
