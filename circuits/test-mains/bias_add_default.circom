pragma circom 2.1.0;
include "../kernels/bias_add.circom";
// Default spec: z (|z| < 2^24) + forward bias (+-2^14).
component main = BiasAdd(25, 16);
