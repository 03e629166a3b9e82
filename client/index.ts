/** The client SDK: viem-style actions (a client first, typed parameters and results, typed errors, no logging). */
export { postJob, specCommitments, type JobParams, type PostJobParameters, type PostJobReturnType } from "./postJob.ts";
export { waitForJob, type WaitForJobParameters } from "./waitForJob.ts";
export { fetchModel, type FetchModelParameters, type FetchModelReturnType } from "./fetchModel.ts";
export { getJob, JOB_STATUS, type Job, type JobStatusName, type GetJobParameters } from "./getJob.ts";
export * from "./errors.ts";
