#!/usr/bin/env node
import { main } from "../serve/cli";

// The process edge of `hdpo-serve`: exit codes and signals live here, the CLI logic in serve/cli.ts.
const result = await main(process.argv.slice(2));
if (result.exitCode !== 0) process.exit(result.exitCode);
const { server } = result;
if (server !== undefined) {
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
