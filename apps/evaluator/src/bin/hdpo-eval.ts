#!/usr/bin/env node
import { main } from "../cli/main";

// Exit explicitly: an abandoned item's request (a hung tool server) must not keep the process alive after the
// outputs are written.
process.exit(await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }));
