pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// The first `count` of the maxN values x (the window of a maxpool element; the rest is padding, ignored):
// active[t] = (t < count), and max = the largest active value. count in [1, maxN] (no witness otherwise).
// x: signed bits-wide values (the caller's range check).
// max: a witness with a one-hot selector over the active positions (max is one of them) and
// max - x[t] in [0, 2^bits) for every active t (it is at least each of them).
// Cost: per position 2 (count one-hot) + 3 (selector) + 1 + bits (the bound).
template WindowMax(maxN, bits) {
    assert(maxN >= 1 && bits >= 2 && bits <= 250);
    signal input count;
    signal input x[maxN];
    signal output active[maxN];
    signal output max;

    // hot[c - 1] = (count == c); exactly one: count in [1, maxN]. active[t] = sum of hot[c - 1] for c > t.
    component hot[maxN];
    var hotSum = 0;
    for (var c = 1; c <= maxN; c++) {
        hot[c - 1] = IsEqual();
        hot[c - 1].in[0] <== count;
        hot[c - 1].in[1] <== c;
        hotSum += hot[c - 1].out;
    }
    hotSum === 1;
    for (var t = 0; t < maxN; t++) {
        var a = 0;
        for (var c = t + 1; c <= maxN; c++) a += hot[c - 1].out;
        active[t] <== a;
    }

    // The witness: the first largest active value.
    var best = 0;
    var bestAt = 0;
    var off = 2 ** (bits - 1);
    for (var t = 0; t < maxN; t++) {
        if (t < count) {
            if (t == 0 || x[t] + off > best) {
                best = x[t] + off;
                bestAt = t;
            }
        }
    }
    signal sel[maxN];
    signal picked[maxN];
    var selSum = 0;
    var value = 0;
    for (var t = 0; t < maxN; t++) {
        sel[t] <-- t == bestAt ? 1 : 0;
        sel[t] * (sel[t] - 1) === 0;
        sel[t] * (1 - active[t]) === 0;
        picked[t] <== sel[t] * x[t];
        selSum += sel[t];
        value += picked[t];
    }
    selSum === 1;
    max <== value;

    signal gap[maxN];
    component gapBits[maxN];
    for (var t = 0; t < maxN; t++) {
        gap[t] <== (max - x[t]) * active[t];
        gapBits[t] = Num2Bits(bits);
        gapBits[t].in <== gap[t];
    }
}
