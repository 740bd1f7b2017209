import { HttpError, type ValidationDetail } from "@hdpo/http";

/** A validated `POST /get_observation` body: one entry per trajectory id, in request order. */
export interface ObservationRequest {
  trajectoryIds: string[];
  actions: string[];
  /** `extra_fields[i]` with `finish`/`is_last_step` copied in when the request carried them. */
  extras: Record<string, unknown>[];
}

/** Longest trajectory id accepted; ids name session directories, so they are also kept to one path segment. */
export const MAX_TRAJECTORY_ID_LENGTH = 256;

/**
 * Validates a `/get_observation` body as the reference's pydantic model does (metis-protocol.md §1):
 * `trajectory_ids: str[]` (≥ 1), `actions: str[]`, optional `extra_fields: object[]`, `finish: bool[]`,
 * `is_last_step: bool[]`, every list as long as `trajectory_ids`. Every problem is collected into one 422 with
 * FastAPI's `{"detail": [{loc, msg, type}]}` shape.
 */
export function parseObservationRequest(body: unknown): ObservationRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw HttpError.validation([
      {
        loc: ["body"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        type: "model_attributes_type",
      },
    ]);
  }
  const record = body as Record<string, unknown>;
  const details: ValidationDetail[] = [];
  const trajectoryIds = readList(record, "trajectory_ids", true, isString, "string", details);
  const actions = readList(record, "actions", true, isString, "string", details);
  const extraFields = readList(record, "extra_fields", false, isObjectOrNull, "object", details);
  const finish = readList(record, "finish", false, isBoolean, "boolean", details);
  const isLastStep = readList(record, "is_last_step", false, isBoolean, "boolean", details);
  if (trajectoryIds !== undefined) {
    if (trajectoryIds.length === 0) {
      details.push({
        loc: ["body", "trajectory_ids"],
        msg: "List should have at least 1 item after validation, not 0",
        type: "too_short",
      });
    }
    trajectoryIds.forEach((id, index) => {
      const problem = trajectoryIdProblem(id);
      if (problem !== undefined) {
        details.push({
          loc: ["body", "trajectory_ids", index],
          msg: problem,
          type: "value_error",
        });
      }
    });
    const expected = trajectoryIds.length;
    const lists: [string, unknown[] | undefined][] = [
      ["actions", actions],
      ["extra_fields", extraFields],
      ["finish", finish],
      ["is_last_step", isLastStep],
    ];
    for (const [name, list] of lists) {
      if (list !== undefined && list.length !== expected) {
        details.push({
          loc: ["body", name],
          msg: `Value error, ${name} has ${list.length} entries but trajectory_ids has ${expected}; send one per trajectory id`,
          type: "value_error",
        });
      }
    }
  }
  if (details.length > 0 || trajectoryIds === undefined || actions === undefined) {
    throw HttpError.validation(details);
  }
  const extras = trajectoryIds.map((_, index) => {
    const extra: Record<string, unknown> = { ...((extraFields?.[index] as object | null) ?? {}) };
    if (finish !== undefined) extra.finish = finish[index];
    if (isLastStep !== undefined) extra.is_last_step = isLastStep[index];
    return extra;
  });
  return { trajectoryIds, actions, extras };
}

function trajectoryIdProblem(id: string): string | undefined {
  if (id.length === 0) return "Value error, a trajectory id must not be empty";
  if (id.length > MAX_TRAJECTORY_ID_LENGTH) {
    return `Value error, a trajectory id must have at most ${MAX_TRAJECTORY_ID_LENGTH} characters`;
  }
  if (id === "." || id === ".." || /[/\\\0]/.test(id)) {
    return "Value error, a trajectory id names a session directory: it must not be '.' or '..' nor contain '/', '\\' or NUL";
  }
  return undefined;
}

function readList<T>(
  record: Record<string, unknown>,
  name: string,
  required: boolean,
  check: (value: unknown) => value is T,
  typeName: "string" | "boolean" | "object",
  details: ValidationDetail[],
): T[] | undefined {
  const value = record[name];
  if (value === undefined || (value === null && !required)) {
    if (required) details.push({ loc: ["body", name], msg: "Field required", type: "missing" });
    return undefined;
  }
  if (!Array.isArray(value)) {
    details.push({
      loc: ["body", name],
      msg: "Input should be a valid list",
      type: "list_type",
    });
    return undefined;
  }
  let ok = true;
  value.forEach((item, index) => {
    if (!check(item)) {
      ok = false;
      details.push({
        loc: ["body", name, index],
        msg: ITEM_MESSAGES[typeName],
        type: ITEM_TYPES[typeName],
      });
    }
  });
  return ok ? (value as T[]) : undefined;
}

const ITEM_MESSAGES = {
  string: "Input should be a valid string",
  boolean: "Input should be a valid boolean",
  object: "Input should be a valid dictionary",
} as const;
const ITEM_TYPES = { string: "string_type", boolean: "bool_type", object: "dict_type" } as const;

const isString = (value: unknown): value is string => typeof value === "string";
const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isObjectOrNull = (value: unknown): value is Record<string, unknown> | null =>
  value === null || (typeof value === "object" && !Array.isArray(value));
