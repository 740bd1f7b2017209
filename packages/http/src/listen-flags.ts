/** The `node:util` parseArgs spec of a string flag with a default. */
export interface StringFlag {
  type: "string";
  default: string;
}

/**
 * The `--host H` (default 127.0.0.1: loopback unless asked) and `--port P` flags of a server's command line, as
 * `parseArgs` options to spread into its own. The port stays text: each CLI checks it with its other integers.
 */
export function listenFlags(defaultPort: number): { host: StringFlag; port: StringFlag } {
  return {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: String(defaultPort) },
  };
}
