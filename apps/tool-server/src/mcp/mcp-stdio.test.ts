import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../test-support/processes";
import { TEST_CORPUS } from "../test-support/tool-server-fixture";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hdpo-mcp-stdio-"));
  await writeFile(join(root, "corpus.jsonl"), TEST_CORPUS.map((d) => JSON.stringify(d)).join("\n"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("MCP over stdio (hdpo-tool-server --mcp-stdio, the SDK's own client)", () => {
  it("runs python with persistent state and search, and exits when the client closes", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      // tsx runs the bin from source, so the test needs no build of this package.
      args: [
        "--import",
        "tsx",
        "src/bin/hdpo-tool-server.ts",
        "--mcp-stdio",
        "--session-dir",
        join(root, "sessions"),
        "--search-provider",
        "local",
        "--search-corpus",
        join(root, "corpus.jsonl"),
      ],
      cwd: packageDir,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: "hdpo-stdio-test", version: "1.0.0" });
    await client.connect(transport).catch((error: unknown) => {
      throw new Error(`the stdio server did not start: ${String(error)}\n${stderr}`);
    });
    const pid = transport.pid!;
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["image_search", "python", "search"]);
      await client.callTool({ name: "python", arguments: { code: "count = 2" } });
      const result = await client.callTool({
        name: "python",
        arguments: { code: "count += 5\nprint(count)" },
      });
      expect((result.content as { text: string }[])[0]!.text).toMatch(/stdout:\n```\n7\n/);
      const search = await client.callTool({ name: "search", arguments: { query: "Fuji" } });
      expect((search.content as { text: string }[])[0]!.text).toContain("Mount Fuji");
    } finally {
      await client.close();
    }
    const deadline = Date.now() + 20_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid), stderr).toBe(false);
  });
});
