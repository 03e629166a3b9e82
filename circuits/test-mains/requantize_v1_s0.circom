pragma circom 2.1.0;
include "../kernels/requantize.circom";
// ops.v1.json case (input quantization): shift 0, clamp [0, 15].
component main = Requantize(12, 0, 0, 15);
