pragma circom 2.1.0;
include "../lib/exp_table.circom";

include "circomlib/circuits/comparators.circom";

// out = EXP_TABLE[idx] (engine/expTable.ts: round(2^16 exp(-i / 256)), i = 0 .. 3017) for idx in [0, 3072),
// entries past 3017 read 0 (no witness for a larger idx). A two-level lookup: idx = 64 hi + lo with one-hot
// selectors over hi (48) and lo (64); each row's value sum_l T[64 hi + l] [lo == l] is linear in the lo
// selector, so a lookup costs 2 * 64 + 2 * 48 + 48 constraints instead of 2 per table entry.
template ExpLookup() {
    signal input idx;
    signal output out;

    var T[3072] = vtExpTable();
    signal hi;
    signal lo;
    hi <-- idx \ 64;
    lo <-- idx % 64;
    idx === 64 * hi + lo;
    component loHot[64];
    var loSum = 0;
    for (var l = 0; l < 64; l++) {
        loHot[l] = IsEqual();
        loHot[l].in[0] <== lo;
        loHot[l].in[1] <== l;
        loSum += loHot[l].out;
    }
    loSum === 1;
    component hiHot[48];
    signal row[48];
    var hiSum = 0;
    var acc = 0;
    for (var h = 0; h < 48; h++) {
        hiHot[h] = IsEqual();
        hiHot[h].in[0] <== hi;
        hiHot[h].in[1] <== h;
        hiSum += hiHot[h].out;
        var v = 0;
        for (var l = 0; l < 64; l++) v += T[64 * h + l] * loHot[l].out;
        row[h] <== hiHot[h].out * v;
        acc += row[h];
    }
    hiSum === 1;
    out <== acc;
}
