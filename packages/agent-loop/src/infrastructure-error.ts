/** The services a rollout and its scoring depend on, apart from the model's own choices. */
export const INFRASTRUCTURE_SERVICES = ["tool-server", "model", "judge"] as const;
export type InfrastructureService = (typeof INFRASTRUCTURE_SERVICES)[number];

/** How each service is named in messages. */
export const SERVICE_LABELS: Readonly<Record<InfrastructureService, string>> = {
  "tool-server": "the tool server",
  model: "the model endpoint",
  judge: "the judge",
};

/** Longest message kept: an error line must stay one readable line whatever a server answered. */
const MAX_MESSAGE_CHARS = 600;

/**
 * A service failed: the tool server or the model endpoint is unreachable, answers 5xx after the retries, or sends
 * a malformed reply; or the judge cannot be asked. It says nothing about the model's answer, so it is never
 * scored: callers count it apart, leave the item unfinished (a resumed run retries it) and stop the run when it
 * keeps happening. `message` is one line (control characters and newlines become spaces) and says what to check.
 */
export class InfrastructureError extends Error {
  override readonly name = "InfrastructureError";
  readonly service: InfrastructureService;
  /** The URL that failed, when known. */
  readonly endpoint: string | undefined;

  constructor(
    service: InfrastructureService,
    message: string,
    options: { endpoint?: string; cause?: unknown } = {},
  ) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.service = service;
    this.endpoint = options.endpoint;
  }
}

/**
 * `text` as a single line of at most {@link MAX_MESSAGE_CHARS} characters: C0/C1 controls (newlines, escape
 * sequences) become spaces and runs of spaces collapse, in one linear pass, since the text may quote a server.
 */
export function oneLine(text: string, maxChars: number = MAX_MESSAGE_CHARS): string {
  let out = "";
  let space = false;
  for (let i = 0; i < text.length && out.length <= maxChars; i++) {
    const code = text.charCodeAt(i);
    const blank = code <= 0x20 || (code >= 0x7f && code <= 0x9f);
    if (blank) {
      space = out.length > 0;
      continue;
    }
    if (space) out += " ";
    space = false;
    out += text[i];
  }
  return out.length > maxChars ? `${out.slice(0, maxChars - 1)}…` : out;
}

/** 4xx answers that say the endpoint is wrong (address, key, model, rate) rather than the one request. */
const ENDPOINT_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 405, 407, 408, 429]);

/**
 * Whether an HTTP status (after the retries) is the service's failure: 5xx, or a 4xx that every request would
 * get (unauthorized, not found, rate limited). Other 4xx (400, 413, 422) reject the one request: its content, which
 * the model wrote, is at fault.
 */
export function isServiceFailureStatus(status: number): boolean {
  return status >= 500 || ENDPOINT_STATUSES.has(status);
}
