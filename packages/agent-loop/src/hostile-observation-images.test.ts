import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message, Task } from "@hdpo/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAIChatPolicy } from "./openai-chat-policy";
import { OpenAIPolicyError } from "./openai-policy-error";
import { runTrajectory } from "./rollout-trajectory";
import { createTestOpenAIServer, type TestOpenAIServer } from "./test-openai-server/index";
import { InProcessTools } from "./test-support/in-process-tools";
import { TINY_PNG_DATA_URI } from "./test-support/tiny-images";

// Issue 17, finding 1: an observation's images come from sandboxed code or a remote tool server. The loop used to
// read a path among them from the host disk and send the bytes to the policy server, and to pass URLs on.
const SECRET = `hdpo-secret-${process.pid}-${Date.now()}`;

let dir: string;
let secretPath: string;
let bait: Server;
let baitHits: string[];
let baitURL: string;
let server: TestOpenAIServer;
let baseURL: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-hostile-images-"));
  // A 0600 file named like an image, so the old path reader (which needed an image extension) would have sent it.
  secretPath = join(dir, "shadow.png");
  await writeFile(secretPath, SECRET, { mode: 0o600 });
  await chmod(secretPath, 0o600);
  // Stands in for the metadata address: any fetch of the URL would land here.
  baitHits = [];
  bait = createServer((req, res) => {
    baitHits.push(`${req.method} ${req.url}`);
    res.end("metadata");
  });
  await new Promise<void>((resolve) => bait.listen(0, "127.0.0.1", resolve));
  baitURL = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/latest/meta-data`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => bait.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  server = createTestOpenAIServer({ models: ["qwen-test"] });
  baseURL = await server.listen();
  return () => server.close();
});

const hostileImages = (): unknown[] => [
  secretPath,
  baitURL,
  "data:text/html,<script>alert(1)</script>",
  42,
  TINY_PNG_DATA_URI,
];
const task: Task = { id: "t", question: "What is 2+3?", answer: "5" };
const sentBodies = () =>
  server.requests.filter((r) => r.path === "/chat/completions").map((r) => JSON.stringify(r.body));

/** Asserts that nothing of the secret, the URL or the HTML left the loop, and that the URL was never fetched. */
function expectNothingLeaked(): void {
  for (const body of sentBodies()) {
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain(Buffer.from(SECRET).toString("base64"));
    expect(body).not.toContain(secretPath);
    expect(body).not.toContain(baitURL);
    expect(body).not.toContain("<script>");
  }
  expect(baitHits).toEqual([]);
}

const NOTES = [
  "[Not shown: image 1: it is not a data URI (a file path or other text); an image from a tool is never read from disk.]",
  "[Not shown: image 2: it is a URL; an image from a tool is never fetched.]",
  "[Not shown: image 3: it is a data URI but not data:image/png, jpeg, gif or webp;base64.]",
  "[Not shown: 1 more images that were refused.]",
].join("\n");

describe("images a tool returns, through the real agent loop and a real OpenAI-compatible server", () => {
  it("text protocol: drops every image but the PNG data URI, which reaches the server unchanged", async () => {
    server.enqueueReplies(
      { text: '<reason>r</reason><tool_call>{"name":"python","arguments":{"code":"x"}}</tool_call>' },
      { text: "<answer>5</answer>" },
    );
    const tools = new InProcessTools(() => ({
      text: "out",
      images: hostileImages() as string[],
      valid: true,
      done: false,
    }));
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const tr = await runTrajectory(task, { policy, tools });

    expectNothingLeaked();
    expect(tr.finishReason).toBe("answer");
    expect(tr.answer).toBe("5");
    expect(tr.turns[1]).toMatchObject({
      role: "observation",
      text: `out\n${NOTES}`,
      images: [TINY_PNG_DATA_URI],
    });
    const second = server.requests.filter((r) => r.path === "/chat/completions")[1]!.body!;
    expect((second.messages as unknown[]).at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: `out\n${NOTES}` },
        { type: "image_url", image_url: { url: TINY_PNG_DATA_URI } },
      ],
    });
  });

  it("native tool calls: the tool message carries the note and only the PNG follows it", async () => {
    server.enqueueReplies(
      { text: "", toolCalls: [{ id: "call_1", name: "python", arguments: '{"code":"x"}' }] },
      { text: "<answer>5</answer>" },
    );
    const tools = new InProcessTools(() => ({
      text: "out",
      images: hostileImages() as string[],
      valid: true,
      done: false,
    }));
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const tr = await runTrajectory(task, { policy, tools });

    expect(tr.answer).toBe("5");
    expectNothingLeaked();
    const second = server.requests.filter((r) => r.path === "/chat/completions")[1]!.body!;
    expect((second.messages as unknown[]).slice(-2)).toEqual([
      { role: "tool", tool_call_id: "call_1", content: `out\n${NOTES}` },
      { role: "user", content: [{ type: "image_url", image_url: { url: TINY_PNG_DATA_URI } }] },
    ]);
  });

  it("a tool message built by hand with a path or URL is refused before anything is sent", async () => {
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    const messages = (image: string, toolCallId?: string): Message[] => [
      { role: "user", content: "q" },
      { role: "assistant", content: "", toolCalls: [{ id: "c", name: "python", arguments: {} }] },
      {
        role: "tool",
        ...(toolCallId === undefined ? {} : { toolCallId }),
        content: [
          { type: "text", text: "out" },
          { type: "image", image },
        ],
      },
    ];
    const refused = policy.generate({ messages: messages(secretPath, "c"), sampling: { maxTokens: 5 } });
    await expect(refused).rejects.toBeInstanceOf(OpenAIPolicyError);
    await expect(refused).rejects.toMatchObject({
      code: "invalid-request",
      message:
        "Image 1 of the tool message at index 2 is refused: it is not a data URI (a file path or other text); an image from a tool is never read from disk. Images from tools must be data:image/png, jpeg, gif or webp base64 URIs of at most 25165824 bytes; the agent loop's truncateObservation drops any other with a note.",
    });
    await expect(
      policy.generate({ messages: messages(baitURL), sampling: { maxTokens: 5 } }),
    ).rejects.toThrow(/it is a URL; an image from a tool is never fetched/);
    expect(sentBodies()).toEqual([]);
    expectNothingLeaked();
    // Positive control: the same message with the PNG is sent.
    await policy.generate({ messages: messages(TINY_PNG_DATA_URI, "c"), sampling: { maxTokens: 5 } });
    expect(sentBodies()).toHaveLength(1);
  });

  it("a task's own image may still be a file: the user's dataset is trusted", async () => {
    const png = join(dir, "task.png");
    await writeFile(png, Buffer.from(TINY_PNG_DATA_URI.slice(22), "base64"));
    const tools = new InProcessTools();
    const policy = new OpenAIChatPolicy({ baseURL, model: "qwen-test" });
    server.enqueueReplies({ text: "<answer>5</answer>" });
    await runTrajectory({ ...task, images: [png] }, { policy, tools });
    expect(sentBodies()[0]).toContain(TINY_PNG_DATA_URI);
  });
});
