import { runDemo } from "../cli/commands/demo.ts";
import { createLogger } from "../log/logger.ts";
import { report, round } from "./report.ts";
import { JOB_DEFAULTS } from "../core/defaults.ts";

/**
 * npm run bench:e2e — the demo end to end (`veritrain demo`'s runDemo: a local Hardhat node, the protocol
 * deployed, the default MNIST job posted, separate solver and verifier processes train, commit, sample and
 * attest, the chain's clock moved past the challenge window, finalize, the model fetched, verified and
 * evaluated; then a cheating solver's job caught and disputed to the end). Metrics:
 * honest_job_wall_s (post to payment; the challenge window itself is skipped by moving the local clock),
 * solver_train_s (the solver's own training time), gas_client / gas_solver (gas of every transaction each
 * sent), demo_total_s (node start to evaluation), heldout_accuracy. Steps and interval from
 * BENCH_E2E_STEPS / BENCH_E2E_INTERVAL (default: the demo's 2,000 / 100), backend BENCH_E2E_BACKEND (onnx).
 */
const steps = Number(process.env.BENCH_E2E_STEPS ?? JOB_DEFAULTS.steps);
const checkpointInterval = Number(process.env.BENCH_E2E_INTERVAL ?? JOB_DEFAULTS.checkpointInterval);
const backend = (process.env.BENCH_E2E_BACKEND ?? "onnx") as "onnx" | "reference";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted")));
// Only warnings: the bench's own output is the summary and the metrics line.
const log = createLogger("bench-e2e", { level: process.env.VERITRAIN_LOG_LEVEL ?? "warn" });
const r = (await runDemo(log, { steps, checkpointInterval, backend }, controller.signal)) as Record<string, any>;

const phases = r.phases as Record<string, number>;
const metrics = {
  honest_job_wall_s: round(Number(r.postToPaymentSeconds)),
  solver_train_s: round(Number(r.solverTrainSeconds)),
  gas_client: Number(r.gas.client.gasUsed),
  gas_solver: Number(r.gas.solver.gasUsed),
  tx_client: Number(r.gas.client.transactions),
  tx_solver: Number(r.gas.solver.transactions),
  gas_verifier: Number(r.gas.verifier.gasUsed),
  tx_verifier: Number(r.gas.verifier.transactions),
  verify_reexecute_s: round(Number(r.verification.reexecuteSeconds)),
  cheat_dispute_wall_s: round(Number(r.cheat.disputeWallSeconds)),
  cheat_dispute_gas: Number(r.cheat.disputeGas),
  cheat_proof_ms: Math.round(Number(r.cheat.proofMs ?? 0)),
  demo_total_s: round(Number(phases.total)),
  heldout_accuracy: round(Number(r.heldoutAccuracy), 4),
  roots_match: r.rootsMatch === true,
  steps,
  checkpoint_interval: checkpointInterval,
};
const lines = [
  `job ${r.jobId}: ${steps} steps (${r.checkpoints} checkpoints), backend ${backend}, chain ${r.chainId}`,
  `post to payment     ${metrics.honest_job_wall_s} s (solver training ${metrics.solver_train_s} s; challenge window skipped on the local chain)`,
  `whole demo          ${metrics.demo_total_s} s (${Object.entries(phases).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v} s`).join(", ")})`,
  `gas                 client ${metrics.gas_client} (${metrics.tx_client} txs, both jobs), solver ${metrics.gas_solver} (${metrics.tx_solver} txs), verifier ${metrics.gas_verifier} (${metrics.tx_verifier} txs)`,
  `verifier            re-executed its sample of the honest job in ${metrics.verify_reexecute_s} s; caught the cheating job in a ${metrics.cheat_dispute_wall_s} s dispute (${metrics.cheat_dispute_gas} gas, proof ${metrics.cheat_proof_ms} ms)`,
  `held-out accuracy   ${(100 * metrics.heldout_accuracy).toFixed(2)}%, model root ${metrics.roots_match ? "=" : "!="} committed final root`,
];
process.stdout.write(lines.join("\n") + "\n");
report("e2e", metrics, { phases, backend, market: r.market });
