pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "../lib/unpack.circom";
include "./window_max.circom";

// Op 13, one element (engine/ops/maxpool.ts), generic over the pool size: out = max of the element's
// size x size window, its values packed in public words (Unpack(maxSize^2, bits, per), (ky, kx) order,
// zero padding past size^2). size in [1, maxSize].
template Maxpool(maxSize, bits, per) {
    var maxN = maxSize * maxSize;
    var words = (maxN + per - 1) \ per;
    signal input size;
    signal input packed[words];
    signal output out;

    component sizeBits = Num2Bits(8);
    sizeBits.in <== size;
    component x = Unpack(maxN, bits, per);
    for (var w = 0; w < words; w++) x.packed[w] <== packed[w];
    // size^2 in [1, maxN] (WindowMax's count check) and size in [0, 256) bound size to [1, maxSize].
    component wm = WindowMax(maxN, bits);
    wm.count <== size * size;
    for (var t = 0; t < maxN; t++) wm.x[t] <== x.out[t];
    out <== wm.max;
}
