pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// pow = 2^s and half = 2^(s-1) for s > 0, 0 for s = 0 (the rounding offset of roundShift), for a signal
// shift s constrained here to the integers [0, maxS]: the generic circuits take a shift attribute as a
// public input instead of a compile-time parameter.
// pow is the product over the bits of s of (1 + bit_i * (2^(2^i) - 1)); half from 2 half = pow - [s == 0].
// Cost: nb + (nb + 1 if maxS + 1 < 2^nb) + nb + 2 constraints, nb = bits of maxS.
template Pow2(maxS) {
    assert(maxS >= 1 && maxS <= 200);
    signal input s;
    signal output pow;
    signal output half;

    var nb = 0;
    while (2 ** nb <= maxS) nb++;
    component bits = Num2Bits(nb);
    bits.in <== s;
    if (maxS + 1 < 2 ** nb) {
        component le = LessThan(nb);
        le.in[0] <== s;
        le.in[1] <== maxS + 1;
        le.out === 1;
    }
    signal acc[nb + 1];
    acc[0] <== 1;
    for (var i = 0; i < nb; i++) {
        acc[i + 1] <== acc[i] * (1 + bits.out[i] * (2 ** (2 ** i) - 1));
    }
    pow <== acc[nb];
    component zero = IsZero();
    zero.in <== s;
    half <-- (pow - zero.out) \ 2;
    2 * half === pow - zero.out;
}
