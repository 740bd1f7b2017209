import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test-support/processes";
import {
  getJson,
  jsonOf,
  startToolServerFixture,
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
