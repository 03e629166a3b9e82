pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";
include "signed_range.circom";

// Range-checks in to [-2^(bits-1), 2^(bits-1)) and outputs pos = 1 iff in > 0 (strict).
// pos = nonneg - isZero(in): 1 - 0 for in > 0, 1 - 1 for in = 0, 0 - 0 for in < 0.
// Cost: bits + 2 constraints.
template IsPositiveSigned(bits) {
    signal input in;
    signal output pos;

    component range = SignedRange(bits);
    range.in <== in;
    component zero = IsZero();
    zero.in <== in;
    pos <== range.nonneg - zero.out;
}
