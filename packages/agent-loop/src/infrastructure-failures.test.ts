import { describe, expect, it } from "vitest";
import { InfrastructureError, oneLine } from "./infrastructure-error";
import {
  describeInfrastructureCounts,
  describeInfrastructureStop,
  InfrastructureFailures,
} from "./infrastructure-failures";

const toolsDown = new InfrastructureError(
  "tool-server",
  "the tool server at http://127.0.0.1:9/x could not be reached",
);
const judgeDown = new InfrastructureError("judge", "the judge failed: connection: refused");

describe("InfrastructureFailures", () => {
  it("stops once one service failed N items in a row, counting every failure by service", () => {
    const failures = new InfrastructureFailures(3);
    expect(failures.failed(toolsDown)).toBe(false);
    expect(failures.failed(toolsDown)).toBe(false);
    expect(failures.failed(judgeDown)).toBe(false);
    expect(failures.failed(toolsDown)).toBe(true);
    expect(failures.stop).toEqual({ service: "tool-server", inARow: 3, message: toolsDown.message });
    expect(failures.counts()).toEqual({ "tool-server": 3, model: 0, judge: 1 });
    expect(failures.total).toBe(4);
    expect(describeInfrastructureStop(failures.stop!)).toBe(
      "3 consecutive items were not scored because the tool server failed; the last: the tool server at http://127.0.0.1:9/x could not be reached",
    );
    expect(describeInfrastructureCounts(failures.counts())).toBe("3 (the tool server), 1 (the judge)");
  });

  it("a finished item resets the streak of the services it used, and only those", () => {
    const failures = new InfrastructureFailures(2);
    failures.failed(toolsDown);
    // an item that called no tool says nothing about the tool server
    failures.succeeded(["model"]);
    expect(failures.failed(toolsDown)).toBe(true);
    const other = new InfrastructureFailures(2);
    other.failed(toolsDown);
    other.succeeded(["model", "tool-server"]);
    expect(other.failed(toolsDown)).toBe(false);
    expect(other.stop).toBeUndefined();
    expect(() => new InfrastructureFailures(0)).toThrow(/positive integer/);
  });
});

describe("InfrastructureError", () => {
  it("keeps its message to one line of bounded length, whatever a server sent", () => {
    const error = new InfrastructureError("model", "HTTP 500:\n  Traceback\r\n\u001b[31mboom\u0085end\t");
    expect(error.message).toBe("HTTP 500: Traceback [31mboom end");
    expect(oneLine("x".repeat(5000))).toHaveLength(600);
    expect(oneLine("x".repeat(5000)).endsWith("…")).toBe(true);
    expect(oneLine("a".repeat(600))).toBe("a".repeat(600));
  });
});
