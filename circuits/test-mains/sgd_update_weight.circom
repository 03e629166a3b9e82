pragma circom 2.1.0;
include "../kernels/sgd_update.circom";
// Default spec, weights: master +-2^18, gradients < 2^23, lrNum 1, lrShift 5, clamp +-2^18.
component main = SgdUpdate(20, 24, 1, 5, -262144, 262144);
