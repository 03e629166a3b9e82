pragma circom 2.1.0;

include "../lib/signed_range.circom";
include "../lib/round_shift.circom";
include "../lib/clamp.circom";
include "../lib/util.circom";

// Op 9, one element: out = clamp(w - roundShift(g * lrNum, lrShift), lo, hi); w signed bitsW-wide,
// g signed bitsG-wide, lrNum >= 0.
template SgdUpdate(bitsW, bitsG, lrNum, lrShift, lo, hi) {
    assert(lrNum >= 0);
    signal input w;
    signal input g;
    signal output out;

    component wRange = SignedRange(bitsW);
    wRange.in <== w;
    component gRange = SignedRange(bitsG);
    gRange.in <== g;

    var pBits = bitsG + vtBitLen(lrNum); // |g * lrNum| < 2^(bitsG - 1 + vtBitLen(lrNum))
    component rs = RoundShift(pBits, lrShift);
    rs.in <== g * lrNum;
    var qBits = lrShift == 0 ? pBits : vtMax(pBits, lrShift) - lrShift + 1;
    var sBits = vtMax(qBits, bitsW) + 1;
    component c = Clamp(sBits, lo, hi);
    c.in <== w - rs.out;
    out <== c.out;
}
