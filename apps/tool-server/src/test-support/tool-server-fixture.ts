import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTextSearch,
  createToolRuntime,
  findPython,
  type ToolRuntime,
  type ToolRuntimeOptions,
} from "@hdpo/tools";
import { createToolServer, type ToolServer, type ToolServerOptions } from "../http/tool-server";

/** A `/get_observation` answer as the tests read it. */
export interface PostResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  json: any;
}

/** A real tool server on 127.0.0.1 over a real runtime (real Python), in a private session root. */
export interface ToolServerFixture {
  url: string;
  runtime: ToolRuntime;
  server: ToolServer;
  sessionRoot: string;
  /** The root of the fixture's files (corpus, image map); removed by `close`. */
  root: string;
  post(body: unknown, path?: string): Promise<PostResult>;
  /** One action for one trajectory; resolves with `{observation, done, valid}` of the reply. */
  act(
    trajectoryId: string,
    action: string,
    extra?: Record<string, unknown>,
  ): Promise<{ observation: unknown; done: boolean; valid: boolean; status: number }>;
  /** Runs `code` in the python tool of `trajectoryId` and returns the observation text. */
  python(trajectoryId: string, code: string, extra?: Record<string, unknown>): Promise<string>;
  finish(trajectoryId: string): Promise<PostResult>;
  close(): Promise<void>;
}

/** The reference's action text for one tool call. */
export function toolCall(name: string, args: unknown): string {
  return `<reason>r</reason><tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
}

/** A small corpus for the `local` search provider. */
export const TEST_CORPUS = [
  {
    id: "1",
    title: "Eiffel Tower",
    url: "https://example.org/eiffel",
    text: "The Eiffel Tower is in Paris.",
  },
  {
    id: "2",
    title: "Mount Fuji",
    url: "https://example.org/fuji",
    text: "Mount Fuji is the highest mountain in Japan.",
  },
];

export interface FixtureOptions {
  runtime?: Partial<ToolRuntimeOptions>;
  server?: Partial<ToolServerOptions>;
  /** Python limits overrides (e.g. a short timeout for hostile tests). */
  limits?: Record<string, number>;
}

/** Starts the fixture; always `close()` it (kills every child, removes its directories). */
export async function startToolServerFixture(options: FixtureOptions = {}): Promise<ToolServerFixture> {
  const root = await mkdtemp(join(tmpdir(), "hdpo-tool-server-test-"));
  const sessionRoot = join(root, "sessions");
  const corpusPath = join(root, "corpus.jsonl");
  await writeFile(corpusPath, TEST_CORPUS.map((d) => JSON.stringify(d)).join("\n"));
  const mapPath = join(root, "image-map.json");
  await writeFile(mapPath, JSON.stringify({}));
  const interpreter = await findPython();
  const textSearch = await createTextSearch({ provider: "local", corpus: corpusPath, cache: false });
  const runtime = await createToolRuntime({
    python: { interpreter, sessionRoot, limits: options.limits },
    textSearch,
    workers: 2,
    ...options.runtime,
  });
  const server = createToolServer({ runtime, workers: 2, ...options.server });
  const { url } = await server.listen(0, "127.0.0.1");
  const post = async (body: unknown, path = "/get_observation"): Promise<PostResult> => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text === "" ? undefined : JSON.parse(text),
    };
  };
  const act: ToolServerFixture["act"] = async (trajectoryId, action, extra) => {
    const reply = await post({
      trajectory_ids: [trajectoryId],
      actions: [action],
      finish: [false],
      is_last_step: [false],
      extra_fields: [extra ?? {}],
    });
    if (reply.status !== 200) {
      return { observation: reply.json, done: true, valid: false, status: reply.status };
    }
    return {
      observation: reply.json.observations[0],
      done: reply.json.dones[0],
      valid: reply.json.valids[0],
      status: 200,
    };
  };
  return {
    url,
    runtime,
    server,
    sessionRoot,
    root,
    post,
    act,
    async python(trajectoryId, code, extra) {
      const reply = await act(trajectoryId, toolCall("python", { code }), extra);
      if (reply.status !== 200) throw new Error(`HTTP ${reply.status}: ${JSON.stringify(reply.observation)}`);
      const observation = reply.observation as { obs: string } | string;
      return typeof observation === "string" ? observation : observation.obs;
    },
    finish: (trajectoryId) =>
      post({ trajectory_ids: [trajectoryId], actions: [""], finish: [true], is_last_step: [true] }),
    async close() {
      await server.close({ graceMs: 1000 });
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The stdout block of a python observation. */
export function stdoutOf(obs: string): string {
  const match = /stdout:\n```\n([\s\S]*?)\n```/.exec(obs);
  return (match?.[1] ?? "").trimEnd();
}

/** GETs `url` and parses the JSON body (test replies are inspected field by field). */
// biome-ignore lint/suspicious/noExplicitAny: see above
export async function getJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}

/** The JSON body of a response, untyped for field-by-field assertions. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
