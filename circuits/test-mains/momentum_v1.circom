pragma circom 2.1.0;
include "../kernels/momentum.circom";
// ops.v1.json case: mu = 7/8, clamp +-100.
component main = Momentum(10, 10, 7, 3, -100, 100);
