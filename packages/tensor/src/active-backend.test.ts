import { describe, expect, it } from "vitest";
import { activeBackend } from "./active-backend";
import { useBackend } from "./use-backend";

describe("activeBackend", () => {
  // First in the file: vitest runs each test file in a fresh process, so no backend has been set yet.
  it("is null before any backend is selected, and asking does not initialise one", () => {
    expect(activeBackend()).toBeNull();
    expect(activeBackend()).toBeNull();
  });

  it("names the backend useBackend selected", async () => {
    await useBackend("cpu");
    expect(activeBackend()).toBe("cpu");
    await useBackend("wasm");
    expect(activeBackend()).toBe("wasm");
  });
});
