/** The client SDK: viem-style actions (a client first, typed parameters and results, typed errors, no logging). */
export { postJob, type JobParams, type PostJobParameters, type PostJobReturnType } from "./postJob.ts";
export { specCommitments, DatasetRootMismatchError, type SpecCommitments } from "../commitment/specCommitments.ts";
export { checkJobParams, MAX_AMOUNT, type CheckJobParamsParameters } from "./checkJobParams.ts";
export { checkChain, type CheckChainParameters } from "./checkChain.ts";
export { checkMarket } from "./checkMarket.ts";
export { publishSpec, type PublishSpecParameters, type PublishSpecReturnType } from "../content/publishSpec.ts";
export { fetchSpec, type FetchSpecParameters } from "../content/fetchSpec.ts";
export { waitForJob, type WaitForJobParameters } from "./waitForJob.ts";
export { watchJob, TERMINAL_STATUSES, type WatchJobParameters, type WatchJobReturnType } from "./watchJob.ts";
export { getJobEvents, GAME_REASONS, type GameReason, type GetJobEventsParameters, type JobEvent, type JobEventKind } from "./getJobEvents.ts";
export {
  getVerificationReport, disputesOf, verdictOf, type DisputeReport, type GetVerificationReportParameters, type GetVerificationReportReturnType, type ModelCheck,
  type Verdict, type VerificationReport,
} from "./getVerificationReport.ts";
export { fetchModel, type FetchModelParameters, type FetchModelReturnType } from "./fetchModel.ts";
export { getJob, JOB_STATUS, type Job, type JobStatusName, type GetJobParameters } from "../chain/jobs.ts";
export * from "./errors.ts";
export { JobNotFoundError } from "../chain/errors.ts";
export { checkSettleable } from "./checkSettleable.ts";
export { publishDataset, type PublishDatasetParameters, type PublishDatasetReturnType } from "../content/publishDataset.ts";
export { SpecFetchError, SpecPublishError, DatasetPublishError } from "../content/errors.ts";
