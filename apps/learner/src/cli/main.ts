import { existsSync } from "node:fs";
import { join } from "node:path";
import { CHECKPOINT_FILES } from "@hdpo/policy";
import { useBackend } from "@hdpo/tensor";
import { PRESETS, parseRunConfig, writeStartingPolicy } from "@hdpo/trainer";
import { createLearnerHttpServer, type LearnerHttpServer } from "../http/learner-http-server";
import { loadBaseModel } from "../service/base-model";
import { LearnerService } from "../service/learner-service";
import { type LearnerCliOptions, parseCliOptions, USAGE } from "./cli-options";

/** Where the CLI writes; a seam for tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** How `main` ended: an exit code, and the running server when it started one. */
export interface CliResult {
  exitCode: number;
  server?: LearnerHttpServer;
  url?: string;
  options?: LearnerCliOptions;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `hdpo-learner` with `argv`. When ready it prints exactly one line, `hdpo-learner listening on http://H:P
 * (base model NAME, state DIR)`, and resolves with the running server. Bad flags: one line on stderr, exit 2; a
 * start-up problem (checkpoint, state directory, port): one line, exit 1. Never a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<CliResult> {
  let options: LearnerCliOptions;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    io.err(`hdpo-learner: ${(error as Error).message} (see --help)`);
    return { exitCode: 2 };
  }
  if (options.help) {
    io.out(USAGE);
    return { exitCode: 0 };
  }
  let service: LearnerService | undefined;
  try {
    await useBackend(options.backend);
    if (options.preset !== undefined && !existsSync(join(options.checkpoint, CHECKPOINT_FILES.config))) {
      io.err(
        `hdpo-learner: writing the ${options.preset} preset's starting policy to ${options.checkpoint}…`,
      );
      const preset = parseRunConfig(PRESETS[options.preset]);
      await writeStartingPolicy(
        options.backend !== undefined ? { ...preset, backend: options.backend } : preset,
        options.checkpoint,
      );
    }
    const base = await loadBaseModel(options.checkpoint, options.baseModelName);
    service = await LearnerService.open({
      base,
      stateDir: options.stateDir,
      temperature: options.temperature,
      maxModels: options.maxModels,
      sessionTimeoutMs: options.sessionTimeoutMs ?? Number.POSITIVE_INFINITY,
      maxResultBytes: options.maxResultBytes,
      log: io.err,
    });
    const server = createLearnerHttpServer({
      service,
      retrieveTimeoutMs: options.retrieveTimeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth,
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
      maxConnections: options.maxConnections,
    });
    let url: string;
    try {
      ({ url } = await server.listen(options.port, options.host));
    } catch (error) {
      await server.close(0);
      throw new Error(
        `cannot listen on ${options.host}:${options.port} (${(error as Error).message}); pick another --port or --host`,
      );
    }
    io.out(`hdpo-learner listening on ${url} (base model ${base.name}, state ${options.stateDir})`);
    return { exitCode: 0, server, url, options };
  } catch (error) {
    await service?.close(0).catch(() => undefined);
    io.err(`hdpo-learner: ${oneLine(error)}`);
    return { exitCode: 1 };
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}
