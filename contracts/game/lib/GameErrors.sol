// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Phase, Party} from "./GameTypes.sol";

// Custom errors of the dispute game family (DisputeGame and its libraries: Dissection, Descent, LeafDiff),
// one file as contracts/lib/CommitmentErrors.sol is for the commitment libraries. Grouped by the move that
// raises them. Merkle-path errors (ProofTooLong, IndexOutOfRange) come from Sha256Merkle, and the commitment
// errors (InvalidWidth, ProofDepthMismatch, ProgramRootMismatch...) from CommitmentErrors.sol.

// ---------------------------------------------------------------- setup and market

/// @notice A zero address where one is required.
error ZeroAddress();

/// @notice {DisputeGame-setMarket} by someone other than the deployer.
error NotDeployer(address caller);

/// @notice {DisputeGame-setMarket} a second time.
error MarketAlreadySet(address market);

/// @notice {DisputeGame-create}/{DisputeGame-abort} by someone other than the market (or before setMarket).
error NotMarket(address caller);

/// @notice {DisputeGame-create} with `loStep >= hiStep`.
error EmptyInterval(uint64 loStep, uint64 hiStep);

/// @notice {DisputeGame-create} with equal solver and challenger roots: nothing to dispute.
error RootsAgree(bytes32 root);

/// @notice {DisputeGame-create} with a zero clock.
error ZeroClockDuration();

// ---------------------------------------------------------------- phases, turns and clocks

/// @notice No game has this id.
error GameNotFound(uint256 gameId);

/// @notice The game is resolved or aborted.
error GameClosed(uint256 gameId, Phase phase);

/// @notice This move does not belong to the game's current phase.
error WrongPhase(uint256 gameId, Phase phase);

/// @notice The caller is not the party whose turn it is.
error NotYourTurn(uint256 gameId, address caller, address mover);

/// @notice The mover's clock ran out at `deadline`: call timeout.
error ClockExpired(uint256 gameId, Party mover, uint256 deadline);

/// @notice timeout before the mover's clock (or the settlement window) ran out.
error ClockNotExpired(uint256 gameId, uint256 deadline);

/// @notice settle after the settlement window closed at `deadline`: call timeout.
error SettlementExpired(uint256 gameId, uint256 deadline);

// ---------------------------------------------------------------- level 1: steps

/// @notice bisectStep with a number of roots other than m = min(7, hi - lo - 1).
error WrongRootCount(uint256 gameId, uint256 expected, uint256 given);

/// @notice A zero state root in level 1 (the zero hash is the padding leaf, never a state root).
error ZeroRoot(uint256 gameId);

/// @notice respondStep with roots that are not the solver's posted ones (their keccak256 differs).
error RootsMismatch(uint256 gameId, bytes32 stored, bytes32 computed);

/// @notice respondStep or respondTerms with a choice past m (the number of posted values).
error ChoiceOutOfRange(uint256 gameId, uint256 choice, uint256 count);

/// @notice respondStep disagreeing with the solver's root at a point while claiming that same root.
error SameAsSolverRoot(uint256 gameId, bytes32 root);

// ---------------------------------------------------------------- level 2: ops

/// @notice A program header with fewer than two entries (it cannot hold both anchors).
error TooFewEntries(uint32 entries);

/// @notice A program path longer than 255 levels.
error ProgramTooDeep(uint256 depth);

/// @notice An anchor record is not at its leaf of the posted trace (INV-GAME-2).
error AnchorMismatch(uint256 gameId, uint32 entry, bytes32 traceRoot, bytes32 computed);

/// @notice The opened record does not hash to the mover's leaf k.
error RecordMismatch(uint256 gameId, bytes32 leaf, bytes32 computed);

// ---------------------------------------------------------------- descents (levels 2 and 3)

/// @notice The revealed nodes do not hash (r levels of Sha256Merkle.nodeHash) to the mover's current node.
error NodesMismatch(uint256 gameId, bytes32 node, bytes32 computed);

/// @notice revealNodes with a number of nodes other than 2^r, r = min(DESCENT_LEVELS, depth - round).
error WrongNodeCount(uint256 gameId, uint256 expected, uint256 given);

/// @notice The solver's revealNodes passes `solverNodes` (only the challenger's does).
error UnexpectedSolverNodes(uint256 gameId);

/// @notice The challenger's revealNodes with solver nodes that are not the solver's revealed ones (their
///         keccak256 differs).
error SolverNodesMismatch(uint256 gameId, bytes32 stored, bytes32 computed);

// ---------------------------------------------------------------- level 3: elements

/// @notice `dims` are not the shape of the disputed entry's output.
error ShapeMismatch(uint256 gameId);

/// @notice tensorRoot(width, dims, dataRoot) is not the mover's output root.
error DataRootMismatch(uint256 gameId, bytes32 outputRoot, bytes32 computed);

/// @notice A revealed leaf does not hash to its node.
error LeafMismatch(uint256 gameId, bytes32 node, bytes32 computed);

/// @notice The solver's revealLeaf passes a `solverLeaf` (only the challenger's does).
error UnexpectedSolverLeaf(uint256 gameId);

/// @notice An output tensor with 2^64 or more elements.
error TooManyElements(uint256 count);

/// @notice LeafDiff.firstDifference of two byte-for-byte equal leaves: no element differs.
/// @dev Unreachable from the game, which only compares leaves with different hashes.
error IdenticalLeaves();

// ---------------------------------------------------------------- level 4: terms

/// @notice postTerms declaring K = 0 (an accumulation has at least one term).
error ZeroTermCount(uint256 gameId);

/// @notice The first postTerms declaring a K that is not the program's (INV-GAME-9): K must be the dimension
///         of entry k's first input the accumulation runs over.
/// @param declared The solver's K.
/// @param operandK The dimension opened from the program.
error WrongTermCount(uint256 gameId, uint64 declared, uint256 operandK);

/// @notice Entry k's first input, as the program describes it, is not 2-D: no K for level 4 (a malformed
///         program, which no kernel verifier settles either).
error OperandNotMatrix(uint256 gameId, uint32 tensorId, uint256 rank);

/// @notice postTerms with a K other than the one the solver declared first.
error TermCountChanged(uint256 gameId, uint64 declared, uint64 given);

/// @notice postTerms with a number of sums other than m (min(7, hi - lo - 1), or 0 when hi - lo <=
///         TERM_SLICE).
error WrongSumCount(uint256 gameId, uint256 expected, uint256 given);

/// @notice respondTerms with sums that are not the solver's posted ones (their keccak256 differs).
error SumsMismatch(uint256 gameId, bytes32 stored, bytes32 computed);
