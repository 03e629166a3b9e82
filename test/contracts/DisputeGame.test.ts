// DisputeGame (contracts/game/DisputeGame.sol) played with real data: histories, op traces and tensor
// commitments computed by the engine (test/contracts/helpers/gameWorld.ts), and the production player's move
// (dispute/move.ts) for each party over its own view (helpers/historyView.ts), sent by helpers/gamePlayer.ts.
// A dishonest party is an honest computation with one element changed (and everything after recomputed), a
// wrong post-state assembly, hand-crafted traces, or random garbage (helpers/strategies.ts's deviations).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { expect } from "chai";
import { network } from "hardhat";
import { bytesToHex, type Hex } from "viem";
import { sha256, toHex as hex } from "../../commitment/hash.ts";
import { ANCHOR_TENSOR_ID, POST_ANCHOR_CODE, PRE_ANCHOR_CODE, recordHash } from "../../commitment/trace.ts";
import { buildTree, proofOf } from "../../commitment/merkle.ts";
import { programEntryHash, programHeaderHash, programStateHash } from "../../commitment/program.ts";
import { LEAF_BYTES, decodeElements } from "../../commitment/tensorCommit.ts";
import { referenceRunner } from "../../engine/reference.ts";
import { traceStep } from "../../training/traceStep.ts";
import type { Deviation } from "../../dispute/deviation.ts";
import { dissectionPoints, level1Rounds, rootsHash, valueWord, ZERO32 } from "../../dispute/dissection.ts";
import { type GameView, Party, Phase, Reason, type Side } from "../../dispute/gameState.ts";
import { DESCENT_LEVELS, descentNodes, firstDifference } from "../../dispute/treeNodes.ts";
import { commitBytes, craftTrace, deviate, garbageHistory, makeWorld, rng, withOverrides, type History, type World } from "./helpers/gameWorld.ts";
import {
  at, createGame, deployGame, expectRevert, honestValue, type Lie, now, paramsFor, playGame, Player, send, settlerFor, stateOf, traceAt, type Fixture, type GameParams,
} from "./helpers/gamePlayer.ts";
import { HistoryView, worldView } from "./helpers/historyView.ts";
import { garbage, stallAt } from "./helpers/strategies.ts";

const EIP170_LIMIT = 24_576;
const BISECTION_GAS_TARGET = 100_000n;

describe("DisputeGame", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem);
  const tiny = makeWorld("tiny", 6);
  const medium = makeWorld("medium", 3);
  const wide = makeWorld("wide", 3);

  const honest = (side: Side, w: World) => new Player(f, side, worldView(w));
  const party = (side: Side, w: World, h: History, lie?: Lie) => new Player(f, side, new HistoryView(w, h), lie);

  /** Opens a game on [lo, hi] between two histories (agreed root: the world's root at lo). */
  async function open(w: World, lo: number, hi: number, s: History, c: History, clock = 3600n): Promise<bigint> {
    return createGame(f, paramsFor(f, w, lo, hi, s.roots[hi]!, c.roots[hi]!, clock));
  }

  /** A made-up state root (level 1 never checks roots against a computation). */
  const fake = (tag: string, t: number): Hex => hex(sha256(Buffer.from(`made-up ${tag} root ${t}`)));
  /** Parameters of a game on [lo, hi] over made-up roots: agreed fake("agreed", lo), solver/challenger at hi. */
  const fakeParams = (lo: number, hi: number, clock = 3600n): GameParams => ({
    ...paramsFor(f, tiny, 0, 1, tiny.roots[1]!, tiny.roots[0]!, clock),
    loStep: BigInt(lo), hiStep: BigInt(hi), agreedRoot: fake("agreed", lo), solverRoot: fake("solver", hi), challengerRoot: fake("challenger", hi),
  });

  /** Plays moves until `stop` holds. */
  async function driveUntil(gameId: bigint, s: Player, c: Player, stop: (st: GameView) => boolean): Promise<GameView> {
    for (let i = 0; i < 400; i++) {
      const st = await stateOf(f, gameId);
      if (stop(st)) return st;
      const r = await (st.turn === Party.Solver ? s : c).act(gameId, st);
      assert.equal(r, "moved", `stuck in phase ${st.phase}`);
    }
    throw new Error("driveUntil: too many moves");
  }

  async function gameEvents(gameId: bigint): Promise<{ eventName: string; args: Record<string, unknown> }[]> {
    const logs = (await f.pc.getContractEvents({ address: f.game.address, abi: f.game.abi, fromBlock: 0n })) as unknown as { eventName: string; args: Record<string, unknown> }[];
    return logs.filter((l) => l.args.gameId === gameId);
  }

  after(() => {
    console.log(`\nDisputeGame gas per move kind:\n${f.gas.table()}`);
  });

  // ================================================================ setup

  describe("setup and access", () => {
    it("stays under the EIP-170 size limit", async () => {
      const { readFile } = await import("node:fs/promises");
      const art = JSON.parse(await readFile(new URL("../../artifacts/contracts/game/DisputeGame.sol/DisputeGame.json", import.meta.url), "utf8"));
      const size = (art.deployedBytecode.length - 2) / 2;
      console.log(`DisputeGame deployed bytecode: ${size} bytes (limit ${EIP170_LIMIT})`);
      expect(size).to.be.lessThan(EIP170_LIMIT);
    });

    it("setMarket: deployer only, once, non-zero", async () => {
      const g = await viem.deployContract("DisputeGame", [f.verifier.address]);
      await expectRevert(g.write.setMarket([f.other.account.address], { account: f.other.account }), "NotDeployer");
      await expectRevert(g.write.setMarket([ZERO32.slice(0, 42)]), "ZeroAddress");
      await expectRevert(viem.deployContract("DisputeGame", [ZERO32.slice(0, 42)]), "ZeroAddress");
      const m = await viem.deployContract("TestMarket", [g.address]);
      const p = paramsFor(f, tiny, 0, 1, tiny.roots[1]!, sha256(Buffer.from("x")));
      await expectRevert(m.write.create([p]), "NotMarket"); // before setMarket
      await g.write.setMarket([m.address]);
      expect(((await g.read.market()) as string).toLowerCase()).to.equal(m.address.toLowerCase());
      await expectRevert(g.write.setMarket([m.address]), "MarketAlreadySet");
      await m.write.create([p]);
      expect(await g.read.gameCount()).to.equal(1n);
    });

    it("create and abort: market only; create checks its parameters (INV-GAME-1: a real interval, two different roots)", async () => {
      const p = paramsFor(f, tiny, 0, 4, tiny.roots[4]!, sha256(Buffer.from("claim")));
      await expectRevert(f.game.write.create([p]), "NotMarket");
      await expectRevert(f.game.write.create([p], { account: f.solver.account }), "NotMarket");
      await expectRevert(f.market.write.create([{ ...p, loStep: 4n }]), "EmptyInterval");
      await expectRevert(f.market.write.create([{ ...p, loStep: 5n }]), "EmptyInterval");
      await expectRevert(f.market.write.create([{ ...p, challengerRoot: p.solverRoot }]), "RootsAgree");
      await expectRevert(f.market.write.create([{ ...p, clockDuration: 0n }]), "ZeroClockDuration");
      await expectRevert(f.market.write.create([{ ...p, solver: ZERO32.slice(0, 42) }]), "ZeroAddress");
      const id = await createGame(f, p);
      await expectRevert(f.game.write.abort([id]), "NotMarket");
      await expectRevert(f.game.write.abort([id], { account: f.challenger.account }), "NotMarket");
      const st = await stateOf(f, id);
      expect(st.phase).to.equal(Phase.Bisect);
      expect(st.level).to.equal(1);
      expect(st.turn).to.equal(Party.Solver);
      expect(st.deadline).to.equal(st.lastMove + 3600n);
      const created = (await gameEvents(id)).find((e) => e.eventName === "GameCreated")!;
      expect((created.args.params as { agreedRoot: Hex }).agreedRoot).to.equal(p.agreedRoot);
      expect(created.args.jobId).to.equal(7n);
    });

    it("an unknown game id: empty state, GameNotFound for every call", async () => {
      const id = 999_999n;
      expect((await stateOf(f, id)).phase).to.equal(Phase.None);
      await expectRevert(f.game.write.bisectStep([id, []], { account: f.solver.account }), "GameNotFound");
      await expectRevert(f.game.write.respondStep([id, [], 0, ZERO32], { account: f.challenger.account }), "GameNotFound");
      await expectRevert(f.game.write.revealNodes([id, [ZERO32, ZERO32], []], { account: f.solver.account }), "GameNotFound");
      await expectRevert(f.game.write.timeout([id]), "GameNotFound");
      await expectRevert(f.game.write.settle([id, "0x", "0x"]), "GameNotFound");
      await expectRevert(f.market.write.abort([id]), "GameNotFound");
    });

    it("the test worlds' honest traces are the engine's (training/traceStep)", async () => {
      for (const w of [tiny, medium]) {
        const t = await traceStep(referenceRunner(w.graph), w.spec, w.dataset, w.states[1]!);
        expect(t.trace.root.equals(w.traces[2]!.root)).to.equal(true);
        expect(t.postCommitment.root.equals(w.roots[2]!)).to.equal(true);
      }
    });
  });

  // ================================================================ whole games

  describe("whole games", () => {
    it("a dishonest solver (one element changed) loses at that element, with every move's event (INV-GAME-3, INV-GAME-6)", async () => {
      const dev: Deviation = { kind: "op", step: 3, entry: 6, element: 7 };
      const bad = deviate(tiny, dev);
      const id = await open(tiny, 0, 4, bad, tiny);
      const s = party("solver", tiny, bad), c = honest("challenger", tiny);
      const st = await driveUntil(id, s, c, (x) => x.phase === Phase.Settlement);
      expect(st.level).to.equal(5);
      expect(st.turn).to.equal(Party.None);
      expect([st.loStep, st.hiStep]).to.deep.equal([2n, 3n]);
      expect(st.agreedRoot).to.equal(hex(tiny.roots[2]!));
      expect(st.entry).to.equal(6);
      expect(st.element).to.equal(7n);
      const badValue = decodeElements(traceAt(bad, 3).commitments[5]!.bytes, 4, 1, 7 * 4)[0]!;
      expect(st.solverNode).to.equal(valueWord(badValue));
      expect(st.challengerNode).to.equal(honestValue(tiny, 3, 6, 7));
      expect(st.solverTrace).to.equal(hex(traceAt(bad, 3).root));
      // The kernel verifier gets exactly the agreed context.
      const ctx = { programRoot: hex(tiny.program.root), datasetRoot: `0x${tiny.spec.data.root}` as Hex, preStateRoot: hex(tiny.roots[2]!), traceRoot: hex(traceAt(bad, 3).root), entry: 6, element: 7n, termLo: 0n, termHi: 0n, termCount: 0n, accIn: 0n };
      await send(f, f.verifier, "expectContext", [ctx], f.other, null);
      await send(f, f.verifier, "setValue", [6, 7n, honestValue(tiny, 3, 6, 7)], f.other, null);
      await send(f, f.game, "settle", [id, "0x", "0x"], f.other, "settle");
      await send(f, f.verifier, "expectContext", [{ ...ctx, programRoot: ZERO32 }], f.other, null);
      expect(await f.market.read.solverWon([id])).to.equal(false);
      expect(await f.market.read.reports([id])).to.equal(1n);
      const names = (await gameEvents(id)).map((e) => e.eventName);
      // The trace tree's depth 5 takes two descent rounds: 3 levels (8 nodes), then 2 (4 nodes).
      const D = Math.ceil(Math.log2(tiny.entries));
      expect(D).to.equal(5);
      expect(names).to.deep.equal([
        "GameCreated",
        "StepBisected", "StepResponded",
        "TracePosted", "TracePosted",
        ...new Array(2 * Math.ceil(D / DESCENT_LEVELS)).fill("NodesRevealed"),
        "RecordOpened", "RecordOpened", "DataRootRevealed", "DataRootRevealed", "LeafRevealed", "LeafRevealed",
        "ReachedSettlement", "Settled", "GameResolved",
      ]);
      const ev = await gameEvents(id);
      // [0, 4]: the solver's roots at 1, 2, 3; the challenger's first disagreement is point 2 (step 3).
      expect(ev[1]!.args).to.deep.include({ lo: 0n, hi: 4n, roots: [1, 2, 3].map((t) => hex(bad.roots[t]!)) });
      expect(ev[2]!.args).to.include({ choice: 2, lo: 2n, hi: 3n, ownRoot: hex(tiny.roots[3]!) });
      expect(ev.at(-1)!.args).to.include({ solverWon: false, reason: Reason.Settled });
    });

    it("a dishonest challenger loses against an honest solver; the game state reads back at each level", async () => {
      const bad = deviate(tiny, { kind: "op", step: 2, entry: 12, element: 3 });
      const id = await open(tiny, 1, 5, tiny, bad);
      const s = honest("solver", tiny), c = party("challenger", tiny, bad);
      let st = await driveUntil(id, s, c, (x) => x.phase === Phase.SolverTraceNodes);
      expect([st.loStep, st.hiStep, st.level, st.entries, st.depth, st.round]).to.deep.equal([1n, 2n, 2, tiny.entries, 5, 0]);
      expect(st.solverNode).to.equal(hex(tiny.traces[2]!.root));
      expect(st.challengerNode).to.equal(hex(traceAt(bad, 2).root));
      st = await driveUntil(id, s, c, (x) => x.phase === Phase.SolverDataRoot);
      expect(st.entry).to.equal(12);
      expect(st.solverNode).to.equal(hex(tiny.traces[2]!.entries[12]!.outputRoot));
      expect([st.width, st.elementCount]).to.deep.equal([4, 12n]);
      const out = await playGame(f, tiny, id, s, c);
      expect(out).to.deep.include({ solverWon: true, reason: Reason.Settled });
      expect(out.settledAt).to.include({ entry: 12, element: 3 });
    });

    it("an interval of one step goes straight to level 2", async () => {
      const bad = deviate(tiny, { kind: "op", step: 4, entry: 1, element: 0 });
      const id = await open(tiny, 3, 4, bad, tiny);
      const st = await stateOf(f, id);
      expect([st.phase, st.level, st.turn]).to.deep.equal([Phase.SolverTrace, 2, Party.Solver]);
      const out = await playGame(f, tiny, id, party("solver", tiny, bad), honest("challenger", tiny));
      expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
      expect(out.settledAt).to.include({ entry: 1, element: 0 });
    });

    for (const side of ["solver", "challenger"] as const) {
      it(`a post-state dispute (honest ops, wrong state assembly) by the ${side} settles the two roots at entry E-1`, async () => {
        const bad = deviate(tiny, { kind: "post", step: 2 });
        const id = side === "solver" ? await open(tiny, 0, 3, bad, tiny) : await open(tiny, 0, 3, tiny, bad);
        const s = side === "solver" ? party("solver", tiny, bad) : honest("solver", tiny);
        const c = side === "challenger" ? party("challenger", tiny, bad) : honest("challenger", tiny);
        const out = await playGame(f, tiny, id, s, c);
        expect(out.solverWon).to.equal(side === "challenger");
        expect(out.settledAt).to.deep.equal({
          entry: tiny.entries - 1, element: 0,
          solverValue: hex((side === "solver" ? bad : tiny).roots[2]!), challengerValue: hex((side === "solver" ? tiny : bad).roots[2]!),
        });
      });
    }

    it("a data descent over a 3-leaf tensor (depth 2) finds the element in leaf 2", async () => {
      // medium: entry 3 is l0.wq, [48, 16] int32: 768 elements, 3 leaves of 256.
      expect(medium.program.entries[3]!.shape).to.deep.equal([48, 16]);
      const bad = deviate(medium, { kind: "op", step: 2, entry: 3, element: 600 });
      const id = await open(medium, 0, 3, bad, medium);
      const s = party("solver", medium, bad), c = honest("challenger", medium);
      const st = await driveUntil(id, s, c, (x) => x.phase === Phase.SolverDataNodes);
      expect([st.depth, st.round, st.index, st.level]).to.deep.equal([2, 0, 0n, 3]);
      const out = await playGame(f, medium, id, s, c);
      expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
      expect(out.settledAt).to.include({ entry: 3, element: 600 });
      const leaves = (await gameEvents(id)).filter((e) => e.eventName === "LeafRevealed");
      expect(leaves.map((e) => e.args.leafIndex)).to.deep.equal([2n, 2n]);
      // Depth 2 < DESCENT_LEVELS: one partial round, the 4 leaf hashes (leaf 3 is padding) from each side.
      const reveals = (await gameEvents(id)).filter((e) => e.eventName === "NodesRevealed" && e.args.level === 3);
      expect(reveals.map((e) => [e.args.by, (e.args.nodes as Hex[]).length, e.args.round])).to.deep.equal([[Party.Solver, 4, 0], [Party.Challenger, 4, 0]]);
      expect((reveals[0]!.args.nodes as Hex[])[3]).to.equal(ZERO32);
    });

    it("8-byte elements (wide spec) are compared and decoded as the engine encodes them", async () => {
      // The first (width-8 entry, last element) whose change (a large negative delta) reaches the state.
      let k = 0, n = 0, bad: History | undefined;
      for (const p of wide.program.entries.filter((e) => e.width === 8)) {
        n = p.shape.reduce((a, b) => a * b, 1);
        const h = deviate(wide, { kind: "op", step: 1, entry: p.entry, element: n - 1, delta: -(2 ** 40) });
        if (!h.roots[2]!.equals(wide.roots[2]!)) {
          [k, bad] = [p.entry, h];
          break;
        }
      }
      assert.ok(bad, "no width-8 deviation reaches the state");
      const id = await open(wide, 0, 2, wide, bad);
      const out = await playGame(f, wide, id, honest("solver", wide), party("challenger", wide, bad));
      expect(out).to.deep.include({ solverWon: true, reason: Reason.Settled });
      expect(out.settledAt).to.include({ entry: k, element: n - 1, solverValue: honestValue(wide, 1, k, n - 1) });
      const v = decodeElements(traceAt(bad, 1).commitments[k - 1]!.bytes, 8, 1, (n - 1) * 8)[0]!;
      expect(out.settledAt!.challengerValue).to.equal(valueWord(v));
      expect((await stateOf(f, id)).width).to.equal(8);
    });
  });

  // ================================================================ level 1: 8-ary dissection

  describe("level 1: 8-ary dissection", () => {
    /** Smallest k with 8^k >= n (integers only). */
    const ceilLog8 = (n: number) => {
      let k = 0;
      for (let p = 1; p < n; p *= 8) k++;
      return k;
    };
    /** Largest k with 2 * 8^k <= n (n >= 2): floor(log8(n / 2)). */
    const floorLog8Half = (n: number) => {
      let k = 0;
      for (let p = 16; p <= n; p *= 8) k++;
      return k;
    };

    it("the point formula: m = min(7, L - 1) points strictly inside (lo, hi), parts differing by at most one step; rounds between 1 + floor(log8(L/2)) and ceil(log8 L) (L = 1 .. 5000)", () => {
      expect(dissectionPoints(10, 12)).to.deep.equal([11]);
      expect(dissectionPoints(10, 18)).to.deep.equal([11, 12, 13, 14, 15, 16, 17]);
      expect(dissectionPoints(10, 19)).to.deep.equal([11, 12, 13, 14, 15, 16, 17]);
      expect(dissectionPoints(0, 1024)).to.deep.equal([128, 256, 384, 512, 640, 768, 896]);
      for (let L = 2; L <= 5000; L++) {
        const pts = [0, ...dissectionPoints(0, L), L];
        expect(pts.length - 2).to.equal(Math.min(7, L - 1));
        const parts = pts.slice(1).map((q, i) => q - pts[i]!);
        expect(Math.min(...parts), `L = ${L}`).to.be.greaterThan(0);
        expect(Math.max(...parts) - Math.min(...parts), `L = ${L}`).to.be.at.most(1);
        expect(level1Rounds(L), `L = ${L}`).to.deep.equal({ min: 1 + floorLog8Half(L), max: ceilLog8(L) });
      }
      expect(level1Rounds(1)).to.deep.equal({ min: 0, max: 0 });
      expect(level1Rounds(1024)).to.deep.equal({ min: 4, max: 4 });
    });

    it("intervals of 2 .. 9 steps (m < 7 up to 8 steps): the posted roots (event, stored hash) and the interval after j = 0, a middle j and j = m (INV-GAME-1)", async () => {
      const lo = 10;
      for (let L = 2; L <= 9; L++) {
        const hi = lo + L;
        const pts = dissectionPoints(lo, hi);
        const m = pts.length;
        expect(m).to.equal(Math.min(7, L - 1));
        if (L <= 8) expect(pts).to.deep.equal(Array.from({ length: L - 1 }, (_, i) => lo + 1 + i));
        for (const j of [...new Set([0, m >> 1, m])]) {
          const id = await createGame(f, fakeParams(lo, hi));
          const roots = pts.map((t) => fake("solver", t));
          await send(f, f.game, "bisectStep", [id, roots], f.solver);
          expect((await stateOf(f, id)).pendingHash).to.equal(rootsHash(roots));
          const own = j < m ? fake("challenger", pts[j]!) : ZERO32;
          await send(f, f.game, "respondStep", [id, roots, j, own], f.challenger, j < m ? "respondStep(disagree)" : "respondStep(agree)");
          const [newLo, newHi] = [j === 0 ? lo : pts[j - 1]!, j < m ? pts[j]! : hi];
          const st = await stateOf(f, id);
          const where = `L = ${L}, j = ${j}`;
          expect([st.loStep, st.hiStep], where).to.deep.equal([BigInt(newLo), BigInt(newHi)]);
          expect(st.agreedRoot, where).to.equal(j === 0 ? fake("agreed", lo) : roots[j - 1]);
          expect([st.solverRoot, st.challengerRoot], where).to.deep.equal(j < m ? [roots[j], own] : [fake("solver", hi), fake("challenger", hi)]);
          expect(st.phase, where).to.equal(newHi - newLo === 1 ? Phase.SolverTrace : Phase.Bisect);
          const ev = (await gameEvents(id)).filter((e) => e.eventName.startsWith("Step"));
          expect(ev.map((e) => e.eventName)).to.deep.equal(["StepBisected", "StepResponded"]);
          expect(ev[0]!.args).to.deep.include({ lo: BigInt(lo), hi: BigInt(hi), roots });
          expect(ev[1]!.args).to.include({ choice: j, ownRoot: own, lo: BigInt(newLo), hi: BigInt(newHi) });
          if (st.phase === Phase.Bisect) {
            // L = 9, j = m: [17, 19] is two steps: one more round with m = 1; a non-zero ownRoot with j = m is ignored.
            expect([L, j, newLo, newHi]).to.deep.equal([9, 7, 17, 19]);
            await expectRevert(f.game.write.bisectStep([id, roots.slice(0, 2)], { account: f.solver.account }), "WrongRootCount");
            await send(f, f.game, "bisectStep", [id, [fake("solver", 18)]], f.solver);
            await send(f, f.game, "respondStep", [id, [fake("solver", 18)], 1, fake("junk", 0)], f.challenger, "respondStep(agree)");
            const st2 = await stateOf(f, id);
            expect([st2.loStep, st2.hiStep, st2.agreedRoot, st2.phase]).to.deep.equal([18n, 19n, fake("solver", 18), Phase.SolverTrace]);
            expect((await gameEvents(id)).at(-1)!.args).to.include({ choice: 1, ownRoot: ZERO32, lo: 18n, hi: 19n });
          }
        }
      }
    });

    it("a middle j of a 7-point dissection with parts of two sizes: [100, 150] -> j = 4 -> [125, 131]", async () => {
      const pts = dissectionPoints(100, 150);
      expect(pts).to.deep.equal([106, 112, 118, 125, 131, 137, 143]);
      const id = await createGame(f, fakeParams(100, 150));
      const roots = pts.map((t) => fake("solver", t));
      await send(f, f.game, "bisectStep", [id, roots], f.solver);
      await send(f, f.game, "respondStep", [id, roots, 4, fake("challenger", 131)], f.challenger, "respondStep(disagree)");
      const st = await stateOf(f, id);
      expect([st.loStep, st.hiStep, st.agreedRoot, st.solverRoot, st.challengerRoot, st.phase]).to.deep.equal(
        [125n, 131n, roots[3], roots[4], fake("challenger", 131), Phase.Bisect],
      );
    });

    it("level-1 moves for every interval length 1 .. 70, played by the Players: 2 * ceil(log8 L) when the disagreement is at hi, 2 * (1 + floor(log8(L/2))) when it is at lo + 1", async () => {
      const lo = 3;
      const honestRoots = Array.from({ length: lo + 71 }, (_, t) => sha256(Buffer.from(`honest ${t}`)));
      const noTrace = () => undefined;
      for (let L = 1; L <= 70; L++) {
        const hi = lo + L;
        for (const d of [...new Set([hi, lo + 1])]) {
          const lie: History = { roots: honestRoots.map((r, t) => (t >= d ? sha256(Buffer.from(`lie ${t}`)) : r)), trace: noTrace };
          const id = await createGame(f, { ...fakeParams(lo, hi), agreedRoot: hex(honestRoots[lo]!), solverRoot: hex(lie.roots[hi]!), challengerRoot: hex(honestRoots[hi]!) });
          const s = new Player(f, "solver", new HistoryView(tiny, lie)), c = new Player(f, "challenger", new HistoryView(tiny, { roots: honestRoots, trace: noTrace }));
          const st = await driveUntil(id, s, c, (x) => x.phase === Phase.SolverTrace);
          const moves = (await gameEvents(id)).filter((e) => e.eventName.startsWith("Step")).length;
          const expected = L === 1 ? 0 : d === hi ? 2 * ceilLog8(L) : 2 * (1 + floorLog8Half(L));
          expect(moves, `L = ${L}, disagreement at ${d}`).to.equal(expected);
          expect(moves).to.equal(2 * (d === hi ? level1Rounds(L).max : level1Rounds(L).min));
          // INV-GAME-1: the game ends on the one step where the two histories part.
          expect([st.loStep, st.hiStep, st.agreedRoot, st.solverRoot, st.challengerRoot]).to.deep.equal(
            [BigInt(d - 1), BigInt(d), hex(honestRoots[d - 1]!), hex(lie.roots[d]!), hex(honestRoots[d]!)],
          );
        }
      }
    });
  });

  // ================================================================ reverts, move by move

  describe("every move rejects the wrong party, the wrong phase and bad proofs", () => {
    const bad = deviate(tiny, { kind: "op", step: 3, entry: 6, element: 7 });
    let id = 0n;
    const S = () => ({ account: f.solver.account });
    const C = () => ({ account: f.challenger.account });
    const O = () => ({ account: f.other.account });
    const tr = () => traceAt(bad, 3);
    const header = () => {
      const h = tiny.program.header;
      return { entries: h.entries, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries };
    };
    const headerPath = () => proofOf(tiny.program.tree, 0).map(hex);
    const s = party("solver", tiny, bad), c = honest("challenger", tiny);

    it("level 1 (INV-GAME-1): turn order, parties, phases, root count, zero roots, posted roots, choice range, SameAsSolverRoot, early timeout", async () => {
      id = await open(tiny, 0, 4, bad, tiny);
      const g = f.game.write;
      const roots = [1, 2, 3].map((t) => hex(bad.roots[t]!)); // m = 3: points 1, 2, 3
      await expectRevert(g.bisectStep([id, roots], C()), "NotYourTurn");
      await expectRevert(g.bisectStep([id, roots], O()), "NotYourTurn");
      await expectRevert(g.respondStep([id, roots, 0, ZERO32], C()), "WrongPhase");
      await expectRevert(g.postTrace([id, ZERO32, header(), [], [], []], S()), "WrongPhase");
      await expectRevert(g.revealNodes([id, [ZERO32, ZERO32], []], S()), "WrongPhase");
      await expectRevert(g.openRecord([id, { entry: 0, tensorId: 0, code: 0, inputs: [], attrs: [], outputRoot: ZERO32 }, 4, [], []], S()), "WrongPhase");
      await expectRevert(g.revealDataRoot([id, ZERO32, []], S()), "WrongPhase");
      await expectRevert(g.revealLeaf([id, "0x", "0x"], S()), "WrongPhase");
      await expectRevert(g.settle([id, "0x", "0x"]), "WrongPhase");
      await expectRevert(g.timeout([id]), "ClockNotExpired");
      await expectRevert(g.bisectStep([id, []], S()), "WrongRootCount");
      await expectRevert(g.bisectStep([id, roots.slice(1)], S()), "WrongRootCount");
      await expectRevert(g.bisectStep([id, [...roots, roots[0]!]], S()), "WrongRootCount");
      await expectRevert(g.bisectStep([id, [roots[0]!, ZERO32, roots[2]!]], S()), "ZeroRoot");
      await send(f, f.game, "bisectStep", [id, roots], f.solver);
      let st = await stateOf(f, id);
      expect([st.phase, st.turn, st.pendingHash]).to.deep.equal([Phase.Respond, Party.Challenger, rootsHash(roots)]);
      await expectRevert(g.bisectStep([id, roots], S()), "WrongPhase");
      await expectRevert(g.respondStep([id, roots, 2, hex(tiny.roots[3]!)], S()), "NotYourTurn");
      await expectRevert(g.respondStep([id, [roots[1]!, roots[0]!, roots[2]!], 2, hex(tiny.roots[3]!)], C()), "RootsMismatch");
      await expectRevert(g.respondStep([id, roots.slice(0, 2), 2, hex(tiny.roots[3]!)], C()), "RootsMismatch");
      await expectRevert(g.respondStep([id, [...roots, ZERO32], 2, hex(tiny.roots[3]!)], C()), "RootsMismatch");
      await expectRevert(g.respondStep([id, [], 0, hex(tiny.roots[3]!)], C()), "RootsMismatch");
      await expectRevert(g.respondStep([id, roots, 4, ZERO32], C()), "ChoiceOutOfRange");
      await expectRevert(g.respondStep([id, roots, 255, hex(tiny.roots[3]!)], C()), "ChoiceOutOfRange");
      await expectRevert(g.respondStep([id, roots, 2, roots[2]!], C()), "SameAsSolverRoot");
      await expectRevert(g.respondStep([id, roots, 0, roots[0]!], C()), "SameAsSolverRoot");
      await expectRevert(g.respondStep([id, roots, 1, ZERO32], C()), "ZeroRoot");
      // The first disagreement is point 2 (step 3): the agreed root becomes the solver's root at step 2.
      await send(f, f.game, "respondStep", [id, roots, 2, hex(tiny.roots[3]!)], f.challenger, "respondStep(disagree)");
      st = await stateOf(f, id);
      expect([st.loStep, st.hiStep, st.agreedRoot, st.solverRoot, st.challengerRoot, st.phase, st.level]).to.deep.equal(
        [2n, 3n, hex(tiny.roots[2]!), hex(bad.roots[3]!), hex(tiny.roots[3]!), Phase.SolverTrace, 2],
      );
      await expectRevert(g.respondStep([id, roots, 2, hex(tiny.roots[3]!)], C()), "WrongPhase");
    });

    it("postTrace: header proof, anchors (INV-GAME-2), path depths, turn", async () => {
      const g = f.game.write;
      const t = tr();
      const E = t.entries.length;
      const pre = proofOf(t.tree, 0).map(hex), post = proofOf(t.tree, E - 1).map(hex);
      await expectRevert(g.postTrace([id, hex(t.root), header(), headerPath(), pre, post], C()), "NotYourTurn");
      await expectRevert(g.postTrace([id, hex(t.root), { ...header(), entries: E + 1 }, headerPath(), pre, post], S()), "ProgramRootMismatch");
      await expectRevert(g.postTrace([id, hex(t.root), header(), headerPath().slice(1), pre, post], S()), "ProgramRootMismatch");
      await expectRevert(g.postTrace([id, hex(t.root), header(), headerPath(), pre.slice(1), post], S()), "ProofDepthMismatch");
      await expectRevert(g.postTrace([id, hex(t.root), header(), headerPath(), pre, [...post, ZERO32]], S()), "ProofDepthMismatch");
      // The honest trace ends at the honest root, not at the solver's root at hi.
      const h = tiny.traces[3]!;
      await expectRevert(g.postTrace([id, hex(h.root), header(), headerPath(), proofOf(h.tree, 0).map(hex), proofOf(h.tree, E - 1).map(hex)], S()), "AnchorMismatch");
      // A trace of another step starts from another root.
      const other = traceAt(bad, 4);
      await expectRevert(g.postTrace([id, hex(other.root), header(), headerPath(), proofOf(other.tree, 0).map(hex), proofOf(other.tree, E - 1).map(hex)], S()), "AnchorMismatch");
      await expectRevert(g.postTrace([id, hex(t.root), header(), headerPath(), post, post], S()), "AnchorMismatch");
      await send(f, f.game, "postTrace", [id, hex(t.root), header(), headerPath(), pre, post], f.solver, "postTrace(solver)");
      const st = await stateOf(f, id);
      expect([st.phase, st.entries, st.depth, st.solverTrace]).to.deep.equal([Phase.ChallengerTrace, E, 5, hex(t.root)]);
      // The challenger may not post the solver's trace (its post anchor holds the solver's root).
      await expectRevert(g.postTrace([id, hex(t.root), header(), [], pre, post], C()), "AnchorMismatch");
      await send(f, f.game, "postTrace", [id, hex(h.root), header(), [], proofOf(h.tree, 0).map(hex), proofOf(h.tree, E - 1).map(hex)], f.challenger, "postTrace(challenger)");
      expect((await stateOf(f, id)).phase).to.equal(Phase.SolverTraceNodes);
    });

    it("revealNodes: 2^r nodes r = min(3, depth - round) levels down that hash to the mover's node; the solver's nodes bound by their hash; turn alternates; leftmost difference (INV-GAME-3)", async () => {
      const g = f.game.write;
      const t = tr(), h = tiny.traces[3]!;
      // Round 0 of a depth-5 tree: the 8 nodes at height 2.
      const sN = descentNodes(t.tree, 5, 0, 0n), cN = descentNodes(h.tree, 5, 0, 0n);
      expect(sN).to.have.length(8);
      expect(sN).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((i) => hex(t.tree.levels[2]!.subarray(i * 32, i * 32 + 32))));
      await expectRevert(g.revealNodes([id, sN, []], C()), "NotYourTurn");
      await expectRevert(g.revealNodes([id, sN.slice(0, 4), []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, [...sN, ZERO32], []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, [], []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, [sN[1]!, sN[0]!, ...sN.slice(2)], []], S()), "NodesMismatch");
      await expectRevert(g.revealNodes([id, [...sN.slice(0, 7), ZERO32], []], S()), "NodesMismatch");
      // The children (one level down) are not what the game asks for.
      await expectRevert(g.revealNodes([id, [hex(t.tree.levels[4]!.subarray(0, 32)), hex(t.tree.levels[4]!.subarray(32, 64))], []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, sN, sN], S()), "UnexpectedSolverNodes");
      await send(f, f.game, "revealNodes", [id, sN, []], f.solver, "revealNodes(solver)");
      let st = await stateOf(f, id);
      expect([st.phase, st.turn, st.pendingHash, st.round, st.index]).to.deep.equal([Phase.ChallengerTraceNodes, Party.Challenger, rootsHash(sN), 0, 0n]);
      await expectRevert(g.revealNodes([id, sN, []], S()), "NotYourTurn");
      await expectRevert(g.revealNodes([id, sN, sN], C()), "NodesMismatch"); // the solver's nodes, not the challenger's
      await expectRevert(g.revealNodes([id, cN.slice(1), sN], C()), "WrongNodeCount");
      // Forged solver nodes: the challenger's own (no difference anywhere), one changed, reordered, none.
      await expectRevert(g.revealNodes([id, cN, cN], C()), "SolverNodesMismatch");
      await expectRevert(g.revealNodes([id, cN, [sN[0]!, ZERO32, ...sN.slice(2)]], C()), "SolverNodesMismatch");
      await expectRevert(g.revealNodes([id, cN, [sN[1]!, sN[0]!, ...sN.slice(2)]], C()), "SolverNodesMismatch");
      await expectRevert(g.revealNodes([id, cN, []], C()), "SolverNodesMismatch");
      // Entry 6 changed, and everything after it: nodes 1 (leaves 4-7) onwards differ; the game takes node 1.
      const diffs = sN.map((x, i) => (x !== cN[i] ? i : -1)).filter((i) => i >= 0);
      expect(diffs.length > 1, `differences at ${diffs}`).to.equal(true);
      expect(firstDifference(sN, cN)).to.equal(1);
      await send(f, f.game, "revealNodes", [id, cN, sN], f.challenger, "revealNodes(challenger)");
      st = await stateOf(f, id);
      expect([st.phase, st.round, st.index, st.solverNode, st.challengerNode]).to.deep.equal([Phase.SolverTraceNodes, 3, 1n, sN[1], cN[1]]);
      const [ev1, ev2] = (await gameEvents(id)).filter((e) => e.eventName === "NodesRevealed").slice(-2);
      expect(ev1!.args).to.deep.include({ by: Party.Solver, level: 2, round: 0, index: 0n, nodes: sN });
      expect(ev2!.args).to.deep.include({ by: Party.Challenger, level: 2, round: 0, index: 0n, nodes: cN });
      // Round 3 of 5: a partial round, 2 levels: the 4 leaves 4 .. 7.
      const sL = descentNodes(t.tree, 5, 3, 1n), cL = descentNodes(h.tree, 5, 3, 1n);
      expect(sL).to.deep.equal([4, 5, 6, 7].map((i) => hex(t.tree.levels[0]!.subarray(i * 32, i * 32 + 32))));
      await expectRevert(g.revealNodes([id, descentNodes(t.tree, 5, 0, 0n), []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, [...sL, ...sL], []], S()), "WrongNodeCount");
      await expectRevert(g.revealNodes([id, descentNodes(t.tree, 5, 3, 0n), []], S()), "NodesMismatch"); // leaves 0 .. 3
      await send(f, f.game, "revealNodes", [id, sL, []], f.solver, "revealNodes(solver)");
      expect(firstDifference(sL, cL)).to.equal(2);
      await send(f, f.game, "revealNodes", [id, cL, sL], f.challenger, "revealNodes(challenger)");
      st = await stateOf(f, id);
      expect([st.phase, st.round, st.index, st.entry, st.solverNode, st.challengerNode]).to.deep.equal([Phase.SolverRecord, 5, 6n, 6, sL[2], cL[2]]);
      await expectRevert(g.revealNodes([id, sL, []], S()), "WrongPhase");
    });

    it("openRecord: the record must hash to the mover's leaf; the program path must have the program's depth", async () => {
      const g = f.game.write;
      const st = await stateOf(f, id);
      expect(st.entry).to.equal(6);
      const t = tr();
      const p = tiny.program.entries[6]!;
      const recOf = (k: number) => {
        const e = t.entries[k]!;
        return { entry: e.entry, tensorId: e.tensorId, code: e.code, inputs: e.inputs, attrs: e.attrs.map(BigInt), outputRoot: hex(e.outputRoot) };
      };
      const path = proofOf(tiny.program.tree, 7).map(hex);
      await expectRevert(g.openRecord([id, recOf(6), p.width, p.shape, path], C()), "NotYourTurn");
      await expectRevert(g.openRecord([id, recOf(4), p.width, p.shape, path], S()), "RecordMismatch");
      await expectRevert(g.openRecord([id, { ...recOf(6), outputRoot: ZERO32 }, p.width, p.shape, path], S()), "RecordMismatch");
      await expectRevert(g.openRecord([id, recOf(6), p.width, p.shape, path.slice(1)], S()), "ProofDepthMismatch");
      await send(f, f.game, "openRecord", [id, recOf(6), p.width, p.shape, path], f.solver, "openRecord(solver)");
      const st2 = await stateOf(f, id);
      expect([st2.phase, st2.width, st2.elementCount, st2.solverNode]).to.deep.equal([Phase.ChallengerRecord, 4, 32n, hex(t.entries[6]!.outputRoot)]);
      await driveUntil(id, s, c, (x) => x.phase === Phase.SolverDataRoot);
    });

    it("revealDataRoot: the shape must be the program's and tensorRoot(width, dims, dataRoot) the mover's output root", async () => {
      const g = f.game.write;
      const cm = tr().commitments[5]!;
      await expectRevert(g.revealDataRoot([id, hex(cm.tree.root), cm.shape], C()), "NotYourTurn");
      await expectRevert(g.revealDataRoot([id, hex(cm.tree.root), [...cm.shape].reverse()], S()), "ShapeMismatch");
      await expectRevert(g.revealDataRoot([id, hex(cm.tree.root), [32]], S()), "ShapeMismatch");
      await expectRevert(g.revealDataRoot([id, hex(tiny.traces[3]!.commitments[5]!.tree.root), cm.shape], S()), "DataRootMismatch");
      await send(f, f.game, "revealDataRoot", [id, hex(cm.tree.root), cm.shape], f.solver, "revealDataRoot(solver)");
      await driveUntil(id, s, c, (x) => x.phase === Phase.SolverLeaf);
      expect((await stateOf(f, id)).depth).to.equal(0); // one leaf: no data descent
    });

    it("revealLeaf: each leaf must hash to its node; the challenger passes the solver's revealed leaf", async () => {
      const g = f.game.write;
      const mine = bytesToHex(tr().commitments[5]!.bytes.subarray(0, LEAF_BYTES));
      const theirs = bytesToHex(tiny.traces[3]!.commitments[5]!.bytes.subarray(0, LEAF_BYTES));
      await expectRevert(g.revealLeaf([id, mine, "0x"], C()), "NotYourTurn");
      await expectRevert(g.revealLeaf([id, mine, mine], S()), "UnexpectedSolverLeaf");
      await expectRevert(g.revealLeaf([id, theirs, "0x"], S()), "LeafMismatch");
      await expectRevert(g.revealLeaf([id, mine.slice(0, -2), "0x"], S()), "LeafLengthMismatch");
      await send(f, f.game, "revealLeaf", [id, mine, "0x"], f.solver, "revealLeaf(solver)");
      await expectRevert(g.revealLeaf([id, theirs, theirs], C()), "LeafMismatch");
      await expectRevert(g.revealLeaf([id, mine, mine], C()), "LeafMismatch");
      await expectRevert(g.revealLeaf([id, theirs, "0x"], C()), "LeafLengthMismatch");
      await send(f, f.game, "revealLeaf", [id, theirs, mine], f.challenger, "revealLeaf(challenger)");
      const st = await stateOf(f, id);
      expect([st.phase, st.entry, st.element]).to.deep.equal([Phase.Settlement, 6, 7n]);
    });

    it("settle: a rejecting verifier reverts and the game goes on; anyone settles; moves are over", async () => {
      const g = f.game.write;
      await expectRevert(g.bisectStep([id, []], S()), "WrongPhase");
      await expectRevert(g.respondStep([id, [], 0, ZERO32], C()), "WrongPhase");
      await expectRevert(g.revealLeaf([id, "0x", "0x"], C()), "WrongPhase");
      await expectRevert(g.timeout([id]), "ClockNotExpired");
      await send(f, f.verifier, "setValue", [6, 7n, honestValue(tiny, 3, 6, 7)], f.other, null);
      await send(f, f.verifier, "setRejecting", [true], f.other, null);
      await expectRevert(g.settle([id, "0x", "0x"], O()), "Rejected");
      await send(f, f.verifier, "setRejecting", [false], f.other, null);
      await send(f, f.game, "settle", [id, "0x1234", "0x"], f.other, "settle");
      expect(await f.market.read.solverWon([id])).to.equal(false);
      const st = await stateOf(f, id);
      expect([st.phase, st.level, st.turn, st.deadline]).to.deep.equal([Phase.Resolved, 0, Party.None, 0n]);
    });

    it("a resolved game takes no further call and is never reported twice", async () => {
      const g = f.game.write;
      await expectRevert(g.settle([id, "0x", "0x"]), "GameClosed");
      await expectRevert(g.timeout([id]), "GameClosed");
      await expectRevert(g.bisectStep([id, []], S()), "GameClosed");
      await expectRevert(g.respondStep([id, [], 0, ZERO32], C()), "GameClosed");
      await expectRevert(g.revealNodes([id, [ZERO32, ZERO32], []], C()), "GameClosed");
      await expectRevert(f.market.write.abort([id]), "GameClosed");
      expect(await f.market.read.reports([id])).to.equal(1n);
    });

  });

  // ================================================================ immediate losses

  describe("records that break the program, and padding", () => {
    /** Plays a one-step game (lo = step - 1) where `side` holds `h` and the other side is honest. */
    async function oneStep(w: World, step: number, side: Side, h: History) {
      const id = side === "solver" ? await open(w, step - 1, step, h, w) : await open(w, step - 1, step, w, h);
      const out = await playGame(f, w, id, side === "solver" ? party("solver", w, h) : honest("solver", w), side === "challenger" ? party("challenger", w, h) : honest("challenger", w));
      return { id, out };
    }
    const G = sha256(Buffer.from("a made-up post-state root"));

    for (const side of ["solver", "challenger"] as const) {
      it(`a ${side} whose record k differs from the program (code, tensor id, attributes, entry number) loses at once (INV-GAME-4)`, async () => {
        const base = tiny.traces[1]!;
        const e = base.entries[5]!;
        const variants = [
          { ...e, code: e.code + 1 },
          { ...e, tensorId: e.tensorId + 1 },
          { ...e, attrs: [...e.attrs, 1] },
          { ...e, inputs: [...e.inputs].reverse() },
          { ...e, entry: 6 },
        ];
        for (const v of variants) {
          const h = withOverrides(tiny, { 1: G }, { 1: craftTrace(base, G, { at: 5, entry: v }) });
          const { id, out } = await oneStep(tiny, 1, side, h);
          expect(out).to.deep.equal({ solverWon: side === "challenger", reason: Reason.RecordNotInProgram, moves: out.moves });
          const opened = (await gameEvents(id)).filter((x) => x.eventName === "RecordOpened");
          expect(opened.map((x) => x.args.by)).to.deep.equal(side === "solver" ? [Party.Solver] : [Party.Solver, Party.Challenger]);
        }
      });

      it(`a ${side} with non-zero padding after the tensor's last element loses (INV-GAME-5)`, async () => {
        const base = tiny.traces[1]!;
        const c = base.commitments[2]!; // entry 3: [6, 8] int32, 192 bytes of a 1024-byte leaf
        expect(c.shape).to.deep.equal([6, 8]);
        const bytes = Buffer.from(c.bytes);
        bytes[500] = 1; // element 125 of the leaf, past the 48 real ones
        const cc = commitBytes(bytes, c.shape, 4);
        const h = withOverrides(tiny, { 1: G }, { 1: craftTrace(base, G, { at: 3, entry: { ...base.entries[3]!, outputRoot: cc.root }, commitment: cc }) });
        const { id, out } = await oneStep(tiny, 1, side, h);
        expect(out).to.deep.equal({ solverWon: side === "challenger", reason: Reason.PaddingElement, moves: out.moves });
        const names = (await gameEvents(id)).map((x) => x.eventName);
        expect(names.slice(-3)).to.deep.equal(["LeafRevealed", "LeafRevealed", "GameResolved"]);
      });

      it(`a ${side} whose data tree has a non-zero padding leaf loses (descent past the last leaf)`, async () => {
        const base = medium.traces[1]!;
        const c = base.commitments[2]!; // entry 3: [48, 16] int32 = 3 leaves, a depth-2 tree
        expect(c.tree.count).to.equal(3);
        const cc = commitBytes(c.bytes, c.shape, 4, [sha256(Buffer.from("junk leaf"))]);
        const h = withOverrides(medium, { 1: G }, { 1: craftTrace(base, G, { at: 3, entry: { ...base.entries[3]!, outputRoot: cc.root }, commitment: cc }) });
        const { id, out } = await oneStep(medium, 1, side, h);
        expect(out).to.deep.equal({ solverWon: side === "challenger", reason: Reason.PaddingLeaf, moves: out.moves });
        const st = await stateOf(f, id);
        expect([st.index, st.round, st.depth]).to.deep.equal([3n, 2, 2]);
        expect((await gameEvents(id)).some((x) => x.eventName === "LeafRevealed")).to.equal(false);
      });
    }
  });

  describe("a malformed program (the client's) stops the solver", () => {
    /** The tiny program with leaf 0 (header) or leaf 1 + k replaced. */
    function altered(change: { header?: Partial<typeof tiny.program.header>; entry?: { k: number; width: number } }): typeof tiny.program {
      const p = tiny.program;
      const header = { ...p.header, ...change.header };
      const entries = p.entries.map((e) => (change.entry && e.entry === change.entry.k ? { ...e, width: change.entry.width } : e));
      const tree = buildTree([programHeaderHash(header), ...entries.map(programEntryHash), ...p.stateTensors.map(programStateHash)]);
      return { ...p, header, entries, tree, root: tree.root };
    }

    it("a header with fewer than two entries: TooFewEntries", async () => {
      const prog = altered({ header: { entries: 1 } });
      const bad = deviate(tiny, { kind: "op", step: 1, entry: 5, element: 0 });
      const id = await createGame(f, { ...paramsFor(f, tiny, 0, 1, bad.roots[1]!, tiny.roots[1]!), programRoot: hex(prog.root) });
      await expectRevert(new Player(f, "solver", new HistoryView(tiny, bad, prog)).act(id), "TooFewEntries");
    });

    it("an entry whose output width is neither 4 nor 8: InvalidWidth at the solver's openRecord", async () => {
      const prog = altered({ entry: { k: 5, width: 5 } });
      const bad = deviate(tiny, { kind: "op", step: 1, entry: 5, element: 0 });
      const id = await createGame(f, { ...paramsFor(f, tiny, 0, 1, bad.roots[1]!, tiny.roots[1]!), programRoot: hex(prog.root) });
      const s = new Player(f, "solver", new HistoryView(tiny, bad, prog)), c = new Player(f, "challenger", new HistoryView(tiny, tiny, prog));
      await driveUntil(id, s, c, (x) => x.phase === Phase.SolverRecord);
      await expectRevert(s.act(id), "InvalidWidth");
    });
  });

  // ================================================================ settlement

  describe("settlement", () => {
    const bad = deviate(tiny, { kind: "op", step: 2, entry: 9, element: 4 });
    async function toSettlement(): Promise<{ id: bigint; st: GameView }> {
      const id = await open(tiny, 1, 2, tiny, bad);
      const st = await driveUntil(id, honest("solver", tiny), party("challenger", tiny, bad), (x) => x.phase === Phase.Settlement);
      expect([st.entry, st.element]).to.deep.equal([9, 4n]);
      return { id, st };
    }

    it("the verifier decides both ways; a third value fails the solver whatever the challenger claimed (INV-GAME-6)", async () => {
      const third = valueWord(123456789n);
      for (const [value, solverWins] of [["solver", true], ["challenger", false], ["third", false]] as const) {
        const { id, st } = await toSettlement();
        const v = value === "solver" ? st.solverNode : value === "challenger" ? st.challengerNode : third;
        await send(f, f.verifier, "setValue", [9, 4n, v], f.other, null);
        const r = await send(f, f.game, "settle", [id, "0x", "0x"], f.challenger, "settle");
        expect(await f.market.read.solverWon([id])).to.equal(solverWins);
        const settled = (await gameEvents(id)).find((x) => x.eventName === "Settled")!;
        expect(settled.args).to.include({ trueValue: v, solverWon: solverWins });
        expect(r.status).to.equal("success");
      }
    });

    it("settlement closes clockDuration after it is reached: settle reverts (SettlementExpired) and timeout fails the solver, even one who would win", async () => {
      const { id, st } = await toSettlement();
      await send(f, f.verifier, "setValue", [9, 4n, st.solverNode], f.other, null); // a settle would make the solver win
      const deadline = st.lastMove + st.clockDuration;
      expect(st.deadline).to.equal(deadline);
      await at(f, deadline - 1n);
      await expectRevert(f.game.write.timeout([id]), "ClockNotExpired");
      await at(f, deadline);
      await expectRevert(f.game.write.settle([id, "0x", "0x"]), "SettlementExpired");
      await at(f, deadline);
      await send(f, f.game, "timeout", [id], f.other, "timeout");
      const ev = await gameEvents(id);
      expect(ev.at(-2)!.args).to.include({ loser: Party.Solver, deadline });
      expect(ev.at(-1)!.args).to.include({ solverWon: false, reason: Reason.SettlementTimeout });
    });

    it("an unset (entry, element) is rejected by the test verifier (ValueNotSet)", async () => {
      const { id } = await toSettlement();
      await send(f, f.verifier, "setValue", [9, 4n, ZERO32], f.other, null);
      // another element of the entry was never set
      await expectRevert(f.verifier.read.trueValue([{ programRoot: ZERO32, datasetRoot: ZERO32, preStateRoot: ZERO32, traceRoot: ZERO32, entry: 9, element: 5n, termLo: 0n, termHi: 0n, termCount: 0n, accIn: 0n }, "0x", "0x"]), "ValueNotSet");
      await send(f, f.game, "settle", [id, "0x", "0x"], f.other, "settle");
    });
  });

  // ================================================================ clocks and abort

  describe("clocks", () => {
    const bad = deviate(tiny, { kind: "op", step: 3, entry: 6, element: 7 });

    it("the solver's clock: a move at the deadline reverts (ClockExpired), timeout one second earlier too (ClockNotExpired), then timeout wins for the challenger", async () => {
      const id = await open(tiny, 0, 4, bad, tiny, 600n);
      const st = await stateOf(f, id);
      expect(st.deadline).to.equal(st.lastMove + 600n);
      await at(f, st.deadline - 1n);
      await expectRevert(f.game.write.timeout([id]), "ClockNotExpired");
      await at(f, st.deadline);
      await expectRevert(f.game.write.bisectStep([id, [1, 2, 3].map((t) => hex(bad.roots[t]!))], { account: f.solver.account }), "ClockExpired");
      await at(f, st.deadline);
      await send(f, f.game, "timeout", [id], f.challenger, "timeout");
      const ev = await gameEvents(id);
      expect(ev.at(-2)!).to.deep.include({ eventName: "GameTimedOut" });
      expect(ev.at(-2)!.args).to.include({ loser: Party.Solver, deadline: st.deadline });
      expect(ev.at(-1)!.args).to.include({ solverWon: false, reason: Reason.Timeout });
      expect(await f.market.read.solverWon([id])).to.equal(false);
    });

    it("the challenger's clock, stalled in level 2 (open record): its late move reverts, the solver wins", async () => {
      const id = await open(tiny, 0, 4, tiny, bad);
      const st = await driveUntil(id, honest("solver", tiny), party("challenger", tiny, bad), (x) => x.phase === Phase.ChallengerRecord);
      expect(st.deadline).to.equal(st.lastMove + st.clockDuration - st.challengerUsed);
      await at(f, st.deadline);
      await expectRevert(party("challenger", tiny, bad).act(id), "ClockExpired");
      const c = party("challenger", tiny, bad, stallAt(Phase.ChallengerRecord));
      const out = await playGame(f, tiny, id, honest("solver", tiny), c);
      expect(out).to.deep.include({ solverWon: true, reason: Reason.Timeout });
      const ev = await gameEvents(id);
      expect(ev.at(-2)!.args).to.include({ loser: Party.Challenger });
    });

    it("each party's used time accumulates over its moves only", async () => {
      // Level 1 only, on made-up roots: [0, 200] -> (j = 3) [75, 100] -> (j = m) [96, 100].
      const id = await createGame(f, fakeParams(0, 200, 100n));
      const t0 = (await stateOf(f, id)).lastMove;
      const roots1 = dissectionPoints(0, 200).map((t) => fake("solver", t));
      expect(dissectionPoints(0, 200)).to.deep.equal([25, 50, 75, 100, 125, 150, 175]);
      await at(f, t0 + 40n);
      await send(f, f.game, "bisectStep", [id, roots1], f.solver); // solver: 40
      await at(f, t0 + 50n);
      await send(f, f.game, "respondStep", [id, roots1, 3, fake("challenger", 100)], f.challenger, "respondStep(disagree)"); // challenger: 10
      let st = await stateOf(f, id);
      expect([st.solverUsed, st.challengerUsed, st.deadline, st.loStep, st.hiStep]).to.deep.equal([40n, 10n, t0 + 50n + 60n, 75n, 100n]);
      const roots2 = dissectionPoints(75, 100).map((t) => fake("solver", t));
      expect(dissectionPoints(75, 100)).to.deep.equal([78, 81, 84, 87, 90, 93, 96]);
      await at(f, t0 + 90n);
      await send(f, f.game, "bisectStep", [id, roots2], f.solver); // solver: 80
      st = await stateOf(f, id);
      expect([st.solverUsed, st.deadline]).to.deep.equal([80n, t0 + 90n + 90n]);
      await at(f, t0 + 95n);
      await send(f, f.game, "respondStep", [id, roots2, 7, ZERO32], f.challenger, "respondStep(agree)"); // challenger: 15
      st = await stateOf(f, id);
      expect([st.challengerUsed, st.deadline, st.loStep, st.hiStep, st.agreedRoot, st.phase]).to.deep.equal([15n, t0 + 95n + 20n, 96n, 100n, fake("solver", 96), Phase.Bisect]);
      await at(f, t0 + 115n);
      await expectRevert(f.game.write.bisectStep([id, [97, 98, 99].map((t) => fake("solver", t))], { account: f.solver.account }), "ClockExpired");
      await at(f, t0 + 115n);
      await send(f, f.game, "timeout", [id], f.other, "timeout");
      expect(await f.market.read.solverWon([id])).to.equal(false);
    });
  });

  describe("descents (levels 2 and 3)", () => {
    it("the leftmost differing node wins at every round, wherever the first difference lies (INV-GAME-3)", async () => {
      // tiny: E = 27 (depth 5: rounds of 3 and 2 levels); wide: E = 46 (depth 6: two full rounds).
      const cases: { w: World; entry: number }[] = [
        { w: tiny, entry: 1 }, { w: tiny, entry: 3 }, { w: tiny, entry: 8 }, { w: tiny, entry: 17 }, { w: tiny, entry: 24 },
        { w: wide, entry: 2 }, { w: wide, entry: 9 }, { w: wide, entry: 33 },
      ];
      let multi = 0;
      for (const { w, entry } of cases) {
        const bad = deviate(w, { kind: "op", step: 1, entry, element: 0 });
        if (bad.roots[1]!.equals(w.roots[1]!)) continue;
        const id = await open(w, 0, 1, bad, w);
        const s = party("solver", w, bad), c = honest("challenger", w);
        const st0 = await driveUntil(id, s, c, (x) => x.phase === Phase.SolverTraceNodes);
        const sT = traceAt(bad, 1).tree, cT = w.traces[1]!.tree;
        let st = st0;
        const rounds: number[] = [];
        while (st.phase === Phase.SolverTraceNodes) {
          const sN = descentNodes(sT, st.depth, st.round, st.index), cN = descentNodes(cT, st.depth, st.round, st.index);
          const first = firstDifference(sN, cN);
          if (sN.filter((x, i) => x !== cN[i]).length > 1) multi++;
          rounds.push(sN.length);
          await s.act(id, st);
          await c.act(id);
          const next = await stateOf(f, id);
          expect(next.index, `${w.kind} entry ${entry}`).to.equal((st.index << BigInt(Math.log2(sN.length))) + BigInt(first));
          expect([next.solverNode, next.challengerNode]).to.deep.equal([sN[first], cN[first]]);
          st = next;
        }
        expect(rounds).to.deep.equal(st0.depth === 5 ? [8, 4] : [8, 8]);
        expect([st.phase, st.entry, st.round]).to.deep.equal([Phase.SolverRecord, entry, st0.depth]);
      }
      expect(multi > 4, `rounds with several differences: ${multi}`).to.equal(true);
    });

    it("a trace tree of depth 1 (E = 2, the two anchors): one round of 2 nodes, settled at the post-state anchor", async () => {
      const h = tiny.program.header;
      const header = { entries: 2, stateTensors: h.stateTensors, batchSize: h.batchSize, firstOpTensorId: h.firstOpTensorId, stateOutEntries: h.stateOutEntries };
      const ptree = buildTree([programHeaderHash({ ...h, entries: 2 }), ...tiny.program.entries.slice(0, 2).map(programEntryHash)]);
      const p = { ...fakeParams(4, 5), programRoot: hex(ptree.root) };
      const id = await createGame(f, p);
      const anchor = (entry: number, code: number, root: Hex) =>
        recordHash({ entry, tensorId: ANCHOR_TENSOR_ID, code, inputs: [], attrs: [], outputRoot: Buffer.from(root.slice(2), "hex") });
      const pre = anchor(0, PRE_ANCHOR_CODE, p.agreedRoot);
      const sTree = buildTree([pre, anchor(1, POST_ANCHOR_CODE, p.solverRoot)]), cTree = buildTree([pre, anchor(1, POST_ANCHOR_CODE, p.challengerRoot)]);
      expect([sTree.depth, cTree.depth]).to.deep.equal([1, 1]);
      const hp = proofOf(ptree, 0).map(hex);
      await send(f, f.game, "postTrace", [id, hex(sTree.root), header, hp, proofOf(sTree, 0).map(hex), proofOf(sTree, 1).map(hex)], f.solver, null);
      await send(f, f.game, "postTrace", [id, hex(cTree.root), header, [], proofOf(cTree, 0).map(hex), proofOf(cTree, 1).map(hex)], f.challenger, null);
      let st = await stateOf(f, id);
      expect([st.phase, st.depth, st.round, st.entries]).to.deep.equal([Phase.SolverTraceNodes, 1, 0, 2]);
      const sN = descentNodes(sTree, 1, 0, 0n), cN = descentNodes(cTree, 1, 0, 0n);
      expect(sN).to.deep.equal([hex(pre), hex(sTree.levels[0]!.subarray(32, 64))]);
      await expectRevert(f.game.write.revealNodes([id, [...sN, ...sN], []], { account: f.solver.account }), "WrongNodeCount");
      await expectRevert(f.game.write.revealNodes([id, [sN[1]!, sN[0]!], []], { account: f.solver.account }), "NodesMismatch");
      await send(f, f.game, "revealNodes", [id, sN, []], f.solver, null);
      await expectRevert(f.game.write.revealNodes([id, cN, [cN[0]!, sN[0]!]], { account: f.challenger.account }), "SolverNodesMismatch");
      await send(f, f.game, "revealNodes", [id, cN, sN], f.challenger, null);
      st = await stateOf(f, id);
      expect([st.phase, st.round, st.index, st.entry, st.element, st.solverNode, st.challengerNode]).to.deep.equal([Phase.Settlement, 1, 1n, 1, 0n, p.solverRoot, p.challengerRoot]);
    });

    it("a data tree of depth 0 (one leaf) has no descent: the leaves are revealed at once", async () => {
      // tiny entry 5: 32 int32 elements, one leaf.
      const bad = deviate(tiny, { kind: "op", step: 1, entry: 5, element: 9 });
      const id = await open(tiny, 0, 1, bad, tiny);
      const st = await driveUntil(id, party("solver", tiny, bad), honest("challenger", tiny), (x) => x.phase === Phase.SolverLeaf || x.phase === Phase.SolverDataNodes);
      expect([st.phase, st.level, st.depth, st.round, st.index, st.entry]).to.deep.equal([Phase.SolverLeaf, 3, 0, 0, 0n, 5]);
      const out = await playGame(f, tiny, id, party("solver", tiny, bad), honest("challenger", tiny));
      expect(out).to.deep.include({ solverWon: false, reason: Reason.Settled });
      expect(out.settledAt).to.include({ entry: 5, element: 9 });
      expect((await gameEvents(id)).filter((e) => e.eventName === "NodesRevealed" && e.args.level === 3)).to.have.length(0);
    });
  });

  describe("abort", () => {
    const bad = deviate(tiny, { kind: "op", step: 3, entry: 6, element: 7 });
    for (const stop of [Phase.Bisect, Phase.ChallengerTraceNodes, Phase.Settlement]) {
      it(`market only; an aborted game (phase ${stop}) takes no call and is never reported`, async () => {
        const id = await open(tiny, 0, 4, bad, tiny);
        await driveUntil(id, party("solver", tiny, bad), honest("challenger", tiny), (x) => x.phase === stop);
        await expectRevert(f.game.write.abort([id], { account: f.solver.account }), "NotMarket");
        await send(f, f.market, "abort", [id], f.other, null);
        const st = await stateOf(f, id);
        expect([st.phase, st.level, st.turn]).to.deep.equal([Phase.Aborted, 0, Party.None]);
        expect((await gameEvents(id)).at(-1)!.eventName).to.equal("GameAborted");
        await at(f, (await now(f)) + 100_000n);
        await expectRevert(f.game.write.timeout([id]), "GameClosed");
        await expectRevert(f.game.write.settle([id, "0x", "0x"]), "GameClosed");
        await expectRevert(f.game.write.bisectStep([id, []], { account: f.solver.account }), "GameClosed");
        await expectRevert(f.game.write.respondStep([id, [], 0, ZERO32], { account: f.challenger.account }), "GameClosed");
        await expectRevert(f.game.write.revealNodes([id, [ZERO32, ZERO32], []], { account: f.challenger.account }), "GameClosed");
        await expectRevert(f.market.write.abort([id]), "GameClosed");
        expect(await f.market.read.reports([id])).to.equal(0n);
      });
    }
  });

  // ================================================================ randomized

  describe("randomized (seeded)", () => {
    it("64 games with random worlds, intervals, dishonest sides and deviations: the honest side always wins", async () => {
      const R = rng(0x5eed_2024);
      const worlds = [tiny, tiny, tiny, medium, wide];
      const seen = new Map<string, number>();
      const note = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
      let games = 0, skipped = 0;
      while (games < 64) {
        const w = R.pick(worlds);
        const T = w.roots.length - 1;
        const lo = R.int(T), hi = lo + 1 + R.int(T - lo);
        const side: Side = R.next() < 0.5 ? "solver" : "challenger";
        const u = R.next();
        const kind = u < 0.7 ? "op" : u < 0.85 ? "post" : "garbage";
        const step = lo + 1 + R.int(hi - lo);
        let h: History;
        let dev: Deviation | undefined;
        if (kind === "garbage") {
          h = garbageHistory(w, lo, `garbage ${games}`, R.next() < 0.7);
        } else {
          if (kind === "op") {
            const entry = 1 + R.int(w.entries - 2);
            const n = w.program.entries[entry]!.shape.reduce((a, b) => a * b, 1);
            dev = { kind: "op", step, entry, element: R.int(n), delta: R.pick([4096, -4096, 1 << 20, -(1 << 20)]) };
          } else {
            dev = { kind: "post", step };
          }
          h = deviate(w, dev);
        }
        if (h.roots[hi]!.equals(w.roots[hi]!)) {
          skipped++; // the change never reached the state: nothing to dispute
          continue;
        }
        const id = side === "solver" ? await open(w, lo, hi, h, w) : await open(w, lo, hi, w, h);
        const lie = kind === "garbage" ? garbage(R.next, 0.05) : undefined;
        const s = side === "solver" ? party("solver", w, h, lie) : honest("solver", w);
        const c = side === "challenger" ? party("challenger", w, h, lie) : honest("challenger", w);
        const out = await playGame(f, w, id, s, c);
        const where = `game ${games}: ${w.kind} [${lo}, ${hi}] ${side} ${kind} ${JSON.stringify(dev)}`;
        expect(out.solverWon, where).to.equal(side === "challenger");
        if (dev?.kind === "op") {
          expect(out.settledAt, where).to.include({ entry: dev.entry, element: dev.element });
          expect(out.reason, where).to.equal(Reason.Settled);
        }
        if (dev?.kind === "post") expect(out.settledAt?.entry, where).to.equal(w.entries - 1);
        note(`world:${w.kind}`);
        note(`side:${side}`);
        note(`kind:${kind}`);
        note(`reason:${out.reason}`);
        if (out.settledAt && out.settledAt.entry <= 2) note("batch entry");
        games++;
      }
      console.log(`randomized: ${games} games (${skipped} draws skipped: no state change), ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
      for (const k of ["world:tiny", "world:medium", "world:wide", "side:solver", "side:challenger", "kind:op", "kind:post", "kind:garbage", `reason:${Reason.Settled}`, `reason:${Reason.Timeout}`]) {
        expect(seen.get(k) ?? 0, k).to.be.greaterThan(0);
      }
    });
  });

  // ================================================================ with the real kernel verifier

  describe("settled by the RecomputeKernelVerifier (operands from chain/settlementOperands.ts)", async () => {
    const m = await deployGame(viem, "RecomputeKernelVerifier");
    m.gas = f.gas;
    // settlerFor: operands opened against the game's context (the agreed pre-state, checked to be the world's
    // state at hi - 1, and the SOLVER's trace of step hi).
    const cases: { w: World; side: Side; dev: Deviation }[] = [
      { w: tiny, side: "solver", dev: { kind: "op", step: 2, entry: 5, element: 7 } },
      { w: tiny, side: "challenger", dev: { kind: "op", step: 3, entry: 16, element: 1 } },
      { w: tiny, side: "solver", dev: { kind: "op", step: 1, entry: 1, element: 9 } },
      { w: tiny, side: "challenger", dev: { kind: "op", step: 2, entry: 2, element: 3 } },
      { w: tiny, side: "solver", dev: { kind: "post", step: 2 } },
      { w: tiny, side: "challenger", dev: { kind: "post", step: 3 } },
      { w: medium, side: "solver", dev: { kind: "op", step: 1, entry: 20, element: 700 } },
      { w: wide, side: "challenger", dev: { kind: "op", step: 2, entry: 13, element: 2 } },
    ];
    for (const { w, side, dev } of cases) {
      it(`${w.kind}: a dishonest ${side} (${JSON.stringify(dev)}) loses on the recomputed true value`, async () => {
        const h = deviate(w, dev);
        const lo = dev.step - 1, hi = Math.min(dev.step + 1, w.roots.length - 1);
        const [sh, ch] = side === "solver" ? [h, w] : [w, h];
        const id = await createGame(m, paramsFor(m, w, lo, hi, sh.roots[hi]!, ch.roots[hi]!));
        const out = await playGame(m, w, id, new Player(m, "solver", new HistoryView(w, sh)), new Player(m, "challenger", new HistoryView(w, ch)), settlerFor(w, sh));
        expect(out).to.deep.include({ solverWon: side === "challenger", reason: Reason.Settled });
        expect(out.settledAt!.entry).to.equal(dev.kind === "op" ? dev.entry : w.entries - 1);
      });
    }
  });

  // ================================================================ gas

  describe("gas", () => {
    it(`every bisection move (bisectStep, respondStep, revealNodes, also when it reaches settlement) costs at most ${BISECTION_GAS_TARGET}`, () => {
      for (const k of ["bisectStep", "respondStep(agree)", "respondStep(disagree)", "revealNodes(solver)", "revealNodes(challenger)", "revealNodes(challenger) +to settlement"]) {
        const m = f.gas.max(k);
        expect(m > 0n, k).to.equal(true);
        expect(m <= BISECTION_GAS_TARGET, `${k}: ${m}`).to.equal(true);
      }
    });
  });
});
