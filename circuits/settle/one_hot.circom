pragma circom 2.1.0;
include "../kernels/one_hot.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 15 one_hot, any n.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then x (the index at row e / n) and j = e % n (ModelOps.elementFact) (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input x;
    signal input j;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = OneHot();
    k.x <== x;
    k.j <== j;
    out === k.out;
}

component main {public [ctx, out, x, j]} = Settle();
