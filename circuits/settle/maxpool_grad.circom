pragma circom 2.1.0;
include "../kernels/maxpool_grad.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 14 maxpool_grad, any geometry with size <= 5: out = g if pos is the first argmax of the pool input's window, else 0.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then g, the window of the pool input x packed like maxpool's (7 words), the attribute size, and pos = the element's position in its window (ModelOps.elementFact) (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input g;
    signal input packed[7];
    signal input size;
    signal input pos;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = MaxpoolGrad(5, 54, 4);
    k.g <== g;
    k.size <== size;
    k.pos <== pos;
    for (var w = 0; w < 7; w++) k.packed[w] <== packed[w];
    out === k.out;
}

component main {public [ctx, out, g, packed, size, pos]} = Settle();
