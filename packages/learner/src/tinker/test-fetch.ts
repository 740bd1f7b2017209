// Test-only: a scripted fetch that answers spec-shaped JSON, for the error paths a healthy server cannot be made
// to produce (408 and try_again polls, 5xx, lost answers, malformed bodies). Not exported from the package.

/** One request the fake received. */
export interface FakeCall {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

/** An answer: a status and a JSON body, "network" (the connection fails) or "hang" (waits for the abort). */
export type FakeAnswer = { status: number; body?: unknown; raw?: string } | "network" | "hang";

export type FakeRoute = (body: unknown, call: FakeCall) => FakeAnswer | Promise<FakeAnswer>;

/** A fetch over `routes` ("POST /api/v1/forward" → handler); an unknown route answers 404. */
export function fakeFetch(routes: Record<string, FakeRoute>): { fetch: typeof fetch; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    const call = { method, path: url.pathname, body, headers };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}`];
    const answer: FakeAnswer =
      route === undefined ? { status: 404, body: { detail: "Not Found" } } : await route(body, call);
    if (answer === "network") {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      });
    }
    if (answer === "hang") {
      return new Promise((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    const text = answer.raw ?? (answer.body === undefined ? "" : JSON.stringify(answer.body));
    return new Response(text, { status: answer.status, headers: { "content-type": "application/json" } });
  };
  return { fetch: fetchFn as typeof fetch, calls };
}

/** A server root nothing listens on; the fake fetch never opens a connection anyway. */
export const FAKE_BASE_URL = "http://127.0.0.1:9";
