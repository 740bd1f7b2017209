// Test-only: a bare HTTP client for the Tinker routes (the real client lives in @hdpo/learner), so that the tests
// see exact statuses and bodies.

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  body: any;
  headers: Headers;
}

export class TinkerTestClient {
  constructor(readonly url: string) {}

  async post(path: string, body: unknown, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${this.url}/api/v1/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    });
    return answer(response);
  }

  async get(path: string, init: RequestInit = {}): Promise<Answer> {
    return answer(await fetch(`${this.url}/api/v1/${path}`, init));
  }

  /** POSTs an asynchronous request and waits for its future; throws when the POST is not a 200. */
  async run(path: string, body: unknown): Promise<Answer> {
    const posted = await this.post(path, body);
    if (posted.status !== 200)
      throw new Error(`${path}: HTTP ${posted.status} ${JSON.stringify(posted.body)}`);
    return this.retrieve(posted.body.request_id);
  }

  /** retrieve_future until the answer is not a 408. */
  async retrieve(requestId: string): Promise<Answer> {
    for (;;) {
      const result = await this.post("retrieve_future", { request_id: requestId });
      if (result.status !== 408) return result;
    }
  }

  /** `run`, expecting a completed future. */
  // biome-ignore lint/suspicious/noExplicitAny: see above
  async ok(path: string, body: unknown): Promise<any> {
    const result = await this.run(path, body);
    if (result.status !== 200)
      throw new Error(`${path}: future failed ${result.status} ${JSON.stringify(result.body)}`);
    return result.body;
  }

  async session(): Promise<string> {
    const created = await this.post("create_session", { tags: ["test"], sdk_version: "test/0" });
    return created.body.session_id;
  }

  /** A session and a ready model in it. */
  async model(baseModel: string, sessionId?: string): Promise<{ sessionId: string; modelId: string }> {
    const session = sessionId ?? (await this.session());
    const created = await this.post("create_model", {
      session_id: session,
      base_model: baseModel,
      lora_config: { rank: 0, seed: 0 },
    });
    if (created.status !== 200)
      throw new Error(`create_model: ${created.status} ${JSON.stringify(created.body)}`);
    const ready = await this.retrieve(created.body.request_id);
    if (ready.status !== 200) throw new Error(`create_model future: ${JSON.stringify(ready.body)}`);
    return { sessionId: session, modelId: created.body.model_id };
  }
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a tar, an empty redirect): the text.
  }
  return { status: response.status, body, headers: response.headers };
}
