pragma circom 2.1.0;

include "../lib/signed_range.circom";
include "../lib/round_shift.circom";
include "../lib/clamp.circom";
include "../lib/util.circom";

// Op 8, one element: out = clamp(roundShift(v * muNum, muShift) + g, lo, hi); v signed bitsV-wide,
// g signed bitsG-wide, muNum >= 0.
template Momentum(bitsV, bitsG, muNum, muShift, lo, hi) {
    assert(muNum >= 0);
    signal input v;
    signal input g;
    signal output out;

    component vRange = SignedRange(bitsV);
    vRange.in <== v;
    component gRange = SignedRange(bitsG);
    gRange.in <== g;

    var pBits = bitsV + vtBitLen(muNum); // |v * muNum| < 2^(bitsV - 1 + vtBitLen(muNum))
    component rs = RoundShift(pBits, muShift);
    rs.in <== v * muNum;
    var qBits = muShift == 0 ? pBits : vtMax(pBits, muShift) - muShift + 1;
    var sBits = vtMax(qBits, bitsG) + 1;
    component c = Clamp(sBits, lo, hi);
    c.in <== rs.out + g;
    out <== c.out;
}
