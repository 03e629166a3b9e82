import { type Command, InvalidArgumentError } from "commander";
import { formatEther } from "viem";
import type { Logger } from "../../log/logger.ts";
import { DemoError, type DemoFlags, runDemo } from "../demo/runDemo.ts";
import { DEMO_DEFAULTS, DEMO_MODELS, type DemoModel } from "../demo/demoWorkload.ts";
import { backendName, positiveInt } from "../options.ts";

export { DemoError, runDemo } from "../demo/runDemo.ts";

/** `veritrain demo`: the main job end to end on a local chain (cli/demo/runDemo.ts says what it runs). */
const CHEATS: Record<string, string> = { "corrupt-update": "corrupted one weight update", "wrong-gradient": "corrupted the loss gradient", lsb: "rounded one weight update off by one unit", lazy: "skipped steps", "fake-root": "committed a made-up root" };
const LEVELS: Record<string, string> = { 1: "steps", 2: "ops", 3: "elements", 4: "terms" };
function printDemo(r: Record<string, any>): void {
  const eth = (w: string) => `${formatEther(BigInt(w))} ETH`;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const v = r.verification, c = r.cheat;
  const lines = [
    `job ${r.jobId} on ${r.rpcUrl} (chain ${r.chainId}), market ${r.market}`,
    `steps               ${r.steps} (${r.checkpoints} checkpoints, every ${r.checkpointInterval})`,
    ...(r.model === "mlp" ? [] : [`model               ${r.modelDescription}`]),
    ...(r.heldoutAccuracy !== undefined
      ? [`held-out accuracy   ${(100 * r.heldoutAccuracy).toFixed(2)}% of ${r.heldoutExamples} MNIST digits`]
      : [`held-out loss       ${r.heldoutNatsPerChar.toFixed(4)} nats per character over ${r.heldoutExamples} characters (uniform ${r.uniformNatsPerChar.toFixed(4)})`]),
    `final state root    ${r.modelRoot} (model fetched, verified = committed root ${r.committedFinalRoot})`,
    `history root        ${r.historyRoot}`,
    ...(r.samples ? [`sampled words       ${r.samples.join(", ")} (from the fetched, verified model)`] : []),
    `price               ${eth(r.price)} (escrow ${eth(r.escrow)}, solver bond ${eth(r.requiredBond)})`,
    `verified            intervals [${v.intervals.join(", ")}] of ${v.of} re-executed by the verifier (${v.reexecuteSeconds} s), roots match: attested on chain`,
    `  detection         one bad interval caught with probability ${pct(v.detectionOneBadInterval["1"])} by this verifier, ${pct(v.detectionOneBadInterval["3"])} by 3, ${pct(v.detectionOneBadInterval["5"])} by 5 (rate ${v.rateBps / 100}%, beacon block ${v.beacon})`,
    `cheating job        job ${c.jobId}: ${c.steps} steps${r.model === "mlp" ? "" : ` on ${c.examples} examples`}; the solver ${c.lie ? `${CHEATS[c.lie.cheat] ?? c.lie.cheat} at step ${c.lie.deviations[0]?.step}` : "cheated"}; ${c.sampled.length} of ${c.sampled.length} intervals re-executed (detection ${pct(c.detectionOneBadInterval["1"])})`,
    `  challenge         interval ${c.challengedInterval} (challenge tx ${c.challengeGas} gas), claimed root ${c.claimedRoot}`,
    `  dispute           moves per level: ${Object.entries(c.rounds).filter(([k]) => k !== "5").map(([k, n]) => `${LEVELS[k]} ${n}`).join(", ")}; ${c.disputeGas} gas in all, at most ${c.maxMoveGas} per move`,
    `  gas per move      ${c.moves.map((m: { move: string; by: string; gas: string }) => `${m.move}(${m.by[0]}) ${m.gas}`).join(", ")}`,
    `  settlement        ${c.proofMs === null ? "recomputed on chain" : `Groth16 proof made in ${(c.proofMs / 1000).toFixed(2)} s`}, ${c.settleGas} gas; verifier ${c.outcome.verifier} (${c.outcome.reason}) in ${c.disputeWallSeconds} s; job ${c.jobStatus}`,
    "balances            before -> after (delta)",
    ...["client", "solver", "verifier", "cheater", "treasury"].map((k) => `  ${k.padEnd(18)}${eth(r.balances[k].before)} -> ${eth(r.balances[k].after)} (${eth(r.balances[k].delta)})`),
    "gas per role        gas (fees, transactions)",
    ...["client", "solver", "verifier", "cheater", "deployer"].map((k) => `  ${k.padEnd(18)}${r.gas[k].gasUsed} (${eth(r.gas[k].feesWei)}, ${r.gas[k].transactions} txs)`),
    `wall clock          ${Object.entries(r.phases).map(([k, v]) => `${k} ${(v as number).toFixed(1)} s`).join(", ")}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

function demoModel(v: string): DemoModel {
  if (!(DEMO_MODELS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${DEMO_MODELS.join(", ")}, got "${v}"`);
  return v as DemoModel;
}

/** Each model's default length (demoWorkload.ts), for --help. */
const DEFAULT_LENGTHS = DEMO_MODELS.map((m) => {
  const d = DEMO_DEFAULTS[m];
  return `${m} ${d.steps} steps every ${d.checkpointInterval}`;
}).join(", ");

type DemoCliFlags = Omit<DemoFlags, "steps" | "checkpointInterval" | "model"> & { model: DemoModel; steps?: number; checkpointInterval?: number };

export function registerDemo(program: Command, log: () => Logger, signal: AbortSignal): void {
  program
    .command("demo")
    .description("run a model's job end to end on a local chain (default: the main MLP job): a solver, a verifier and a cheating solver as processes; the honest job verified and paid, the cheating one caught and slashed")
    .option("--model <name>", "mlp (the main job), cnn (LeNet-style, MNIST) or charlm (character LM, random-name corpus; samples words at the end)", demoModel, "mlp")
    .option("--steps <n>", `training steps (default: ${DEFAULT_LENGTHS})`, positiveInt("--steps", 1_000_000))
    .option("--checkpoint-interval <n>", "steps between checkpoints (default: the model's, see --steps)", positiveInt("--checkpoint-interval", 1_000_000))
    .option("--backend <name>", "engine backend of the solver and the evaluation (onnx or reference)", backendName, "onnx")
    .option("--data-dir <dir>", "keep the spec and the solver's checkpoint store here (default: a temporary directory, removed)")
    .option("--json", "print the result as one JSON object")
    .action(async (cli: DemoCliFlags) => {
      const d = DEMO_DEFAULTS[cli.model];
      const f: DemoFlags = { ...cli, steps: cli.steps ?? d.steps, checkpointInterval: cli.checkpointInterval ?? Math.min(d.checkpointInterval, cli.steps ?? d.steps) };
      if (f.checkpointInterval > f.steps) throw new DemoError(`--checkpoint-interval ${f.checkpointInterval} exceeds --steps ${f.steps}`);
      const r = await runDemo(log(), f, signal);
      if (f.json) process.stdout.write(JSON.stringify(r) + "\n");
      else printDemo(r);
    });
}
