import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True for an address a server bound to is reachable only from this machine. */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "localhost";
}

/**
 * Why a request must be refused (403), or undefined. A web page must not drive a local server (none of ours has
 * auth): a cross-origin browser request (an `Origin` that is not this server) is refused, and a server bound to
 * loopback answers only loopback Host names, which defeats DNS rebinding (a page on evil.example whose name now
 * points at 127.0.0.1). Non-browser clients (trainers, SDKs, curl) send no `Origin` and are unaffected. `guarded`
 * names what browsers may not drive, in the refusal ("this server", "the tools of this server").
 */
export function refusedOrigin(
  request: IncomingMessage,
  loopbackOnly: boolean,
  guarded = "this server",
): string | undefined {
  const host = request.headers.host ?? "";
  if (loopbackOnly) {
    const hostname = host.replace(/:\d+$/, "").toLowerCase();
    if (!LOOPBACK_NAMES.has(hostname)) {
      return `Host ${JSON.stringify(host)} is not a loopback name; this server listens on loopback only.`;
    }
  }
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  if (origin === "null") return "Cross-origin request from an opaque origin refused.";
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin ${JSON.stringify(origin)} is not a URL.`;
  }
  if (originHost.toLowerCase() !== host.toLowerCase()) {
    return `Cross-origin request from ${origin} refused: browsers may not drive ${guarded}.`;
  }
  return undefined;
}
