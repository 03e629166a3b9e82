// Randomized DisputeGame games (docs/protocol.md, section 3): for random interval lengths, op counts (world
// kinds) and adversarial move sequences, the honest party wins every game. 1,000 seeded games in the normal
// run, 5,000 with TEST_PROFILE=heavy (GAMES=<n> overrides); GAME_SEED=<seed> replays one game with a log of
// every move. Strategies and the driver: helpers/strategies.ts.
//
// Every game is drawn from its seed: world (tiny/medium/wide: 27 or 46 trace entries, 1- to 3-leaf tensors,
// 4- and 8-byte elements), checkpoint interval (1 .. 64 steps: level 1's 8-ary dissection with m < 7 points
// for 2 .. 8 steps, 7 above), dishonest side, strategy. Games play one after
// the other on one DisputeGame instance settled by the TestKernelVerifier set to the honest value; games whose
// seed is a multiple of 50 (20 of the normal run) are settled on a second instance by the RecomputeKernelVerifier,
// with operands from chain/settlementOperands.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { Party, Reason } from "../../dispute/gameState.ts";
import { deployGame, type Fixture } from "./helpers/gamePlayer.ts";
import { Arena, drawGame, reasonName, STRATEGIES, TERM_VARIANTS, type Draw, type GameResult } from "./helpers/strategies.ts";

const HEAVY = process.env.TEST_PROFILE === "heavy";
const REPLAY = process.env.GAME_SEED === undefined ? undefined : Number(process.env.GAME_SEED);
const GAMES = REPLAY !== undefined ? 1 : Number(process.env.GAMES ?? (HEAVY ? 5000 : 1000));
const FIRST_SEED = 1;
const WORLD_STEPS = 72;
const MOCK_EVERY = 50;
const MAX_FAILURES = 5;

const replayHint = (seed: number) => `GAME_SEED=${seed} node scripts/run-tests.ts test/contracts/DisputeGame.random`;

/** Checks one game's outcome against its draw; returns a failure message or undefined. */
function check(d: Draw, out: GameResult): string | undefined {
  const { spec, expect: x } = d;
  const problems: string[] = [];
  if (out.solverWon !== (spec.side === "challenger")) problems.push(`the dishonest ${spec.side} won (${reasonName(out.reason)})`);
  if (x.reason !== undefined && out.reason !== x.reason) problems.push(`reason ${reasonName(out.reason)}, expected ${reasonName(x.reason)}`);
  if (x.at) {
    const r = out.reached;
    if (!r) problems.push("settlement was never reached");
    else if ((x.at.step !== undefined && r.step !== x.at.step) || r.entry !== x.at.entry || (x.at.element !== undefined && r.element !== x.at.element)) {
      problems.push(`settled at ${JSON.stringify(r)}, expected ${JSON.stringify(x.at)}`);
    }
  }
  if (x.recordEntry !== undefined && out.recordEntry !== x.recordEntry) problems.push(`record ${out.recordEntry} opened, expected ${x.recordEntry}`);
  if (x.noTermAnswers && out.termAnswers !== 0) problems.push(`the challenger answered ${out.termAnswers} level-4 round(s) of a refused K`);
  if (out.reason === Reason.Timeout && out.timedOut !== (spec.side === "solver" ? Party.Solver : Party.Challenger)) problems.push(`the honest party timed out`);
  return problems.length ? problems.join("; ") : undefined;
}

describe("DisputeGame, randomized games (seeded)", async () => {
  const { viem } = await network.create();
  const f: Fixture = await deployGame(viem);
  const m: Fixture = await deployGame(viem, "RecomputeKernelVerifier");
  m.gas = f.gas;
  const arena = new Arena(f, m, REPLAY !== undefined ? (line) => console.log(line) : undefined);
  const t = arena.tally;
  const seeds = REPLAY !== undefined ? [REPLAY] : Array.from({ length: GAMES }, (_, i) => FIRST_SEED + i);

  it(`${GAMES} games (random worlds, intervals, dishonest sides, strategies): the honest side wins every game`, async () => {
    const started = performance.now();
    const failures: string[] = [];
    for (const seed of seeds) {
      let d: Draw | undefined;
      try {
        d = drawGame(seed, { worldSteps: WORLD_STEPS, mockEvery: MOCK_EVERY });
        const out = await arena.play(d);
        const problem = check(d, out);
        if (REPLAY !== undefined) console.log(`outcome: ${JSON.stringify({ ...out, reason: reasonName(out.reason) })}`);
        if (problem) throw new Error(problem);
        const { spec } = d;
        t.games++;
        t.honestWins++;
        t.moves += out.moves;
        t.reverts += out.reverts;
        t.timeTravels += out.timeTravels;
        t.skipped += d.skipped;
        t.note("strategy", spec.strategy);
        t.note("side", spec.side);
        t.note("world", spec.world);
        t.note("reason", reasonName(out.reason));
        t.note("interval", spec.hi - spec.lo === 1 ? "1" : Number.isInteger(Math.log2(spec.hi - spec.lo)) ? "pow2" : (spec.hi - spec.lo) % 2 ? "odd" : "even");
        if (spec.hi - spec.lo >= 2 && spec.hi - spec.lo <= 8) t.note("interval", "2..8 (m < 7)");
        if (spec.mock) t.note("settled by", "RecomputeKernelVerifier");
        if (out.reached && out.reached.entry <= 2) t.note("settled at", "batch entry");
        if (out.reached?.terms) t.note("settled at", out.reached.code === 1 ? "matmul slice" : "col_sum slice");
        if (out.reached?.terms && out.reached.terms[1] - out.reached.terms[0] < out.reached.terms[2]) t.note("settled at", "slice after a level-4 round");
        if (spec.strategy === "terms") t.note("terms", String(spec.detail.variant));
      } catch (e) {
        const where = d ? JSON.stringify(d.spec) : `seed ${seed}`;
        failures.push(`game seed ${seed} ${where}: ${e instanceof Error ? e.message : String(e)}\n  replay: ${replayHint(seed)}`);
        console.log(`FAILED ${failures.at(-1)}`);
        if (failures.length >= MAX_FAILURES) break;
      }
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const level1Reverts = [...(t.counts.get("reverted") ?? [])].filter(([k]) => /^(bisect|respond)Step:/.test(k)).map(([k, n]) => `${k}:${n}`).sort().join(" ");
    const level4Reverts = [...(t.counts.get("reverted") ?? [])].filter(([k]) => /^(post|respond)Terms:/.test(k)).map(([k, n]) => `${k}:${n}`).sort().join(" ");
    const descentReverts = [...(t.counts.get("reverted") ?? [])].filter(([k]) => /^revealNodes:/.test(k)).map(([k, n]) => `${k}:${n}`).sort().join(" ");
    const gas = [...f.gas.byKind.keys()].sort().map((k) => `${k}:${f.gas.max(k)}`).join(" ");
    console.log(
      `DisputeGame.random: ${t.games}/${seeds.length} games in ${secs}s, honest wins ${t.honestWins}/${seeds.length}; ` +
        `${t.group("strategy")} ${t.group("terms")} ${t.group("side")} ${t.group("world")} ${t.group("interval")} ${t.group("choice")} ${t.group("reason")} ${t.group("settled by")} ${t.group("settled at")}; ` +
        `moves ${t.moves}, reverted invalid calls ${t.reverts} (level 1: ${level1Reverts}; descents: ${descentReverts}; level 4: ${level4Reverts}), time travels ${t.timeTravels}, redrawn deviations ${t.skipped}; max gas{${gas}}`,
    );
    assert.deepEqual(failures, [], `${failures.length} game(s) failed:\n${failures.join("\n")}`);
  });

  it("covers every strategy, side, world kind, interval kind and end, level 4 on matmul and col_sum with every lie (INV-GAME-8, INV-GAME-9) (and ~1 in 50 games settled by the RecomputeKernelVerifier)", { skip: REPLAY !== undefined || GAMES < 1000 }, async () => {
    for (const s of STRATEGIES) assert.ok(t.get("strategy", s) > 0, `strategy ${s}`);
    for (const s of ["solver", "challenger"]) assert.ok(t.get("side", s) > 0, `side ${s}`);
    for (const k of ["tiny", "medium", "wide"]) assert.ok(t.get("world", k) > 0, `world ${k}`);
    for (const k of ["1", "pow2", "odd", "even", "2..8 (m < 7)"]) assert.ok(t.get("interval", k) > 0, `interval ${k}`);
    // Level-1 answers: the first point, a middle one, and agreement with every point (j = m).
    for (const k of ["first", "middle", "all"]) assert.ok(t.get("choice", k) > 0, `respondStep choice ${k}`);
    // Every invalid level-1 move was tried, and reverted with its named error.
    for (const k of ["bisectStep:WrongRootCount", "bisectStep:ZeroRoot", "bisectStep:NotYourTurn", "respondStep:RootsMismatch", "respondStep:ChoiceOutOfRange", "respondStep:SameAsSolverRoot", "respondStep:ZeroRoot", "respondStep:NotYourTurn"]) {
      assert.ok(t.get("reverted", k) > 0, `invalid ${k}`);
    }
    for (const r of Object.keys(Reason)) assert.ok(t.get("reason", r) > 0, `reason ${r}`);
    // Level 4 (INV-GAME-8, INV-GAME-9): disputes ending on matmul and col_sum elements, every level-4 lie, and
    // slices reached after a dissection round; its invalid moves reverted with their named errors.
    for (const k of ["matmul slice", "col_sum slice", "slice after a level-4 round"]) assert.ok(t.get("settled at", k) > 0, `settled at ${k}`);
    for (const v of TERM_VARIANTS) assert.ok(t.get("terms", v) > 0, `terms variant ${v}`);
    for (const k of ["postTerms:WrongSumCount", "postTerms:ZeroTermCount", "postTerms:WrongTermCount", "postTerms:OperandMismatch", "postTerms:ProgramRootMismatch", "respondTerms:SumsMismatch", "respondTerms:ChoiceOutOfRange"]) {
      assert.ok(t.get("reverted", k) > 0, `invalid ${k}`);
    }
    // Descents (levels 2 and 3): wrong nodes, a wrong number of them, and forged solver nodes, each reverted.
    for (const k of ["revealNodes:NodesMismatch", "revealNodes:WrongNodeCount", "revealNodes:UnexpectedSolverNodes", "revealNodes:SolverNodesMismatch", "revealNodes:NotYourTurn", "revealNodes:WrongPhase"]) {
      assert.ok(t.get("reverted", k) > 0, `invalid ${k}`);
    }
    assert.equal(t.get("settled by", "RecomputeKernelVerifier"), Math.floor((FIRST_SEED + GAMES - 1) / MOCK_EVERY) - Math.floor((FIRST_SEED - 1) / MOCK_EVERY));
    // Every game was reported to its market exactly once (TestMarket reverts a second report).
    const reports = (await f.market.read.totalReports()) as bigint + ((await m.market.read.totalReports()) as bigint);
    assert.equal(reports, BigInt(t.games));
  });
});
