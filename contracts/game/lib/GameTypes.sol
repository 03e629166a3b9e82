// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// The DisputeGame's types (docs/protocol.md, section 3): where a game stands, its sides, why it ended, its
// storage and what {DisputeGame-gameState} returns. File-level, like the errors of GameErrors.sol, so that
// the game, its libraries and tests import them by name. The enums are uint8 in the ABI; dispute/gameState.ts
// mirrors their values.

/// @notice Where a game stands. Odd phases 1..15 are the solver's turn, even phases 2..16 the
///         challenger's; `Settlement` is nobody's turn; `Resolved` and `Aborted` are final.
enum Phase {
    None, // 0: no game with this id
    Bisect, // 1: level 1, solver: bisectStep (dissection roots)
    Respond, // 2: level 1, challenger: respondStep
    SolverTrace, // 3: level 2, solver: postTrace
    ChallengerTrace, // 4: level 2, challenger: postTrace
    SolverTraceNodes, // 5: level 2 descent, solver: revealNodes
    ChallengerTraceNodes, // 6: level 2 descent, challenger: revealNodes
    SolverRecord, // 7: level 2, solver: openRecord
    ChallengerRecord, // 8: level 2, challenger: openRecord
    SolverDataRoot, // 9: level 3, solver: revealDataRoot
    ChallengerDataRoot, // 10: level 3, challenger: revealDataRoot
    SolverDataNodes, // 11: level 3 descent, solver: revealNodes
    ChallengerDataNodes, // 12: level 3 descent, challenger: revealNodes
    SolverLeaf, // 13: level 3, solver: revealLeaf
    ChallengerLeaf, // 14: level 3, challenger: revealLeaf
    SolverTerms, // 15: level 4, solver: postTerms (declares K first)
    ChallengerTerms, // 16: level 4, challenger: respondTerms
    Settlement, // 17: anyone: settle
    Resolved, // 18: final, reported to the market
    Aborted // 19: final, never reported
}

/// @notice A side of a game.
enum Party {
    None,
    Solver,
    Challenger
}

/// @notice Why a game ended.
enum Reason {
    Settled, // the kernel verifier decided (INV-GAME-6)
    Timeout, // the mover's clock ran out
    SettlementTimeout, // nobody settled within clockDuration: the solver loses
    RecordNotInProgram, // the opener's record does not match the step program (INV-GAME-4)
    PaddingLeaf, // the descent ended past the last real leaf: the party with a non-zero leaf there loses
    PaddingElement // the first differing element is past the tensor's end (INV-GAME-5)
}

/// @notice One game (16 slots). The "current nodes" (`solverNode`, `challengerNode`) are each party's
///         commitment at the current point: trace root, then trace-tree nodes down to record k's hash, then
///         record k's output root, data root, data-tree nodes down to a leaf hash, and finally, at settlement,
///         the two claimed values (level 4 on: the solver's claimed partial sum at termHi and the
///         challenger's element value).
/// @dev The first slot is written by every move (clocks, phase, descent counters); each move writes only
///      the fields later moves need; the last two slots are for level 4 only.
struct Game {
    // slot 0: written by every move
    uint64 lastMove; // time of the last move (or of creation, or of reaching settlement)
    uint64 solverUsed; // seconds of the solver's clock spent
    uint64 challengerUsed; // seconds of the challenger's clock spent
    Phase phase;
    uint8 depth; // depth of the current descent's tree (trace tree, then data tree)
    uint8 round; // levels of the current descent completed (the current nodes' distance from the root)
    uint8 width; // element width of entry k's output (level 3)
    uint8 programDepth; // depth of the program tree (length of the header's path)
    uint8 code; // op code of entry k (from the solver's record, level 2): 1 and 7 go to level 4
    // slot 1
    address solver;
    uint64 clockDuration;
    uint32 entries; // E, from the program header (level 2 on)
    // slot 2
    address challenger;
    uint32 entry; // k, the disputed trace entry (end of level 2 on)
    uint64 elementCount; // n, elements of entry k's output (level 3)
    // slot 3
    uint64 loStep;
    uint64 hiStep;
    uint64 index; // position of the current nodes in the current descent's tree level
    uint64 element; // e, the disputed element (settlement)
    // slots 4-13
    bytes32 agreedRoot; // state root at loStep, agreed by both
    bytes32 solverRoot; // the solver's state root at hiStep
    bytes32 challengerRoot; // the challenger's state root at hiStep
    bytes32 programRoot;
    bytes32 datasetRoot;
    bytes32 solverTrace; // the solver's trace root of step hiStep (the agreed prefix, for settlement)
    bytes32 solverNode; // the solver's current node (see the notes above)
    bytes32 challengerNode; // the challenger's current node
    bytes32 pendingHash; // keccak256 of what the solver posted for the challenger to answer: its
    // dissection roots (level 1), its revealed nodes (descents), its partial sums (level 4)
    bytes32 shapeHash; // keccak256(abi.encode(dims)) of entry k's output (level 3)
    // slot 14 (level 4): the term interval [termLo, termHi), K as the solver declared it, and where the
    // program fixes K (INV-GAME-9; written at the solver's openRecord of a matmul/col_sum/col2im)
    uint64 termLo;
    uint64 termHi;
    uint64 termCount;
    uint32 termOperand; // graph tensor id of entry k's first input (matmul A, col_sum D, softmax Z); col2im: K itself
    uint8 termDim; // K is dims[termDim] of that tensor: 1 for matmul A [m, K], 0 for a transposed A and D [K, n];
    // 2 (DisputeGame.K_FROM_ATTRS): K is termOperand, computed from col2im's attributes; 3
    // (DisputeGame.K_ROW_FOLD): K = 2 dims[1] + 1 of softmax_ce_grad's logits Z [m, n]
    // slot 15 (level 4): the agreed partial sum at termLo (the solver's at termHi is solverNode)
    int256 accIn;
}

/// @notice Everything {DisputeGame-gameState} returns (its field order is the ABI's: do not reorder).
/// @param level 1 steps, 2 ops, 3 elements, 4 terms, 5 settlement; 0 for no game or a closed one.
/// @param turn Whose move it is (None at settlement and once closed).
/// @param deadline When the mover's clock runs out (settlement: when settling closes); 0 when closed.
/// @param pendingHash Level 1 (Respond): keccak256(abi.encodePacked(roots)) of the solver's dissection
///        roots (the roots themselves are in its {StepBisected} event); descents (the challenger's turn):
///        keccak256(abi.encodePacked(nodes)) of the solver's revealed nodes (in its {NodesRevealed});
///        level 4 (ChallengerTerms): keccak256(abi.encodePacked(sums)) of the solver's partial sums.
/// @param round Descents: levels descended so far (the current nodes' distance from the tree's root).
/// @param index Descents: the current nodes' position in their tree level; at a leaf: the leaf's index.
/// @param code Op code of entry k (once the solver opened its record).
/// @param termLo Level 4 on: start of the term interval (the agreed partial sum there is accIn).
/// @param termHi Level 4 on: end of the term interval (the solver's claimed partial sum there is
///        solverNode); zero until the solver declared K.
/// @param termCount Level 4 on: K as the solver declared it.
/// @param accIn Level 4 on: the agreed partial sum at termLo.
struct GameView {
    Phase phase;
    uint8 level;
    Party turn;
    address solver;
    address challenger;
    uint64 loStep;
    uint64 hiStep;
    bytes32 agreedRoot;
    bytes32 solverRoot;
    bytes32 challengerRoot;
    bytes32 solverTrace;
    bytes32 solverNode;
    bytes32 challengerNode;
    bytes32 pendingHash;
    uint32 entries;
    uint32 entry;
    uint8 depth;
    uint8 round;
    uint64 index;
    uint8 width;
    uint64 elementCount;
    uint64 element;
    uint64 clockDuration;
    uint64 solverUsed;
    uint64 challengerUsed;
    uint64 lastMove;
    uint256 deadline;
    bytes32 programRoot;
    bytes32 datasetRoot;
    uint8 code;
    uint64 termLo;
    uint64 termHi;
    uint64 termCount;
    int256 accIn;
}
