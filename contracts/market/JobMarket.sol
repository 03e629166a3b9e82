// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {HistoryCommitment} from "../lib/HistoryCommitment.sol";

/// @title JobMarket
/// @notice Holds every wei of the protocol and runs the job lifecycle and challenge opening
///         (docs/protocol.md, sections 1-3). See {IJobMarket} for the behaviour of each function.
/// @dev Deploy order: the {IDisputeGame} first (it learns this market's address later through its one-time,
///      deployer-only `setMarket`), then this market with the game's address, then `game.setMarket(market)`.
///
///      Accounting: every wei held sits in exactly one of five buckets, each kept as a running total:
///      open escrows, bid bonds (best bids of open auctions), solver bonds (assigned and committed jobs),
///      challenger bonds (open games) and pull balances. Every state change moves value between buckets, or
///      in (payable calls) or out ({withdraw}) of the market, so `address(this).balance ==
///      totalLiabilities()` always holds (INV-MKT-3), short of ether forced in without a call.
///
///      Security: pull payments only (ether leaves only in {withdraw}/{withdrawTo}); checks-effects-
///      interactions everywhere; and every state-changing entry point holds one transient reentrancy lock,
///      so neither a withdrawal recipient nor the game can re-enter the market mid-call.
contract JobMarket is IJobMarket {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;

    /// @inheritdoc IJobMarket
    address public immutable game;
    /// @inheritdoc IJobMarket
    address public immutable treasury;
    /// @inheritdoc IJobMarket
    uint16 public immutable forfeitBps;

    /// @inheritdoc IJobMarket
    /// @dev Chosen by measurement (docs/protocol.md, section 1, "Commit"): a commit of 2,048 random roots costs
    ///      3.4M gas (above its EIP-7623 calldata floor of 2.6M), a fifth of the 2^24 gas cap of one transaction
    ///      (EIP-7825), and its 64 KiB of roots stay inside the 128 KiB transaction size that mempools relay
    ///      (4,096 would not: 128 KiB of roots alone).
    uint64 public constant MAX_CHECKPOINTS = 2048;

    /// @inheritdoc IJobMarket
    uint256 public jobCount;

    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 gameId => GameRecord) internal _games;
    mapping(address account => uint256) internal _balances;

    // The liability buckets (INV-MKT-3), packed two to a slot; uint128 exceeds any ether amount.
    uint128 internal _escrows;
    uint128 internal _solverBonds;
    uint128 internal _bidBonds;
    uint128 internal _challengerBonds;
    uint256 internal _pullBalances;

    bool internal transient _locked;

    /// @dev One lock for every state-changing entry point (EIP-1153 transient storage).
    modifier nonReentrant() {
        if (_locked) revert ReentrantCall();
        _locked = true;
        _;
        _locked = false;
    }

    /// @param game_ The dispute game, the only caller of {onGameResolved}; it must then be pointed at this
    ///        market (its one-time `setMarket`).
    /// @param treasury_ The account credited with the forfeited share of lost bonds.
    /// @param forfeitBps_ That share in basis points (e.g. 1,000 = 10%), at most 10,000.
    constructor(address game_, address treasury_, uint16 forfeitBps_) {
        if (game_ == address(0) || treasury_ == address(0)) revert ZeroAddress();
        if (forfeitBps_ > BPS) revert ForfeitBpsTooLarge(forfeitBps_);
        game = game_;
        treasury = treasury_;
        forfeitBps = forfeitBps_;
    }

    // ================================================================== jobs

    /// @inheritdoc IJobMarket
    function postJob(JobParams calldata p) external payable nonReentrant returns (uint256 jobId) {
        if (msg.value == 0) revert ZeroEscrow();
        uint96 escrow = _toU96(msg.value);
        if (p.steps == 0) revert ZeroSteps();
        if (p.checkpointInterval == 0) revert ZeroCheckpointInterval();
        if (p.checkpointInterval > p.steps) revert IntervalExceedsSteps(p.checkpointInterval, p.steps);
        if (p.requiredBond == 0) revert ZeroRequiredBond();
        if (p.challengeBond == 0) revert ZeroChallengeBond();
        if (p.firstCome) {
            if (p.bidDuration != 0) revert BidDurationWithFirstCome(p.bidDuration);
        } else if (p.bidDuration == 0) {
            revert ZeroBidDuration();
        }
        if (p.commitDuration == 0) revert ZeroCommitDuration();
        if (p.challengeWindow == 0) revert ZeroChallengeWindow();
        if (p.clockDuration == 0) revert ZeroClockDuration();
        if (p.sampleBps > BPS) revert SampleBpsTooLarge(p.sampleBps);
        uint64 count = _checkpointCount(p.steps, p.checkpointInterval);

        jobId = ++jobCount;
        Job storage j = _jobs[jobId];
        j.client = msg.sender;
        j.escrow = escrow;
        j.requiredBond = p.requiredBond;
        j.challengeBond = p.challengeBond;
        j.steps = p.steps;
        j.checkpointInterval = p.checkpointInterval;
        j.bidDuration = p.bidDuration;
        j.commitDuration = p.commitDuration;
        j.challengeWindow = p.challengeWindow;
        j.clockDuration = p.clockDuration;
        j.postedAt = uint64(block.timestamp);
        j.checkpointCount = count;
        j.sampleBps = p.sampleBps;
        j.status = JobStatus.Open;
        j.firstCome = p.firstCome;
        j.specHash = p.specHash;
        j.programRoot = p.programRoot;
        j.initialRoot = p.initialRoot;
        j.datasetRoot = p.datasetRoot;
        // INVARIANT: INV-MKT-3, the escrow received enters the escrow bucket (every payable entry point
        // adds exactly msg.value to one bucket; every other change moves value between buckets).
        _escrows += escrow;
        emit JobPosted(jobId, msg.sender, msg.value, p);
    }

    /// @inheritdoc IJobMarket
    function bid(uint256 jobId, uint256 price) external payable nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Open);
        if (j.firstCome) revert NotAnAuction(jobId);
        uint256 deadline = uint256(j.postedAt) + j.bidDuration;
        if (block.timestamp >= deadline) revert BiddingEnded(jobId, deadline);
        uint96 bond = j.requiredBond;
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        if (price > j.escrow) revert PriceAboveEscrow(price, j.escrow);
        bool hadBid = j.hasBid;
        // Strictly lower: a tie keeps the earlier bidder.
        if (hadBid && price >= j.price) revert BidNotLower(price, j.price);

        if (hadBid) {
            // INVARIANT: INV-MKT-1, a bond is held only for the current best bid: the outbid bond moves to
            // its owner's pull balance at once.
            address outbid = j.solver;
            _bidBonds -= bond;
            _credit(outbid, jobId, bond);
            emit BidderOutbid(jobId, outbid, bond);
        }
        j.solver = msg.sender;
        j.price = uint96(price); // price <= escrow < 2^96
        j.hasBid = true;
        _bidBonds += bond;
        emit BidPlaced(jobId, msg.sender, price, bond);
    }

    /// @inheritdoc IJobMarket
    function closeBidding(uint256 jobId) external nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Open);
        if (j.firstCome) revert NotAnAuction(jobId);
        uint256 deadline = uint256(j.postedAt) + j.bidDuration;
        if (block.timestamp < deadline) revert BiddingNotEnded(jobId, deadline);
        if (j.hasBid) {
            uint96 bond = j.requiredBond;
            j.status = JobStatus.Assigned;
            j.assignedAt = uint64(block.timestamp);
            _bidBonds -= bond;
            _solverBonds += bond;
            emit JobAssigned(jobId, j.solver, j.price, bond);
        } else {
            _cancel(jobId, j);
        }
    }

    /// @inheritdoc IJobMarket
    function take(uint256 jobId) external payable nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Open);
        if (!j.firstCome) revert NotFirstCome(jobId);
        uint96 bond = j.requiredBond;
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        uint96 price = j.escrow;
        j.solver = msg.sender;
        j.price = price;
        j.status = JobStatus.Assigned;
        j.assignedAt = uint64(block.timestamp);
        _solverBonds += bond;
        emit JobAssigned(jobId, msg.sender, price, bond);
    }

    /// @inheritdoc IJobMarket
    function cancelJob(uint256 jobId) external nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Open);
        if (msg.sender != j.client) revert NotClient(jobId, msg.sender);
        // SAFETY: a best bidder holds a claim on the job; only closeBidding can end an auction with a bid.
        if (j.hasBid) revert HasBid(jobId);
        _cancel(jobId, j);
    }

    /// @inheritdoc IJobMarket
    function commitResult(uint256 jobId, bytes32[] calldata roots, string calldata modelURI) external nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Assigned);
        if (msg.sender != j.solver) revert NotSolver(jobId, msg.sender);
        uint256 deadline = uint256(j.assignedAt) + j.commitDuration;
        if (block.timestamp >= deadline) revert CommitDeadlinePassed(jobId, deadline);
        uint64 count = j.checkpointCount;
        if (roots.length != count) revert CheckpointCountMismatch(count, roots.length);
        if (roots[0] != j.initialRoot) revert InitialRootMismatch(j.initialRoot, roots[0]);
        // INVARIANT: INV-MKT-4, every checkpoint of a committed history is public: the history root is
        // rebuilt here from all the roots (emitted below) on the job's schedule, so no leaf of it exists
        // only on the solver's side and any interval can be challenged without the solver's help.
        bytes32 historyRoot = HistoryCommitment.rebuildRoot(roots, j.steps, j.checkpointInterval);

        j.status = JobStatus.Committed;
        j.committedAt = uint64(block.timestamp);
        j.historyRoot = historyRoot;
        j.finalRoot = roots[count - 1];
        _emitCommitted(jobId, j, roots, modelURI);
    }

    /// @inheritdoc IJobMarket
    function attest(uint256 jobId, uint64[] calldata intervals) external {
        Job storage j = _jobs[jobId];
        JobStatus s = j.status;
        if (s != JobStatus.Committed && s != JobStatus.Finalized) {
            if (s == JobStatus.None) revert JobNotFound(jobId);
            revert WrongJobStatus(jobId, s);
        }
        uint256 n = intervals.length;
        if (n == 0) revert IntervalsNotIncreasing();
        uint256 last = j.checkpointCount - 1; // intervals 0 .. count - 2
        uint256 prev;
        for (uint256 i; i < n; ++i) {
            uint256 x = intervals[i];
            if (x >= last) revert IntervalOutOfRange(x, last);
            if (i != 0 && x <= prev) revert IntervalsNotIncreasing();
            prev = x;
        }
        emit Attested(jobId, msg.sender, intervals);
    }

    /// @inheritdoc IJobMarket
    function slashUncommitted(uint256 jobId) external nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Assigned);
        uint256 deadline = uint256(j.assignedAt) + j.commitDuration;
        if (block.timestamp < deadline) revert CommitDeadlineNotPassed(jobId, deadline);
        uint96 escrow = j.escrow;
        uint96 bond = j.requiredBond;
        j.status = JobStatus.Slashed;
        _escrows -= escrow;
        _solverBonds -= bond;
        // The bond compensates the client for the delay.
        _credit(j.client, jobId, uint256(escrow) + bond);
        emit JobSlashed(jobId, j.solver, escrow, bond);
    }

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId) external nonReentrant {
        Job storage j = _jobWithStatus(jobId, JobStatus.Committed);
        uint256 deadline = uint256(j.committedAt) + j.challengeWindow;
        if (block.timestamp < deadline) revert ChallengeWindowOpen(jobId, deadline);
        // SAFETY: an open game may still fail the job and pay the escrow back to the client.
        if (j.openGames != 0) revert GamesOpen(jobId, j.openGames);
        uint96 escrow = j.escrow;
        uint96 price = j.price;
        uint96 bond = j.requiredBond;
        j.status = JobStatus.Finalized;
        _escrows -= escrow;
        _solverBonds -= bond;
        address solver = j.solver;
        _credit(solver, jobId, uint256(price) + bond);
        _credit(j.client, jobId, escrow - price); // price <= escrow (bid/take)
        emit JobFinalized(jobId, solver, uint256(price) + bond, escrow - price);
    }

    // ================================================================== disputes

    /// @inheritdoc IJobMarket
    /// @dev The leaves' own `step` fields are proven (the leaf hashes them) but not required to follow the
    ///      schedule: the game disputes the schedule's steps, so a solver cannot make a checkpoint
    ///      unchallengeable by committing a malformed step number (state roots bind their step anyway).
    function challenge(uint256 jobId, Checkpoint calldata lo, Checkpoint calldata hi, bytes32 claimedRoot)
        external
        payable
        nonReentrant
        returns (uint256 gameId)
    {
        Job storage j = _jobWithStatus(jobId, JobStatus.Committed);
        uint256 deadline = uint256(j.committedAt) + j.challengeWindow;
        if (block.timestamp >= deadline) revert ChallengeWindowClosed(jobId, deadline);
        if (msg.value < j.challengeBond) revert BondTooLow(j.challengeBond, msg.value);
        uint96 bond = _toU96(msg.value);
        uint64 count = j.checkpointCount;
        // Padding positions (count <= index < 2^depth) are not checkpoints: reject them outright.
        if (hi.index >= count) revert CheckpointOutOfRange(hi.index, count);
        if (hi.index == 0 || lo.index != hi.index - 1) revert CheckpointsNotConsecutive(lo.index, hi.index);
        if (claimedRoot == hi.root) revert ClaimMatchesSolver(claimedRoot);
        bytes32 historyRoot = j.historyRoot;
        // INVARIANT: INV-GAME-1, a game's subject is bound to the commitment: both checkpoints are leaves
        // lo.index and lo.index + 1 of the solver's committed history root.
        _verify(historyRoot, count, lo);
        _verify(historyRoot, count, hi);

        j.openGames += 1;
        _challengerBonds += bond;
        // SAFETY: the game is the trusted contract fixed at construction, and the reentrancy lock is held,
        // so it cannot call back into the market (e.g. resolve the game) before the record below exists.
        gameId = IDisputeGame(game).create(_gameParams(jobId, j, lo, hi, claimedRoot));
        GameRecord storage g = _games[gameId];
        // INVARIANT: INV-GAME-7, one record per game id: a reused id would let one game pay twice.
        if (g.status != GameStatus.None) revert DuplicateGameId(gameId);
        g.challenger = msg.sender;
        g.bond = bond;
        g.jobId = uint64(jobId); // jobId <= jobCount, far below 2^64
        g.status = GameStatus.Open;
        emit ChallengeOpened(gameId, jobId, msg.sender, msg.value, lo.index, claimedRoot);
    }

    /// @inheritdoc IJobMarket
    function onGameResolved(uint256 gameId, bool solverWon) external nonReentrant {
        if (msg.sender != game) revert NotGame(msg.sender);
        GameRecord storage g = _games[gameId];
        // INVARIANT: INV-GAME-7, a resolved or voided game can never pay again: only an Open game pays,
        // and it is closed before any credit.
        if (g.status != GameStatus.Open) revert GameNotOpen(gameId, g.status);
        g.status = GameStatus.Resolved;
        uint256 jobId = g.jobId;
        Job storage j = _jobs[jobId];
        address challenger = g.challenger;
        uint96 bond = g.bond;
        j.openGames -= 1;
        _challengerBonds -= bond;

        if (j.status == JobStatus.Failed) {
            // Another challenger already won: this game is void whatever its outcome.
            _credit(challenger, jobId, bond);
            emit GameResolved(gameId, jobId, solverWon, false, true);
        } else if (solverWon) {
            // The job is Committed here: it cannot finalize while this game is open.
            _splitForfeit(j.solver, jobId, bond);
            emit GameResolved(gameId, jobId, true, false, false);
        } else {
            uint96 escrow = j.escrow;
            uint96 solverBond = j.requiredBond;
            j.status = JobStatus.Failed;
            _escrows -= escrow;
            _solverBonds -= solverBond;
            _credit(j.client, jobId, escrow);
            _credit(challenger, jobId, bond);
            _splitForfeit(challenger, jobId, solverBond);
            emit JobFailed(jobId, gameId, escrow, solverBond);
            emit GameResolved(gameId, jobId, false, true, false);
        }
    }

    /// @inheritdoc IJobMarket
    function voidGame(uint256 gameId) external nonReentrant {
        GameRecord storage g = _games[gameId];
        // INVARIANT: INV-GAME-7, a resolved or voided game can never pay again.
        if (g.status != GameStatus.Open) revert GameNotOpen(gameId, g.status);
        uint256 jobId = g.jobId;
        Job storage j = _jobs[jobId];
        if (j.status != JobStatus.Failed) revert WrongJobStatus(jobId, j.status);
        g.status = GameStatus.Voided;
        address challenger = g.challenger;
        uint96 bond = g.bond;
        j.openGames -= 1;
        _challengerBonds -= bond;
        _credit(challenger, jobId, bond);
        emit GameVoided(gameId, jobId, challenger, bond);
        // Interaction last; the game must not report this game afterwards (and could not be paid if it did).
        IDisputeGame(game).abort(gameId);
    }

    // ================================================================== money

    /// @inheritdoc IJobMarket
    function withdraw() external nonReentrant {
        _withdraw(payable(msg.sender));
    }

    /// @inheritdoc IJobMarket
    function withdrawTo(address payable to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(to);
    }

    // ================================================================== views

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (Job memory) {
        Job storage j = _jobs[jobId];
        if (j.status == JobStatus.None) revert JobNotFound(jobId);
        return j;
    }

    /// @inheritdoc IJobMarket
    function getGame(uint256 gameId) external view returns (GameRecord memory) {
        return _games[gameId];
    }

    /// @inheritdoc IJobMarket
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IJobMarket
    /// @dev INVARIANT: INV-MKT-3, equals address(this).balance after every call (tests check it after each).
    function totalLiabilities() external view returns (uint256) {
        return uint256(_escrows) + _bidBonds + _solverBonds + _challengerBonds + _pullBalances;
    }

    /// @inheritdoc IJobMarket
    function liabilities()
        external
        view
        returns (uint256 escrows, uint256 bidBonds, uint256 solverBonds, uint256 challengerBonds, uint256 pullBalances)
    {
        return (_escrows, _bidBonds, _solverBonds, _challengerBonds, _pullBalances);
    }

    /// @inheritdoc IJobMarket
    function checkpointCountFor(uint64 steps, uint64 checkpointInterval) external pure returns (uint64) {
        if (steps == 0) revert ZeroSteps();
        if (checkpointInterval == 0) revert ZeroCheckpointInterval();
        return _checkpointCount(steps, checkpointInterval);
    }

    // ================================================================== internals

    /// @dev The job `jobId`, which must exist and be in `status`.
    function _jobWithStatus(uint256 jobId, JobStatus status) internal view returns (Job storage j) {
        j = _jobs[jobId];
        JobStatus s = j.status;
        if (s != status) {
            if (s == JobStatus.None) revert JobNotFound(jobId);
            revert WrongJobStatus(jobId, s);
        }
    }

    /// @dev The parameters of a game on checkpoints `lo`, `hi` (already verified) of job `jobId`, with the
    ///      schedule's steps: checkpoint i is at step `min(i * interval, steps)`.
    function _gameParams(
        uint256 jobId,
        Job storage j,
        Checkpoint calldata lo,
        Checkpoint calldata hi,
        bytes32 claimedRoot
    ) internal view returns (IDisputeGame.GameParams memory p) {
        uint256 interval = j.checkpointInterval;
        uint256 hiStep = hi.index * interval; // hi.index < checkpointCount <= 2^64: no overflow
        if (hiStep > j.steps) hiStep = j.steps; // the last checkpoint is at `steps`
        p.jobId = jobId;
        p.solver = j.solver;
        p.challenger = msg.sender;
        p.loStep = uint64(lo.index * interval); // lo.index * interval < steps (lo is not the last checkpoint)
        p.hiStep = uint64(hiStep);
        p.agreedRoot = lo.root;
        p.solverRoot = hi.root;
        p.challengerRoot = claimedRoot;
        p.clockDuration = j.clockDuration;
        p.programRoot = j.programRoot;
        p.datasetRoot = j.datasetRoot;
    }

    /// @dev {ResultCommitted} of a job just committed (its own frame: the event has too many fields for
    ///      commitResult's stack).
    function _emitCommitted(uint256 jobId, Job storage j, bytes32[] calldata roots, string calldata modelURI) internal {
        emit ResultCommitted(
            jobId, msg.sender, j.historyRoot, j.finalRoot, roots.length, block.timestamp + j.challengeWindow, modelURI, roots
        );
    }

    /// @dev Cancels an open job without a held bid: escrow back to the client.
    function _cancel(uint256 jobId, Job storage j) internal {
        uint96 escrow = j.escrow;
        j.status = JobStatus.Cancelled;
        _escrows -= escrow;
        _credit(j.client, jobId, escrow);
        emit JobCancelled(jobId, j.client, escrow);
    }

    /// @dev A lost bond: `(1 - forfeitBps)` (rounded down) to `winner`, the rest to the treasury.
    function _splitForfeit(address winner, uint256 jobId, uint256 amount) internal {
        uint256 toWinner = (amount * (BPS - forfeitBps)) / BPS;
        _credit(winner, jobId, toWinner);
        _credit(treasury, jobId, amount - toWinner);
    }

    /// @dev Moves `amount` into `account`'s pull balance (the caller took it out of another bucket).
    function _credit(address account, uint256 jobId, uint256 amount) internal {
        if (amount == 0) return;
        _balances[account] += amount;
        _pullBalances += amount;
        emit Credited(account, jobId, amount);
    }

    /// @dev Pays the caller's whole pull balance to `to`.
    function _withdraw(address payable to) internal {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        // INVARIANT: INV-MKT-2, the balance is zeroed (and leaves the liabilities) before the transfer.
        _balances[msg.sender] = 0;
        _pullBalances -= amount;
        emit Withdrawn(msg.sender, to, amount);
        // SAFETY: the only ether push of the market; all effects are done and the reentrancy lock is held.
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @dev Checks that `c` is leaf `c.index` of `historyRoot`, a history of `count` checkpoints, with a path
    ///      of the tree's exact depth (one encoding per checkpoint).
    function _verify(bytes32 historyRoot, uint64 count, Checkpoint calldata c) internal pure {
        uint256 depth = _depth(count);
        if (c.siblings.length != depth) revert HistoryDepthMismatch(depth, c.siblings.length);
        HistoryCommitment.verifyCheckpoint(historyRoot, c.index, c.step, c.root, c.siblings);
    }

    /// @dev ceil(log2(n)) for n >= 1 (commitment/merkle.ts, depthFor).
    function _depth(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    /// @dev ceil(steps / interval) + 1, for steps >= interval >= 1.
    function _checkpointCount(uint64 steps, uint64 interval) internal pure returns (uint64) {
        uint256 count = (uint256(steps) + interval - 1) / interval + 1;
        // SAFETY: a job whose commit could not fit in one transaction could never be committed; its solver
        // would be slashed for nothing. Refused at posting instead.
        if (count > MAX_CHECKPOINTS) revert TooManyCheckpoints(count, MAX_CHECKPOINTS);
        return uint64(count);
    }

    /// @dev `amount` as uint96 (more than the ether supply), reverting instead of truncating.
    function _toU96(uint256 amount) internal pure returns (uint96) {
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        return uint96(amount);
    }
}
