import { parseArgs } from "node:util";
import { isHttpUrl } from "@hdpo/agent-loop";
import { ERROR_POLICIES, type ErrorPolicy } from "@hdpo/judge";
import { EvaluatorError } from "../evaluator-error";
import { RUN_DEFAULTS, type RunConfig } from "../run/run-config";

/** `hdpo-eval run` flags as a RunConfig; API keys fall back to $OPENAI_API_KEY and $JUDGE_API_KEY. */
export function parseRunArgs(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): RunConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: "string" },
        "base-url": { type: "string" },
        model: { type: "string" },
        "api-key": { type: "string" },
        tools: { type: "string" },
        judge: { type: "string" },
        "judge-model": { type: "string" },
        "judge-api-key": { type: "string" },
        "judge-error-policy": { type: "string" },
        concurrency: { type: "string" },
        "max-turns": { type: "string" },
        temperature: { type: "string" },
        "max-tokens": { type: "string" },
        limit: { type: "string" },
        "native-tools": { type: "boolean" },
        out: { type: "string" },
        "request-timeout-ms": { type: "string" },
        "max-infra-failures": { type: "string" },
      },
    }));
  } catch (error) {
    throw new EvaluatorError(`${(error as Error).message}. See hdpo-eval --help.`);
  }
  const required = (name: string): string => {
    const value = values[name];
    if (typeof value !== "string" || value === "")
      throw new EvaluatorError(`hdpo-eval run needs --${name}. See hdpo-eval --help.`);
    return value;
  };
  const text = (name: string): string | undefined =>
    typeof values[name] === "string" ? (values[name] as string) : undefined;
  const number = (name: string, fallback: number, integer = true): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw new EvaluatorError(`--${name} must be a ${integer ? "whole number" : "number"}, got "${raw}".`);
    }
    return value;
  };
  const policy = text("judge-error-policy") ?? RUN_DEFAULTS.judgeErrorPolicy;
  if (!ERROR_POLICIES.includes(policy as ErrorPolicy)) {
    throw new EvaluatorError(
      `--judge-error-policy must be one of ${ERROR_POLICIES.join(", ")}, got "${policy}".`,
    );
  }
  const config: RunConfig = {
    data: required("data"),
    out: required("out"),
    baseUrl: httpUrl("base-url", required("base-url")),
    tools: text("tools") ?? RUN_DEFAULTS.tools,
    judge: text("judge") ?? RUN_DEFAULTS.judge,
    judgeErrorPolicy: policy as ErrorPolicy,
    concurrency: number("concurrency", RUN_DEFAULTS.concurrency),
    maxTurns: number("max-turns", RUN_DEFAULTS.maxTurns),
    temperature: number("temperature", RUN_DEFAULTS.temperature, false),
    maxTokens: number("max-tokens", RUN_DEFAULTS.maxTokens),
    nativeTools: values["native-tools"] === true,
    maxInfraFailures: number("max-infra-failures", RUN_DEFAULTS.maxInfraFailures),
  };
  const optional: [keyof RunConfig, string | undefined][] = [
    ["model", text("model")],
    ["apiKey", text("api-key") ?? env.OPENAI_API_KEY],
    ["judgeModel", text("judge-model")],
    ["judgeApiKey", text("judge-api-key")],
  ];
  for (const [key, value] of optional)
    if (value !== undefined && value !== "") Object.assign(config, { [key]: value });
  if (text("limit") !== undefined) config.limit = number("limit", 0);
  if (text("request-timeout-ms") !== undefined) config.requestTimeoutMs = number("request-timeout-ms", 0);
  return config;
}

/** `value` when it is an http(s) URL; the one-line error otherwise (the client would throw a stack trace later). */
function httpUrl(flag: string, value: string): string {
  if (!isHttpUrl(value)) {
    throw new EvaluatorError(
      `--${flag} must be an http(s) URL like http://127.0.0.1:8000/v1; got "${value}".`,
    );
  }
  return value;
}
