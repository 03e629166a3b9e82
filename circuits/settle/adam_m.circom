pragma circom 2.1.0;
include "../kernels/adam_m.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 17 adam_m, any attributes [b1Num, b1Shift, lo, hi].
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then m, g and the attributes b1Num, b1Shift, lo, hi (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input m;
    signal input g;
    signal input b1Num;
    signal input b1Shift;
    signal input lo;
    signal input hi;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = AdamM();
    k.m <== m;
    k.g <== g;
    k.b1Num <== b1Num;
    k.b1Shift <== b1Shift;
    k.lo <== lo;
    k.hi <== hi;
    out === k.out;
}

component main {public [ctx, out, m, g, b1Num, b1Shift, lo, hi]} = Settle();
