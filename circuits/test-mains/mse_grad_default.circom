pragma circom 2.1.0;
include "../kernels/mse_grad.circom";
// Default spec: logits zb (< 2^25), targetOne 4096, 10 classes (also serves the ops.v1.json case).
component main = MseGrad(26, 4096, 10);
