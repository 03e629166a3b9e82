pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";

// out = min(max(in, lo), hi) for compile-time lo <= hi.
// PRECONDITION (the caller's): in in [-2^(bits-1), 2^(bits-1)), by a range check or by construction
// from range-checked values. Comparisons run on the shifted non-negative values in + 2^(bits-1),
// lo + 2^(bits-1), hi + 2^(bits-1), all in [0, 2^bits), as circomlib's LessThan(bits) requires.
// A bound that cannot bind for a bits-wide input (lo <= -2^(bits-1), hi >= 2^(bits-1) - 1) costs nothing.
// Cost: (bits + 1) + 1 per binding bound.
template Clamp(bits, lo, hi) {
    assert(bits >= 1 && bits <= 252);
    assert(lo <= hi);
    var off = 2 ** (bits - 1);
    signal input in;
    signal output out;

    signal below; // in < lo
    signal above; // in > hi
    signal tLo;
    signal tHi;
    if (lo > -off) {
        assert(lo <= off - 1);
        component ltLo = LessThan(bits);
        ltLo.in[0] <== in + off;
        ltLo.in[1] <== lo + off;
        below <== ltLo.out;
        tLo <== below * (lo - in);
    } else {
        below <== 0;
        tLo <== 0;
    }
    if (hi < off - 1) {
        assert(hi >= -off);
        component gtHi = LessThan(bits);
        gtHi.in[0] <== hi + off;
        gtHi.in[1] <== in + off;
        above <== gtHi.out;
        tHi <== above * (hi - in);
    } else {
        above <== 0;
        tHi <== 0;
    }
    // lo <= hi: below and above are never both 1.
    out <== in + tLo + tHi;
}
