pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";
include "../lib/signed_range.circom";
include "../lib/bounded_index.circom";

// Op 6, one element (row i, column j): out = z - (j == label ? one : 0); z signed bits-wide,
// label and j in [0, classes). j is an input so that one circuit serves every column.
template MseGrad(bits, one, classes) {
    signal input z;
    signal input label;
    signal input j;
    signal output out;

    component zRange = SignedRange(bits);
    zRange.in <== z;
    component labelRange = BoundedIndex(classes);
    labelRange.in <== label;
    component jRange = BoundedIndex(classes);
    jRange.in <== j;
    component eq = IsEqual();
    eq.in[0] <== label;
    eq.in[1] <== j;
    out <== z - one * eq.out;
}
