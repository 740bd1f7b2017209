import type { Server } from "node:http";

/**
 * Closes `server` gracefully: it stops taking connections and closes the idle kept-alive ones at once, lets
 * `drain` finish the work in flight (it bounds its own grace period), then cuts the connections still open and
 * resolves once the server is closed. Closing a server that is not listening is not an error.
 */
export async function closeServer(
  server: Server,
  drain: () => Promise<void> = async () => {},
): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await drain();
  server.closeAllConnections();
  await stopped;
}
