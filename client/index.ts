/**
 * The client SDK: viem-style actions (a client first, typed parameters and results, typed errors, no logging).
 * Every export is named here, and the list is snapshot-tested (client/index.test.ts): the public API never
 * changes by accident. Some actions live in the layer they belong to and are re-exported: the market's job
 * read (chain/), the spec commitments (commitment/), spec fetching and publishing (content/).
 */

// Before sending: the chain, the market, the job's numbers, the spec's commitments, settleability.
export { checkChain, type CheckChainParameters } from "./checkChain.ts";
export { checkMarket } from "./checkMarket.ts";
export { checkJobParams, MAX_AMOUNT, type CheckJobParamsParameters } from "./checkJobParams.ts";
export { checkChallengeWindow, type CheckChallengeWindowParameters, type CheckChallengeWindowReturnType } from "./checkChallengeWindow.ts";
export { checkSettleable } from "./checkSettleable.ts";
export { specCommitments, type SpecCommitments } from "../commitment/specCommitments.ts";

// Posting.
export { publishSpec, type PublishSpecParameters, type PublishSpecReturnType } from "../content/publishSpec.ts";
export { publishDataset, type PublishDatasetParameters, type PublishDatasetReturnType } from "../content/publishDataset.ts";
export { postJob, type JobParams, type PostJobParameters, type PostJobReturnType } from "./postJob.ts";

// Following.
export { getJob, JOB_STATUS, type GetJobParameters, type Job, type JobStatusName } from "../chain/jobs.ts";
export { getJobEvents, getMarketEvents, GAME_REASONS, type GameReason, type GetJobEventsParameters, type GetMarketEventsParameters, type JobEvent, type JobEventKind } from "./getJobEvents.ts";
export { watchJob, TERMINAL_STATUSES, type WatchJobParameters, type WatchJobReturnType } from "./watchJob.ts";
export { waitForJob, type WaitForJobParameters } from "./waitForJob.ts";
export { describeJobWait, type JobWait } from "./describeJobWait.ts";
export { explainNoBid, noBidReasons, type ExplainNoBidParameters, type NoBidExplanation, type NoBidReason, type NoBidReasonKind } from "./explainNoBid.ts";

// Results.
export { fetchSpec, type FetchSpecParameters } from "../content/fetchSpec.ts";
export { fetchModel, type FetchModelParameters, type FetchModelReturnType } from "./fetchModel.ts";
export {
  disputesOf, getVerificationReport, verdictOf, type AttestationReport, type DisputeReport, type GetVerificationReportParameters, type GetVerificationReportReturnType, type ModelCheck,
  type Verdict, type VerificationReport,
} from "./getVerificationReport.ts";

// Value types: what the actions return roots and job ids as.
export { bareHex, toJobId, toRoot, type JobId, type Root } from "../core/root.ts";

// Errors: one base class, a named subclass for each failure.
export { VeritrainError } from "../core/errors.ts";
export {
  ClientError, ClientTransactionError, InsufficientFundsError, JobParamsError, JobWaitError, ModelFetchError, ModelRootMismatchError, NotAMarketError,
  UnsettleableSpecError,
} from "./errors.ts";
export { ChainIdMismatchError, JobNotFoundError, RpcUnreachableError } from "../chain/errors.ts";
export { DatasetRootMismatchError } from "../commitment/specCommitments.ts";
export { DatasetPublishError, SpecFetchError, SpecPublishError } from "../content/errors.ts";
