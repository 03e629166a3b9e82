// DisputeGame level 4 (terms): a dispute that ends on an element of a matmul or col_sum entry narrows the
// element's accumulation of K terms down to a slice of at most TERM_SLICE terms (docs/protocol.md, 3.3.1).
// Worlds: tiny (K <= 8: straight to settlement after the solver declares K) and medium (its first matmul
// x . W0 has K = 48: one dissection round).
import { describe, it } from "node:test";
import { expect } from "chai";
import { network } from "hardhat";
import { concatHex, keccak256, type Hex } from "viem";
import { commitState } from "../../commitment/stateRoot.ts";
import { settlementOperands } from "../../settlement/operands.ts";
import { deviate, makeWorld, type History, type World } from "./helpers/gameWorld.ts";
import {
  at, createGame, deployGame, dissectionPoints, expectRevert, hex, honestValue, paramsFor, Party, Phase, playGame, Player, postedSums, Reason,
  send, setHonestValue, sliceOf, stateOf, traceAt, valueWord, type Fixture, type GameState, type Settler,
} from "./helpers/gamePlayer.ts";
import { honestTerms, lyingView, solverTermsMove, TERM_SLICE } from "./helpers/terms.ts";

const sumsHash = (sums: readonly bigint[]): Hex => keccak256(concatHex(sums.map((x) => valueWord(x))));

describe("DisputeGame level 4: terms of a matmul/col_sum element", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem);
  const m: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  const tiny = makeWorld("tiny", 2);
  const medium = makeWorld("medium", 2);
  // medium entry 5: matmul x [4,48] . W0 [48,16] -> [4,16] (K = 48); tiny entry 5: K = 6; tiny entry 16: col_sum, K = 4.
  const MM = 5, COL_SUM = 16;

  async function events(fx: Fixture, id: bigint) {
    const logs = (await fx.pc.getContractEvents({ address: fx.game.address, abi: fx.game.abi, fromBlock: 0n })) as unknown as { eventName: string; args: Record<string, unknown> }[];
    return logs.filter((l) => l.args.gameId === id);
  }

  /** A game on [0, 1] of world `w` whose solver changed element `e` of entry `k`, driven to level 4. */
  async function toTerms(fx: Fixture, w: World, k: number, e: number, delta = 4096) {
    const bad = deviate(w, { kind: "op", step: 1, entry: k, element: e, delta });
    const id = await createGame(fx, paramsFor(fx, w, 0, 1, bad.roots[1]!, w.roots[1]!));
    const s = new Player(fx, "solver", bad, w.program), c = new Player(fx, "challenger", w, w.program);
    for (let i = 0; i < 100; i++) {
      const st = await stateOf(fx, id);
      if (st.phase === Phase.SolverTerms) return { id, bad, st, s, c };
      await (st.turn === Party.Solver ? s : c).act(id, st, w);
    }
    throw new Error("level 4 not reached");
  }

  const settlerFor = (w: World, solverHistory: History): Settler => (st) => {
    const pre = w.states[0]!;
    const src = { spec: w.spec, graph: w.graph, program: w.program, pre, preCommitment: commitState(w.spec, pre), trace: traceAt(solverHistory, 1), dataset: w.dataset };
    return settlementOperands(src, st.entry, Number(st.element), sliceOf(st));
  };

  it("level 3 ending on a matmul element starts level 4 (TermsStarted, code 1, level 4, the solver's turn); K <= TERM_SLICE goes straight to settlement with the slice [0, K) in the verifier's context", async () => {
    const { id, bad, st } = await toTerms(f, tiny, MM, 7);
    expect([st.level, st.turn, st.code, st.entry, st.element]).to.deep.equal([4, Party.Solver, 1, MM, 7n]);
    expect([st.termLo, st.termHi, st.termCount, st.accIn]).to.deep.equal([0n, 0n, 0n, 0n]);
    const ev = await events(f, id);
    expect(ev.at(-1)!.eventName).to.equal("TermsStarted");
    expect(ev.at(-1)!.args).to.include({ entry: MM, element: 7n, solverValue: st.solverNode, challengerValue: honestValue(tiny, 1, MM, 7) });
    const K = honestTerms(tiny, 1, MM, 7).K;
    expect(K).to.equal(6);
    await expectRevert(f.game.write.postTerms([id, 6n, [1n]], { account: f.solver.account }), "WrongSumCount");
    await expectRevert(f.game.write.postTerms([id, 0n, []], { account: f.solver.account }), "ZeroTermCount");
    await expectRevert(f.game.write.postTerms([id, 2n ** 32n, dissectionPoints(0, 2 ** 32).map(BigInt)], { account: f.solver.account }), "TermCountTooLarge");
    await expectRevert(f.game.write.postTerms([id, 6n, []], { account: f.challenger.account }), "NotYourTurn");
    await expectRevert(f.game.write.respondTerms([id, [], 0], { account: f.challenger.account }), "WrongPhase");
    await send(f, f.game, "postTerms", [id, 6n, []], f.solver, "postTerms +to settlement");
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
      const { K, sums } = solverTermsMove(v, st.termLo, st.termHi, st.termCount);
      const pts = dissectionPoints(0, 48);
      expect(sums.length).to.equal(7);
      await expectRevert(f.game.write.postTerms([id, K, sums.slice(1)], { account: f.solver.account }), "WrongSumCount");
      await send(f, f.game, "postTerms", [id, K, sums], f.solver, "postTerms");
      const s1 = await stateOf(f, id);
      expect([s1.phase, s1.level, s1.turn, s1.termLo, s1.termHi, s1.termCount, s1.pendingHash]).to.deep.equal([Phase.ChallengerTerms, 4, Party.Challenger, 0n, 48n, 48n, sumsHash(sums)]);
      const posted = await postedSums(f, id);
      expect(posted).to.deep.equal(sums);
      await expectRevert(f.game.write.respondTerms([id, posted.map((x, i) => (i === 2 ? x + 1n : x)), 0], { account: f.challenger.account }), "SumsMismatch");
      await expectRevert(f.game.write.respondTerms([id, posted, 8], { account: f.challenger.account }), "ChoiceOutOfRange");
      await expectRevert(f.game.write.respondTerms([id, posted, 0], { account: f.solver.account }), "NotYourTurn");
      await expectRevert(f.game.write.postTerms([id, K, sums], { account: f.solver.account }), "WrongPhase");
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
      s.termLie = { kind: "step", r };
      const out = await playGame(m, medium, id, s, c, settlerFor(medium, bad));
      expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
      const st = await stateOf(m, id);
      expect(Number(st.termLo) < r && r <= Number(st.termHi), `the slice [${st.termLo}, ${st.termHi}) holds the lie at ${r}`).to.equal(true);
    }
    const bad = deviate(medium, { kind: "op", step: 1, entry: MM, element: 2, delta: 4096 });
    const id = await createGame(m, paramsFor(m, medium, 0, 1, medium.roots[1]!, bad.roots[1]!));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const out = await playGame(m, medium, id, new Player(m, "solver", medium, medium.program), new Player(m, "challenger", bad, medium.program, { random }), settlerFor(medium, medium));
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

  it("a solver that declares a wrong K cannot be settled: the settlement window closes and it loses (INV-GAME-9)", async () => {
    for (const [fx, err] of [[f, "ValueNotSet"], [m, "TermCountMismatch"]] as const) {
      const { id, bad } = await toTerms(fx, tiny, MM, 3);
      await send(fx, fx.game, "postTerms", [id, 7n, []], fx.solver, "postTerms +to settlement");
      const st = await stateOf(fx, id);
      expect([st.phase, st.termHi, st.termCount]).to.deep.equal([Phase.Settlement, 7n, 7n]);
      if (fx === f) {
        await setHonestValue(f, tiny, st); // nothing to set: the slice reaches past the true K
        await send(f, f.verifier, "setSliceValue", [MM, 3n, 6n, 6n, honestValue(tiny, 1, MM, 3, 6)], f.other, null);
        await expectRevert(f.game.write.settle([id, "0x", "0x"]), err);
      } else {
        // The honest operands of the whole element under the declared slice: the verifier checks K first.
        const pre = tiny.states[0]!;
        const src = { spec: tiny.spec, graph: tiny.graph, program: tiny.program, pre, preCommitment: commitState(tiny.spec, pre), trace: traceAt(bad, 1), dataset: tiny.dataset };
        await expectRevert(m.game.write.settle([id, settlementOperands(src, MM, 3), "0x"]), err);
      }
      await at(fx, st.deadline);
      await send(fx, fx.game, "timeout", [id], fx.other, "timeout");
      const ev = await events(fx, id);
      expect(ev.at(-1)!.args).to.include({ solverWon: false, reason: Reason.SettlementTimeout });
    }
  });

  it("K stays the declared one across rounds (TermCountChanged); clocks run at level 4: a solver that stalls loses, a challenger that stalls loses", async () => {
    // A solver declaring K = 1000 (wrong, but only settlement can tell) gets a second round after j = 0.
    const g1 = await toTerms(f, medium, MM, 1);
    const pts = dissectionPoints(0, 1000);
    await send(f, f.game, "postTerms", [g1.id, 1000n, pts.map(BigInt)], f.solver, "postTerms");
    await send(f, f.game, "respondTerms", [g1.id, pts.map(BigInt), 0], f.challenger, "respondTerms");
    const s1 = await stateOf(f, g1.id);
    expect([s1.phase, s1.termLo, s1.termHi, s1.termCount]).to.deep.equal([Phase.SolverTerms, 0n, BigInt(pts[0]!), 1000n]);
    await expectRevert(f.game.write.postTerms([g1.id, 48n, dissectionPoints(0, pts[0]!).map(BigInt)], { account: f.solver.account }), "TermCountChanged");
    // ... and stalls there: the challenger wins on time.
    await at(f, s1.deadline);
    await expectRevert(f.game.write.postTerms([g1.id, 1000n, dissectionPoints(0, pts[0]!).map(BigInt)], { account: f.solver.account }), "ClockExpired");
    await send(f, f.game, "timeout", [g1.id], f.other, "timeout");
    expect((await events(f, g1.id)).at(-1)!.args).to.include({ solverWon: false, reason: Reason.Timeout });

    // A challenger that never answers the solver's sums loses.
    const g2 = await toTerms(f, medium, MM, 2);
    const h = honestTerms(medium, 1, MM, 2);
    await send(f, f.game, "postTerms", [g2.id, 48n, dissectionPoints(0, 48).map((p) => h.sums[p]!)], f.solver, "postTerms");
    const s2: GameState = await stateOf(f, g2.id);
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
