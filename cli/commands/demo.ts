import type { Command } from "commander";
import type { Logger } from "../../log/logger.ts";
import { mnistSpec } from "../mnistJob.ts";
import { positiveInt } from "../options.ts";
import { printSummary, runTrainJob } from "../trainJob.ts";

/**
 * The main job. At this stage of the project it trains the default MNIST job with the deterministic engine
 * and prints held-out accuracy and the state/history roots a solver would commit; the on-chain flow
 * (post, bid, commit, challenge, pay) is added by the protocol and node issues.
 */
export function registerDemo(program: Command, log: () => Logger, signal: AbortSignal): void {
  program
    .command("demo")
    .description("run the end-to-end demo: train the default MNIST job deterministically, print accuracy and roots")
    .option("--steps <n>", "training steps", positiveInt("--steps", 1_000_000), 2000)
    .option("--json", "print the result as one JSON object")
    .action(async (f: { steps: number; json?: boolean }) => {
      const { spec, data } = mnistSpec();
      const summary = await runTrainJob(log(), { spec, data, steps: f.steps, checkpointInterval: 100, backend: "onnx", signal });
      if (f.json) process.stdout.write(JSON.stringify(summary) + "\n");
      else printSummary(summary);
    });
}
