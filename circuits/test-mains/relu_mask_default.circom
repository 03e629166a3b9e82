pragma circom 2.1.0;
include "../kernels/relu_mask.circom";
// Default spec: back-propagated gh (|gh| <= 10 * 1024 * 1024 < 2^24), p in +-127.
component main = ReluMask(25, 8);
