pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../lib/unpack.circom";
include "../lib/pow2.circom";
include "../lib/round_shift_var.circom";
include "./window_max.circom";
include "./exp_lookup.circom";

// Op 16, one element (engine/ops/softmaxCeGrad.ts), generic over fracBits and one, for rows of at most maxN
// logits: M = the row max, idx_k = expIndex(M - z_k, fracBits), e_k = EXP_TABLE[min(idx_k, 3017)], S = sum e_k,
// q = floor((2 e_j one + S) / (2 S)), out = q - (j == label ? one : 0). The row z is packed like a maxpool
// window (the first `count` = n of maxN values), j = e % n (ModelOps.elementFact).
// NOT a settle circuit (tested in test/circuits/modelOps.test.ts only): about 610 constraints per logit (the
// lookup ~270, expIndex's variable rounding ~150, the max ~60, the unpacking 54). Measured: 2,652 constraints
// for maxN = 4, 155,868 for maxN = 256 (the largest vocabulary: a 2^18 ceremony); a 2^16 ceremony holds rows
// of at most ~107 logits, the 2^12 one of the settle circuits ~6.
template SoftmaxCeGrad(maxN) {
    var words = (maxN + 3) \ 4;
    signal input count;
    signal input packed[words];
    signal input label;
    signal input j;
    signal input fracBits;
    signal input one;
    signal output out;

    component z = Unpack(maxN, 54, 4);
    for (var w = 0; w < words; w++) z.packed[w] <== packed[w];
    component wm = WindowMax(maxN, 54);
    wm.count <== count;
    for (var t = 0; t < maxN; t++) wm.x[t] <== z.out[t];

    // expIndex: fracBits >= 8: roundShift(d, fracBits - 8); else d * 2^(8 - fracBits). a = |fracBits - 8|.
    component fb = Num2Bits(6);
    fb.in <== fracBits;
    component fbMax = LessThan(6);
    fbMax.in[0] <== fracBits;
    fbMax.in[1] <== 53;
    fbMax.out === 1;
    component isNeg = LessThan(6);
    isNeg.in[0] <== fracBits;
    isNeg.in[1] <== 8;
    signal neg <== isNeg.out;
    component pa = Pow2(44);
    pa.s <== (fracBits - 8) * (1 - 2 * neg);
    signal mulM1 <== neg * (pa.pow - 1);
    signal div <== pa.pow - mulM1;
    signal half <== (1 - neg) * pa.half;

    component oneBits = Num2Bits(63);
    oneBits.in <== one - 1;

    signal d[maxN];
    component rs[maxN];
    component inTable[maxN];
    signal cidx[maxN];
    component lookup[maxN];
    signal eIn[maxN];
    signal e[maxN];
    component jHot[maxN];
    signal ejPart[maxN];
    signal jActive[maxN];
    var S = 0;
    var ej = 0;
    var jIn = 0;
    for (var t = 0; t < maxN; t++) {
        d[t] <== (wm.max - z.out[t]) * wm.active[t];
        rs[t] = RoundShiftVar(63, 44);
        rs[t].in <== d[t] * (1 + mulM1);
        rs[t].pow <== div;
        rs[t].half <== half;
        // idx >= 0 (d >= 0); below 3018 it reads the table, else 0 (the table's last entry, and every larger index).
        inTable[t] = LessThan(64);
        inTable[t].in[0] <== rs[t].out;
        inTable[t].in[1] <== 3018;
        cidx[t] <== inTable[t].out * rs[t].out;
        lookup[t] = ExpLookup();
        lookup[t].idx <== cidx[t];
        eIn[t] <== inTable[t].out * lookup[t].out;
        e[t] <== eIn[t] * wm.active[t];
        S += e[t];
        jHot[t] = IsEqual();
        jHot[t].in[0] <== j;
        jHot[t].in[1] <== t;
        ejPart[t] <== jHot[t].out * e[t];
        ej += ejPart[t];
        jActive[t] <== jHot[t].out * wm.active[t];
        jIn += jActive[t];
    }
    // j is one of the row's n columns.
    jIn === 1;

    signal sum <== S;
    signal num <== 2 * ej * one + sum;
    signal q;
    signal r;
    q <-- num \ (2 * sum);
    r <-- num % (2 * sum);
    num === q * 2 * sum + r;
    component rBits = Num2Bits(26);
    rBits.in <== r;
    component gapBits = Num2Bits(26);
    gapBits.in <== 2 * sum - 1 - r;
    component qBits = Num2Bits(64);
    qBits.in <== q;
    component isLabel = IsEqual();
    isLabel.in[0] <== label;
    isLabel.in[1] <== j;
    out <== q - isLabel.out * one;
}
