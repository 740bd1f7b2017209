import { HttpError } from "@hdpo/http";
import { describe, expect, it } from "vitest";
import { parseObservationRequest } from "./observation-request";

function details(body: unknown) {
  try {
    parseObservationRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(422);
    return (error as HttpError).detail as { loc: (string | number)[]; type: string; msg: string }[];
  }
  throw new Error("expected a 422");
}

describe("parseObservationRequest", () => {
  it("copies finish and is_last_step into each extra_fields entry", () => {
    const parsed = parseObservationRequest({
      trajectory_ids: ["a", "b"],
      actions: ["x", "y"],
      extra_fields: [{ index: "i0", finish: "overwritten" }, null],
      finish: [false, true],
      is_last_step: [false, true],
    });
    expect(parsed.trajectoryIds).toEqual(["a", "b"]);
    expect(parsed.actions).toEqual(["x", "y"]);
    expect(parsed.extras).toEqual([
      { index: "i0", finish: false, is_last_step: false },
      { finish: true, is_last_step: true },
    ]);
  });

  it("leaves extras without finish keys when the request has none", () => {
    expect(parseObservationRequest({ trajectory_ids: ["a"], actions: [""] }).extras).toEqual([{}]);
  });

  it("reports missing fields like FastAPI", () => {
    expect(details({})).toEqual([
      { loc: ["body", "trajectory_ids"], msg: "Field required", type: "missing" },
      { loc: ["body", "actions"], msg: "Field required", type: "missing" },
    ]);
  });

  it("rejects a body that is not an object", () => {
    expect(details([1, 2])[0]!.type).toBe("model_attributes_type");
    expect(details("x")[0]!.loc).toEqual(["body"]);
  });

  it("rejects an empty trajectory_ids", () => {
    expect(details({ trajectory_ids: [], actions: [] })[0]).toMatchObject({
      loc: ["body", "trajectory_ids"],
      type: "too_short",
    });
  });

  it.each([
    ["actions", { trajectory_ids: ["a", "b"], actions: ["x"] }],
    ["extra_fields", { trajectory_ids: ["a"], actions: ["x"], extra_fields: [{}, {}] }],
    ["finish", { trajectory_ids: ["a"], actions: ["x"], finish: [] }],
    ["is_last_step", { trajectory_ids: ["a"], actions: ["x"], is_last_step: [true, false] }],
  ])("rejects a length mismatch of %s", (name, body) => {
    const [detail] = details(body);
    expect(detail).toMatchObject({ loc: ["body", name], type: "value_error" });
    expect(detail!.msg).toMatch(/one per trajectory id/);
  });

  it("reports wrong item types with their index", () => {
    const found = details({ trajectory_ids: ["a", 7], actions: ["x", null], finish: [1, true] });
    expect(found).toEqual([
      expect.objectContaining({ loc: ["body", "trajectory_ids", 1], type: "string_type" }),
      expect.objectContaining({ loc: ["body", "actions", 1], type: "string_type" }),
      expect.objectContaining({ loc: ["body", "finish", 0], type: "bool_type" }),
    ]);
  });

  it("rejects a non-list field", () => {
    expect(details({ trajectory_ids: "a", actions: ["x"] })[0]).toMatchObject({ type: "list_type" });
  });

  it.each(["", "..", ".", "a/b", "a\\b", "x\0y", "z".repeat(257)])(
    "rejects the trajectory id %j, which cannot name a session directory",
    (id) => {
      expect(details({ trajectory_ids: [id], actions: ["x"] })[0]).toMatchObject({
        loc: ["body", "trajectory_ids", 0],
        type: "value_error",
      });
    },
  );
});
