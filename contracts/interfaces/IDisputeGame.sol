// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDisputeGame
/// @notice The dispute game (docs/protocol.md, section 3) as the JobMarket sees it. The game holds
///         no funds: the market opens a game with {create} when a challenge is posted, may {abort} a game
///         whose job has already failed, and learns each outcome through
///         {IJobMarket-onGameResolved}, which pays the parties.
/// @dev Wiring (deploy order): the market takes the game's address as a constructor argument and never
///      changes it. The game is deployed first and learns the market's address afterwards through a
///      one-time `setMarket(address)` that only its deployer may call, once (see TestDisputeGame). Until
///      then the game must reject {create}. Both {create} and {abort} must revert unless the caller is
///      that market; the market must be the only party able to open or abort a game.
interface IDisputeGame {
    /// @notice Everything a game needs, fixed by the market when the challenge opens.
    /// @param jobId The market's job under dispute.
    /// @param solver The job's solver: the defending party.
    /// @param challenger The party that posted the challenge bond: the attacking party.
    /// @param loStep The step of the agreed checkpoint (checkpoint index i of the schedule 0, I, 2I, ..., steps).
    /// @param hiStep The step of the disputed checkpoint (index i + 1); `loStep < hiStep`.
    /// @param agreedRoot The solver's committed state root at `loStep`, which the challenger accepts.
    /// @param solverRoot The solver's committed state root at `hiStep`.
    /// @param challengerRoot The challenger's claimed state root at `hiStep` (`!= solverRoot`).
    /// @param clockDuration Each party's chess clock, in seconds.
    /// @param programRoot The job's step program root (docs/protocol.md, section 4).
    /// @param datasetRoot The job's dataset root (docs/commitments.md, "Dataset").
    struct GameParams {
        uint256 jobId;
        address solver;
        address challenger;
        uint64 loStep;
        uint64 hiStep;
        bytes32 agreedRoot;
        bytes32 solverRoot;
        bytes32 challengerRoot;
        uint64 clockDuration;
        bytes32 programRoot;
        bytes32 datasetRoot;
    }

    /// @notice Opens a game. Only the market may call it.
    /// @dev The returned id must never have been returned before: the market rejects a reused id.
    /// @param p The game's parameters, checked by the market against the job's committed history.
    /// @return gameId The new game's id, as later passed to {IJobMarket-onGameResolved} and {abort}.
    function create(GameParams calldata p) external returns (uint256 gameId);

    /// @notice Ends an open game without an outcome (its job failed in another game). Only the market may
    ///         call it; the game must then never report this game to the market.
    /// @param gameId The game to abort.
    function abort(uint256 gameId) external;
}
