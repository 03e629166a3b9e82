pragma circom 2.1.0;
include "../lib/round_shift.circom";
// RoundShift's constraints on explicit hints (q, r): only the honest pair may pass.
component main = RoundShiftCheck(12, 4);
