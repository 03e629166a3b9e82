pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../lib/unpack.circom";
include "./window_max.circom";

// Op 14, one element (engine/ops/maxpoolGrad.ts), generic over the pool size: out = g if the element's
// position pos in its window ((y % size) * size + x % size, from ModelOps.elementFact on chain) is the
// FIRST position, in (ky, kx) order, holding the maximum of the window's pool input x; else 0. x is packed
// like Maxpool's window. pos in [0, size^2) (no witness otherwise).
template MaxpoolGrad(maxSize, bits, per) {
    var maxN = maxSize * maxSize;
    var words = (maxN + per - 1) \ per;
    signal input g;
    signal input size;
    signal input pos;
    signal input packed[words];
    signal output out;

    component sizeBits = Num2Bits(8);
    sizeBits.in <== size;
    component x = Unpack(maxN, bits, per);
    for (var w = 0; w < words; w++) x.packed[w] <== packed[w];
    component wm = WindowMax(maxN, bits);
    wm.count <== size * size;
    for (var t = 0; t < maxN; t++) wm.x[t] <== x.out[t];

    // isMax[t]: active t holding the max; first[t]: the first of them (seen[t] = some earlier one did).
    component eq[maxN];
    component at[maxN];
    signal isMax[maxN];
    signal seen[maxN + 1];
    signal first[maxN];
    signal hit[maxN];
    seen[0] <== 0;
    var posSum = 0;
    var hitSum = 0;
    var posActive = 0;
    for (var t = 0; t < maxN; t++) {
        eq[t] = IsEqual();
        eq[t].in[0] <== x.out[t];
        eq[t].in[1] <== wm.max;
        isMax[t] <== eq[t].out * wm.active[t];
        seen[t + 1] <== seen[t] + isMax[t] - seen[t] * isMax[t];
        first[t] <== isMax[t] * (1 - seen[t]);
        at[t] = IsEqual();
        at[t].in[0] <== pos;
        at[t].in[1] <== t;
        posSum += at[t].out;
        hit[t] <== first[t] * at[t].out;
        hitSum += hit[t];
    }
    // pos is one of the window's positions 0 .. maxN - 1 ...
    posSum === 1;
    // ... and inside the active window: pos < size^2.
    component inside = LessThan(8);
    inside.in[0] <== pos;
    inside.in[1] <== size * size;
    inside.out === 1;
    out <== hitSum * g;
}
