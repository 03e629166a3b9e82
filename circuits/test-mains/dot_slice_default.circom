pragma circom 2.1.0;
include "../kernels/dot_slice.circom";
// Default spec: 16 terms of the first layer's matmul (activations/inputs 8-bit, weights +-1024, bound < 2^24).
component main = DotSlice(16, 8, 12, 25);
