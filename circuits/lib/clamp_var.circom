pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";

// out = in < lo ? lo : (in > hi ? hi : in), the engine's clamp (engine/int.ts) with the bounds signals (the
// generic circuits take them as public inputs). Exactly the engine's expression for any lo, hi, so no
// lo <= hi precondition. PRECONDITION (the caller's): in, lo and hi in [-2^(bits-1), 2^(bits-1)), by range
// checks or by construction; LessThan(bits) then sees the shifted values in [0, 2^bits) it requires.
// Cost: 2 (bits + 1) + 3 constraints.
template ClampVar(bits) {
    assert(bits >= 2 && bits <= 252);
    var off = 2 ** (bits - 1);
    signal input in;
    signal input lo;
    signal input hi;
    signal output out;

    component ltLo = LessThan(bits);
    ltLo.in[0] <== in + off;
    ltLo.in[1] <== lo + off;
    component gtHi = LessThan(bits);
    gtHi.in[0] <== hi + off;
    gtHi.in[1] <== in + off;
    signal below <== ltLo.out;
    signal aboveOnly <== (1 - below) * gtHi.out;
    signal tLo <== below * (lo - in);
    signal tHi <== aboveOnly * (hi - in);
    out <== in + tLo + tHi;
}
