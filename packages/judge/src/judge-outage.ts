import type { JudgeErrorKind } from "./llm-judge";
import type { Verdict } from "./verdict";

/** 4xx answers every judgement would get (address, key, model, rate): the judge's failure, not this answer's. */
const ENDPOINT_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 405, 407, 408, 429]);

/**
 * Whether a failed judgement is an outage of the judge (it could not be asked: timeout, refused connection, 5xx,
 * 401/404/429, no model listed) rather than a judgement that went wrong for this answer (an unparseable reply, a 400).
 * An outage says nothing about the answer, so callers leave the item unscored and unfinished whatever their error
 * policy. Reads the kind from the cause, which {@link LlmJudge} writes as `<kind>: <detail>`.
 */
export function isJudgeOutage(verdict: Verdict): boolean {
  if (verdict.status !== "error" || verdict.cause === undefined) return false;
  const colon = verdict.cause.indexOf(":");
  const kind = (colon < 0 ? verdict.cause : verdict.cause.slice(0, colon)) as JudgeErrorKind;
  if (kind === "timeout" || kind === "connection" || kind === "models-unavailable") return true;
  if (!kind.startsWith("http-")) return false;
  const status = Number(kind.slice("http-".length));
  return Number.isInteger(status) && (status >= 500 || ENDPOINT_STATUSES.has(status));
}
