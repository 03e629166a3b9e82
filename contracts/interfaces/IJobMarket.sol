// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IJobMarket
/// @notice The market of verifiable training jobs (docs/protocol.md, sections 1 and 2). It holds every wei
///         of the protocol: client escrows, bid and solver bonds, challenger bonds and pull balances. It runs
///         the job lifecycle `Open -> Assigned -> Committed -> Finalized` (or `Open -> Cancelled`,
///         `Assigned -> Slashed`, `Committed -> Failed`) and opens challenges as games of the
///         {IDisputeGame}, whose outcomes come back through {onGameResolved}.
/// @dev Money leaves the market only through {withdraw}/{withdrawTo} (pull payments). Deadlines: an action
///      "before" a deadline needs `block.timestamp < deadline`, one "after" it `block.timestamp >= deadline`,
///      so each instant belongs to exactly one side.
interface IJobMarket {
    // ================================================================== types

    /// @notice A job's lifecycle state. `None` marks an id that was never posted.
    enum JobStatus {
        None,
        Open,
        Assigned,
        Committed,
        Finalized,
        Cancelled,
        Slashed,
        Failed
    }

    /// @notice A game's state as the market sees it. `None` marks an id the market never opened.
    enum GameStatus {
        None,
        Open,
        Resolved,
        Voided
    }

    /// @notice What a client posts (docs/protocol.md, section 1). `msg.value` of {postJob} is the escrow.
    /// @param specHash sha256 of the canonical spec (engine/spec.ts).
    /// @param programRoot Root of the step program: what each op-trace entry must be.
    /// @param initialRoot State root at step 0; the solver's checkpoint 0 must equal it.
    /// @param datasetRoot Dataset root (docs/commitments.md, "Dataset").
    /// @param specURI Where the spec and dataset can be fetched (emitted in {JobPosted}, not stored).
    /// @param steps Training steps (> 0).
    /// @param checkpointInterval Steps between checkpoints (> 0, <= steps).
    /// @param requiredBond The solver's bond (> 0): `msg.value` of {bid} / {take}.
    /// @param challengeBond The minimum challenger bond (> 0).
    /// @param bidDuration Reverse-auction length in seconds: > 0 for an auction, 0 for a first-come job.
    /// @param firstCome True: the first {take} at price = escrow gets the job, no auction.
    /// @param commitDuration Seconds from assignment to the commit deadline (> 0).
    /// @param challengeWindow Seconds from the commit during which challenges may open (> 0).
    /// @param clockDuration Each party's chess clock in a dispute, in seconds (> 0).
    /// @param sampleBps Verifier sampling rate hint, basis points of checkpoint intervals (<= 10,000).
    struct JobParams {
        bytes32 specHash;
        bytes32 programRoot;
        bytes32 initialRoot;
        bytes32 datasetRoot;
        string specURI;
        uint64 steps;
        uint64 checkpointInterval;
        uint96 requiredBond;
        uint96 challengeBond;
        uint64 bidDuration;
        bool firstCome;
        uint64 commitDuration;
        uint64 challengeWindow;
        uint64 clockDuration;
        uint16 sampleBps;
    }

    /// @notice A job as stored (12 slots).
    /// @dev While `Open`, `solver`/`price` are the best bidder and its price (`hasBid`); from `Assigned`
    ///      on, the solver and the agreed price. `escrow` and `requiredBond` never change after posting:
    ///      whether they are still held follows from `status`. Timestamps are seconds (uint64), amounts wei
    ///      (uint96: more than the whole ether supply).
    struct Job {
        // slot 0
        address client;
        uint96 escrow;
        // slot 1
        address solver;
        uint96 price;
        // slot 2
        uint96 requiredBond;
        uint96 challengeBond;
        uint64 steps;
        // slot 3
        uint64 checkpointInterval;
        uint64 bidDuration;
        uint64 commitDuration;
        uint64 challengeWindow;
        // slot 4
        uint64 clockDuration;
        uint64 postedAt;
        uint64 assignedAt;
        uint64 committedAt;
        // slot 5
        uint64 checkpointCount;
        uint64 openGames;
        uint16 sampleBps;
        JobStatus status;
        bool firstCome;
        bool hasBid;
        // slots 6-11
        bytes32 specHash;
        bytes32 programRoot;
        bytes32 initialRoot;
        bytes32 datasetRoot;
        bytes32 historyRoot;
        bytes32 finalRoot;
    }

    /// @notice One checkpoint of a committed history, with its Merkle path (commitment/history.ts).
    /// @param step The checkpoint's step, as hashed in its leaf.
    /// @param root The state root at that step.
    /// @param index The leaf's position in the history (0 .. checkpointCount - 1).
    /// @param siblings The leaf's path, leaf level first; its length must be ceil(log2(checkpointCount)).
    struct Checkpoint {
        uint64 step;
        bytes32 root;
        uint256 index;
        bytes32[] siblings;
    }

    /// @notice A challenge as recorded by the market (2 slots).
    /// @param challenger Who posted the bond, paid on resolution or void.
    /// @param bond The challenger's bond (the whole `msg.value` of {challenge}).
    /// @param jobId The challenged job.
    /// @param status Open until resolved or voided; a closed game never pays again (INV-GAME-7).
    struct GameRecord {
        address challenger;
        uint96 bond;
        uint64 jobId;
        GameStatus status;
    }

    // ================================================================== events

    /// @notice A job was posted; `escrow` is held from now on.
    event JobPosted(uint256 indexed jobId, address indexed client, uint256 escrow, JobParams params);
    /// @notice A bid became the best bid of an auction; its bond is held.
    event BidPlaced(uint256 indexed jobId, address indexed bidder, uint256 price, uint256 bond);
    /// @notice The previous best bidder was outbid; its bond was credited back to its pull balance.
    event BidderOutbid(uint256 indexed jobId, address indexed bidder, uint256 bondRefunded);
    /// @notice The job was assigned (auction closed with a bid, or taken first-come).
    event JobAssigned(uint256 indexed jobId, address indexed solver, uint256 price, uint256 bond);
    /// @notice The job was cancelled (by its client, or an auction closed without a bid); escrow credited back.
    event JobCancelled(uint256 indexed jobId, address indexed client, uint256 escrowRefunded);
    /// @notice The solver committed its history; the challenge window is open until `challengeDeadline`.
    ///         `roots` are every checkpoint's state root (checkpoint i at step `min(i * interval, steps)`):
    ///         the history root was rebuilt from them, so anyone can form a challenge of any interval
    ///         without the solver's help (INV-MKT-4).
    event ResultCommitted(
        uint256 indexed jobId,
        address indexed solver,
        bytes32 historyRoot,
        bytes32 finalRoot,
        uint256 checkpointCount,
        uint256 challengeDeadline,
        string modelURI,
        bytes32[] roots
    );
    /// @notice The solver missed the commit deadline: escrow and solver bond credited to the client.
    event JobSlashed(uint256 indexed jobId, address indexed solver, uint256 escrowRefunded, uint256 bondForfeited);
    /// @notice The job finalized: `solverPaid` (price + bond) to the solver, `clientRefund` (escrow - price) to the client.
    event JobFinalized(uint256 indexed jobId, address indexed solver, uint256 solverPaid, uint256 clientRefund);
    /// @notice A challenge opened game `gameId` on checkpoints `loIndex`/`loIndex + 1` of the job.
    event ChallengeOpened(
        uint256 indexed gameId,
        uint256 indexed jobId,
        address indexed challenger,
        uint256 bond,
        uint256 loIndex,
        bytes32 claimedRoot
    );
    /// @notice The game reported its outcome. `jobFailed` is true when this outcome failed the job (the
    ///         challenger won while the job was still Committed); `voidOutcome` when the job had already
    ///         failed, so the challenger only got its bond back.
    event GameResolved(uint256 indexed gameId, uint256 indexed jobId, bool solverWon, bool jobFailed, bool voidOutcome);
    /// @notice The solver lost a dispute: the job failed, escrow credited back to the client.
    event JobFailed(uint256 indexed jobId, uint256 indexed gameId, uint256 escrowRefunded, uint256 solverBondForfeited);
    /// @notice An open game of a failed job was voided; its challenger's bond was credited back.
    event GameVoided(uint256 indexed gameId, uint256 indexed jobId, address indexed challenger, uint256 bondRefunded);
    /// @notice `verifier` re-executed checkpoint intervals `intervals` (interval i: checkpoints i to i + 1) of
    ///         a committed job and found the solver's roots. An attestation, not a proof of checking.
    event Attested(uint256 indexed jobId, address indexed verifier, uint64[] intervals);
    /// @notice `amount` was credited to `account`'s pull balance because of job `jobId`.
    event Credited(address indexed account, uint256 indexed jobId, uint256 amount);
    /// @notice `account` withdrew `amount` of its pull balance, sent to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    // ================================================================== errors

    /// @notice A zero address where an address is required (constructor, {withdrawTo}).
    error ZeroAddress();
    /// @notice A forfeit share above 100% (10,000 bps).
    error ForfeitBpsTooLarge(uint256 forfeitBps);
    /// @notice A state-changing call re-entered the market.
    error ReentrantCall();

    /// @notice {postJob} without escrow.
    error ZeroEscrow();
    /// @notice An amount that does not fit in uint96.
    error AmountTooLarge(uint256 amount);
    /// @notice {postJob} with zero steps.
    error ZeroSteps();
    /// @notice {postJob} with a zero checkpoint interval.
    error ZeroCheckpointInterval();
    /// @notice {postJob} with a checkpoint interval larger than the number of steps.
    error IntervalExceedsSteps(uint64 checkpointInterval, uint64 steps);
    /// @notice {postJob} with a zero solver bond.
    error ZeroRequiredBond();
    /// @notice {postJob} with a zero minimum challenge bond.
    error ZeroChallengeBond();
    /// @notice {postJob} of an auction with a zero bidding duration.
    error ZeroBidDuration();
    /// @notice {postJob} of a first-come job with a bidding duration (it has no auction).
    error BidDurationWithFirstCome(uint64 bidDuration);
    /// @notice {postJob} with a zero commit duration.
    error ZeroCommitDuration();
    /// @notice {postJob} with a zero challenge window.
    error ZeroChallengeWindow();
    /// @notice {postJob} with a zero dispute clock.
    error ZeroClockDuration();
    /// @notice {postJob} with a sampling rate above 10,000 bps.
    error SampleBpsTooLarge(uint16 sampleBps);
    /// @notice {postJob} whose checkpoint count exceeds MAX_CHECKPOINTS (its commit would not fit in one
    ///         transaction far below the 2^24 per-transaction gas cap).
    error TooManyCheckpoints(uint256 count, uint256 max);

    /// @notice No job has this id.
    error JobNotFound(uint256 jobId);
    /// @notice The job is not in the state this call needs.
    error WrongJobStatus(uint256 jobId, JobStatus status);
    /// @notice {bid}/{closeBidding} on a first-come job.
    error NotAnAuction(uint256 jobId);
    /// @notice {take} on an auction job.
    error NotFirstCome(uint256 jobId);
    /// @notice Only the job's client may do this.
    error NotClient(uint256 jobId, address caller);
    /// @notice Only the job's solver may do this.
    error NotSolver(uint256 jobId, address caller);
    /// @notice `msg.value` is not the job's solver bond.
    error WrongBond(uint256 required, uint256 sent);
    /// @notice {bid} after the auction's deadline.
    error BiddingEnded(uint256 jobId, uint256 deadline);
    /// @notice {closeBidding} before the auction's deadline.
    error BiddingNotEnded(uint256 jobId, uint256 deadline);
    /// @notice A bid above the escrow.
    error PriceAboveEscrow(uint256 price, uint256 escrow);
    /// @notice A bid not strictly below the best bid (ties keep the earlier bidder).
    error BidNotLower(uint256 price, uint256 bestPrice);
    /// @notice {cancelJob} on an auction that already has a bid.
    error HasBid(uint256 jobId);

    /// @notice {commitResult} at or after the commit deadline.
    error CommitDeadlinePassed(uint256 jobId, uint256 deadline);
    /// @notice {slashUncommitted} before the commit deadline.
    error CommitDeadlineNotPassed(uint256 jobId, uint256 deadline);
    /// @notice A committed checkpoint count other than ceil(steps / interval) + 1.
    error CheckpointCountMismatch(uint256 expected, uint256 actual);
    /// @notice {attest} with an interval index that is not below `checkpointCount - 1`.
    error IntervalOutOfRange(uint256 interval, uint256 intervals);
    /// @notice {attest} with interval indices that are not strictly increasing (or none).
    error IntervalsNotIncreasing();
    /// @notice Checkpoint 0's root is not the job's initial root.
    error InitialRootMismatch(bytes32 expected, bytes32 actual);
    /// @notice A checkpoint path whose length is not the depth of the history tree.
    error HistoryDepthMismatch(uint256 expected, uint256 actual);

    /// @notice {challenge} at or after the end of the challenge window.
    error ChallengeWindowClosed(uint256 jobId, uint256 deadline);
    /// @notice {finalize} before the end of the challenge window.
    error ChallengeWindowOpen(uint256 jobId, uint256 deadline);
    /// @notice {finalize} while games are open on the job.
    error GamesOpen(uint256 jobId, uint256 openGames);
    /// @notice Challenge checkpoints that are not consecutive (`hi.index != lo.index + 1`).
    error CheckpointsNotConsecutive(uint256 loIndex, uint256 hiIndex);
    /// @notice A checkpoint index at or past the job's checkpoint count.
    error CheckpointOutOfRange(uint256 index, uint256 checkpointCount);
    /// @notice A claimed root equal to the solver's: nothing to dispute.
    error ClaimMatchesSolver(bytes32 root);
    /// @notice A challenge bond below the job's minimum.
    error BondTooLow(uint256 required, uint256 sent);

    /// @notice Only the dispute game may report outcomes.
    error NotGame(address caller);
    /// @notice The game returned an id the market already knows.
    error DuplicateGameId(uint256 gameId);
    /// @notice The game is not open (unknown, resolved or voided): it can never pay again (INV-GAME-7).
    error GameNotOpen(uint256 gameId, GameStatus status);

    /// @notice {withdraw} with a zero pull balance.
    error NothingToWithdraw(address account);
    /// @notice The ether transfer of a withdrawal failed (the whole withdrawal reverted).
    error TransferFailed(address to, uint256 amount);

    // ================================================================== jobs

    /// @notice Posts a job; `msg.value` is the escrow, the most the client will pay.
    /// @return jobId The new job's id (ids start at 1).
    function postJob(JobParams calldata p) external payable returns (uint256 jobId);

    /// @notice Bids `price` on an auction before its deadline, with `msg.value == requiredBond`. The price
    ///         must be at most the escrow and strictly below the best bid. The outbid bidder's bond is
    ///         credited to its pull balance at once.
    function bid(uint256 jobId, uint256 price) external payable;

    /// @notice Anyone, at or after the auction deadline: assigns the best bidder, or without a bid cancels
    ///         the job and credits the escrow back to the client.
    function closeBidding(uint256 jobId) external;

    /// @notice Takes an open first-come job at `price = escrow`, with `msg.value == requiredBond`.
    function take(uint256 jobId) external payable;

    /// @notice The client cancels an open job that has no bid; the escrow is credited back.
    function cancelJob(uint256 jobId) external;

    /// @notice The solver commits its history before the commit deadline: the state root of EVERY
    ///         checkpoint (`checkpointCount` of them, checkpoint i at step `min(i * interval, steps)`), from
    ///         which the market rebuilds the history root (leaves sha256(0x05 || u64 step || root)) and
    ///         stores it with the final root; `roots[0]` must be the job's initial root and no root may be
    ///         zero. The roots are emitted in {ResultCommitted}, so no checkpoint of the history exists
    ///         only on the solver's side (INV-MKT-4). Opens the challenge window.
    /// @param roots The checkpoints' state roots, in order.
    /// @param modelURI Where the trained model can be fetched (emitted in {ResultCommitted}, not stored).
    function commitResult(uint256 jobId, bytes32[] calldata roots, string calldata modelURI) external;

    /// @notice A verifier's record that it re-executed checkpoint intervals `intervals` (strictly increasing,
    ///         each below `checkpointCount - 1`) of a Committed or Finalized job and found the solver's
    ///         roots. Stores nothing and moves no funds: an attestation (the {Attested} event), not a proof.
    function attest(uint256 jobId, uint64[] calldata intervals) external;

    /// @notice Anyone, at or after the commit deadline of an assigned job that was not committed: the
    ///         escrow and the solver bond are credited to the client.
    function slashUncommitted(uint256 jobId) external;

    /// @notice Anyone, once the challenge window has passed with no open game: `price + bond` to the
    ///         solver, `escrow - price` to the client.
    function finalize(uint256 jobId) external;

    // ================================================================== disputes

    /// @notice Challenges a committed job before its window closes, with `msg.value >= challengeBond`.
    ///         `lo`, `hi` are the solver's consecutive checkpoints (indices i, i + 1) proven against its
    ///         history root; the challenger agrees with `lo.root` and claims the state at `hi` is
    ///         `claimedRoot` (`!= hi.root`). Opens a game of the {IDisputeGame} with the schedule's steps
    ///         `loStep = i * interval`, `hiStep = min((i + 1) * interval, steps)`.
    /// @return gameId The game's id.
    function challenge(uint256 jobId, Checkpoint calldata lo, Checkpoint calldata hi, bytes32 claimedRoot)
        external
        payable
        returns (uint256 gameId);

    /// @notice The game reports an outcome. Only the game contract may call it, once per game.
    ///         Solver won: the challenger bond goes `(1 - forfeit)` to the solver, the rest to the treasury.
    ///         Challenger won: the job fails, the escrow goes back to the client, the challenger gets its
    ///         bond plus `solverBond * (1 - forfeit)`, the treasury the rest. If the job had already
    ///         failed: the challenger gets its bond back whatever the outcome.
    function onGameResolved(uint256 gameId, bool solverWon) external;

    /// @notice Anyone: closes an open game of a failed job, aborts it in the game contract and credits
    ///         its challenger's bond back.
    function voidGame(uint256 gameId) external;

    // ================================================================== money

    /// @notice Pays the caller's whole pull balance to the caller.
    function withdraw() external;

    /// @notice Pays the caller's whole pull balance to `to` (for accounts that cannot receive ether).
    function withdrawTo(address payable to) external;

    // ================================================================== views

    /// @notice The dispute game contract (fixed at construction).
    function game() external view returns (address);
    /// @notice The account credited with the forfeited share of bonds.
    function treasury() external view returns (address);
    /// @notice The forfeited share of a lost bond that goes to the treasury, in basis points.
    function forfeitBps() external view returns (uint16);
    /// @notice Number of jobs posted so far (the last id).
    function jobCount() external view returns (uint256);
    /// @notice A job; reverts with {JobNotFound} for an unknown id.
    function getJob(uint256 jobId) external view returns (Job memory);
    /// @notice A game record (status `None` for an unknown id).
    function getGame(uint256 gameId) external view returns (GameRecord memory);
    /// @notice An account's pull balance.
    function balanceOf(address account) external view returns (uint256);
    /// @notice The sum of every bucket of held value; equals the market's ether balance (INV-MKT-3).
    function totalLiabilities() external view returns (uint256);
    /// @notice The buckets of {totalLiabilities}.
    function liabilities()
        external
        view
        returns (uint256 escrows, uint256 bidBonds, uint256 solverBonds, uint256 challengerBonds, uint256 pullBalances);
    /// @notice The most checkpoints a job may have: its commit carries every checkpoint root.
    function MAX_CHECKPOINTS() external view returns (uint64);
    /// @notice `ceil(steps / interval) + 1`: checkpoints at 0, I, 2I, ... and `steps`.
    function checkpointCountFor(uint64 steps, uint64 checkpointInterval) external pure returns (uint64);
}
