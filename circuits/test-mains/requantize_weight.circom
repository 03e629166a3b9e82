pragma circom 2.1.0;
include "../kernels/requantize.circom";
// Default spec, master weight (+-2^18) to forward weight: weightShift 8, clamp +-weightMax.
component main = Requantize(20, 8, -1024, 1024);
