pragma circom 2.1.0;
include "../kernels/adam_v.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 18 adam_v, any attributes [b2Num, b2Shift, gShift, lo, hi].
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then v, g and the attributes b2Num, b2Shift, gShift, lo, hi (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input v;
    signal input g;
    signal input b2Num;
    signal input b2Shift;
    signal input gShift;
    signal input lo;
    signal input hi;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = AdamV();
    k.v <== v;
    k.g <== g;
    k.b2Num <== b2Num;
    k.b2Shift <== b2Shift;
    k.gShift <== gShift;
    k.lo <== lo;
    k.hi <== hi;
    out === k.out;
}

component main {public [ctx, out, v, g, b2Num, b2Shift, gShift, lo, hi]} = Settle();
