pragma circom 2.1.0;
include "../kernels/dot_slice_packed.circom";
// col_sum form of the packing (b = 1, only a is packed): 4 terms, 12-bit values, one word.
component main = DotSlicePacked(4, 12, 0, 4);
