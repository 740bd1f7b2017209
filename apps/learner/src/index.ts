export { HttpError, type ValidationDetail } from "@hdpo/http";
export { type LearnerCliOptions, parseCliOptions, USAGE } from "./cli/cli-options";
export { type CliIo, type CliResult, main } from "./cli/main";
export {
  createLearnerHttpServer,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_RETRIEVE_TIMEOUT_MS,
  type LearnerHttpServer,
  type LearnerHttpServerOptions,
} from "./http/learner-http-server";
export { LearnerServerError } from "./learner-server-error";
export { type BaseModel, loadBaseModel } from "./service/base-model";
export { type FutureResponse, LearnerService, type LearnerServiceOptions } from "./service/learner-service";
export { SUPPORTED_LOSS_FUNCTIONS } from "./service/model-jobs";
export { type RlLoss, type RlTerms, rlTerms } from "./service/rl-loss";
