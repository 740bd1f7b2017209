import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True for an address a server bound to is reachable only from this machine. */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "localhost";
}

/**
 * Why a request must be refused (403), or undefined. A browser page must not drive the tools: a cross-origin
 * request (an `Origin` that is not this server) is refused, and a server bound to loopback only answers Host names
 * that are loopback too, which defeats DNS rebinding (a page on evil.example whose name now points at 127.0.0.1).
 * Non-browser clients (trainers, curl, SDK clients in Node) send no `Origin` and are unaffected.
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
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin ${JSON.stringify(origin)} is not a URL.`;
    }
    if (originHost.toLowerCase() !== host.toLowerCase()) {
      return `Cross-origin request from ${origin} refused: browsers may not drive the tools of this server.`;
    }
  } else if (origin === "null") {
    return "Cross-origin request from an opaque origin refused.";
  }
  return undefined;
}
