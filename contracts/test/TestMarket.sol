// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";

/// @title TestMarket
/// @notice Test-only market double for DisputeGame tests: opens and aborts games on request and records
///         every {onGameResolved} report, reverting on a second report for the same game (or one from
///         another caller than the game).
contract TestMarket {
    /// @notice The game this double drives.
    IDisputeGame public immutable game;
    /// @notice Number of reports received per game id (0 or 1).
    mapping(uint256 gameId => uint256) public reports;
    /// @notice The reported outcome per game id (meaningful when reported).
    mapping(uint256 gameId => bool) public solverWon;
    /// @notice Total reports received.
    uint256 public totalReports;

    event Created(uint256 gameId);
    event Reported(uint256 indexed gameId, bool solverWon);

    error NotGame(address caller);
    error AlreadyReported(uint256 gameId);

    constructor(IDisputeGame game_) {
        game = game_;
    }

    /// @notice Opens a game with the given parameters (as the real market would after its checks).
    function create(IDisputeGame.GameParams calldata p) external returns (uint256 gameId) {
        gameId = game.create(p);
        emit Created(gameId);
    }

    /// @notice Aborts a game.
    function abort(uint256 gameId) external {
        game.abort(gameId);
    }

    /// @notice The game's report; a second one for the same game reverts.
    function onGameResolved(uint256 gameId, bool solverWon_) external {
        if (msg.sender != address(game)) revert NotGame(msg.sender);
        if (reports[gameId] != 0) revert AlreadyReported(gameId);
        reports[gameId] = 1;
        solverWon[gameId] = solverWon_;
        totalReports++;
        emit Reported(gameId, solverWon_);
    }
}
