pragma circom 2.1.0;
include "../kernels/maxpool.circom";

// Settlement circuit (scripts/zk-setup.ts, contracts/kernel/Groth16KernelVerifier.sol): op 13 maxpool, any geometry with size <= 5: out = the max of the element's size x size window.
// Public inputs, in order: ctx (the dispute binding, keccak256(abi.encode(Context)) mod p), out (the
// claimed output), then the window's values packed 4 per word in 7 words (25 slots, 54-bit fields, v + 2^53, (ky, kx) order, zero padding past size^2), then the attribute size (signed values as field elements: x < 0 is p + x).
// GENERIC: one circuit for every instantiation of the op (registered with attrs []).
template Settle() {
    signal input ctx;
    signal input out;
    signal input packed[7];
    signal input size;
    // ctx takes no part in the kernel: a dummy square keeps it a constrained public input.
    signal ctxSquared;
    ctxSquared <== ctx * ctx;
    // size <= 5 keeps the circuit inside the 2^12 ceremony (size 8: 7,304 constraints, 2^13, whose local
    // powers of tau take 4x as long to make).
    component k = Maxpool(5, 54, 4);
    k.size <== size;
    for (var w = 0; w < 7; w++) k.packed[w] <== packed[w];
    out === k.out;
}

component main {public [ctx, out, packed, size]} = Settle();
