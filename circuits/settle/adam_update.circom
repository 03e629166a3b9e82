pragma circom 2.1.0;
include "../kernels/adam_update.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 19 adam_update, any attributes [lrNum, lrShift, eps, lo, hi].
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then w, m, v and the attributes lrNum, lrShift, eps, lo, hi (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input w;
    signal input m;
    signal input v;
    signal input lrNum;
    signal input lrShift;
    signal input eps;
    signal input lo;
    signal input hi;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = AdamUpdate();
    k.w <== w;
    k.m <== m;
    k.v <== v;
    k.lrNum <== lrNum;
    k.lrShift <== lrShift;
    k.eps <== eps;
    k.lo <== lo;
    k.hi <== hi;
    out === k.out;
}

component main {public [ctx, out, w, m, v, lrNum, lrShift, eps, lo, hi]} = Settle();
