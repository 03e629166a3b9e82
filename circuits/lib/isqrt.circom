pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// out = floor(sqrt(in)) for in in [0, 2^bits) (constrained here: no witness for a negative in).
// Witness r; constraints r in [0, 2^ceil(bits/2)), in - r^2 >= 0 and (r + 1)^2 - 1 - in >= 0, both below
// 2^(bits+1): r^2 <= in < (r + 1)^2 has exactly one non-negative solution.
// Cost: bits + ceil(bits/2) + 2 (bits + 1) + 1 constraints.
template Isqrt(bits) {
    assert(bits >= 2 && bits <= 200);
    signal input in;
    signal output out;

    component inBits = Num2Bits(bits);
    inBits.in <== in;
    var rb = (bits + 1) \ 2;
    signal r;
    // Newton's method from above on the integer value (in < 2^bits is a plain integer here).
    var x = in;
    var y = (x + 1) \ 2;
    while (y < x) {
        x = y;
        y = (x + in \ x) \ 2;
    }
    r <-- x;
    component rBits = Num2Bits(rb);
    rBits.in <== r;
    signal sq <== r * r;
    component below = Num2Bits(bits + 1);
    below.in <== in - sq;
    component above = Num2Bits(bits + 1);
    above.in <== sq + 2 * r - in;
    out <== r;
}
