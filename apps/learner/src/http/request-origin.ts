import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True for an address a server bound to is reachable only from this machine. */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "localhost";
}

/**
 * Why a request must be refused (403), or undefined. A web page must not drive the learner (Tinker has no auth): a
 * cross-origin browser request is refused, and a server bound to loopback answers only loopback Host names, which
 * defeats DNS rebinding. Trainers, SDKs and curl send no `Origin` and are unaffected. (The same rule as
 * hdpo-tool-server's.)
 */
export function refusedOrigin(request: IncomingMessage, loopbackOnly: boolean): string | undefined {
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
    return `Cross-origin request from ${origin} refused: browsers may not drive this server.`;
  }
  return undefined;
}
