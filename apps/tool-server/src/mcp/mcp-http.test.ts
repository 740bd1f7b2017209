import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToolServer } from "../http/tool-server";
import { eventually } from "../test-support/processes";
import {
  getJson,
  jsonOf,
  startToolServerFixture,
  stdoutOf,
  type ToolServerFixture,
} from "../test-support/tool-server-fixture";

let fixture: ToolServerFixture;

beforeAll(async () => {
  fixture = await startToolServerFixture();
});
afterAll(async () => {
  await fixture?.close();
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: "hdpo-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${fixture.url}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

type Content = { type: string; text?: string; data?: string; mimeType?: string }[];

async function python(client: Client, code: string): Promise<{ content: Content; isError: boolean }> {
  const result = await client.callTool({ name: "python", arguments: { code } });
  return { content: result.content as Content, isError: result.isError === true };
}

async function health() {
  return getJson(`${fixture.url}/health`);
}

describe("MCP over streamable HTTP at /mcp (the SDK's own client)", () => {
  it("lists python, search and image_search with input schemas", async () => {
    const { client } = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["image_search", "python", "search"]);
      const pythonTool = tools.find((t) => t.name === "python")!;
      expect(pythonTool.inputSchema.required).toEqual(["code"]);
    } finally {
      await client.close();
    }
  });

  it("keeps Python state within a session, isolates sessions, returns images as image content", async () => {
    const a = await connect();
    const b = await connect();
    try {
      await python(a.client, "total = 21");
      const doubled = await python(a.client, "print(total * 2)");
      expect(doubled.isError).toBe(false);
      expect(doubled.content[0]!.text).toContain("42");
      const other = await python(b.client, "print(total)");
      expect(other.content[0]!.text).toMatch(/NameError/);
      const image = await python(a.client, "from PIL import Image\nImage.new('RGB', (64, 96), 'blue')");
      const images = image.content.filter((c) => c.type === "image");
      expect(images).toHaveLength(1);
      expect(images[0]!.mimeType).toBe("image/png");
      const png = Buffer.from(images[0]!.data!, "base64");
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([64, 96]);
      expect(image.content[0]!.text).not.toContain("data:image");
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it("searches the configured corpus and marks invalid calls as errors", async () => {
    const { client } = await connect();
    try {
      const found = await client.callTool({ name: "search", arguments: { query: "Eiffel Tower" } });
      expect((found.content as Content)[0]!.text).toContain("Eiffel Tower");
      const empty = await client.callTool({ name: "search", arguments: { query: "" } });
      expect(empty.isError).toBe(true);
      expect((empty.content as Content)[0]!.text).toBe("Error: Search query is empty.");
    } finally {
      await client.close();
    }
  });

  it("closing the MCP session closes its trajectory", async () => {
    const { client, transport } = await connect();
    await python(client, "marker = 1");
    const sessionId = transport.sessionId!;
    expect((await health()).mcp_sessions).toBeGreaterThanOrEqual(1);
    const before = fixture.runtime.stats().liveSessions;
    await transport.terminateSession();
    await client.close();
    expect(await eventually(() => fixture.runtime.stats().liveSessions === before - 1)).toBe(true);
    const stale = await fetch(`${fixture.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stale.status).toBe(404);
  });

  it("refuses a deeply nested body with a JSON-RPC parse error, and never echoes bad arguments", async () => {
    const nest = "[".repeat(200_000) + "]".repeat(200_000);
    const deep = await fetch(`${fixture.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: `{"jsonrpc":"2.0","id":1,"method":"initialize","params":${nest}}`,
    });
    expect(deep.status).toBe(400);
    const error = (await jsonOf(deep)).error;
    expect(error.code).toBe(-32700);
    expect(error.message).toMatch(/deeper than 64 levels/);
    const { client } = await connect();
    try {
      const bad = await client.callTool({
        name: "python",
        arguments: { code: Array.from({ length: 2000 }, () => "z".repeat(100)) },
      });
      expect(bad.isError).toBe(true);
      const text = JSON.stringify(bad.content);
      expect(text).not.toContain("zzzz");
      expect(text.length).toBeLessThan(5000);
      expect(stdoutOf((await python(client, "print('still', 1 + 1)")).content[0]!.text!)).toBe("still 2");
    } finally {
      await client.close();
    }
  });

  it("rejects a request without a session that is not an initialize", async () => {
    const response = await fetch(`${fixture.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.message).toMatch(/initialize/);
  });
});

describe("MCP session limits: idle expiry and least-recently-used eviction", () => {
  /** A second server over the fixture's runtime with its own MCP limits. */
  async function limitedServer(options: { maxMcpSessions: number; mcpIdleTimeoutMs: number }) {
    const server = createToolServer({ runtime: fixture.runtime, workers: 2, ...options });
    const { url } = await server.listen(0);
    const open = async () => {
      const client = new Client({ name: "hdpo-limits", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
      await client.connect(transport);
      return { client, transport };
    };
    return { server, url, open };
  }

  it("at the limit an initialize evicts the least recently used idle session, never a busy one", async () => {
    const { server, url, open } = await limitedServer({ maxMcpSessions: 2, mcpIdleTimeoutMs: 600_000 });
    const clients: Client[] = [];
    try {
      const a = await open();
      const b = await open();
      clients.push(a.client, b.client);
      await python(a.client, "left = 'a'");
      await python(b.client, "right = 20");
      // A is busy (its call runs while C arrives), so B, used less recently than A's call, is the one to go.
      const busy = python(a.client, "import time\ntime.sleep(1.5)\nprint(left * 3)");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const c = await open();
      clients.push(c.client);
      expect((await busy).content[0]!.text).toContain("aaa");
      await expect(python(b.client, "print(right)")).rejects.toThrow();
      expect(stdoutOf((await python(c.client, "print(6 * 7)")).content[0]!.text!)).toBe("42");
      expect(stdoutOf((await python(a.client, "print(left)")).content[0]!.text!)).toBe("a");
      const metrics = await getJson(`${url}/metrics`);
      expect(metrics.mcp).toMatchObject({ sessions: 2, evicted: 1 });
      // Both sessions busy: a new one is refused (503) rather than killing work in flight.
      const slowA = python(a.client, "import time\ntime.sleep(1.5)\nprint('a done')");
      const slowC = python(c.client, "import time\ntime.sleep(1.5)\nprint('c done')");
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(open()).rejects.toThrow(/503|busy|Too many/);
      expect(stdoutOf((await slowA).content[0]!.text!)).toBe("a done");
      expect(stdoutOf((await slowC).content[0]!.text!)).toBe("c done");
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await server.close({ graceMs: 0, shutdownRuntime: false });
    }
  }, 60_000);

  it("closes a session idle for longer than mcpIdleTimeoutMs, and its trajectory with it", async () => {
    const { server, url, open } = await limitedServer({ maxMcpSessions: 4, mcpIdleTimeoutMs: 300 });
    const before = fixture.runtime.stats().liveSessions;
    const { client } = await open();
    try {
      await python(client, "x = 1");
      expect(fixture.runtime.stats().liveSessions).toBe(before + 1);
      // The sweep runs every second at most; poll the server's count of expired sessions.
      let expired = 0;
      for (let tries = 0; tries < 100 && expired === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expired = (await getJson(`${url}/metrics`)).mcp.expired;
      }
      expect(expired).toBe(1);
      // Its Python went with it.
      expect(await eventually(() => fixture.runtime.stats().liveSessions === before)).toBe(true);
      await expect(python(client, "print(x)")).rejects.toThrow();
    } finally {
      await client.close().catch(() => undefined);
      await server.close({ graceMs: 0, shutdownRuntime: false });
    }
  }, 30_000);
});
