import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { PolicyError } from "../policy-error";
import { moduleUrl, runningFromSource } from "./module-url";
import type { ReplicaWorkerData } from "./worker-protocol";

/**
 * Starts a replica worker thread. From the bundle it runs `parallel-worker.js`. When this package runs from
 * TypeScript source (its own tests) or the loss module is TypeScript (e.g. a trainer's tests passing
 * `new URL("./loss.ts", import.meta.url)`), it first registers tsx's loader in the thread, which needs
 * `tsx` installed (a dev dependency of the workspace).
 *
 * @throws PolicyError when a TypeScript module has to load and tsx cannot be found.
 */
export function spawnReplica(data: ReplicaWorkerData, transfer: ArrayBuffer[]): Worker {
  const entry = moduleUrl(import.meta.url, "replica-worker", "parallel-worker");
  if (!runningFromSource(import.meta.url) && !isTypeScript(data.lossModule)) {
    return new Worker(entry, { workerData: data, transferList: transfer });
  }
  const tsx = tsxRegisterUrl(data.lossModule);
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data, transferList: transfer });
}

function isTypeScript(url: string): boolean {
  return /\.[cm]?ts$/.test(new URL(url).pathname);
}

let tsxApi: string | undefined;

/** The ESM entry of `tsx/esm/api`, resolved from this package or else from the loss module. */
function tsxRegisterUrl(lossModule: string): string {
  if (tsxApi !== undefined) return tsxApi;
  for (const base of [import.meta.url, lossModule]) {
    let manifestPath: string;
    try {
      manifestPath = createRequire(base).resolve("tsx/package.json");
    } catch {
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      exports: Record<string, { import?: { default?: string } } | string>;
    };
    const api = manifest.exports["./esm/api"];
    const target = typeof api === "object" ? api.import?.default : undefined;
    if (target === undefined) continue;
    tsxApi = new URL(target, pathToFileURL(manifestPath)).href;
    return tsxApi;
  }
  throw new PolicyError(
    `The loss module ${lossModule} is TypeScript, which a worker thread can only load through tsx, and tsx is not installed; install tsx as a dev dependency or pass a compiled .js module.`,
  );
}
