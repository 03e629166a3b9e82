pragma circom 2.1.0;

// Toolchain smoke test: proves knowledge of a and b with a * b = c.
template Multiply() {
    signal input a;
    signal input b;
    signal output c;
    c <== a * b;
}

component main = Multiply();
