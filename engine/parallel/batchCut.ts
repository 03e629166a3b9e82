import { MAX_EXACT } from "../int.ts";
import type { GraphOp, GraphTensor, StepGraph } from "../graph.ts";
import { opDef, type OpAttrs, type OpKind } from "../ops/index.ts";
import { WorkersError } from "./errors.ts";

/**
 * Where a step graph can be split over the batch. Every tensor gets a class:
 *
 * - `free`: depends on the state only (the quantized weights): every shard computes the same value;
 * - `rows`: its leading dimension is the batch times r rows per example (r = 1 for the MLP's activations;
 *   H*W for a CNN's image rows, OH*OW for its patch rows, T for a language model's token rows), and the
 *   rows of example i depend only on example i (and free tensors): a shard computes its own rows exactly;
 * - `sum`: a sum over the batch rows of row-local terms (matmul(a^T, d), col_sum(d)): the integer sum of
 *   the shards' partial sums is exactly the full batch's value;
 * - `post`: computed from sums (and free tensors) once the shards are summed: the update.
 *
 * The cut is the set of sum tensors the update reads. The classification is by op semantics, never by layer
 * name, so new layer kinds split as long as their batch-dependent ops are listed in ROW_RULES (the MLP's, the
 * CNN's spatial ops, the language model's token ops); any other op
 * that touches batch rows, and any op mixing rows with sums, refuses the split (WorkersError naming the op)
 * rather than guess.
 */
export type BatchClass = "free" | "rows" | "sum" | "post";

export interface BatchCut {
  /** Rows of the full batch (the leading dimension of the batch inputs). */
  readonly batchSize: number;
  /** The class of each tensor, by id. */
  readonly classes: readonly BatchClass[];
  /** For a rows tensor, its rows per example (its leading dimension over the batch size); 0 otherwise. */
  readonly rowsPerExample: readonly number[];
  /** The batch-sum tensors the update reads, in graph order: what a shard returns besides its logits. */
  readonly cut: readonly number[];
  /** Op indices a shard runs (those the cut and the logits need), in graph order. */
  readonly shardOps: readonly number[];
  /** Op indices run once on the summed cut (those the next state needs beyond the cut), in graph order. */
  readonly updateOps: readonly number[];
}

type RowIn = "rows" | "free";

/**
 * Ops whose inputs include batch rows: the class of the output, or undefined when this use is not a plain
 * row-local map or batch sum. Each entry states the op's batch semantics (docs/engine.md, "Op set").
 */
const ROW_RULES: { readonly [K in OpKind]?: (ins: readonly RowIn[], attrs: OpAttrs[K]) => "rows" | "sum" | undefined } = {
  // Elementwise: row i of the output reads row i of each operand. A free operand of the batch's shape is
  // caught when the shard's shapes are re-typed (shardProgram).
  requantize: () => "rows",
  relu: () => "rows",
  relu_mask: () => "rows",
  mse_grad: (ins) => (ins[0] === "rows" && ins[1] === "rows" ? "rows" : undefined),
  // Softmax over one row of logits, against that row's label.
  softmax_ce_grad: (ins) => (ins[0] === "rows" && ins[1] === "rows" ? "rows" : undefined),
  // Z[i, j] + b[j]: rows of Z, a free bias.
  bias_add: (ins) => (ins[0] === "rows" && ins[1] === "free" ? "rows" : undefined),
  // A . B with A's rows the batch and B free: row-local. A^T . D with both row-indexed: the sum over the
  // batch of the per-row outer products.
  matmul: (ins, a) => {
    if (ins[0] === "rows" && ins[1] === "free" && !a.transA) return "rows";
    if (ins[0] === "rows" && ins[1] === "rows" && a.transA && !a.transB) return "sum";
    return undefined;
  },
  // s[j] = sum over the batch rows of D[i, j].
  col_sum: () => "sum",
  // Per image: the patches, their adjoint, the pooling windows and their gradient read one example's rows.
  im2col: () => "rows",
  col2im: () => "rows",
  maxpool: () => "rows",
  maxpool_grad: (ins) => (ins[0] === "rows" && ins[1] === "rows" ? "rows" : undefined),
  // One example's elements stay one contiguous block (batch-major, row-major) under any batch-leading shape.
  reshape: () => "rows",
  // Token indices [B, T] -> one row per token: T rows per example.
  one_hot: () => "rows",
};

function describeOp(graph: Pick<StepGraph, "tensors">, op: GraphOp): string {
  return `op ${op.index} (${op.kind} -> ${graph.tensors[op.output]!.name})`;
}

/** Classifies a step graph's tensors and finds its batch-sum cut; throws WorkersError if there is none. */
export function findBatchCut(graph: StepGraph): BatchCut {
  const { tensors, ops } = graph;
  const batchSize = tensors[graph.x]!.shape[0]!;
  if (tensors[graph.labels]!.shape[0] !== batchSize) {
    throw new WorkersError(`the batch inputs disagree on the batch size: x has ${batchSize} rows, labels ${tensors[graph.labels]!.shape[0]}`);
  }
  if (graph.stateOut.length === 0) throw new WorkersError("the graph has no next state (an inference graph): there is nothing to train in parallel");
  const cls: BatchClass[] = tensors.map((t) => (t.id === graph.x || t.id === graph.labels ? "rows" : "free"));
  const per: number[] = tensors.map((t) => (cls[t.id] === "rows" ? 1 : 0));
  for (const op of ops) {
    const ins = op.inputs.map((i) => cls[i]!);
    if (ins.every((c) => c === "free")) {
      cls[op.output] = "free";
    } else if (ins.includes("rows")) {
      if (ins.some((c) => c === "sum" || c === "post")) {
        throw new WorkersError(`${describeOp(graph, op)} combines batch rows with a batch sum: the batch cannot be split over workers for this graph`, { op: op.index });
      }
      const rule = ROW_RULES[op.kind] as ((ins: readonly RowIn[], attrs: unknown) => "rows" | "sum" | undefined) | undefined;
      const out = rule?.(ins as RowIn[], op.attrs);
      if (!out) {
        throw new WorkersError(`${describeOp(graph, op)} on batch rows (${ins.join(", ")}) is neither a row-local map nor a plain batch sum: the batch cannot be split over workers for this graph`, { op: op.index, kind: op.kind });
      }
      // A batch sum pairs row t of one operand with row t of the other (A^T . D): both must group their rows
      // by example alike. (A row-local op reads each operand at its own grouping: maxpool_grad's pooled
      // gradient has OH*OW rows per example, its input H*W; each op's typing checks its shapes.)
      const rowIns = op.inputs.filter((i) => cls[i] === "rows");
      if (out === "sum" && new Set(rowIns.map((i) => per[i])).size > 1) {
        throw new WorkersError(`${describeOp(graph, op)} reads batch rows grouped differently per example (${rowIns.map((i) => per[i]).join(" vs ")} rows): the batch cannot be split`, { op: op.index });
      }
      if (out === "rows") {
        const lead = tensors[op.output]!.shape[0]!;
        if (lead % batchSize !== 0) throw new WorkersError(`${describeOp(graph, op)}'s output [${tensors[op.output]!.shape}] does not hold whole examples of a batch of ${batchSize}`, { op: op.index });
        per[op.output] = lead / batchSize;
      }
      cls[op.output] = out;
    } else {
      cls[op.output] = "post";
    }
  }
  if (cls[graph.logits] !== "rows") throw new WorkersError(`the logits (${tensors[graph.logits]!.name}) are not batch rows (${cls[graph.logits]}): the batch cannot be split`);
  for (const id of graph.stateOut) {
    if (cls[id] === "rows") throw new WorkersError(`the next state's ${tensors[id]!.name} is batch rows, not a function of batch sums: the batch cannot be split`);
  }

  // The update: every op the next state needs, walking back until a cut (sum) tensor or a graph input.
  const cut = new Set<number>();
  const update = new Set<number>();
  const walkUpdate = (id: number): void => {
    const t = tensors[id]!;
    if (t.role !== "op") return;
    if (cls[id] === "sum") return void cut.add(id);
    if (update.has(t.producer!)) return;
    update.add(t.producer!);
    for (const i of ops[t.producer!]!.inputs) walkUpdate(i);
  };
  graph.stateOut.forEach(walkUpdate);
  const cutIds = [...cut].sort((a, b) => a - b);
  for (const id of cutIds) {
    const bound = ops[tensors[id]!.producer!]!.exactBound;
    // The builder already guarantees this; the sum of the shards' partials relies on it.
    if (!(bound < MAX_EXACT)) throw new WorkersError(`batch sum ${tensors[id]!.name} can reach ${bound}, beyond exact integer arithmetic`);
  }
  const shard = new Set<number>();
  const walkShard = (id: number): void => {
    const t = tensors[id]!;
    if (t.role !== "op" || shard.has(t.producer!)) return;
    shard.add(t.producer!);
    for (const i of ops[t.producer!]!.inputs) walkShard(i);
  };
  cutIds.forEach(walkShard);
  walkShard(graph.logits);
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { batchSize, classes: cls, rowsPerExample: per, cut: cutIds, shardOps: sorted(shard), updateOps: sorted(update) };
}

/**
 * What one shard of `rows` examples runs: the shard ops re-typed for its row count (shapes, ranges and
 * exactness bounds from each op's own typing rule), as a compact graph of their own tensors, ready to lower.
 * A rows tensor keeps its columns and gets `rows` rows; every other tensor keeps its shape, which re-typing
 * checks (a mismatch refuses the split).
 */
export interface ShardProgram {
  readonly rows: number;
  readonly tensors: readonly GraphTensor[];
  readonly ops: readonly GraphOp[];
  readonly x: number;
  readonly labels: number;
  /** The shard graph's state tensors: their id here and their index in the state layout. */
  readonly state: readonly { readonly id: number; readonly slot: number }[];
  /** Ids here of the cut tensors (BatchCut.cut order), then the logits. */
  readonly outputs: readonly number[];
}

export function shardProgram(graph: StepGraph, bc: BatchCut, rows: number): ShardProgram {
  if (!Number.isSafeInteger(rows) || rows < 1 || rows > bc.batchSize) throw new WorkersError(`a shard must have 1 to ${bc.batchSize} rows, got ${rows}`);
  const tensors: GraphTensor[] = [];
  const idOf = new Map<number, number>();
  const add = (t: GraphTensor, shape: readonly number[], range: GraphTensor["range"], producer?: number): number => {
    const id = tensors.length;
    tensors.push({ id, name: t.name, shape: [...shape], range, role: t.role, ...(producer === undefined ? {} : { producer }) });
    idOf.set(t.id, id);
    return id;
  };
  // A rows tensor keeps its columns and its rows per example; the batch inputs have one row per example.
  const rowShape = (t: GraphTensor) => [rows * (bc.rowsPerExample[t.id] || 1), ...t.shape.slice(1)];
  const x = add(graph.tensors[graph.x]!, rowShape(graph.tensors[graph.x]!), graph.tensors[graph.x]!.range);
  const labels = add(graph.tensors[graph.labels]!, rowShape(graph.tensors[graph.labels]!), graph.tensors[graph.labels]!.range);
  const state: { id: number; slot: number }[] = [];
  const ops: GraphOp[] = [];
  for (const index of bc.shardOps) {
    const op = graph.ops[index]!;
    const ins = op.inputs.map((i) => {
      let id = idOf.get(i);
      if (id === undefined) {
        const t = graph.tensors[i]!;
        const slot = graph.stateIn.indexOf(i);
        if (t.role !== "state" || slot < 0) throw new WorkersError(`shard op ${op.index} reads ${t.name}, which is neither a state tensor nor computed before it`);
        id = add(t, t.shape, t.range);
        state.push({ id, slot });
      }
      return tensors[id]!;
    });
    const orig = graph.tensors[op.output]!;
    // A reshape's attribute is its output shape, whose leading dimension counts the batch: the shard's own.
    const attrs = op.kind === "reshape" && bc.classes[orig.id] === "rows" ? { shape: rowShape(orig) } : op.attrs;
    let typing;
    try {
      typing = opDef(op.kind).type(ins.map((t) => t.shape), ins.map((t) => t.range), attrs);
    } catch (e) {
      throw new WorkersError(`${describeOp(graph, op)} does not type for a shard of ${rows} rows: ${(e as Error).message}`, { op: op.index });
    }
    const want = bc.classes[orig.id] === "rows" ? rowShape(orig) : orig.shape;
    if (typing.shape.length !== want.length || typing.shape.some((d, i) => d !== want[i])) {
      throw new WorkersError(`${describeOp(graph, op)} gives [${typing.shape.join(",")}] for a shard of ${rows} rows, expected [${want.join(",")}]: the batch cannot be split for this graph`, { op: op.index });
    }
    if (!(typing.exactBound <= op.exactBound)) {
      throw new WorkersError(`${describeOp(graph, op)}: a shard's bound ${typing.exactBound} exceeds the full batch's ${op.exactBound}`, { op: op.index });
    }
    const output = add(orig, typing.shape, typing.range, ops.length);
    ops.push({ index: ops.length, kind: op.kind, attrs, inputs: ins.map((t) => t.id), output, exactBound: typing.exactBound } as GraphOp);
  }
  const outputs = [...bc.cut, graph.logits].map((id) => idOf.get(id)!);
  return { rows, tensors, ops, x, labels, state, outputs };
}

/** Contiguous shards of a batch, in row order: sizes differ by at most one (the first ones take the extra rows). */
export function shardRows(batchSize: number, workers: number): { start: number; rows: number }[] {
  const n = Math.min(workers, batchSize);
  const base = Math.floor(batchSize / n), extra = batchSize % n;
  const out: { start: number; rows: number }[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const rows = base + (i < extra ? 1 : 0);
    out.push({ start, rows });
    start += rows;
  }
  return out;
}
