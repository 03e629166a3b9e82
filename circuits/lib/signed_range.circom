pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Range check of a signed value: constrains in to [-2^(bits-1), 2^(bits-1)) via Num2Bits(bits) on
// in + 2^(bits-1) (sound for bits <= 252: the bit decomposition cannot wrap the field).
// nonneg = 1 iff in >= 0 (the top bit of the shifted value), for free.
// Cost: bits constraints.
template SignedRange(bits) {
    assert(bits >= 1 && bits <= 252);
    signal input in;
    signal output nonneg;

    component n2b = Num2Bits(bits);
    n2b.in <== in + 2 ** (bits - 1);
    nonneg <== n2b.out[bits - 1];
}
