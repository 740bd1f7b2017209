import { HttpError, type ValidationDetail } from "./http-error";
import { jsonTextNestsDeeper } from "./json-depth";

/** How {@link parseJsonBody} reads a body. */
export interface JsonBodyOptions {
  /** Deepest nesting of arrays/objects; deeper is a 400 before parsing. */
  maxDepth: number;
  /**
   * What the 400 for a too deep body tells the client, after "…deeper than N levels; ". Default "raise
   * --max-json-depth".
   */
  tooDeepAdvice?: string;
  /** Add FastAPI's `input: null` to the 422's entry (for a server whose validation details carry `input`). */
  reportInput?: boolean;
}

/**
 * Parses a JSON body as FastAPI does: invalid JSON is a 422 `json_invalid` (not a 400), so a client sees the same
 * status for every malformed request. Nesting deeper than `maxDepth` is refused (400) in one linear pass before
 * parsing, because everything that walks a parsed value recursively (validation, `JSON.stringify`) would overflow
 * the stack on `[[[[…`.
 */
export function parseJsonBody(body: Buffer, options: JsonBodyOptions): unknown {
  const { maxDepth } = options;
  if (jsonTextNestsDeeper(body, maxDepth)) {
    throw new HttpError(
      400,
      `Request body nests JSON arrays/objects deeper than ${maxDepth} levels; ${options.tooDeepAdvice ?? "raise --max-json-depth"}.`,
    );
  }
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch (error) {
    const detail: ValidationDetail = {
      type: "json_invalid",
      loc: ["body"],
      msg: `JSON decode error: ${(error as Error).message}; send a JSON object with Content-Type: application/json`,
      ...(options.reportInput === true ? { input: null } : {}),
    };
    throw HttpError.validation([detail]);
  }
}
