pragma circom 2.1.0;
include "../kernels/pool_terms.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 14 maxpool_grad, a
// term slice of at most 8 terms (DisputeGame.TERM_SLICE) of the element's fold over its window (K = size^2 + 1,
// any pool size): the running (max, first argmax) as A * 2^64 + M, and at the last term g if the element's
// position is the window's first argmax, else 0.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out, accIn, the
// slice's window values packed 4 per word (2 words, 54-bit signed, offset 2^53), termLo, termHi, g (the
// pooled gradient; 0 when the slice does not reach the last term), pos (ModelOps.elementFact), cells = size^2
// (signed values as field elements: x < 0 is p + x). GENERIC: one circuit for every instantiation.
template Settle() {
    signal input ctx;
    signal input out;
    signal input accIn;
    signal input packed[2];
    signal input lo;
    signal input hi;
    signal input g;
    signal input pos;
    signal input cells;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = PoolTerms(1);
    k.accIn <== accIn;
    for (var w = 0; w < 2; w++) k.packed[w] <== packed[w];
    k.lo <== lo;
    k.hi <== hi;
    k.g <== g;
    k.pos <== pos;
    k.cells <== cells;
    out === k.out;
}

component main {public [ctx, out, accIn, packed, lo, hi, g, pos, cells]} = Settle();
