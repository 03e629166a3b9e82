// The node child processes of the end-to-end tests (node/nodeProcess.ts).
export { CLI, type Line, type NodeProcess, runCli, startNodeProcess } from "../../../node/nodeProcess.ts";
export { type NodeProcess as SolverProcess, startNodeProcess as startSolverProcess } from "../../../node/nodeProcess.ts";
