pragma circom 2.1.0;

include "./dot_slice.circom";

// The settlement form of a dot slice: the n term pairs (a[t], b[t]) are private, bound to the public
// inputs through `packed`, so that a slice costs a few public inputs instead of 2n (each public input is
// about 6.6k gas on chain). Every value is a signed `bits`-wide integer (DotSlice range-checks each one),
// stored offset by 2^(bits-1) in a `bits`-bit field of a packed word, `per` fields per word, values in
// order a[0..n-1] then (withB) b[0..n-1]. per * bits <= 252 keeps a word below the field modulus, so the
// packing is injective and equal words mean equal values. Groth16KernelVerifier packs the opened values
// the same way (_packTerms).
template DotSlicePacked(n, bits, withB, per) {
    assert(per * bits <= 252);
    var count = withB == 1 ? 2 * n : n;
    var words = (count + per - 1) \ per;
    signal input accIn;
    signal input a[n];
    signal input b[n];
    signal input packed[words];
    signal output accOut;

    component k = DotSlice(n, bits, bits, bits);
    k.accIn <== accIn;
    for (var t = 0; t < n; t++) {
        k.a[t] <== a[t];
        // col_sum: every b is 1 (the witness's b is ignored).
        k.b[t] <== withB == 1 ? b[t] : 1;
    }
    accOut <== k.accOut;

    var acc[words];
    for (var w = 0; w < words; w++) acc[w] = 0;
    for (var i = 0; i < count; i++) {
        var v = i < n ? a[i] : b[i - n];
        acc[i \ per] += (v + 2 ** (bits - 1)) * 2 ** (bits * (i % per));
    }
    for (var w = 0; w < words; w++) packed[w] === acc[w];
}
