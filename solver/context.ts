import type { NodeContext } from "../node/context.ts";
import type { SolverConfig } from "./config.ts";
import type { SolverDb } from "./db.ts";
import type { JobReport } from "./report.ts";

/** What the solver's modules share (wired once by solver/node.ts): the node's, and its own. */
export interface SolverContext extends NodeContext<SolverConfig, SolverDb> {
  /** Base URL of the committed model URI (`<base>/state/<root>`). */
  readonly modelBase: string;
  /** Ends a job in a terminal status, recording why, and reports it. */
  finish(jobId: bigint, status: "lost" | "rejected" | "failed" | "withdrawn" | "skipped", reason: string | null): void;
  readonly onJobDone?: (r: JobReport) => void;
}
