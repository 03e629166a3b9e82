pragma circom 2.1.0;
include "../kernels/requantize.circom";
// Default spec, hidden pre-activation (|zb| < 2^24): actShift 8, clamp +-actMax.
component main = Requantize(25, 8, -127, 127);
