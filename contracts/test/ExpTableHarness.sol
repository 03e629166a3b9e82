// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExpTable} from "../kernel/ExpTable.sol";

/// @title ExpTableHarness
/// @notice Test-only: reads entries of the on-chain exp table (ExpTable.sol) back, so that a test can compare
///         every one of them with engine/expTable.ts.
contract ExpTableHarness {
    /// @notice Entries from .. from + n - 1 (indices past the last read the last entry, as softmax_ce_grad does).
    function entries(uint256 from, uint256 n) external pure returns (uint256[] memory out) {
        bytes memory table = ExpTable.TABLE;
        out = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) out[i] = ExpTable.entry(table, from + i);
    }
}
