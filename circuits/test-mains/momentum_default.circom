pragma circom 2.1.0;
include "../kernels/momentum.circom";
// mu = 7/8 (momentumNum 7, momentumShift 3), velocities +-velocityMax = 2^19, weight gradients < 2^23.
component main = Momentum(21, 24, 7, 3, -524288, 524288);
