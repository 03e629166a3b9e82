pragma circom 2.1.0;

include "../lib/unpack.circom";

// Op 12, one element (engine/ops/col2im.ts): out = the sum of every column entry im2col copied from the
// image element (at most maxN of them; none: 0). The entries are packed in public words (Unpack, zero
// padding past their count: a zero adds nothing, so the count itself need not be public).
template Col2im(maxN, bits, per) {
    var words = (maxN + per - 1) \ per;
    signal input packed[words];
    signal output out;

    component x = Unpack(maxN, bits, per);
    for (var w = 0; w < words; w++) x.packed[w] <== packed[w];
    var s = 0;
    for (var t = 0; t < maxN; t++) s += x.out[t];
    out <== s;
}
