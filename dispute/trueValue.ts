// The true value of a game's settled item, computed the way a kernel verifier does: from the operands both
// sides agree on (the pre-state and the solver's trace before the disputed entry), never from the party's
// own output. A solver settles only when this equals its claim.
import type { Hex } from "viem";
import type { SettlementSource } from "../settlement/step.ts";
import { toHex } from "../commitment/hash.ts";
import { commitState } from "../commitment/stateRoot.ts";
import { decodeElements } from "../commitment/tensorCommit.ts";
import { entryOfTensor } from "../commitment/trace.ts";
import { sampleBatch } from "../engine/batch.ts";
import { opDef } from "../engine/ops/index.ts";
import { SettlementError } from "../settlement/errors.ts";
import { operandValues, sliceValue } from "../settlement/operands.ts";
import { nextRng } from "../engine/random.ts";
import type { TrainingState } from "../engine/state.ts";
import type { Tensor } from "../engine/tensor.ts";
import { valueWord } from "./dissection.ts";
import type { GameView } from "./gameState.ts";
import { sliceOf } from "./settleCall.ts";
import type { ComputationView } from "./view.ts";

/** Graph tensor `id` as the source commits it: a pre-state tensor, or an earlier trace entry's output. */
function tensorOf(src: SettlementSource, id: number): Tensor {
  const j = src.graph.stateIn.indexOf(id);
  if (j >= 0) return src.pre.tensors[j]!;
  const c = src.trace.commitments[entryOfTensor(src.graph, id) - 1]!;
  const n = c.shape.reduce((a, b) => a * b, 1);
  return { shape: c.shape, data: Float64Array.from(decodeElements(c.bytes, c.width, n)) };
}

/**
 * The true value (bytes32, as the game compares it) of the item a game at Settlement disputes, given the
 * view's agreed operands: the post-state root assembled from the trace's state outputs (post anchor), the
 * batch element (entries 1, 2), the slice's terms from accIn (a term-level op after level 4, as the verifier
 * computes them: the true partial value at termHi when accIn is true; undefined when the declared K is not the
 * operands', which the game no longer lets through: INV-GAME-9, or where the verifier reverts: a softmax fold
 * from a partial value no honest party posts), else the op recomputed on its inputs.
 */
export async function trueValueOf(view: ComputationView, st: GameView): Promise<Hex | undefined> {
  const step = Number(st.hiStep), entry = st.entry, e = Number(st.element);
  const src = await view.settlementSource(step);
  const { graph, spec, pre } = src;
  if (entry === view.program.header.entries - 1) {
    const post: TrainingState = {
      specHash: pre.specHash, step: pre.step + 1, dataCursor: pre.dataCursor + spec.training.batchSize, rng: nextRng(pre.rng),
      tensors: graph.stateOut.map((id) => tensorOf(src, id)),
    };
    return toHex(commitState(spec, post).root);
  }
  if (entry === 1 || entry === 2) {
    const batch = sampleBatch(src.dataset, pre.rng, spec);
    return valueWord((entry === 1 ? batch.x : batch.labels).data[e]!);
  }
  const slice = sliceOf(st);
  if (slice) {
    // The verifier's value: the slice's terms from the agreed accIn, over the agreed operands.
    const p = view.program.entries[entry]!;
    try {
      return valueWord(sliceValue(p.code, p.attrs, p.shape, operandValues(src, entry), e, slice, st.accIn));
    } catch (err) {
      if (err instanceof SettlementError) return undefined;
      throw err;
    }
  }
  const op = graph.ops[entry - 3]!;
  const out = opDef(op.kind).reference(op.inputs.map((id) => tensorOf(src, id)), op.attrs);
  return valueWord(out.data[e]!);
}
