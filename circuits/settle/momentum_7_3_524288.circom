pragma circom 2.1.0;
include "../kernels/momentum.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 8 momentum{muNum 7, muShift 3, lo -524288, hi 524288}
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the operands (signed values as field elements: x < 0 is p + x).
// Every operand is range-checked to 54 signed bits: any value of an accepted spec (|v| < 2^53) is provable.
template Settle() {
    signal input ctx;
    signal input out;
    signal input v;
    signal input g;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = Momentum(54, 54, 7, 3, -524288, 524288);
    k.v <== v;
    k.g <== g;
    out === k.out;
}

component main {public [ctx, out, v, g]} = Settle();
