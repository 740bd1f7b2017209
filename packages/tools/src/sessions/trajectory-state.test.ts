import { describe, expect, it } from "vitest";
import { MAX_REPLAY_CHARS, TrajectoryState } from "./trajectory-state";

describe("TrajectoryState", () => {
  it("counts calls per tool, returning the calls before this one", () => {
    const state = new TrajectoryState("t", 0);
    expect(state.countCall("image_search")).toBe(0);
    expect(state.countCall("image_search")).toBe(1);
    expect(state.countCall("python")).toBe(0);
    expect(Object.fromEntries(state.calls)).toEqual({ image_search: 2, python: 1 });
  });

  it("keeps python calls for a replay until they exceed the bound, then gives up replaying until reset", () => {
    const state = new TrajectoryState("t", 0);
    state.rememberPython("a = 1");
    state.rememberPython("b = a");
    expect(state.pythonHistory).toEqual(["a = 1", "b = a"]);
    state.rememberPython("x".repeat(MAX_REPLAY_CHARS));
    expect(state.pythonReplayable).toBe(false);
    expect(state.pythonHistory).toEqual([]);
    state.rememberPython("c = 2");
    expect(state.pythonHistory).toEqual([]);
    state.resetPython();
    state.rememberPython("d = 3");
    expect(state).toMatchObject({ pythonReplayable: true, pythonHistory: ["d = 3"], pythonHistoryChars: 5 });
  });
});
