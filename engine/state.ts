import { hexToBytes32, initLimit, initialRng, uniformInts } from "./random.ts";
import { stateLayout, type StateSlot } from "./graph.ts";
import { specHash, type TrainingSpec } from "./spec.ts";
import type { Tensor } from "./tensor.ts";
import { sizeOf } from "./tensor.ts";

/**
 * The full training state after a step: what a checkpoint commits to. `tensors` follow stateLayout(spec):
 * per layer master weight and bias, then (with momentum) their velocities.
 */
export interface TrainingState {
  /** Hex sha256 of the spec that produced this state. */
  readonly specHash: string;
  /** Number of steps applied. */
  readonly step: number;
  /** Number of examples consumed so far (step * batch size). */
  readonly dataCursor: number;
  /** 32-byte RNG state that selects the next step's batch. */
  readonly rng: Uint8Array;
  readonly tensors: readonly Tensor[];
}

/** The step-0 state of a spec: He-uniform weights from the seed, zero biases and velocities. */
export function initialState(spec: TrainingSpec): TrainingState {
  const seed = hexToBytes32(spec.training.seed);
  const tensors = stateLayout(spec).map((slot: StateSlot, i): Tensor => {
    const n = sizeOf(slot.shape);
    if (slot.name.endsWith(".w")) {
      const limit = Math.min(initLimit(slot.shape[0]!, spec.quant.masterFrac), slot.range[1]);
      return { shape: slot.shape, data: uniformInts(seed, i, n, limit) };
    }
    return { shape: slot.shape, data: new Float64Array(n) };
  });
  return { specHash: specHash(spec), step: 0, dataCursor: 0, rng: initialRng(seed), tensors };
}
