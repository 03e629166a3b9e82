pragma circom 2.1.0;

// Compile-time helpers (functions over template parameters; no constraints).

// Number of bits of a non-negative integer x: the least n with x < 2^n (0 for x = 0).
function vtBitLen(x) {
    var n = 0;
    while (2 ** n <= x) {
        n++;
    }
    return n;
}

function vtMax(a, b) {
    return a >= b ? a : b;
}
