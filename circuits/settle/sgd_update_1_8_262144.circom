pragma circom 2.1.0;
include "../kernels/sgd_update.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 9 sgd_update{lrNum 1, lrShift 8, lo -262144, hi 262144}
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the operands (signed values as field elements: x < 0 is p + x).
// Every operand is range-checked to 54 signed bits: any value of an accepted spec (|v| < 2^53) is provable.
template Settle() {
    signal input ctx;
    signal input out;
    signal input w;
    signal input g;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = SgdUpdate(54, 54, 1, 8, -262144, 262144);
    k.w <== w;
    k.g <== g;
    out === k.out;
}

component main {public [ctx, out, w, g]} = Settle();
