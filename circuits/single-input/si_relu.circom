pragma circom 2.1.0;
include "../kernels/relu.circom";
include "./hashed_context.circom";

// Prototype (not deployed): circuits/settle/relu.circom with ONE public input, h = the hash of (ctx, out, x)
// recomputed here (hashed_context.circom: 45 bytes, 1 SHA-256 block).
template Settle() {
    signal input h;
    signal input ctx;
    signal input out;
    signal input x;
    component k = Relu(54);
    k.x <== x;
    out === k.out;
    component hc = HashedContext(2);
    hc.ctx <== ctx;
    hc.values[0] <== out;
    hc.values[1] <== x;
    h === hc.h;
}

component main {public [h]} = Settle();
