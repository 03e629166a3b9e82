import type { GameMove } from "../dispute/gameSummary.ts";
import { opKindOf } from "../engine/ops/index.ts";

/**
 * A dispute's narrowing, level by level, from its moves' events (dispute/gameSummary.ts): the challenged
 * checkpoint interval to one step (level 1, StepBisected / StepResponded), the step's op trace to one op
 * (level 2, TracePosted, the challenger's NodesRevealed descent, RecordOpened), that op's output to one
 * element (level 3, DataRootRevealed, NodesRevealed, LeafRevealed), a matmul/col_sum element's terms to a
 * slice (level 4, TermsStarted / TermsPosted / TermsResponded), and the settlement (level 5). Each item
 * carries the range it narrowed to where the event says it (lo, hi out of total), the mover and its gas.
 */
export interface NarrowingItem {
  readonly text: string;
  readonly by: GameMove["by"];
  readonly gasUsed: string;
  readonly tx: string;
  readonly block: string;
  /** The range this move left, [lo, hi) out of [0, total) (level 1: steps, inclusive bounds lo..hi). */
  readonly range?: { readonly lo: number; readonly hi: number; readonly total: number; readonly offset?: number };
}

export interface NarrowingLevel {
  readonly level: 1 | 2 | 3 | 4 | 5;
  readonly name: string;
  readonly items: readonly NarrowingItem[];
}

export const LEVEL_NAMES: Readonly<Record<1 | 2 | 3 | 4 | 5, string>> = {
  1: "checkpoint interval → step", 2: "step → op", 3: "op → element", 4: "element → term slice", 5: "settlement",
};

const num = (v: unknown): number => Number(v as bigint | number);
/** A bytes32 game value (an int256, two's complement) as a signed decimal. */
const int = (h: unknown): string => (typeof h === "string" && /^0x[0-9a-fA-F]{64}$/.test(h) ? BigInt.asIntN(256, BigInt(h)).toString() : String(h));
const short = (h: unknown): string => (typeof h === "string" && h.length > 14 ? `${h.slice(0, 10)}…${h.slice(-4)}` : String(h));

/**
 * The narrowing of a game whose challenge covered steps loStep..hiStep. `dataDepth` is the depth of the
 * disputed op's output tree (DisputeGame.gameState's `depth` once the game has reached level 3), which
 * places level 3's reveals; without it they are listed without a range. `parties` names who sent the moves
 * anyone may send (a settlement, a timeout), when it was one of them.
 */
export function narrowing(moves: readonly GameMove[], loStep: number, hiStep: number, dataDepth?: number, parties?: { solver: string; challenger: string }): NarrowingLevel[] {
  const levels = new Map<number, NarrowingItem[]>();
  const add = (level: number, item: NarrowingItem) => levels.set(level, [...(levels.get(level) ?? []), item]);
  let entries = 0;
  for (const m of moves) {
    const by: GameMove["by"] = m.by !== "anyone" ? m.by : m.from.toLowerCase() === parties?.solver.toLowerCase() ? "solver" : m.from.toLowerCase() === parties?.challenger.toLowerCase() ? "challenger" : "anyone";
    const at = { by, gasUsed: m.gasUsed.toString(), tx: m.tx, block: m.block.toString() };
    for (const e of m.events) {
      const a = e.args;
      switch (e.name) {
        case "StepBisected":
          add(1, { ...at, text: `solver posts ${(a.roots as unknown[]).length} state roots inside steps ${num(a.lo)}..${num(a.hi)}`, range: { lo: num(a.lo) - loStep, hi: num(a.hi) - loStep, total: hiStep - loStep, offset: loStep } });
          break;
        case "StepResponded":
          add(1, { ...at, text: `challenger disagrees first at part ${num(a.choice)}: steps ${num(a.lo)}..${num(a.hi)}`, range: { lo: num(a.lo) - loStep, hi: num(a.hi) - loStep, total: hiStep - loStep, offset: loStep } });
          break;
        case "TracePosted":
          entries = num(a.entries);
          add(2, { ...at, by: Number(a.by) === 1 ? "solver" : "challenger", text: `${Number(a.by) === 1 ? "solver" : "challenger"} posts the step's op trace: ${entries} ops, root ${short(a.traceRoot)}`, range: { lo: 0, hi: entries, total: entries } });
          break;
        case "NodesRevealed": {
          // (round, index) name the subtree whose nodes are revealed: at height depth - round, position index.
          const who = Number(a.by) === 1 ? "solver" : "challenger";
          const level = num(a.level);
          const nodes = (a.nodes as unknown[]).length;
          const depth = level === 2 ? (entries > 0 ? Math.ceil(Math.log2(entries)) : undefined) : dataDepth;
          const leaves = level === 2 ? entries : depth !== undefined ? 2 ** depth : 0;
          if (depth !== undefined && leaves > 0) {
            const span = 2 ** Math.max(depth - num(a.round), 0);
            const lo = num(a.index) * span, hi = Math.min(lo + span, leaves);
            const unit = level === 2 ? "ops" : "output leaves";
            add(level, { ...at, by: who, text: `${who} ${who === "solver" ? "reveals" : "compares"} ${nodes} nodes under ${unit} ${lo}..${hi - 1} (round ${num(a.round)})`, range: { lo, hi, total: leaves } });
          } else {
            add(level, { ...at, by: who, text: `${who} reveals ${nodes} tree nodes (round ${num(a.round)}, node ${num(a.index)})` });
          }
          break;
        }
        case "RecordOpened":
          add(2, { ...at, by: Number(a.by) === 1 ? "solver" : "challenger", text: `op #${num(a.entry)} opened: ${opKindOf(num(a.code)) ?? `op code ${num(a.code)}`} (tensor ${num(a.tensorId)}); its inputs agree, its output does not`, ...(entries > 0 ? { range: { lo: num(a.entry), hi: num(a.entry) + 1, total: entries } } : {}) });
          break;
        case "DataRootRevealed":
          add(3, { ...at, by: Number(a.by) === 1 ? "solver" : "challenger", text: `${Number(a.by) === 1 ? "solver" : "challenger"} reveals its output's data root ${short(a.dataRoot)}` });
          break;
        case "LeafRevealed":
          add(3, {
            ...at, by: Number(a.by) === 1 ? "solver" : "challenger", text: `${Number(a.by) === 1 ? "solver" : "challenger"} reveals output leaf #${num(a.leafIndex)}, the first that differs`,
            ...(dataDepth !== undefined ? { range: { lo: num(a.leafIndex), hi: num(a.leafIndex) + 1, total: 2 ** dataDepth } } : {}),
          });
          break;
        case "TermsStarted":
          add(4, { ...at, text: `element ${num(a.element)} of op #${num(a.entry)} is a sum of terms: solver claims ${int(a.solverValue)}, challenger ${int(a.challengerValue)}` });
          break;
        case "TermsPosted":
          add(4, { ...at, text: `solver posts ${(a.sums as unknown[]).length} partial sums over terms ${num(a.lo)}..${num(a.hi)} of ${num(a.termCount)}`, range: { lo: num(a.lo), hi: num(a.hi), total: num(a.termCount) } });
          break;
        case "TermsResponded": {
          const total = [...levels.get(4) ?? []].reverse().find((x) => x.range)?.range?.total ?? num(a.hi);
          add(4, { ...at, text: `challenger disagrees first at part ${num(a.choice)}: terms ${num(a.lo)}..${num(a.hi)}`, range: { lo: num(a.lo), hi: num(a.hi), total } });
          break;
        }
        case "ReachedSettlement":
          add(5, { ...at, text: `settlement reached on element ${num(a.element)} of op #${num(a.entry)}: solver claims ${int(a.solverValue)}, challenger ${int(a.challengerValue)}` });
          break;
        case "Settled":
          add(5, { ...at, text: `the kernel verifier's true value is ${int(a.trueValue)}: ${a.solverWon ? "the solver's claim" : "not the solver's claim"} → ${a.solverWon ? "solver" : "challenger"} wins` });
          break;
        case "GameTimedOut":
          add(5, { ...at, text: `${Number(a.loser) === 1 ? "solver" : "challenger"} ran out of time` });
          break;
        default:
          break;
      }
    }
  }
  return ([1, 2, 3, 4, 5] as const).filter((l) => levels.has(l)).map((l) => ({ level: l, name: LEVEL_NAMES[l], items: levels.get(l)! }));
}
