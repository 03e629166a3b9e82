pragma circom 2.1.0;

include "../lib/signed_range.circom";

// A slice of one matmul / col_sum accumulation: accOut = accIn + sum_{t<n} a[t] * b[t].
// a[t] signed bitsA-wide, b[t] signed bitsB-wide, accIn and accOut signed bitsAcc-wide (the op's
// exactness bound: a partial sum outside it is rejected). col_sum is the case b[t] = 1.
// Cost: n (products) + n * (bitsA + bitsB) + 2 * bitsAcc.
template DotSlice(n, bitsA, bitsB, bitsAcc) {
    assert(n >= 1);
    assert(bitsA + bitsB + n <= 250); // no partial sum can wrap the field
    signal input accIn;
    signal input a[n];
    signal input b[n];
    signal output accOut;

    component accInRange = SignedRange(bitsAcc);
    accInRange.in <== accIn;
    component aRange[n];
    component bRange[n];
    signal prod[n];
    var sum = accIn;
    for (var t = 0; t < n; t++) {
        aRange[t] = SignedRange(bitsA);
        aRange[t].in <== a[t];
        bRange[t] = SignedRange(bitsB);
        bRange[t].in <== b[t];
        prod[t] <== a[t] * b[t];
        sum += prod[t];
    }
    accOut <== sum;
    component accOutRange = SignedRange(bitsAcc);
    accOutRange.in <== accOut;
}
