pragma circom 2.1.0;
include "../kernels/dot_slice_packed.circom";
// The settle circuits' packing at a width whose words fit a JS number: 4 terms, 12-bit values, 4 per word (2 words).
component main = DotSlicePacked(4, 12, 1, 4);
