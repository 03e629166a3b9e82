pragma circom 2.1.0;

include "signed_range.circom";

// The n signed bits-wide values packed in public words (the form of DotSlicePacked and
// Groth16KernelVerifier's packing): value i as v + 2^(bits-1) in bits [bits * (i % per), +bits) of word
// i / per; a word's unused fields are 0. Each value is range-checked (SignedRange) and the words must equal
// the packing of the values: per * bits <= 252 keeps a word below the field modulus, so the packing is
// injective and the values are the words' only decomposition.
// Cost: n * bits constraints.
template Unpack(n, bits, per) {
    assert(per * bits <= 252 && n >= 1);
    var words = (n + per - 1) \ per;
    signal input packed[words];
    signal output out[n];

    var off = 2 ** (bits - 1);
    component range[n];
    var acc[words];
    for (var w = 0; w < words; w++) acc[w] = 0;
    for (var i = 0; i < n; i++) {
        out[i] <-- ((packed[i \ per] >> (bits * (i % per))) & (2 ** bits - 1)) - off;
        range[i] = SignedRange(bits);
        range[i].in <== out[i];
        acc[i \ per] += (out[i] + off) * 2 ** (bits * (i % per));
    }
    for (var w = 0; w < words; w++) packed[w] === acc[w];
}
