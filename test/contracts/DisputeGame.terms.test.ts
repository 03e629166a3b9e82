// DisputeGame level 4 (terms): a dispute that ends on an element of a matmul or col_sum entry narrows the
// element's accumulation of K terms down to a slice of at most TERM_SLICE terms (docs/protocol.md, 3.3.1).
// Worlds: tiny (K <= 8: straight to settlement after the solver declares K) and medium (its first matmul
// x . W0 has K = 48: one dissection round).
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { concatHex, keccak256, type Hex } from "viem";
import { toHex as hex } from "../../commitment/hash.ts";
import { dissectionPoints, valueWord } from "../../dispute/dissection.ts";
import { gameEvents } from "../../dispute/gameEvents.ts";
import { type GameView, Party, Phase, Reason } from "../../dispute/gameState.ts";
import { NO_OPERAND, postTermsArgs, programTermCount, solverTermsMove, TERM_SLICE, tensorDescription } from "../../dispute/terms.ts";
import { deviate, makeWorld, type World } from "./helpers/gameWorld.ts";
import {
  at, createGame, deployGame, expectRevert, honestValue, paramsFor, playGame, Player, send, setHonestValue, settlerFor, stateOf, traceAt, type Fixture,
} from "./helpers/gamePlayer.ts";
import { HistoryView } from "./helpers/historyView.ts";
import { randomAnswers, termLie } from "./helpers/strategies.ts";
import { honestTerms, lyingView } from "./helpers/terms.ts";

const sumsHash = (sums: readonly bigint[]): Hex => keccak256(concatHex(sums.map((x) => valueWord(x))));

describe("DisputeGame level 4: terms of a matmul/col_sum element", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem);
  const m: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const tiny = makeWorld("tiny", 2);
  const medium = makeWorld("medium", 2);
  const long = makeWorld("long", 2);
  // medium entry 5: matmul x [4,48] . W0 [48,16] -> [4,16] (K = 48); long entry 5: K = 72; tiny entry 5: K = 6;
  // tiny entry 16: col_sum, K = 4; tiny entry 20: matmul x^T . dZ (transA: x [4,6] stored [K, m], K = 4).
  const MM = 5, COL_SUM = 16, MM_TRANS_A = 20;
  /** The program's description of entry k's first input: the K proof of the first postTerms. */
  const operandOf = (w: World, k: number) => tensorDescription(w.program, w.program.entries[k]!.inputs[0]!);

  async function events(fx: Fixture, id: bigint) {
    const logs = (await fx.pc.getContractEvents({ address: fx.game.address, abi: fx.game.abi, fromBlock: 0n })) as unknown as { eventName: string; args: Record<string, unknown> }[];
    return logs.filter((l) => l.args.gameId === id);
  }

  /** A game on [0, 1] of world `w` whose solver changed element `e` of entry `k`, driven to level 4. */
  async function toTerms(fx: Fixture, w: World, k: number, e: number, delta = 4096) {
    const bad = deviate(w, { kind: "op", step: 1, entry: k, element: e, delta });
    const id = await createGame(fx, paramsFor(fx, w, 0, 1, bad.roots[1]!, w.roots[1]!));
    const s = new Player(fx, "solver", new HistoryView(w, bad)), c = new Player(fx, "challenger", new HistoryView(w));
    for (let i = 0; i < 100; i++) {
      const st = await stateOf(fx, id);
      if (st.phase === Phase.SolverTerms) return { id, bad, st, s, c };
      await (st.turn === Party.Solver ? s : c).act(id, st);
    }
    throw new Error("level 4 not reached");
  }

  it("level 3 ending on a matmul element starts level 4 (TermsStarted, code 1, level 4, the solver's turn); K <= TERM_SLICE goes straight to settlement with the slice [0, K) in the verifier's context", async () => {
    const { id, bad, st } = await toTerms(f, tiny, MM, 7);
    expect([st.level, st.turn, st.code, st.entry, st.element]).to.deep.equal([4, Party.Solver, 1, MM, 7n]);
    expect([st.termLo, st.termHi, st.termCount, st.accIn]).to.deep.equal([0n, 0n, 0n, 0n]);
    const ev = await events(f, id);
    expect(ev.at(-1)!.eventName).to.equal("TermsStarted");
    expect(ev.at(-1)!.args).to.include({ entry: MM, element: 7n, solverValue: st.solverNode, challengerValue: honestValue(tiny, 1, MM, 7) });
    const K = honestTerms(tiny, 1, MM, 7).K;
    expect(K).to.equal(6);
    const x = operandOf(tiny, MM);
    await expectRevert(f.game.write.postTerms([id, 6n, [1n], x], { account: f.solver.account }), "WrongSumCount");
    await expectRevert(f.game.write.postTerms([id, 0n, [], x], { account: f.solver.account }), "ZeroTermCount");
    await expectRevert(f.game.write.postTerms([id, 6n, [], x], { account: f.challenger.account }), "NotYourTurn");
    await expectRevert(f.game.write.respondTerms([id, [], 0], { account: f.challenger.account }), "WrongPhase");
    await send(f, f.game, "postTerms", [id, 6n, [], x], f.solver, "postTerms +to settlement");
    const s2 = await stateOf(f, id);
    expect([s2.phase, s2.level, s2.termLo, s2.termHi, s2.termCount, s2.accIn]).to.deep.equal([Phase.Settlement, 5, 0n, 6n, 6n, 0n]);
    const ctx = {
      programRoot: hex(tiny.program.root), datasetRoot: `0x${tiny.spec.data.root}` as Hex, preStateRoot: hex(tiny.roots[0]!), traceRoot: hex(traceAt(bad, 1).root),
      entry: MM, element: 7n, termLo: 0n, termHi: 6n, termCount: 6n, accIn: 0n,
    };
    await send(f, f.verifier, "expectContext", [ctx], f.other, null);
    await setHonestValue(f, tiny, s2);
    await send(f, f.game, "settle", [id, "0x", "0x"], f.other, "settle");
    await send(f, f.verifier, "expectContext", [{ ...ctx, programRoot: `0x${"00".repeat(32)}` }], f.other, null);
    expect(await f.market.read.solverWon([id])).to.equal(false);
    const names = (await events(f, id)).map((e) => e.eventName).slice(-5);
    expect(names).to.deep.equal(["TermsStarted", "TermsPosted", "ReachedSettlement", "Settled", "GameResolved"]);
  });

  for (const [name, choiceOf] of [["the first point", () => 0], ["a middle point", () => 3], ["no point (j = m)", (mm: number) => mm]] as const) {
    it(`one dissection round (K = 48): the challenger names ${name}; the interval, accIn and the solver's claim follow (INV-GAME-8)`, async () => {
      const { id, st } = await toTerms(f, medium, MM, 17);
      const h = honestTerms(medium, 1, MM, 17);
      expect(h.K).to.equal(48);
      const v = lyingView(h, BigInt.asIntN(256, BigInt(st.solverNode)), { kind: "drift" });
      const [K, sums, x] = postTermsArgs(medium.program, MM, v, st.termLo, st.termHi, st.termCount);
      const pts = dissectionPoints(0, 48);
      expect(sums.length).to.equal(7);
      await expectRevert(f.game.write.postTerms([id, K, sums.slice(1), x], { account: f.solver.account }), "WrongSumCount");
      await send(f, f.game, "postTerms", [id, K, sums, x], f.solver, "postTerms");
      const s1 = await stateOf(f, id);
      expect([s1.phase, s1.level, s1.turn, s1.termLo, s1.termHi, s1.termCount, s1.pendingHash]).to.deep.equal([Phase.ChallengerTerms, 4, Party.Challenger, 0n, 48n, 48n, sumsHash(sums)]);
      const posted = await gameEvents(f.pc, f.game.address, id).postedSums();
      expect(posted).to.deep.equal(sums);
      await expectRevert(f.game.write.respondTerms([id, posted.map((x, i) => (i === 2 ? x + 1n : x)), 0], { account: f.challenger.account }), "SumsMismatch");
      await expectRevert(f.game.write.respondTerms([id, posted, 8], { account: f.challenger.account }), "ChoiceOutOfRange");
      await expectRevert(f.game.write.respondTerms([id, posted, 0], { account: f.solver.account }), "NotYourTurn");
      await expectRevert(f.game.write.postTerms([id, K, sums, NO_OPERAND], { account: f.solver.account }), "WrongPhase");
      const j = choiceOf(7);
      await send(f, f.game, "respondTerms", [id, posted, j], f.challenger, "respondTerms");
      const s2 = await stateOf(f, id);
      const lo = j === 0 ? 0 : pts[j - 1]!, hi = j === 7 ? 48 : pts[j]!;
      const accIn = j === 0 ? 0n : sums[j - 1]!;
      const claim = j === 7 ? BigInt.asIntN(256, BigInt(st.solverNode)) : sums[j]!;
      expect(hi - lo <= TERM_SLICE).to.equal(true);
      expect([s2.phase, s2.termLo, s2.termHi, s2.accIn, s2.solverNode]).to.deep.equal([Phase.Settlement, BigInt(lo), BigInt(hi), accIn, valueWord(claim)]);
      const ev = (await events(f, id)).filter((e) => e.eventName === "TermsResponded");
      expect(ev.at(-1)!.args).to.include({ choice: j, lo: BigInt(lo), hi: BigInt(hi), accIn, solverSum: claim });
    });
  }

  it("a solver that lies in one slice only loses on the Mock-recomputed slice after one round; an honest solver wins against a challenger answering at random", async () => {
    m.gas = f.gas;
    for (const r of [5, 30, 47]) {
      const { id, bad, s, c } = await toTerms(m, medium, MM, 33, -(1 << 20));
      s.lie = termLie({ kind: "step", r });
      const out = await playGame(m, medium, id, s, c, settlerFor(medium, bad));
      expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
      const st = await stateOf(m, id);
      expect(Number(st.termLo) < r && r <= Number(st.termHi), `the slice [${st.termLo}, ${st.termHi}) holds the lie at ${r}`).to.equal(true);
    }
    const bad = deviate(medium, { kind: "op", step: 1, entry: MM, element: 2, delta: 4096 });
    const id = await createGame(m, paramsFor(m, medium, 0, 1, medium.roots[1]!, bad.roots[1]!));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const out = await playGame(m, medium, id, new Player(m, "solver", new HistoryView(medium)), new Player(m, "challenger", new HistoryView(medium, bad), randomAnswers(random)), settlerFor(medium, medium));
    expect(out).to.deep.include({ solverWon: true, reason: Reason.Settled });
  });

  it("col_sum elements go through level 4 as well (K = 4: straight to settlement), settled by the RecomputeKernelVerifier", async () => {
    const { id, bad, st, s, c } = await toTerms(m, tiny, COL_SUM, 2);
    expect(st.code).to.equal(7);
    const out = await playGame(m, tiny, id, s, c, settlerFor(tiny, bad));
    expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
    const end = await stateOf(m, id);
    expect([end.termLo, end.termHi, end.termCount]).to.deep.equal([0n, 4n, 4n]);
  });

  it("INV-GAME-9: a wrong K is refused at declaration (WrongTermCount naming both values, for matmul, transposed matmul and col_sum) and costs the challenger no round: the solver is still to move, and one that keeps its wrong K loses on its own clock", async () => {
    for (const [w, k, e, K] of [[tiny, MM, 3, 6], [tiny, MM_TRANS_A, 5, 4], [tiny, COL_SUM, 2, 4], [medium, MM, 9, 48]] as const) {
      const { id, st } = await toTerms(f, w, k, e);
      expect(programTermCount(w.program, k).K).to.equal(K);
      expect(honestTerms(w, 1, k, e).K).to.equal(K);
      const x = operandOf(w, k);
      for (const wrong of [K - 1, K + 1, 2 * K, 2 ** 32]) {
        await expectRevert(f.game.write.postTerms([id, BigInt(wrong), solverTermsMove({ K: wrong, sum: () => 0n }, 0n, 0n, 0n).sums, x], { account: f.solver.account }), "WrongTermCount", [id, BigInt(wrong), BigInt(K)]);
      }
      // Nothing moved: level 4 has not started its first round, the challenger's clock is untouched.
      const after = await stateOf(f, id);
      expect([after.phase, after.turn, after.termHi, after.termCount, after.challengerUsed]).to.deep.equal([Phase.SolverTerms, Party.Solver, 0n, 0n, st.challengerUsed]);
      const names = (await events(f, id)).map((ev) => ev.eventName);
      expect(names.at(-1)).to.equal("TermsStarted");
      expect(names).to.not.include("TermsPosted");
    }
    // A solver that insists on its K cannot move: its clock runs out and the challenger wins without a level-4 move.
    const { id, st } = await toTerms(f, medium, MM, 11);
    await expectRevert(f.game.write.postTerms([id, 47n, [], operandOf(medium, MM)], { account: f.solver.account }), "WrongTermCount", [id, 47n, 48n]);
    await at(f, st.deadline);
    await expectRevert(f.game.write.postTerms([id, 48n, [], operandOf(medium, MM)], { account: f.solver.account }), "ClockExpired");
    await send(f, f.game, "timeout", [id], f.other, "timeout");
    const ev = await events(f, id);
    expect(ev.at(-1)!.args).to.include({ solverWon: false, reason: Reason.Timeout });
    expect(ev.map((x) => x.eventName).filter((n) => n === "TermsPosted" || n === "TermsResponded")).to.deep.equal([]);
  });

  it("INV-GAME-9 for softmax_ce_grad's fold: K = 2n + 1 from the logits' program leaf (K_ROW_FOLD); n, 2n and 2n + 2 are refused, 2n + 1 opens the first round", async () => {
    const lm = makeWorld("charlm", 2);
    const k = lm.program.entries.find((p) => p.code === 16)!.entry;
    const n = lm.program.entries[k]!.shape[1]!;
    const { id } = await toTerms(f, lm, k, n + 1);
    const K = 2 * n + 1;
    expect(programTermCount(lm.program, k).K).to.equal(K);
    const x = operandOf(lm, k);
    for (const wrong of [n, 2 * n, 2 * n + 2]) {
      await expectRevert(f.game.write.postTerms([id, BigInt(wrong), solverTermsMove({ K: wrong, sum: () => 0n }, 0n, 0n, 0n).sums, x], { account: f.solver.account }), "WrongTermCount", [id, BigInt(wrong), BigInt(K)]);
    }
    const sums = solverTermsMove({ K, sum: (t) => BigInt(t) }, 0n, 0n, 0n).sums;
    await send(f, f.game, "postTerms", [id, BigInt(K), sums, x], f.solver, "postTerms");
    const st = await stateOf(f, id);
    expect([st.phase, st.termHi, st.termCount]).to.deep.equal([Phase.ChallengerTerms, BigInt(K), BigInt(K)]);
  });

  it("INV-GAME-9 for the pools' folds: K = size^2 (maxpool) and size^2 + 1 (maxpool_grad) from the attributes (K_FROM_ATTRS); any other K is refused, the true one opens level 4", async () => {
    const cnn = makeWorld("cnn", 2);
    for (const code of [13, 14]) {
      const k = cnn.program.entries.find((p) => p.code === code)!.entry;
      const size = cnn.program.entries[k]!.attrs[3]!;
      const K = size * size + (code === 14 ? 1 : 0);
      expect(programTermCount(cnn.program, k)).to.deep.equal({ K });
      const { id } = await toTerms(f, cnn, k, 1);
      for (const wrong of [K - 1, K + 1, size]) {
        await expectRevert(f.game.write.postTerms([id, BigInt(wrong), solverTermsMove({ K: wrong, sum: () => 0n }, 0n, 0n, 0n).sums, NO_OPERAND], { account: f.solver.account }), "WrongTermCount", [id, BigInt(wrong), BigInt(K)]);
      }
      await send(f, f.game, "postTerms", [id, BigInt(K), [], NO_OPERAND], f.solver, "postTerms");
      expect((await stateOf(f, id)).phase, "K <= 8: settlement at once").to.equal(Phase.Settlement);
    }
  });

  it("the K proof must be the program leaf of entry k's first input: another tensor's description or the wrong form (OperandMismatch), a leaf or path not in the program (ProgramRootMismatch, IndexOutOfRange)", async () => {
    const { id } = await toTerms(f, tiny, MM, 4);
    const x = operandOf(tiny, MM);
    expect([x.isState, x.producer.entry, x.producer.tensorId, x.producer.dims]).to.deep.equal([false, 1, 0, [4, 6]]);
    const state0 = tensorDescription(tiny.program, 2); // state tensor 0
    expect([state0.isState, state0.state.index, state0.state.tensorId]).to.deep.equal([true, 0, 2]);
    const call = (d: typeof x) => f.game.write.postTerms([id, 6n, [], d], { account: f.solver.account });
    await expectRevert(call(state0), "OperandMismatch");
    await expectRevert(call(operandOf(tiny, 11)), "OperandMismatch");
    await expectRevert(call({ ...x, isState: true }), "OperandMismatch");
    await expectRevert(call({ ...x, producer: { ...x.producer, dims: [6, 4] } }), "ProgramRootMismatch");
    await expectRevert(call({ ...x, path: x.path.slice(1) }), "ProgramRootMismatch");
    await expectRevert(call(NO_OPERAND), "IndexOutOfRange"); // no path: no leaf 1 of a one-leaf tree
    await send(f, f.game, "postTerms", [id, 6n, [], x], f.solver, "postTerms +to settlement");
    expect((await stateOf(f, id)).termCount).to.equal(6n);
  });

  it("K stays the declared one across rounds (TermCountChanged; later calls carry no K proof); clocks run at level 4: a solver that stalls loses, a challenger that stalls loses", async () => {
    // K = 72 (long world): a second round after j = 0 ([0, 9]).
    const g1 = await toTerms(f, long, MM, 1);
    const h1 = honestTerms(long, 1, MM, 1);
    expect(h1.K).to.equal(72);
    const pts = dissectionPoints(0, 72);
    await send(f, f.game, "postTerms", [g1.id, 72n, pts.map((p) => h1.sums[p]!), operandOf(long, MM)], f.solver, "postTerms");
    await send(f, f.game, "respondTerms", [g1.id, pts.map((p) => h1.sums[p]!), 0], f.challenger, "respondTerms");
    const s1 = await stateOf(f, g1.id);
    expect([s1.phase, s1.termLo, s1.termHi, s1.termCount]).to.deep.equal([Phase.SolverTerms, 0n, BigInt(pts[0]!), 72n]);
    const sums2 = dissectionPoints(0, pts[0]!).map((p) => h1.sums[p]!);
    await expectRevert(f.game.write.postTerms([g1.id, 48n, sums2, operandOf(long, MM)], { account: f.solver.account }), "TermCountChanged");
    // ... and stalls there: the challenger wins on time.
    await at(f, s1.deadline);
    await expectRevert(f.game.write.postTerms([g1.id, 72n, sums2, NO_OPERAND], { account: f.solver.account }), "ClockExpired");
    await send(f, f.game, "timeout", [g1.id], f.other, "timeout");
    expect((await events(f, g1.id)).at(-1)!.args).to.include({ solverWon: false, reason: Reason.Timeout });

    // A challenger that never answers the solver's sums loses.
    const g2 = await toTerms(f, medium, MM, 2);
    const h = honestTerms(medium, 1, MM, 2);
    await send(f, f.game, "postTerms", [g2.id, 48n, dissectionPoints(0, 48).map((p) => h.sums[p]!), operandOf(medium, MM)], f.solver, "postTerms");
    const s2: GameView = await stateOf(f, g2.id);
    expect(s2.turn).to.equal(Party.Challenger);
    await at(f, s2.deadline - 1n);
    await expectRevert(f.game.write.timeout([g2.id]), "ClockNotExpired");
    await at(f, s2.deadline);
    await send(f, f.game, "timeout", [g2.id], f.other, "timeout");
    const last = (await events(f, g2.id)).slice(-2);
    expect(last[0]!.args).to.include({ loser: Party.Challenger });
    expect(last[1]!.args).to.include({ solverWon: true, reason: Reason.Timeout });
  });

  it(`every level-4 move costs at most 100,000 gas (TERM_SLICE = ${TERM_SLICE})`, async () => {
    expect(await f.game.read.TERM_SLICE()).to.equal(BigInt(TERM_SLICE));
    for (const k of ["postTerms", "respondTerms", "postTerms +to settlement"]) {
      const g = f.gas.max(k);
      expect(g > 0n && g <= 100_000n, `${k}: ${g}`).to.equal(true);
    }
  });
});
