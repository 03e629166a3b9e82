pragma circom 2.1.0;
include "../kernels/requantize.circom";
// ops.v1.json case: shift 4, clamp [-8, 7].
component main = Requantize(12, 4, -8, 7);
