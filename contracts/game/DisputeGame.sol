// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IKernelVerifier} from "../interfaces/IKernelVerifier.sol";
import {Sha256Merkle} from "../lib/Sha256Merkle.sol";
import {TraceCommitment} from "../lib/TraceCommitment.sol";
import {ProgramCommitment} from "../lib/ProgramCommitment.sol";
import {TensorCommitment} from "../lib/TensorCommitment.sol";
import {InvalidWidth, ProofDepthMismatch} from "../lib/CommitmentErrors.sol";
import {Phase, Party, Reason, Game, GameView} from "./lib/GameTypes.sol";
import {
    ZeroAddress,
    NotDeployer,
    MarketAlreadySet,
    NotMarket,
    EmptyInterval,
    RootsAgree,
    ZeroClockDuration,
    GameNotFound,
    GameClosed,
    WrongPhase,
    NotYourTurn,
    ClockExpired,
    ClockNotExpired,
    SettlementExpired,
    WrongRootCount,
    ZeroRoot,
    RootsMismatch,
    ChoiceOutOfRange,
    SameAsSolverRoot,
    TooFewEntries,
    ProgramTooDeep,
    AnchorMismatch,
    RecordMismatch,
    NodesMismatch,
    WrongNodeCount,
    UnexpectedSolverNodes,
    SolverNodesMismatch,
    ShapeMismatch,
    DataRootMismatch,
    LeafMismatch,
    UnexpectedSolverLeaf,
    TooManyElements,
    ZeroTermCount,
    WrongTermCount,
    OperandNotMatrix,
    TermCountChanged,
    WrongSumCount,
    SumsMismatch
} from "./lib/GameErrors.sol";
import {Dissection} from "./lib/Dissection.sol";
import {Descent} from "./lib/Descent.sol";
import {LeafDiff} from "./lib/LeafDiff.sol";

/// @title DisputeGame
/// @notice The dispute game of docs/protocol.md, section 3: one contract, many games by id. It
///         holds no funds; the {IJobMarket} opens games ({create}), may {abort} them, and learns each outcome
///         once through {IJobMarket-onGameResolved}.
///
///         A game narrows a disagreement about the state at `hiStep` down to one value:
///         - level 1 (steps): 8-ary dissection: the solver posts its state roots at up to 7 points that cut
///           the step interval into up to 8 parts ({bisectStep}), the challenger names the first point it
///           disagrees with, or none ({respondStep}), until one step `t = hi` is left;
///         - level 2 (ops): both post their op trace of step t ({postTrace}), anchored to the agreed root and
///           to their own root at `hi`; an 8-ary Merkle descent ({revealNodes}: the nodes up to
///           DESCENT_LEVELS levels down per round) finds the leftmost differing entry k; each opens its record k ({openRecord}), which must match the step program;
///         - level 3 (elements, unless k is the post-state anchor): both reveal the data root of entry k's
///           output ({revealDataRoot}); a descent over the data trees finds the leftmost differing 1 KiB leaf;
///           both reveal it ({revealLeaf}); the game takes the first differing element e;
///         - level 4 (terms, only when entry k is a matmul (code 1), a col_sum (7), a col2im (12), a maxpool
///           (13), a maxpool_grad (14) or a softmax_ce_grad (16)): the element is a sum of K terms, or the last
///           value of a fold over its window (K = size^2, size^2 + 1) or its row of n logits (K = 2n + 1)
///           (docs/protocol.md, 3.3.1); the solver declares K (proved from the program: INV-GAME-9) and
///           posts its partial values at up to 7 points of the term
///           interval ({postTerms}), the challenger names the first one it disagrees with ({respondTerms}),
///           until at most TERM_SLICE terms are left: [termLo, termHi), with the agreed partial sum accIn at
///           termLo and the solver's claimed partial sum at termHi;
///         - settlement: anyone calls {settle}; the kernel verifier returns the true value of (k, e) (level
///           4: the true partial sum at termHi from accIn at termLo) and the solver wins iff its claim equals it.
///         Each party has a chess clock of `clockDuration`, charged at each of its moves; a party whose clock
///         runs out loses through {timeout}. Settlement waits `clockDuration`, then {timeout} fails the solver.
///
/// @dev Wiring: deploy this contract (with its kernel verifier), then the market with this address, then
///      {setMarket} once from the deployer. Every move emits an event carrying what an off-chain player needs
///      to answer it; {gameState} returns the whole state for nodes and tests.
///
///      Layout (as Optimism's dispute contracts split theirs): this contract keeps the state, the events and
///      the moves; lib/GameTypes.sol holds the types (Phase, Party, Reason, the Game storage struct and its
///      16-slot layout, the GameView), lib/GameErrors.sol every custom error of the game family,
///      lib/Dissection.sol the dissection arithmetic of levels 1 and 4, lib/Descent.sol the Merkle descent
///      helpers of levels 2 and 3, lib/LeafDiff.sol the first differing element of two leaves. The libraries
///      are internal (inlined): one deployed contract.
contract DisputeGame is IDisputeGame {
    // ================================================================== constants

    /// @notice Tensor id of the two anchor records (commitment/trace.ts ANCHOR_TENSOR_ID).
    uint32 public constant ANCHOR_TENSOR_ID = 0xFFFFFFFF;
    /// @notice Code of the pre-state anchor, entry 0.
    uint8 public constant PRE_ANCHOR_CODE = 254;
    /// @notice Code of the post-state anchor, entry E - 1.
    uint8 public constant POST_ANCHOR_CODE = 255;
    /// @notice Level 1 cuts [lo, hi] into at most this many parts (at most DISSECTION - 1 posted roots).
    uint256 public constant DISSECTION = Dissection.PARTS;
    /// @notice Level 4 ends when at most this many terms are left: the settlement opens and checks that
    ///         many products (docs/benchmarks.md: the settle gas of a slice of this length, recomputed and Groth16).
    uint64 public constant TERM_SLICE = 8;
    /// @notice Op codes whose element level 4 narrows: the accumulations of K terms (matmul, col_sum and
    ///         col2im) and the folds over a window (maxpool, maxpool_grad) or a row (softmax_ce_grad).
    uint8 public constant MATMUL_CODE = 1;
    uint8 public constant COL_SUM_CODE = 7;
    uint8 public constant COL2IM_CODE = 12;
    uint8 public constant MAXPOOL_CODE = 13;
    uint8 public constant MAXPOOL_GRAD_CODE = 14;
    uint8 public constant SOFTMAX_CE_GRAD_CODE = 16;
    /// @notice `termDim` value meaning "K is `termOperand` itself": col2im's K = ceil(k / stride)^2 and the
    ///         pools' K = size^2 (+ 1 for maxpool_grad) are fixed by the entry's attributes alone, not by an
    ///         operand dimension.
    uint8 internal constant K_FROM_ATTRS = 2;
    /// @notice `termDim` value meaning "K = 2 dims[1] + 1 of `termOperand`": softmax_ce_grad's logits Z [m, n]
    ///         (n max terms, n sum terms and the last).
    uint8 internal constant K_ROW_FOLD = 3;
    /// @notice A descent round goes down this many levels at once (the last round of a tree whose depth is
    ///         not a multiple of it, fewer): the mover reveals the 2^3 = 8 nodes three levels below its
    ///         current node. Fewer transactions for more calldata per move: docs/benchmarks.md (gas) has the
    ///         measurement behind the choice.
    uint8 public constant DESCENT_LEVELS = Descent.LEVELS;

    // ================================================================== state

    /// @notice The kernel verifier that settles games (fixed at construction).
    IKernelVerifier public immutable kernelVerifier;
    /// @notice Who may call {setMarket}, once.
    address public immutable deployer;
    /// @notice The market allowed to create and abort games (zero until {setMarket}).
    address public market;
    /// @notice Number of games created; game ids are 1 .. gameCount.
    uint256 public gameCount;

    mapping(uint256 gameId => Game) internal _games;

    // ================================================================== events

    /// @notice The market was set (once).
    event MarketSet(address market);
    /// @notice A game opened; level 1 starts at once, or level 2 when `hiStep - loStep == 1`.
    event GameCreated(uint256 indexed gameId, uint256 indexed jobId, GameParams params);
    /// @notice The solver claimed `roots[i]` as the state root at point p_i of [lo, hi] (see {bisectStep}).
    event StepBisected(uint256 indexed gameId, uint64 lo, uint64 hi, bytes32[] roots);
    /// @notice The challenger's first disagreement is point `choice` (its own root there `ownRoot`), or it
    ///         agreed with every point (`choice == m`, `ownRoot` zero); the interval is now [lo, hi] (level 2
    ///         when `hi - lo == 1`).
    event StepResponded(uint256 indexed gameId, uint8 choice, bytes32 ownRoot, uint64 lo, uint64 hi);
    /// @notice `by` posted its op trace of step hi; the solver's call also fixed E (`entries`).
    event TracePosted(uint256 indexed gameId, Party by, bytes32 traceRoot, uint32 entries);
    /// @notice `by` revealed the 2^r `nodes` r levels below its current node, which is at (`round`, `index`)
    ///         of descent `level` (2 trace, 3 data); r = min(DESCENT_LEVELS, depth - round). The solver's
    ///         nodes are what the challenger passes back to {revealNodes}.
    event NodesRevealed(uint256 indexed gameId, Party by, uint8 level, uint8 round, uint64 index, bytes32[] nodes);
    /// @notice `by` opened its record of the disputed entry.
    event RecordOpened(uint256 indexed gameId, Party by, uint32 entry, uint32 tensorId, uint8 code, bytes32 outputRoot);
    /// @notice `by` revealed the data root of its output tensor.
    event DataRootRevealed(uint256 indexed gameId, Party by, bytes32 dataRoot);
    /// @notice `by` revealed leaf `leafIndex` of its output's data tree.
    event LeafRevealed(uint256 indexed gameId, Party by, uint64 leafIndex, bytes leaf);
    /// @notice Level 3 ended on element `element` of a matmul/col_sum entry: level 4 starts; the values are
    ///         the two claimed elements (the solver's is its partial sum at K).
    event TermsStarted(uint256 indexed gameId, uint32 entry, uint64 element, bytes32 solverValue, bytes32 challengerValue);
    /// @notice The solver declared K = `termCount` (first call) and claimed `sums[i]` as the partial sum at
    ///         point p_i of [lo, hi] (see {postTerms}; empty when the interval is already short enough).
    event TermsPosted(uint256 indexed gameId, uint64 termCount, uint64 lo, uint64 hi, int256[] sums);
    /// @notice The challenger's first disagreement is point `choice` (`m`: none); the term interval is now
    ///         [lo, hi) with the agreed partial sum `accIn` at lo and the solver's claim `solverSum` at hi.
    event TermsResponded(uint256 indexed gameId, uint8 choice, uint64 lo, uint64 hi, int256 accIn, int256 solverSum);
    /// @notice The game reached settlement on element `element` of trace entry `entry` (for the post-state
    ///         anchor, element 0 and the two state roots; after level 4, the solver's value is its partial
    ///         sum at termHi).
    event ReachedSettlement(
        uint256 indexed gameId, uint32 entry, uint64 element, bytes32 solverValue, bytes32 challengerValue
    );
    /// @notice The kernel verifier returned `trueValue`.
    event Settled(uint256 indexed gameId, bytes32 trueValue, bool solverWon);
    /// @notice `loser` ran out of time (Party.Solver also when nobody settled in time).
    event GameTimedOut(uint256 indexed gameId, Party loser, uint256 deadline);
    /// @notice The game ended and was reported to the market.
    event GameResolved(uint256 indexed gameId, bool solverWon, Reason reason);
    /// @notice The market aborted the game; it is never reported.
    event GameAborted(uint256 indexed gameId);

    // ================================================================== setup

    /// @param verifier The kernel verifier that settles every game.
    constructor(IKernelVerifier verifier) {
        if (address(verifier) == address(0)) revert ZeroAddress();
        kernelVerifier = verifier;
        deployer = msg.sender;
    }

    /// @notice Points this game at its market; callable once, by the deployer.
    /// @param market_ The market, the only account allowed to {create} and {abort}.
    function setMarket(address market_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (market != address(0)) revert MarketAlreadySet(market);
        if (market_ == address(0)) revert ZeroAddress();
        market = market_;
        emit MarketSet(market_);
    }

    // ================================================================== market

    /// @inheritdoc IDisputeGame
    function create(GameParams calldata p) external returns (uint256 gameId) {
        // `market` is zero until set, and no caller is the zero address.
        if (msg.sender != market) revert NotMarket(msg.sender);
        if (p.solver == address(0) || p.challenger == address(0)) revert ZeroAddress();
        // INVARIANT: INV-GAME-1: the game's subject is the market's: the agreed root at loStep and two
        // different roots at hiStep (the market checked both checkpoints against the committed history).
        if (p.loStep >= p.hiStep) revert EmptyInterval(p.loStep, p.hiStep);
        if (p.solverRoot == p.challengerRoot) revert RootsAgree(p.solverRoot);
        if (p.clockDuration == 0) revert ZeroClockDuration();
        gameId = ++gameCount;
        Game storage g = _games[gameId];
        g.lastMove = uint64(block.timestamp);
        g.phase = p.hiStep - p.loStep == 1 ? Phase.SolverTrace : Phase.Bisect;
        g.solver = p.solver;
        g.clockDuration = p.clockDuration;
        g.challenger = p.challenger;
        g.loStep = p.loStep;
        g.hiStep = p.hiStep;
        g.agreedRoot = p.agreedRoot;
        g.solverRoot = p.solverRoot;
        g.challengerRoot = p.challengerRoot;
        g.programRoot = p.programRoot;
        g.datasetRoot = p.datasetRoot;
        emit GameCreated(gameId, p.jobId, p);
    }

    /// @inheritdoc IDisputeGame
    function abort(uint256 gameId) external {
        if (msg.sender != market) revert NotMarket(msg.sender);
        Game storage g = _games[gameId];
        _requireOpen(gameId, g.phase);
        g.phase = Phase.Aborted;
        emit GameAborted(gameId);
    }

    // ================================================================== level 1: steps

    /// @notice Solver: posts its state roots at the m = min(7, hi - lo - 1) dissection points of [lo, hi]:
    ///         p_i = lo + floor((i + 1) * (hi - lo) / (m + 1)), i = 0 .. m - 1, strictly increasing and
    ///         strictly inside (lo, hi) (for hi - lo <= 8, every step lo + 1 .. hi - 1). The game keeps only
    ///         their keccak256; the challenger answers from the {StepBisected} event.
    /// @param gameId The game.
    /// @param roots The solver's state roots at p_0 .. p_{m-1}; exactly m, none zero.
    function bisectStep(uint256 gameId, bytes32[] calldata roots) external {
        Game storage g = _games[gameId];
        _beginMove(g, gameId, Phase.Bisect);
        uint64 lo = g.loStep;
        uint64 hi = g.hiStep;
        uint256 m = Dissection.pointCount(lo, hi);
        if (roots.length != m) revert WrongRootCount(gameId, m, roots.length);
        for (uint256 i; i < m; ++i) {
            if (roots[i] == bytes32(0)) revert ZeroRoot(gameId);
        }
        g.pendingHash = keccak256(abi.encodePacked(roots));
        g.phase = Phase.Respond;
        emit StepBisected(gameId, lo, hi, roots);
    }

    /// @notice Challenger: answers the solver's dissection with the first point it disagrees with.
    ///         `choice = j < m`: its root at p_j differs from the solver's (`ownRoot`), and it accepts the
    ///         solver's roots before p_j: the interval becomes [j == 0 ? lo : p_{j-1}, p_j], with the agreed
    ///         root the solver's root at p_{j-1} (unchanged for j == 0). `choice = m`: it accepts every posted
    ///         root: the interval becomes [p_{m-1}, hi], the roots at hi unchanged. When one step is left,
    ///         level 2 starts.
    /// @param gameId The game.
    /// @param roots The solver's posted roots, from its {StepBisected} event (checked against the stored hash).
    /// @param choice j in [0, m]: the first disputed point, or m to accept them all.
    /// @param ownRoot The challenger's non-zero root at p_j, different from the solver's (ignored when j == m:
    ///        pass zero).
    function respondStep(uint256 gameId, bytes32[] calldata roots, uint8 choice, bytes32 ownRoot) external {
        Game storage g = _games[gameId];
        _beginMove(g, gameId, Phase.Respond);
        bytes32 stored = g.pendingHash;
        bytes32 computed = keccak256(abi.encodePacked(roots));
        if (computed != stored) revert RootsMismatch(gameId, stored, computed);
        // The hash binds the roots, hence their number: m = min(7, hi - lo - 1) >= 1, checked by bisectStep.
        uint256 m = roots.length;
        if (choice > m) revert ChoiceOutOfRange(gameId, choice, m);
        // INVARIANT: INV-GAME-1: the agreed root only ever becomes a root the solver posted and the challenger
        // accepted (every posted root before its first disagreement), and the roots at the new hi always
        // differ (the solver's posted root against the challenger's different own root, or the roots at hi
        // unchanged): the interval stays a sub-dispute of the original one.
        (uint64 lo, uint64 hi) = Dissection.choose(g.loStep, g.hiStep, m, choice);
        if (choice != 0) g.agreedRoot = roots[choice - 1];
        if (choice == m) {
            ownRoot = bytes32(0);
        } else {
            bytes32 solverRoot = roots[choice];
            if (ownRoot == solverRoot) revert SameAsSolverRoot(gameId, ownRoot);
            if (ownRoot == bytes32(0)) revert ZeroRoot(gameId);
            g.hiStep = hi;
            g.solverRoot = solverRoot;
            g.challengerRoot = ownRoot;
        }
        g.loStep = lo;
        g.phase = hi - lo == 1 ? Phase.SolverTrace : Phase.Bisect;
        emit StepResponded(gameId, choice, ownRoot, lo, hi);
    }

    // ================================================================== level 2: ops

    /// @notice Posts the mover's op trace of step `hi` (solver first, then challenger), with the paths of its
    ///         two anchors: entry 0 must be the pre-state anchor of the agreed root, entry E - 1 the post-state
    ///         anchor of the mover's own root at hi. The solver's call also proves the program header (leaf 0
    ///         of the program root), which fixes E and the descent depth ceil(log2 E).
    /// @param gameId The game.
    /// @param traceRoot The mover's trace root.
    /// @param header The program header (the solver's call; ignored on the challenger's).
    /// @param headerPath The header's path in the program tree (the solver's call; ignored on the challenger's).
    /// @param preAnchorPath Path of record 0 in the trace tree (depth ceil(log2 E)).
    /// @param postAnchorPath Path of record E - 1 in the trace tree (depth ceil(log2 E)).
    function postTrace(
        uint256 gameId,
        bytes32 traceRoot,
        ProgramCommitment.Header calldata header,
        bytes32[] calldata headerPath,
        bytes32[] calldata preAnchorPath,
        bytes32[] calldata postAnchorPath
    ) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (phase != Phase.SolverTrace && phase != Phase.ChallengerTrace) _revertPhase(gameId, phase);
        bool bySolver = _beginMove(g, gameId, phase);
        if (bySolver) {
            ProgramCommitment.verifyHeader(g.programRoot, header, headerPath);
            uint32 entries = header.entries;
            if (entries < 2) revert TooFewEntries(entries);
            if (headerPath.length > type(uint8).max) revert ProgramTooDeep(headerPath.length);
            g.entries = entries;
            g.depth = uint8(TensorCommitment.depthFor(entries));
            g.programDepth = uint8(headerPath.length);
        }
        uint32 last = g.entries - 1;
        uint256 depth = g.depth;
        // INVARIANT: INV-GAME-2: both traces start from the agreed root and end at the poster's own root at hi.
        _checkAnchor(gameId, traceRoot, 0, PRE_ANCHOR_CODE, g.agreedRoot, preAnchorPath, depth);
        _checkAnchor(gameId, traceRoot, last, POST_ANCHOR_CODE, bySolver ? g.solverRoot : g.challengerRoot, postAnchorPath, depth);
        if (bySolver) {
            g.solverTrace = traceRoot;
            g.solverNode = traceRoot;
            g.phase = Phase.ChallengerTrace;
        } else {
            g.challengerNode = traceRoot;
            g.round = 0;
            g.index = 0;
            g.phase = Phase.SolverTraceNodes;
        }
        emit TracePosted(gameId, bySolver ? Party.Solver : Party.Challenger, traceRoot, last + 1);
    }

    /// @notice One half-round of a Merkle descent (level 2 over the traces, level 3 over the data trees),
    ///         solver first: the mover reveals the 2^r nodes r levels below its current node, left to right,
    ///         r = min(DESCENT_LEVELS, depth - round); they must hash up (r levels of Sha256Merkle.nodeHash)
    ///         to its current node. The game keeps only keccak256 of the solver's nodes; the challenger passes
    ///         them back (from the solver's {NodesRevealed}) with its own, and both descend to the leftmost
    ///         position i where they differ: index = index * 2^r + i, round += r. At round == depth the
    ///         current nodes are leaf `index`: level 2 opens record k = index (or settles the post-state
    ///         anchor), level 3 reveals the leaf.
    /// @param gameId The game.
    /// @param nodes The mover's 2^r nodes r levels below its current node, left to right.
    /// @param solverNodes The solver's revealed nodes (the challenger's call only; empty on the solver's).
    function revealNodes(uint256 gameId, bytes32[] calldata nodes, bytes32[] calldata solverNodes) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (
            phase != Phase.SolverTraceNodes && phase != Phase.ChallengerTraceNodes && phase != Phase.SolverDataNodes
                && phase != Phase.ChallengerDataNodes
        ) _revertPhase(gameId, phase);
        bool bySolver = _beginMove(g, gameId, phase);
        bool traceLevel = phase <= Phase.ChallengerTraceNodes;
        if (bySolver) {
            if (solverNodes.length != 0) revert UnexpectedSolverNodes(gameId);
            _checkNodes(g, gameId, true, traceLevel, nodes);
            g.pendingHash = keccak256(abi.encodePacked(nodes));
            g.phase = Phase(uint8(phase) + 1);
            return;
        }
        uint8 r = _checkNodes(g, gameId, false, traceLevel, nodes);
        uint64 index = _descend(g, gameId, r, nodes, solverNodes);
        if (g.round < g.depth) {
            g.phase = Phase(uint8(phase) - 1);
        } else if (traceLevel) {
            _endTraceDescent(g, gameId, index);
        } else {
            _endDataDescent(g, gameId, index);
        }
    }

    /// @notice Opens the mover's record of the disputed entry k (solver first). The record must hash to the
    ///         mover's leaf k (else the call reverts); the program entry made of the record's fields and
    ///         (`width`, `dims`) must be leaf 1 + k of the program root, else the mover loses at once
    ///         (INV-GAME-4). After both, level 3 starts.
    /// @param gameId The game.
    /// @param rec The mover's record k.
    /// @param width The program's element width of entry k's output.
    /// @param dims The program's shape of entry k's output.
    /// @param programPath The path of program leaf 1 + k (the program tree's depth).
    function openRecord(
        uint256 gameId,
        TraceCommitment.Record calldata rec,
        uint8 width,
        uint32[] calldata dims,
        bytes32[] calldata programPath
    ) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (phase != Phase.SolverRecord && phase != Phase.ChallengerRecord) _revertPhase(gameId, phase);
        bool bySolver = _beginMove(g, gameId, phase);
        _checkRecord(gameId, rec, bySolver ? g.solverNode : g.challengerNode);
        uint32 k = g.entry;
        emit RecordOpened(gameId, bySolver ? Party.Solver : Party.Challenger, k, rec.tensorId, rec.code, rec.outputRoot);
        if (!_recordInProgram(g, rec, width, dims, programPath, k)) {
            // INVARIANT: INV-GAME-4: a record whose entry, tensor id, code, inputs or attributes differ from
            // the program's entry k loses at once (only the mover can make this call about its own record).
            _resolve(gameId, g, !bySolver, Reason.RecordNotInProgram);
            return;
        }
        if (bySolver) {
            if (width != 4 && width != 8) revert InvalidWidth(width);
            uint256 n = TensorCommitment.elementCount(dims);
            if (n > type(uint64).max) revert TooManyElements(n);
            uint8 code = rec.code;
            g.width = width;
            g.code = code;
            if (_hasTermLevel(code)) _rememberTermOperand(g, rec, code);
            g.elementCount = uint64(n);
            g.shapeHash = keccak256(abi.encode(dims));
            g.solverNode = rec.outputRoot;
            g.phase = Phase.ChallengerRecord;
        } else {
            // Both records match the same program entry and their hashes differ: only the output roots differ.
            g.challengerNode = rec.outputRoot;
            g.phase = Phase.SolverDataRoot;
        }
    }

    // ================================================================== level 3: elements

    /// @notice Reveals the data root of the mover's output tensor (solver first):
    ///         tensorRoot(width, dims, dataRoot) must be the mover's output root.
    /// @param gameId The game.
    /// @param dataRoot The Merkle root of the mover's tensor leaves.
    /// @param dims The shape of entry k's output, as opened in {openRecord} (the tensor root hashes the shape;
    ///        the game keeps only its keccak256, checked here).
    function revealDataRoot(uint256 gameId, bytes32 dataRoot, uint32[] calldata dims) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (phase != Phase.SolverDataRoot && phase != Phase.ChallengerDataRoot) _revertPhase(gameId, phase);
        bool bySolver = _beginMove(g, gameId, phase);
        if (keccak256(abi.encode(dims)) != g.shapeHash) revert ShapeMismatch(gameId);
        uint8 width = g.width;
        bytes32 outputRoot = bySolver ? g.solverNode : g.challengerNode;
        bytes32 computed = TensorCommitment.tensorRoot(width, dims, dataRoot);
        if (computed != outputRoot) revert DataRootMismatch(gameId, outputRoot, computed);
        emit DataRootRevealed(gameId, bySolver ? Party.Solver : Party.Challenger, dataRoot);
        if (bySolver) {
            g.solverNode = dataRoot;
            g.phase = Phase.ChallengerDataRoot;
        } else {
            g.challengerNode = dataRoot;
            uint256 depth = TensorCommitment.depthFor(Descent.leafCount(g.elementCount, width));
            g.depth = uint8(depth);
            g.round = 0;
            g.index = 0;
            g.phase = depth == 0 ? Phase.SolverLeaf : Phase.SolverDataNodes;
        }
    }

    /// @notice Reveals the mover's 1 KiB leaf at the end of the data descent (solver first). The challenger
    ///         also passes the solver's leaf (from the solver's {LeafRevealed}); the game then takes the first
    ///         element e at which the two differ: past the tensor's end, the party with the non-zero padding
    ///         loses (INV-GAME-5); otherwise the two values go to settlement.
    /// @param gameId The game.
    /// @param leaf The mover's leaf.
    /// @param solverLeaf The solver's revealed leaf (the challenger's call only; empty on the solver's).
    function revealLeaf(uint256 gameId, bytes calldata leaf, bytes calldata solverLeaf) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (phase != Phase.SolverLeaf && phase != Phase.ChallengerLeaf) _revertPhase(gameId, phase);
        bool bySolver = _beginMove(g, gameId, phase);
        uint64 leafIndex = g.index;
        if (bySolver) {
            if (solverLeaf.length != 0) revert UnexpectedSolverLeaf(gameId);
            _checkLeaf(gameId, leaf, g.solverNode);
            emit LeafRevealed(gameId, Party.Solver, leafIndex, leaf);
            g.phase = Phase.ChallengerLeaf;
            return;
        }
        _checkLeaf(gameId, leaf, g.challengerNode);
        _checkLeaf(gameId, solverLeaf, g.solverNode);
        emit LeafRevealed(gameId, Party.Challenger, leafIndex, leaf);
        uint8 width = g.width;
        (uint256 slot, int256 vS, int256 vC) = LeafDiff.firstDifference(solverLeaf, leaf, width);
        uint256 e = uint256(leafIndex) * (TensorCommitment.LEAF_BYTES / width) + slot;
        if (e >= g.elementCount) {
            // INVARIANT: INV-GAME-5: an honest leaf is zero past the tensor's end; the party whose element there
            // is non-zero loses (the solver when both are: its value is not the true one).
            _resolve(gameId, g, vS == 0, Reason.PaddingElement);
            return;
        }
        _endElements(g, gameId, uint64(e), bytes32(uint256(vS)), bytes32(uint256(vC)));
    }

    // ================================================================== level 4: terms

    /// @notice Solver: posts its partial sums P(p_i) = sum_{s < p_i} a_s * b_s at the m = min(7, hi - lo - 1)
    ///         dissection points of the term interval [lo, hi] (the points of {bisectStep}), or none when
    ///         hi - lo <= TERM_SLICE (then settlement starts). Its first call declares K = `termCount` and proves
    ///         it from the program (INV-GAME-9): K must be the dimension of entry k's first input that the
    ///         accumulation runs over (matmul: op(A) is [m, K], K = transA ? dims[0] : dims[1]; col_sum: D is
    ///         [K, n], K = dims[0]; softmax_ce_grad: Z is [m, n], K = 2 n + 1), opened from that tensor's
    ///         program leaf (`operand`); col2im (K = ceil(k / stride)^2), maxpool (size^2) and maxpool_grad
    ///         (size^2 + 1): K from the attributes, `operand` unread); another K reverts
    ///         ({WrongTermCount}) and the solver is still to move. The interval then starts as [0, K] with the
    ///         agreed P(0) = 0 and its claim P(K) = its element value. The game keeps only keccak256 of the
    ///         sums; the challenger answers from the {TermsPosted} event.
    /// @param gameId The game.
    /// @param termCount K; the first call fixes it, later calls must repeat it.
    /// @param sums The solver's partial sums at p_0 .. p_{m-1}; exactly m.
    /// @param operand First call: the program's description of entry k's first input (matmul A, col_sum D:
    ///        a state tensor's leaf 1 + E + j or its producing entry's leaf 1 + e) and its path. Ignored on
    ///        later calls: pass an empty one.
    function postTerms(
        uint256 gameId,
        uint64 termCount,
        int256[] calldata sums,
        ProgramCommitment.TensorDescription calldata operand
    ) external {
        Game storage g = _games[gameId];
        _beginMove(g, gameId, Phase.SolverTerms);
        uint64 lo = g.termLo;
        uint64 hi = g.termHi;
        if (hi == 0) {
            if (termCount == 0) revert ZeroTermCount(gameId);
            uint256 operandK = _termOperandDim(g, gameId, operand);
            // INVARIANT: INV-GAME-9: K is the operand dimension the program fixes, not the solver's word: a
            // wrong K is refused here, before the challenger answers any round (the kernel verifier checks it
            // again at settlement).
            if (termCount != operandK) revert WrongTermCount(gameId, termCount, operandK);
            // termLo and accIn are zero: P(0) = 0 is agreed by definition.
            hi = termCount;
            g.termHi = termCount;
            g.termCount = termCount;
        } else if (termCount != g.termCount) {
            revert TermCountChanged(gameId, g.termCount, termCount);
        }
        uint256 m = hi - lo <= TERM_SLICE ? 0 : Dissection.pointCount(lo, hi);
        if (sums.length != m) revert WrongSumCount(gameId, m, sums.length);
        emit TermsPosted(gameId, termCount, lo, hi, sums);
        if (m == 0) {
            _reachSettlement(g, gameId, g.entry, g.element, g.solverNode, g.challengerNode);
            return;
        }
        g.pendingHash = keccak256(abi.encodePacked(sums));
        g.phase = Phase.ChallengerTerms;
    }

    /// @notice Challenger: answers the solver's partial sums with the first point it disagrees with, as
    ///         {respondStep} does: `choice = j < m`: the interval becomes [j == 0 ? lo : p_{j-1}, p_j], the
    ///         agreed sum the solver's at p_{j-1} (unchanged for j == 0), the solver's claim its sum at p_j;
    ///         `choice = m`: it accepts every sum: [p_{m-1}, hi], accIn the solver's sum at p_{m-1}, the claim
    ///         at hi unchanged. When at most TERM_SLICE terms are left, settlement starts.
    /// @param gameId The game.
    /// @param sums The solver's posted sums, from its {TermsPosted} event (checked against the stored hash).
    /// @param choice j in [0, m].
    function respondTerms(uint256 gameId, int256[] calldata sums, uint8 choice) external {
        Game storage g = _games[gameId];
        _beginMove(g, gameId, Phase.ChallengerTerms);
        bytes32 stored = g.pendingHash;
        bytes32 computed = keccak256(abi.encodePacked(sums));
        if (computed != stored) revert SumsMismatch(gameId, stored, computed);
        // The hash binds the sums, hence their number: m >= 1, checked by postTerms.
        uint256 m = sums.length;
        if (choice > m) revert ChoiceOutOfRange(gameId, choice, m);
        // INVARIANT: INV-GAME-8: the agreed partial sum only ever becomes one the solver posted and the
        // challenger accepted (P(0) = 0 at the start), and the solver's claim at hi is always its own posted
        // sum (its element value at K): a solver whose claim at K is false keeps a false claim at hi above a
        // true accIn, whatever the honest challenger answers.
        (uint64 lo, uint64 hi) = Dissection.choose(g.termLo, g.termHi, m, choice);
        int256 accIn;
        if (choice == 0) {
            accIn = g.accIn;
        } else {
            accIn = sums[choice - 1];
            g.accIn = accIn;
        }
        if (choice != m) {
            g.termHi = hi;
            g.solverNode = bytes32(uint256(sums[choice]));
        }
        g.termLo = lo;
        emit TermsResponded(gameId, choice, lo, hi, accIn, int256(uint256(g.solverNode)));
        if (hi - lo <= TERM_SLICE) {
            _reachSettlement(g, gameId, g.entry, g.element, g.solverNode, g.challengerNode);
        } else {
            g.phase = Phase.SolverTerms;
        }
    }

    // ================================================================== settlement and time

    /// @notice Anyone: settles a game at settlement through the kernel verifier; the solver wins iff its
    ///         claimed value is the true value. Reverts (the game goes on) if the verifier rejects the openings.
    /// @param gameId The game.
    /// @param operands The verifier's openings (its own encoding).
    /// @param proof The verifier's proof (empty for a recomputing verifier).
    function settle(uint256 gameId, bytes calldata operands, bytes calldata proof) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        if (phase != Phase.Settlement) _revertPhase(gameId, phase);
        uint256 deadline = uint256(g.lastMove) + g.clockDuration;
        if (block.timestamp >= deadline) revert SettlementExpired(gameId, deadline);
        IKernelVerifier.Context memory ctx = IKernelVerifier.Context({
            programRoot: g.programRoot,
            datasetRoot: g.datasetRoot,
            preStateRoot: g.agreedRoot,
            traceRoot: g.solverTrace,
            entry: g.entry,
            element: g.element,
            termLo: g.termLo,
            termHi: g.termHi,
            termCount: g.termCount,
            accIn: g.accIn
        });
        bytes32 value = kernelVerifier.trueValue(ctx, operands, proof);
        // INVARIANT: INV-GAME-6: the solver wins iff its claim is the true value, whatever the challenger claimed.
        bool solverWon = value == g.solverNode;
        emit Settled(gameId, value, solverWon);
        _resolve(gameId, g, solverWon, Reason.Settled);
    }

    /// @notice Anyone: ends a game whose mover's clock ran out (the other party wins), or that reached
    ///         settlement `clockDuration` ago without a {settle} (the solver loses).
    /// @param gameId The game.
    function timeout(uint256 gameId) external {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        _requireOpen(gameId, phase);
        uint256 deadline = _deadline(g, phase);
        if (block.timestamp < deadline) revert ClockNotExpired(gameId, deadline);
        if (phase == Phase.Settlement) {
            emit GameTimedOut(gameId, Party.Solver, deadline);
            _resolve(gameId, g, false, Reason.SettlementTimeout);
        } else {
            bool solverMoves = _solverMoves(phase);
            emit GameTimedOut(gameId, solverMoves ? Party.Solver : Party.Challenger, deadline);
            _resolve(gameId, g, !solverMoves, Reason.Timeout);
        }
    }

    // ================================================================== views

    /// @notice The whole state of a game (all zero for an unknown id).
    function gameState(uint256 gameId) external view returns (GameView memory v) {
        Game storage g = _games[gameId];
        Phase phase = g.phase;
        v.phase = phase;
        if (phase >= Phase.Bisect && phase <= Phase.ChallengerTerms) {
            v.level = phase <= Phase.Respond ? 1 : phase <= Phase.ChallengerRecord ? 2 : phase <= Phase.ChallengerLeaf ? 3 : 4;
            v.turn = _solverMoves(phase) ? Party.Solver : Party.Challenger;
            v.deadline = _deadline(g, phase);
        } else if (phase == Phase.Settlement) {
            v.level = 5;
            v.deadline = _deadline(g, phase);
        }
        v.solver = g.solver;
        v.challenger = g.challenger;
        v.loStep = g.loStep;
        v.hiStep = g.hiStep;
        v.agreedRoot = g.agreedRoot;
        v.solverRoot = g.solverRoot;
        v.challengerRoot = g.challengerRoot;
        v.solverTrace = g.solverTrace;
        v.solverNode = g.solverNode;
        v.challengerNode = g.challengerNode;
        v.pendingHash = g.pendingHash;
        v.entries = g.entries;
        v.entry = g.entry;
        v.depth = g.depth;
        v.round = g.round;
        v.index = g.index;
        v.width = g.width;
        v.elementCount = g.elementCount;
        v.element = g.element;
        v.clockDuration = g.clockDuration;
        v.solverUsed = g.solverUsed;
        v.challengerUsed = g.challengerUsed;
        v.lastMove = g.lastMove;
        v.programRoot = g.programRoot;
        v.datasetRoot = g.datasetRoot;
        v.code = g.code;
        v.termLo = g.termLo;
        v.termHi = g.termHi;
        v.termCount = g.termCount;
        v.accIn = g.accIn;
    }

    // ================================================================== internals

    /// @dev Checks the phase, the caller and the mover's clock, and charges the mover's clock. Returns
    ///      whether the mover is the solver.
    function _beginMove(Game storage g, uint256 gameId, Phase expected) private returns (bool bySolver) {
        Phase phase = g.phase;
        if (phase != expected) _revertPhase(gameId, phase);
        bySolver = _solverMoves(phase);
        address mover = bySolver ? g.solver : g.challenger;
        // INVARIANT: turn order is fixed by the phase; only the mover may move (docs/protocol.md 3.5).
        if (msg.sender != mover) revert NotYourTurn(gameId, msg.sender, mover);
        uint256 prior = bySolver ? g.solverUsed : g.challengerUsed;
        uint256 last = g.lastMove;
        uint256 duration = g.clockDuration;
        uint256 used = prior + (block.timestamp - last);
        // INVARIANT: a spent clock cannot move again: the instant the clock runs out belongs to {timeout}.
        if (used >= duration) revert ClockExpired(gameId, bySolver ? Party.Solver : Party.Challenger, last + duration - prior);
        // SAFETY: used < duration <= type(uint64).max.
        if (bySolver) g.solverUsed = uint64(used);
        else g.challengerUsed = uint64(used);
        g.lastMove = uint64(block.timestamp);
    }

    /// @dev Odd phases 1..15 are the solver's moves.
    function _solverMoves(Phase phase) private pure returns (bool) {
        return uint8(phase) & 1 == 1;
    }

    /// @dev When the current mover's clock runs out, or settlement closes. `phase` must be open.
    function _deadline(Game storage g, Phase phase) private view returns (uint256) {
        uint256 duration = g.clockDuration;
        if (phase == Phase.Settlement) return uint256(g.lastMove) + duration;
        uint256 used = _solverMoves(phase) ? g.solverUsed : g.challengerUsed;
        return uint256(g.lastMove) + duration - used;
    }

    /// @dev Reverts unless the game exists and is neither resolved nor aborted.
    function _requireOpen(uint256 gameId, Phase phase) private pure {
        if (phase == Phase.None) revert GameNotFound(gameId);
        if (phase >= Phase.Resolved) revert GameClosed(gameId, phase);
    }

    /// @dev The revert for a move that does not fit the phase.
    function _revertPhase(uint256 gameId, Phase phase) private pure {
        _requireOpen(gameId, phase);
        revert WrongPhase(gameId, phase);
    }

    /// @dev Checks that the anchor record {entry, ANCHOR_TENSOR_ID, code, no inputs, no attrs, root} is leaf
    ///      `entry` of `traceRoot`, with a path of exactly `depth` siblings.
    function _checkAnchor(
        uint256 gameId,
        bytes32 traceRoot,
        uint32 entry,
        uint8 code,
        bytes32 root,
        bytes32[] calldata path,
        uint256 depth
    ) private pure {
        if (path.length != depth) revert ProofDepthMismatch(depth, path.length);
        bytes32 leaf = TraceCommitment.recordHash(entry, ANCHOR_TENSOR_ID, code, new uint32[](0), new int64[](0), root);
        bytes32 computed = Sha256Merkle.computeRoot(leaf, entry, path);
        if (computed != traceRoot) revert AnchorMismatch(gameId, entry, traceRoot, computed);
    }

    /// @dev Reverts unless `rec` hashes to `leaf`.
    function _checkRecord(uint256 gameId, TraceCommitment.Record calldata rec, bytes32 leaf) private pure {
        bytes32 h = TraceCommitment.recordHash(rec);
        if (h != leaf) revert RecordMismatch(gameId, leaf, h);
    }

    /// @dev Whether the program entry built from `rec`'s fields and (`width`, `dims`) is leaf 1 + k of the
    ///      program. Reverts on a path of the wrong depth (a malformed call, not a wrong record).
    function _recordInProgram(
        Game storage g,
        TraceCommitment.Record calldata rec,
        uint8 width,
        uint32[] calldata dims,
        bytes32[] calldata programPath,
        uint32 k
    ) private view returns (bool) {
        uint256 depth = g.programDepth;
        if (programPath.length != depth) revert ProofDepthMismatch(depth, programPath.length);
        ProgramCommitment.Entry memory p = ProgramCommitment.Entry({
            entry: rec.entry,
            tensorId: rec.tensorId,
            code: rec.code,
            inputs: rec.inputs,
            attrs: rec.attrs,
            width: width,
            dims: dims
        });
        return Sha256Merkle.computeRoot(ProgramCommitment.entryHash(p), uint256(k) + 1, programPath) == g.programRoot;
    }

    /// @dev Checks the mover's revealed nodes: 2^r of them, r = min(DESCENT_LEVELS, depth - round), hashing up
    ///      to its current node; emits {NodesRevealed}. Returns r.
    function _checkNodes(Game storage g, uint256 gameId, bool bySolver, bool traceLevel, bytes32[] calldata nodes)
        private
        returns (uint8 r)
    {
        uint8 round = g.round;
        // SAFETY: round < depth in a descent phase (it ends at round == depth).
        r = Descent.levels(g.depth, round);
        if (nodes.length != uint256(1) << r) revert WrongNodeCount(gameId, uint256(1) << r, nodes.length);
        {
            bytes32 node = bySolver ? g.solverNode : g.challengerNode;
            bytes32 computed = Descent.subtreeRoot(nodes);
            if (computed != node) revert NodesMismatch(gameId, node, computed);
        }
        emit NodesRevealed(gameId, bySolver ? Party.Solver : Party.Challenger, traceLevel ? 2 : 3, round, g.index, nodes);
    }

    /// @dev The challenger's half of a descent round: checks the solver's nodes against the stored hash and
    ///      moves both current nodes r levels down, to the leftmost position where the lists differ. Returns
    ///      the new index.
    function _descend(
        Game storage g,
        uint256 gameId,
        uint8 r,
        bytes32[] calldata nodes,
        bytes32[] calldata solverNodes
    ) private returns (uint64 index) {
        bytes32 stored = g.pendingHash;
        bytes32 solverHash = keccak256(abi.encodePacked(solverNodes));
        if (solverHash != stored) revert SolverNodesMismatch(gameId, stored, solverHash);
        // INVARIANT: INV-GAME-3: descend to the leftmost differing node. The two lists differ somewhere: the
        // solver's hashes up to its current node (checked at its reveal, bound here by the stored hash, which
        // also binds its length 2^r), the challenger's to its own, and the two current nodes differ. So the
        // scan stops inside the lists, the new current nodes differ, and every leaf left of the final index
        // is equal in both trees.
        uint256 i = Descent.leftmostDifference(solverNodes, nodes);
        g.solverNode = solverNodes[i];
        g.challengerNode = nodes[i];
        // SAFETY: index < 2^round and i < 2^r, so the new index is below 2^(round + r) <= 2^depth, and
        // depth <= 57 (a trace has under 2^32 entries, a tensor under 2^64 elements of at most 8 bytes in
        // 1 KiB leaves): it fits.
        index = (g.index << r) | uint64(i);
        g.index = index;
        g.round += r;
    }

    /// @dev The trace descent ended at leaf `k`.
    function _endTraceDescent(Game storage g, uint256 gameId, uint64 k) private {
        uint32 entries = g.entries;
        if (k >= entries) {
            // Past the last entry, an honest trace holds the zero hash: the party with a non-zero leaf loses.
            // (Unreachable while the anchors hold: leaf E - 1 always differs, so the leftmost difference is
            // at most E - 1; kept so the game never relies on that argument.)
            _resolve(gameId, g, g.solverNode == bytes32(0), Reason.PaddingLeaf);
        } else if (k == entries - 1) {
            // The post-state anchor: both records were checked at postTrace; settle the two state roots.
            _reachSettlement(g, gameId, uint32(k), 0, g.solverRoot, g.challengerRoot);
        } else {
            g.entry = uint32(k);
            g.phase = Phase.SolverRecord;
        }
    }

    /// @dev The data descent ended at leaf `l`.
    function _endDataDescent(Game storage g, uint256 gameId, uint64 l) private {
        if (l >= Descent.leafCount(g.elementCount, g.width)) {
            // INVARIANT: INV-GAME-5 (padding leaves): past the tensor's last leaf an honest data tree holds the
            // zero hash; the party with a non-zero node there loses.
            _resolve(gameId, g, g.solverNode == bytes32(0), Reason.PaddingLeaf);
        } else {
            g.phase = Phase.SolverLeaf;
        }
    }

    /// @dev Level 3 ended on element `e` with the two claimed values: level 4 for an accumulation of K terms
    ///      (matmul, col_sum, col2im) or a fold (maxpool, maxpool_grad, softmax_ce_grad), else settlement.
    function _endElements(Game storage g, uint256 gameId, uint64 e, bytes32 vS, bytes32 vC) private {
        uint8 code = g.code;
        if (!_hasTermLevel(code)) {
            _reachSettlement(g, gameId, g.entry, e, vS, vC);
            return;
        }
        g.element = e;
        g.solverNode = vS;
        g.challengerNode = vC;
        g.phase = Phase.SolverTerms;
        emit TermsStarted(gameId, g.entry, e, vS, vC);
    }

    /// @dev Whether level 4 narrows an element of op `code`.
    function _hasTermLevel(uint8 code) private pure returns (bool) {
        return code == MATMUL_CODE || code == COL_SUM_CODE || (code >= COL2IM_CODE && code <= MAXPOOL_GRAD_CODE)
            || code == SOFTMAX_CE_GRAD_CODE;
    }

    /// @dev Level 4 of entry k runs over one dimension of its first input: matmul op(A) is [m, K], so K is
    ///      dims[1] of A, or dims[0] when transA (attrs[0] == 1); col_sum D is [K, n], K = dims[0];
    ///      softmax_ce_grad folds over a row of its logits Z [m, n], K = 2 dims[1] + 1. Remembers that tensor
    ///      and dimension from record k (which matches the program) for the solver's first {postTerms}
    ///      (INV-GAME-9). An entry without inputs (a malformed program,
    ///      which no kernel verifier settles either) gets ANCHOR_TENSOR_ID: no 2-D tensor has it, so no K can
    ///      be proved for it. col2im (attributes H, W, C, k, stride, pad) sums K = ceil(k / stride)^2 terms
    ///      (ModelOps.col2imTerm), maxpool and maxpool_grad (H, W, C, size) fold over K = size^2 and
    ///      size^2 + 1: K itself is remembered; attributes no engine accepts (k, stride or size outside
    ///      [1, 64]) give K = 0, which no postTerms can declare.
    function _rememberTermOperand(Game storage g, TraceCommitment.Record calldata rec, uint8 code) private {
        if (code == MAXPOOL_CODE || code == MAXPOOL_GRAD_CODE) {
            uint256 k = 0;
            if (rec.attrs.length == 4 && rec.attrs[3] >= 1 && rec.attrs[3] <= 64) {
                // SAFETY: size in [1, 64]: K <= 64^2 + 1 fits a uint32.
                uint256 size = uint256(uint64(rec.attrs[3]));
                k = size * size + (code == MAXPOOL_GRAD_CODE ? 1 : 0);
            }
            g.termOperand = uint32(k);
            g.termDim = K_FROM_ATTRS;
            return;
        }
        if (code == COL2IM_CODE) {
            uint256 per = 0;
            if (rec.attrs.length == 6) {
                int64 k = rec.attrs[3];
                int64 stride = rec.attrs[4];
                // SAFETY: both in [1, 64] when used, so per <= 64 and per^2 fits a uint32.
                if (k >= 1 && k <= 64 && stride >= 1 && stride <= 64) per = (uint256(uint64(k)) + uint256(uint64(stride)) - 1) / uint256(uint64(stride));
            }
            g.termOperand = uint32(per * per);
            g.termDim = K_FROM_ATTRS;
            return;
        }
        g.termOperand = rec.inputs.length != 0 ? rec.inputs[0] : ANCHOR_TENSOR_ID;
        g.termDim = code == SOFTMAX_CE_GRAD_CODE ? K_ROW_FOLD : code == MATMUL_CODE && (rec.attrs.length == 0 || rec.attrs[0] != 1) ? 1 : 0;
    }

    /// @dev The K the program fixes for level 4: dimension termDim of tensor termOperand, opened from the
    ///      program leaf `d` describes (ProgramCommitment.openTensor: reverts unless it is that tensor's leaf of
    ///      the job's program); for col2im, the K remembered from its attributes (`d` is not read).
    function _termOperandDim(Game storage g, uint256 gameId, ProgramCommitment.TensorDescription calldata d)
        private
        view
        returns (uint256)
    {
        if (g.termDim == K_FROM_ATTRS) return g.termOperand;
        uint32 id = g.termOperand;
        (, uint32[] memory dims) = ProgramCommitment.openTensor(g.programRoot, g.entries, id, d);
        if (dims.length != 2) revert OperandNotMatrix(gameId, id, dims.length);
        // SAFETY: dims[1] < 2^32, so 2 dims[1] + 1 fits a uint256 (and termCount's uint64).
        if (g.termDim == K_ROW_FOLD) return 2 * uint256(dims[1]) + 1;
        return dims[g.termDim];
    }

    /// @dev Reverts unless `leaf` hashes to `node`.
    function _checkLeaf(uint256 gameId, bytes calldata leaf, bytes32 node) private pure {
        bytes32 computed = TensorCommitment.leafHash(leaf);
        if (computed != node) revert LeafMismatch(gameId, node, computed);
    }

    /// @dev Moves the game to settlement; the current nodes become the two claims, and the settlement window
    ///      of clockDuration starts now.
    function _reachSettlement(
        Game storage g,
        uint256 gameId,
        uint32 entry,
        uint64 element,
        bytes32 solverValue,
        bytes32 challengerValue
    ) private {
        g.entry = entry;
        g.element = element;
        g.solverNode = solverValue;
        g.challengerNode = challengerValue;
        g.lastMove = uint64(block.timestamp);
        g.phase = Phase.Settlement;
        emit ReachedSettlement(gameId, entry, element, solverValue, challengerValue);
    }

    /// @dev Ends the game and reports it to the market, exactly once: the phase is final before the call.
    function _resolve(uint256 gameId, Game storage g, bool solverWon, Reason reason) private {
        g.phase = Phase.Resolved;
        emit GameResolved(gameId, solverWon, reason);
        IJobMarket(market).onGameResolved(gameId, solverWon);
    }
}
