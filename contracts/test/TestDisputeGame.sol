// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";

/// @title TestDisputeGame
/// @notice Test-only double of the dispute game for JobMarket tests: {create} stores the parameters and
///         returns incrementing ids (starting at 0, so the market is exercised with a zero game id), and
///         anyone may {resolve} an open game either way, which forwards the outcome to the market.
/// @dev Wiring, as for the real game: deploy this contract, deploy the market with its address, then call
///      {setMarket} once, from the deployer.
contract TestDisputeGame is IDisputeGame {
    enum Status {
        None,
        Open,
        Resolved,
        Aborted
    }

    /// @notice Who may call {setMarket}, once.
    address public immutable deployer;
    /// @notice The market allowed to create and abort games (zero until {setMarket}).
    IJobMarket public market;
    /// @notice The id the next {create} returns.
    uint256 public nextGameId;
    /// @notice False: {create} keeps only the status (not the parameters), so gas measurements of
    ///         {IJobMarket-challenge} are not dominated by this double's 11-word parameter record.
    bool public recordParams = true;

    mapping(uint256 => GameParams) internal _params;
    /// @notice Each game's status in this double.
    mapping(uint256 => Status) public status;

    error NotDeployer(address caller);
    error MarketAlreadySet(address market);
    error ZeroMarket();
    error NotMarket(address caller);
    error GameNotOpen(uint256 gameId, Status status);

    event MarketSet(address market);
    event GameCreated(uint256 indexed gameId, uint256 indexed jobId);
    event GameAborted(uint256 indexed gameId);
    event GameResolvedHere(uint256 indexed gameId, bool solverWon);

    constructor() {
        deployer = msg.sender;
    }

    /// @notice Points this game at its market; callable once, by the deployer.
    function setMarket(address market_) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (address(market) != address(0)) revert MarketAlreadySet(address(market));
        if (market_ == address(0)) revert ZeroMarket();
        market = IJobMarket(market_);
        emit MarketSet(market_);
    }

    /// @notice Anyone (test double): whether {create} records the parameters.
    function setRecordParams(bool on) external {
        recordParams = on;
    }

    /// @inheritdoc IDisputeGame
    function create(GameParams calldata p) external returns (uint256 gameId) {
        if (msg.sender != address(market)) revert NotMarket(msg.sender); // zero market: nobody
        gameId = nextGameId++;
        if (recordParams) _params[gameId] = p;
        status[gameId] = Status.Open;
        emit GameCreated(gameId, p.jobId);
    }

    /// @inheritdoc IDisputeGame
    function abort(uint256 gameId) external {
        if (msg.sender != address(market)) revert NotMarket(msg.sender); // zero market: nobody
        if (status[gameId] != Status.Open) revert GameNotOpen(gameId, status[gameId]);
        status[gameId] = Status.Aborted;
        emit GameAborted(gameId);
    }

    /// @notice Anyone: ends an open game with the given outcome and reports it to the market.
    function resolve(uint256 gameId, bool solverWon) external {
        if (status[gameId] != Status.Open) revert GameNotOpen(gameId, status[gameId]);
        status[gameId] = Status.Resolved;
        emit GameResolvedHere(gameId, solverWon);
        market.onGameResolved(gameId, solverWon);
    }

    /// @notice Anyone: reports an outcome to the market whatever this double's own status, to check that
    ///         the market itself refuses to pay a closed game twice (INV-GAME-7).
    function forceResolve(uint256 gameId, bool solverWon) external {
        market.onGameResolved(gameId, solverWon);
    }

    /// @notice The parameters a game was created with.
    function params(uint256 gameId) external view returns (GameParams memory) {
        return _params[gameId];
    }
}

/// @title TestMarketActor
/// @notice Test-only contract account for JobMarket tests: a client/participant whose `receive` accepts,
///         rejects, or tries to re-enter {IJobMarket-withdraw}.
contract TestMarketActor {
    enum Mode {
        Accept,
        Reject,
        Reenter
    }

    IJobMarket public immutable market;
    Mode public mode;
    /// @notice Ether received so far.
    uint256 public received;
    /// @notice Whether a re-entrant withdraw was attempted, and the revert data it got.
    bool public reentryAttempted;
    bytes public reentryError;

    constructor(IJobMarket market_) {
        market = market_;
    }

    function setMode(Mode m) external {
        mode = m;
    }

    function postJob(IJobMarket.JobParams calldata p) external payable returns (uint256) {
        return market.postJob{value: msg.value}(p);
    }

    function cancelJob(uint256 jobId) external {
        market.cancelJob(jobId);
    }

    function withdraw() external {
        market.withdraw();
    }

    function withdrawTo(address payable to) external {
        market.withdrawTo(to);
    }

    receive() external payable {
        if (mode == Mode.Reject) revert("TestMarketActor: rejecting ether");
        if (mode == Mode.Reenter && !reentryAttempted) {
            reentryAttempted = true;
            try market.withdraw() {}
            catch (bytes memory e) {
                reentryError = e;
            }
        }
        received += msg.value;
    }
}
