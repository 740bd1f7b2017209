import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackAddress } from "./request-origin";

/** Where a server listens once {@link listen} resolves. */
export interface Listening {
  /** The base URL, e.g. `http://127.0.0.1:8000` or `http://[::1]:8000`. */
  url: string;
  port: number;
  /** True when only this machine can reach the server (the origin check then also pins Host names). */
  loopback: boolean;
}

/**
 * Starts `server` listening on `host:port` (port 0 picks a free one). Rejects with the listen error (a port in use)
 * instead of leaving it to an `error` event nobody handles.
 */
export function listen(server: Server, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        port: address.port,
        loopback: isLoopbackAddress(address.address),
      });
    });
  });
}
