import { HttpError, type ValidationDetail } from "@hdpo/http";
import type { z } from "zod";

/**
 * Parses a request body with `schema`, or throws FastAPI's 422 `{"detail": [{type, loc, msg, input}]}`: `loc` starts
 * with "body", `type` and `msg` follow pydantic's names for the common cases, and `input` is only echoed when small.
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw HttpError.validation([
      {
        type: "model_attributes_type",
        loc: ["body"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input: body,
      },
    ]);
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw HttpError.validation(parsed.error.issues.map(detailOf));
}

const TYPE_NAMES: Record<string, [string, string]> = {
  string: ["string_type", "Input should be a valid string"],
  number: ["float_type", "Input should be a valid number"],
  int: ["int_type", "Input should be a valid integer"],
  boolean: ["bool_type", "Input should be a valid boolean"],
  array: ["list_type", "Input should be a valid list"],
  object: ["dict_type", "Input should be a valid dictionary"],
  record: ["dict_type", "Input should be a valid dictionary"],
};

function detailOf(issue: z.core.$ZodIssue): ValidationDetail {
  const loc = ["body", ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type": {
      if (input === undefined) return { type: "missing", loc, msg: "Field required", input: null };
      const [type, msg] = TYPE_NAMES[issue.expected] ?? ["type_error", issue.message];
      const received = (issue as { received?: unknown }).received;
      const infinite = received === "Infinity" || received === "-Infinity";
      return { type, loc, msg: infinite ? `${msg} (a finite one; got ${String(received)})` : msg, input };
    }
    case "invalid_format":
      return { type: "string_pattern_mismatch", loc, msg: issue.message, input };
    case "too_small":
      return {
        type:
          issue.origin === "string" || issue.origin === "array"
            ? "too_short"
            : issue.inclusive
              ? "greater_than_equal"
              : "greater_than",
        loc,
        msg:
          issue.origin === "number"
            ? `Input should be ${issue.inclusive ? "greater than or equal to" : "greater than"} ${issue.minimum}`
            : issue.message,
        input,
      };
    case "too_big":
      return {
        type:
          issue.origin === "string" || issue.origin === "array"
            ? "too_long"
            : issue.inclusive
              ? "less_than_equal"
              : "less_than",
        loc,
        msg:
          issue.origin === "number"
            ? `Input should be ${issue.inclusive ? "less than or equal to" : "less than"} ${issue.maximum}`
            : issue.message,
        input,
      };
    case "invalid_value":
      return {
        type: "literal_error",
        loc,
        msg: `Input should be ${issue.values.map((v) => `'${String(v)}'`).join(", ")}`,
        input,
      };
    case "invalid_union":
      return { type: "union_tag_invalid", loc, msg: issue.message, input };
    case "custom":
      return {
        type: issue.message === "Field required" ? "missing" : "value_error",
        loc,
        msg: issue.message === "Field required" ? issue.message : `Value error, ${issue.message}`,
        input,
      };
    default:
      return { type: "value_error", loc, msg: issue.message, input };
  }
}
