pragma circom 2.1.0;
include "../kernels/dot_slice.circom";
include "./hashed_context.circom";

// Prototype (not deployed): circuits/settle/dot_slice_mm8.circom with ONE public input, h = the hash of
// (ctx, out, accIn, a[0..7], b[0..7]) recomputed here (hashed_context.circom: 157 bytes, 3 SHA-256 blocks).
template Settle() {
    signal input h;
    signal input ctx;
    signal input out;
    signal input accIn;
    signal input a[8];
    signal input b[8];
    component k = DotSlice(8, 54, 54, 54);
    k.accIn <== accIn;
    for (var t = 0; t < 8; t++) {
        k.a[t] <== a[t];
        k.b[t] <== b[t];
    }
    out === k.accOut;
    component hc = HashedContext(18);
    hc.ctx <== ctx;
    hc.values[0] <== out;
    hc.values[1] <== accIn;
    for (var t = 0; t < 8; t++) {
        hc.values[2 + t] <== a[t];
        hc.values[10 + t] <== b[t];
    }
    h === hc.h;
}

component main {public [h]} = Settle();
