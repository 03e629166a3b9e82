pragma circom 2.1.0;
include "../kernels/sgd_update.circom";
// ops.v1.json case: lrNum 5, lrShift 10, clamp +-1000.
component main = SgdUpdate(11, 11, 5, 10, -1000, 1000);
