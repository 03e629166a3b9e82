// The SDK's public API, snapshotted (as viem's exports test does): this test fails whenever client/index.ts
// exports a value or a type more or less. An intended change updates the lists below in the same commit, so
// that the change is reviewed as an API change.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const VALUES = [
  "ChainIdMismatchError", "ClientError", "ClientTransactionError", "DatasetPublishError", "DatasetRootMismatchError", "GAME_REASONS", "InsufficientFundsError",
  "JOB_STATUS", "JobNotFoundError", "JobParamsError", "JobWaitError", "MAX_AMOUNT", "ModelFetchError", "ModelRootMismatchError", "NotAMarketError",
  "RpcUnreachableError", "SpecFetchError", "SpecPublishError", "TERMINAL_STATUSES", "UnsettleableSpecError", "VeritrainError", "bareHex", "checkChain",
  "checkChallengeWindow", "checkJobParams", "checkMarket", "checkSettleable", "describeJobWait", "disputesOf", "explainNoBid", "fetchModel", "fetchSpec", "getJob", "getJobEvents", "getMarketEvents", "getVerificationReport", "noBidReasons", "postJob",
  "publishDataset", "publishSpec", "specCommitments", "toJobId", "toRoot", "verdictOf", "waitForJob", "watchJob",
];

const TYPES = [
  "AttestationReport", "CheckChainParameters", "CheckChallengeWindowParameters", "CheckChallengeWindowReturnType", "CheckJobParamsParameters", "DisputeReport", "ExplainNoBidParameters", "FetchModelParameters", "FetchModelReturnType", "FetchSpecParameters", "GameReason",
  "GetJobEventsParameters", "GetJobParameters", "GetMarketEventsParameters", "GetVerificationReportParameters", "GetVerificationReportReturnType", "Job", "JobEvent", "JobEventKind", "JobId",
  "JobParams", "JobStatusName", "JobWait", "ModelCheck", "NoBidExplanation", "NoBidReason", "NoBidReasonKind", "PostJobParameters", "PostJobReturnType", "PublishDatasetParameters", "PublishDatasetReturnType",
  "PublishSpecParameters", "PublishSpecReturnType", "Root", "SpecCommitments", "Verdict", "VerificationReport", "WaitForJobParameters",
  "WatchJobParameters", "WatchJobReturnType",
];

describe("client SDK exports", () => {
  it("exports exactly these values", async () => {
    const sdk = await import("./index.ts");
    assert.deepEqual(Object.keys(sdk).sort(), VALUES);
  });

  it("exports exactly these types, every export by name (no export *)", () => {
    const source = readFileSync(fileURLToPath(new URL("./index.ts", import.meta.url)), "utf8");
    assert.ok(!/export\s*\*/.test(source), "client/index.ts must name every export");
    const names = [...source.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(",").map((s) => s.trim()).filter(Boolean));
    const types = names.filter((n) => n.startsWith("type ")).map((n) => n.slice(5).trim()).sort();
    assert.deepEqual(types, TYPES);
    assert.deepEqual(names.filter((n) => !n.startsWith("type ")).sort(), VALUES);
  });
});
