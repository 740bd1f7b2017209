import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { listenFlags } from "@hdpo/http";
import { useBackend } from "@hdpo/tensor";
import { loadPolicy } from "../policy-checkpoint";
import { PolicyError } from "../policy-error";
import { createPolicyServer, type PolicyServer } from "./policy-server";

/** Where the CLI writes; a seam for tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** How `main` ended: an exit code, and the running server when it started one. */
export interface CliResult {
  exitCode: number;
  server?: PolicyServer;
  url?: string;
}

/** The `--help` text. */
export const USAGE = `Usage: hdpo-serve --checkpoint DIR [--host H] [--port P] [--backend wasm|cpu] [--model-name NAME]
                  [--max-batch-size N] [--batch-window-ms MS]

Serves a Hugging Face-layout checkpoint (config.json, model.safetensors, tokenizer.json) over an
OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /health.

  --checkpoint DIR       checkpoint directory (required)
  --host H               interface to bind (default 127.0.0.1)
  --port P               port (default 8000; 0 picks a free one)
  --backend NAME         tfjs backend: wasm or cpu (default: $HDPO_BACKEND, else wasm)
  --model-name NAME      model id to serve (default: the checkpoint directory's name)
  --max-batch-size N     most sequences per generate call (default 32)
  --batch-window-ms MS   how long a request waits for others to batch with (default 5)
  --help                 show this text`;

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `hdpo-serve` with `argv` (the arguments after the program name). When ready it prints exactly one line,
 * `hdpo-serve listening on http://H:P/v1 (model NAME)`, and resolves with the running server; a usage or
 * checkpoint problem is printed to `io.err` and resolves with exit code 1 (2 for bad arguments).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<CliResult> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    io.err(`hdpo-serve: ${(error as Error).message}\n\n${USAGE}`);
    return { exitCode: 2 };
  }
  if (values.help) {
    io.out(USAGE);
    return { exitCode: 0 };
  }
  try {
    const options = checkOptions(values);
    await useBackend(options.backend);
    const directory = options.checkpoint;
    const info = await stat(directory).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      throw new PolicyError(
        `--checkpoint ${directory} is not a directory; pass the folder holding config.json and model.safetensors`,
      );
    }
    const { model, tokenizer, generationConfig: generation } = await loadPolicy(directory);
    const modelName =
      options.modelName ??
      (directory
        .replace(/[/\\]+$/, "")
        .split(/[/\\]/)
        .pop() ||
        "hdpo-policy");
    const server = createPolicyServer({
      model,
      tokenizer,
      modelName,
      maxBatchSize: options.maxBatchSize,
      batchWindowMs: options.batchWindowMs,
      // transformers samples only with do_sample; otherwise its defaults mean greedy, and an OpenAI client's
      // own temperature/top_p (default 1) applies.
      defaults: generation?.do_sample ? { temperature: generation.temperature, topP: generation.top_p } : {},
    });
    const { port } = await server.listen(options.port, options.host);
    const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}/v1`;
    io.out(`hdpo-serve listening on ${url} (model ${modelName})`);
    return { exitCode: 0, server, url };
  } catch (error) {
    io.err(`hdpo-serve: ${error instanceof Error ? error.message : String(error)}`);
    return { exitCode: 1 };
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      checkpoint: { type: "string" },
      ...listenFlags(8000),
      backend: { type: "string" },
      "model-name": { type: "string" },
      "max-batch-size": { type: "string", default: "32" },
      "batch-window-ms": { type: "string", default: "5" },
      help: { type: "boolean", default: false },
    },
  }).values;
}

function checkOptions(values: ReturnType<typeof parse>) {
  if (values.checkpoint === undefined) throw new PolicyError("--checkpoint DIR is required (see --help)");
  const backend = values.backend;
  if (backend !== undefined && backend !== "wasm" && backend !== "cpu") {
    throw new PolicyError(`--backend must be wasm or cpu, got ${JSON.stringify(backend)}`);
  }
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new PolicyError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
    }
    return value;
  };
  return {
    checkpoint: values.checkpoint,
    host: values.host,
    port: integer("port", values.port, 0, 65535),
    backend: backend as "wasm" | "cpu" | undefined,
    modelName: values["model-name"],
    maxBatchSize: integer("max-batch-size", values["max-batch-size"], 1, 4096),
    batchWindowMs: integer("batch-window-ms", values["batch-window-ms"], 0, 60_000),
  };
}
