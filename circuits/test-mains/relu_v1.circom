pragma circom 2.1.0;
include "../kernels/relu.circom";
// ops.v1.json case (values up to 255).
component main = Relu(9);
