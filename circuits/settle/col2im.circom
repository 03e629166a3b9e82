pragma circom 2.1.0;
include "../kernels/col2im.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 12 col2im, any geometry with at most 64 taps per image element (ceil(k / stride) <= 8): out = the sum of the column entries im2col copied from the element.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the entries packed 4 per word in 16 words (54-bit fields, v + 2^53, ascending index, zero padding) (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input packed[16];
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    component k = Col2im(64, 54, 4);
    for (var w = 0; w < 16; w++) k.packed[w] <== packed[w];
    out === k.out;
}

component main {public [ctx, out, packed]} = Settle();
