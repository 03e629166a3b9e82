pragma circom 2.1.0;
include "../kernels/dot_slice.circom";
// ops.v1.json matmul and col_sum cases (k = 3; col_sum with b = 1).
component main = DotSlice(3, 8, 8, 18);
