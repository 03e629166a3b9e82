import { VeritrainError } from "../core/errors.ts";

/** Base of the dispute player's errors. */
export class DisputeError extends VeritrainError {
  override name = "DisputeError";
}

/** A party's view cannot answer what the game asks (a step outside its interval, a missing trace...). */
export class ViewError extends DisputeError {
  override name = "ViewError";
}

/** The game is in a state the player does not expect (an unknown phase, a missing event). */
export class GameStateError extends DisputeError {
  override name = "GameStateError";
}
