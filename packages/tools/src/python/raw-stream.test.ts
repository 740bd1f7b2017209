import { describe, expect, it } from "vitest";
import { RawStreamCollector } from "./raw-stream";

describe("RawStreamCollector", () => {
  it("keeps bytes before the marker, even when the marker is split across chunks", () => {
    let seen = 0;
    const collector = new RawStreamCollector("\u0000END\u0000", 100, () => {
      seen += 1;
    });
    collector.push(Buffer.from("hello \u0000E"));
    collector.push(Buffer.from("ND\u0000after"));
    collector.push(Buffer.from("ignored"));
    expect(collector.text()).toBe("hello ");
    expect(seen).toBe(1);
    expect(collector.markerSeen).toBe(true);
  });

  it("caps what it keeps and counts the rest", () => {
    const collector = new RawStreamCollector("<M>", 5, () => {});
    collector.push(Buffer.from("123"));
    collector.push(Buffer.from("4567890<M>"));
    expect(collector.text()).toBe("12345");
    expect(collector.dropped).toBe(5);
  });
});
