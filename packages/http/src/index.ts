// The public API of @hdpo/http: re-exports only.
export { closeServer } from "./close-server";
export { describeError } from "./describe-error";
export {
  capMessage,
  HttpError,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_VALIDATION_DETAILS,
  summarizeInput,
  type ValidationDetail,
} from "./http-error";
export { jsonTextNestsDeeper } from "./json-depth";
export { type Listening, listen } from "./listen";
export { listenFlags, type StringFlag } from "./listen-flags";
export { type JsonBodyOptions, parseJsonBody } from "./parse-json-body";
export { type BodyLimits, readBody } from "./read-body";
export { isLoopbackAddress, refusedOrigin } from "./request-origin";
export { sendError, sendJson, sendJsonText } from "./send-json";
