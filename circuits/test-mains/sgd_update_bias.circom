pragma circom 2.1.0;
include "../kernels/sgd_update.circom";
// Default spec, biases: gradients col_sum of 64 deltas (+-2^16), biasLrShift 1.
component main = SgdUpdate(20, 18, 1, 1, -262144, 262144);
