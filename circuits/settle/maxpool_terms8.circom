pragma circom 2.1.0;
include "../kernels/pool_terms.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 13 maxpool, a term
// slice of at most 8 window values (DisputeGame.TERM_SLICE) of the element's fold over its window (K = size^2,
// any pool size): out = the running max after the slice, from accIn.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out, accIn, the
// slice's window values packed 4 per word (2 words, 54-bit signed, offset 2^53), termLo, termHi (signed values
// as field elements: x < 0 is p + x). GENERIC: one circuit for every instantiation (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input accIn;
    signal input packed[2];
    signal input lo;
    signal input hi;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = PoolTerms(0);
    k.accIn <== accIn;
    for (var w = 0; w < 2; w++) k.packed[w] <== packed[w];
    k.lo <== lo;
    k.hi <== hi;
    k.g <== 0;
    k.pos <== 0;
    k.cells <== 0;
    out === k.out;
}

component main {public [ctx, out, accIn, packed, lo, hi]} = Settle();
