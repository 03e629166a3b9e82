// Settlement lies, made to land first (in-process Hardhat network, the real protocol, dispute/adversaryPlay.ts):
// a lying verifier that challenged a correct interval reaches settlement; before the honest solver settles,
// the liar submits the settlement of another dispute (valid openings of another entry of the step): the
// kernel verifier refuses it and the game goes on; the solver then settles and wins. And a cheating solver's
// false settlement (its own operands for a claim that is not the true value) resolves the game against it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { pino } from "pino";
import { parseEventLogs } from "viem";
import { deployProtocol } from "../../chain/deploy.ts";
import { disputeGameAbi, jobMarketAbi } from "../../chain/generated/contracts.ts";
import { committedHistory } from "../../chain/checkpoints.ts";
import { postJob } from "../../client/postJob.ts";
import { toHex } from "../../commitment/hash.ts";
import { lyingPlay } from "../../dispute/adversaryPlay.ts";
import { deviatingStepper, stateUpdateEntry } from "../../dispute/deviation.ts";
import { Phase } from "../../dispute/gameState.ts";
import { type GameOutcome, playGame, type PlayProgress, readGame } from "../../dispute/playGame.ts";
import { engineStepper, ReplayView } from "../../dispute/replayView.ts";
import { buildStepGraph } from "../../engine/graph.ts";
import { referenceRunner } from "../../engine/reference.ts";
import { initialState } from "../../engine/state.ts";
import { train } from "../../training/train.ts";
import { syntheticDataset, tinySpec } from "../vectors/generate.ts";

const STEPS = 6, INTERVAL = 3;

describe("settlement lies (in-process chain)", async () => {
  const { viem } = await network.create();
  const pc = await viem.getPublicClient();
  const [deployer, treasury, client, solverW, liarW] = await viem.getWalletClients();
  const d = await deployProtocol({ walletClient: deployer!, publicClient: pc, treasury: treasury!.account.address, forfeitBps: 1_000 });
  const dataset = syntheticDataset(64, 12, 4);
  const spec = tinySpec(dataset);
  const graph = buildStepGraph(spec);
  const world = { spec, dataset, graph };
  const honest = () => engineStepper(referenceRunner(graph), spec, dataset);
  const lie = (hi: number) => deviatingStepper(honest(), world, [{ kind: "op", step: hi, entry: stateUpdateEntry(graph), element: 0, delta: 1 }]);
  const view = (stepper: ReturnType<typeof honest>, hi: number) => new ReplayView({ spec, dataset, start: initialState(spec), hiStep: hi, graph, stepper });
  const mined = async (hash: Promise<`0x${string}`>) => {
    const r = await pc.waitForTransactionReceipt({ hash: await hash });
    assert.equal(r.status, "success");
    return r;
  };

  /** A job committed with `roots` by the solver, challenged on interval 0 by the liar with `claimed`: the game's id. */
  async function game(roots: `0x${string}`[], claimed: `0x${string}`): Promise<bigint> {
    const { jobId } = await postJob(client!, {
      market: d.jobMarket, spec, dataset, specURI: "file:///spec.json", steps: STEPS, checkpointInterval: INTERVAL, escrow: 1_000n, requiredBond: 100n, challengeBond: 50n,
      commitDuration: 3_600n, challengeWindow: 3_600n, clockDuration: 600n,
    });
    await mined(solverW!.writeContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "take", args: [jobId], value: 100n }));
    await mined(solverW!.writeContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "commitResult", args: [jobId, roots, "file:///m"] }));
    const h = committedHistory(roots, STEPS, INTERVAL);
    const r = await mined(liarW!.writeContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "challenge", args: [jobId, h.checkpoint(0), h.checkpoint(1), claimed], value: 50n }));
    return parseEventLogs({ abi: jobMarketAbi, eventName: "ChallengeOpened", logs: r.logs })[0]!.args.gameId;
  }

  /**
   * Plays `side` up to settlement and no further: its view cannot answer what settling asks (the settlement
   * source), so playGame stops there, deterministically, without settling.
   */
  async function playUntilSettlement(o: Parameters<typeof playGame>[0]): Promise<void> {
    const v = o.view;
    const paused = new Proxy(v, { get: (t, p, r) => (p === "settlementSource" ? () => Promise.reject(new Error("paused before settling")) : Reflect.get(t, p, r)) });
    await assert.rejects(playGame({ ...o, view: paused }), /paused before settling/);
    assert.equal((await readGame(pc, d.disputeGame, o.gameId)).phase, Phase.Settlement);
  }

  /** A logger whose lines the test can read, and a wait for one of them. */
  function captured() {
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const until = async (text: string) => {
      for (let i = 0; i < 1_000 && !lines.some((l) => l.includes(text)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(lines.some((l) => l.includes(text)), `logged: ${text}\n${lines.join("")}`);
    };
    return { log, until };
  }

  it("a replayed settlement of another dispute is refused; the honest solver then settles and wins", async () => {
    const trained = await train({ spec, dataset, steps: STEPS, checkpointInterval: INTERVAL, backend: "reference" });
    const roots = trained.checkpoints.map((c) => toHex(c.root));
    const liarView = view(lie(INTERVAL), INTERVAL);
    const gameId = await game(roots, toHex(await liarView.stateRoot(INTERVAL)));
    const base = { client: pc, game: d.disputeGame, gameId, pollMs: 10, kernel: "recompute" as const };
    const c = captured();
    const solverMoves: PlayProgress[] = [];
    // Both play to settlement; the solver stops there, so the liar acts first.
    const liar = lyingPlay({ replaySettlement: true }, c.log)({ ...base, client: liarW!, side: "challenger", view: liarView });
    await playUntilSettlement({ ...base, client: solverW!, side: "solver", view: view(honest(), INTERVAL), onProgress: (e) => solverMoves.push(e) });
    await c.until("ADVERSARY: replayed another dispute's settlement; refused");
    assert.equal((await readGame(pc, d.disputeGame, gameId)).phase, Phase.Settlement, "the refused settlement left the game at settlement");
    const settled = await playGame({ ...base, client: solverW!, side: "solver", view: view(honest(), INTERVAL), onProgress: (e) => solverMoves.push(e) });
    const out: GameOutcome = await liar;
    assert.deepEqual([settled.resolved, settled.solverWon], [true, true]);
    assert.deepEqual([out.resolved, out.solverWon], [true, true]);
    assert.ok(solverMoves.some((m) => m.kind === "settle"));
    const logs = await pc.getContractEvents({ address: d.disputeGame, abi: disputeGameAbi, eventName: "Settled", args: { gameId } });
    assert.equal(logs.length, 1, "one settlement: the solver's");
  });

  it("a cheating solver's false settlement (its own operands, a claim that is not the true value) resolves the game against it", async () => {
    // The solver's history deviates at step 2 (inside interval 0); the honest verifier challenges with the truth.
    const liarStepper = () => deviatingStepper(honest(), world, [{ kind: "op", step: 2, entry: stateUpdateEntry(graph), element: 0, delta: 4096 }]);
    const whole = view(liarStepper(), STEPS);
    const roots = await Promise.all([0, INTERVAL, STEPS].map(async (t) => toHex(await whole.stateRoot(t))));
    const liarSolverView = view(liarStepper(), INTERVAL);
    const honestView = view(honest(), INTERVAL);
    const gameId = await game(roots, toHex(await honestView.stateRoot(INTERVAL)));
    const base = { client: pc, game: d.disputeGame, gameId, pollMs: 10, kernel: "recompute" as const };
    const c = captured();
    const cheat = lyingPlay({ falseSettle: true }, c.log)({ ...base, client: solverW!, side: "solver", view: liarSolverView });
    await playUntilSettlement({ ...base, client: liarW!, side: "challenger", view: honestView });
    await c.until("ADVERSARY: settled a false claim");
    const out = await cheat;
    assert.deepEqual([out.resolved, out.solverWon], [true, false]);
    const [ev] = await pc.getContractEvents({ address: d.disputeGame, abi: disputeGameAbi, eventName: "Settled", args: { gameId } });
    assert.equal(ev?.args.solverWon, false, "the kernel verifier's true value is not the solver's claim");
  });
});
