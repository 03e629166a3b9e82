pragma circom 2.1.0;

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 10 reshape, any shape: out = x, the element at the same flat index.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then x (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input x;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    out === x;
}

component main {public [ctx, out, x]} = Settle();
