pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "util.circom";

// Constrains in to the integers [0, n) for a compile-time n >= 1.
// Cost: nb + (nb + 1) constraints, nb = max(1, vtBitLen(n - 1)).
template BoundedIndex(n) {
    assert(n >= 1);
    signal input in;
    var nb = vtMax(1, vtBitLen(n - 1));
    component bits = Num2Bits(nb);
    bits.in <== in;
    if (n < 2 ** nb) {
        component lt = LessThan(nb);
        lt.in[0] <== in;
        lt.in[1] <== n;
        lt.out === 1;
    }
}
