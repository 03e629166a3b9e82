pragma circom 2.1.0;
include "../kernels/requantize.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 3 requantize{shift 12, lo -127, hi 127}
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the operands (signed values as field elements: x < 0 is p + x).
// Every operand is range-checked to 54 signed bits: any value of an accepted spec (|v| < 2^53) is provable.
template Settle() {
    signal input ctx;
    signal input out;
    signal input x;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = Requantize(54, 12, -127, 127);
    k.x <== x;
    out === k.out;
}

component main {public [ctx, out, x]} = Settle();
