pragma circom 2.1.0;
include "../kernels/mse_grad.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 6 mse_grad{one 4096}, 10 classes (j = element % classes is the last public input)
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the operands (signed values as field elements: x < 0 is p + x).
// Every operand is range-checked to 54 signed bits: any value of an accepted spec (|v| < 2^53) is provable.
template Settle() {
    signal input ctx;
    signal input out;
    signal input z;
    signal input label;
    signal input j;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = MseGrad(54, 4096, 10);
    k.z <== z;
    k.label <== label;
    k.j <== j;
    out === k.out;
}

component main {public [ctx, out, z, label, j]} = Settle();
