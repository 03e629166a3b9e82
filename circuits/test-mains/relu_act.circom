pragma circom 2.1.0;
include "../kernels/relu.circom";
// Default spec: hidden activation p in +-127.
component main = Relu(8);
