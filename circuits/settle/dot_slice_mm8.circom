pragma circom 2.1.0;
include "../kernels/dot_slice_packed.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 1 matmul, a term
// slice of at most 8 terms (DisputeGame.TERM_SLICE; a shorter slice pads with zero terms) of the disputed
// element's accumulation: out = accIn + sum_t a[t] * b[t].
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p; Context holds the
// slice and K), out (the claimed partial sum at termHi), accIn (the agreed one at termLo), then the 4
// packed words of the opened values (4 signed 54-bit values per word, offset by 2^53). Every value, accIn
// and out are range-checked to 54 signed bits: any value of an accepted spec (|v| < 2^53) is provable.
template Settle() {
    signal input ctx;
    signal input out;
    signal input accIn;
    signal input packed[4];
    signal input a[8];
    signal input b[8];
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = DotSlicePacked(8, 54, 1, 4);
    k.accIn <== accIn;
    for (var t = 0; t < 8; t++) {
        k.a[t] <== a[t];
        k.b[t] <== b[t];
    }
    for (var w = 0; w < 4; w++) k.packed[w] <== packed[w];
    out === k.accOut;
}

component main {public [ctx, out, accIn, packed]} = Settle();
