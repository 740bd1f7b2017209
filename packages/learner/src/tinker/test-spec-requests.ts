// Test-only: the request shapes of the Tinker API, written from the project's spec of the protocol as SkyRL serves
// it (§2.0–§2.18), field by field, independently of any server's own schemas. Used by the spec-shaped test server
// (test-spec-server.ts) to check every request the client sends. Not exported from the package.
//
// Two levels of rules, kept apart so a failure says which one broke:
// - the spec's: required fields, types, names, the value ranges the server validates (422/400 there);
// - this client's own, stricter ones, each of which guards against a silent misreading by the server: a `seq_id` on
//   every training request (the retry safety rests on it), all five Adam fields (else the server's defaults apply),
//   no field the server does not know (pydantic drops unknown fields without a word, so a misspelt name would be
//   ignored), per-token inputs at full length and targets that are the input shifted by one (§2.8).

/** What is wrong with a request, one line per problem, each starting with the field's path. */
export type Problems = string[];

type Check = (value: unknown, at: string, problems: Problems) => void;

interface Field {
  check: Check;
  required: boolean;
}

const required = (check: Check): Field => ({ check, required: true });
const optional = (check: Check): Field => ({ check, required: false });

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const string: Check = (value, at, problems) => {
  if (typeof value !== "string") problems.push(`${at}: expected a string, got ${kindOf(value)}`);
};

const nonEmptyString: Check = (value, at, problems) => {
  if (typeof value !== "string" || value.length === 0) {
    problems.push(`${at}: expected a non-empty string, got ${JSON.stringify(value)}`);
  }
};

const int: Check = (value, at, problems) => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    problems.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
  }
};

const bool: Check = (value, at, problems) => {
  if (typeof value !== "boolean") problems.push(`${at}: expected a boolean, got ${kindOf(value)}`);
};

function number(range: (x: number) => boolean = () => true, rule = ""): Check {
  return (value, at, problems) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      problems.push(`${at}: expected a finite number, got ${JSON.stringify(value)}`);
    } else if (!range(value)) {
      problems.push(`${at}: ${value} is not ${rule}`);
    }
  };
}

function atLeast(min: number): Check {
  return (value, at, problems) => {
    int(value, at, problems);
    if (typeof value === "number" && Number.isSafeInteger(value) && value < min) {
      problems.push(`${at}: ${value} is below ${min}`);
    }
  };
}

function literal(expected: string): Check {
  return (value, at, problems) => {
    if (value !== expected)
      problems.push(`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`);
  };
}

function oneOf(names: readonly string[]): Check {
  return (value, at, problems) => {
    if (typeof value !== "string" || !names.includes(value)) {
      problems.push(`${at}: expected one of ${names.join(", ")}, got ${JSON.stringify(value)}`);
    }
  };
}

function nullable(check: Check): Check {
  return (value, at, problems) => {
    if (value !== null) check(value, at, problems);
  };
}

function arrayOf(check: Check, options: { nonEmpty?: boolean } = {}): Check {
  return (value, at, problems) => {
    if (!Array.isArray(value)) {
      problems.push(`${at}: expected an array, got ${kindOf(value)}`);
      return;
    }
    if (options.nonEmpty === true && value.length === 0) problems.push(`${at}: expected at least one entry`);
    value.forEach((item, i) => {
      check(item, `${at}[${i}]`, problems);
    });
  };
}

/** An object with these fields; any other field is reported (the server would drop it without a word). */
function object(fields: Record<string, Field>): Check {
  return (value, at, problems) => {
    if (!isRecord(value)) {
      problems.push(`${at || "body"}: expected an object, got ${kindOf(value)}`);
      return;
    }
    const path = (name: string) => (at === "" ? name : `${at}.${name}`);
    for (const [name, field] of Object.entries(fields)) {
      if (!(name in value) || value[name] === undefined) {
        if (field.required) problems.push(`${path(name)}: required field missing`);
        continue;
      }
      field.check(value[name], path(name), problems);
    }
    for (const name of Object.keys(value)) {
      if (!(name in fields))
        problems.push(`${path(name)}: not a field of this request (the server ignores it)`);
    }
  };
}

/** Both checks on the same value. */
function both(first: Check, second: Check): Check {
  return (value, at, problems) => {
    first(value, at, problems);
    second(value, at, problems);
  };
}

// --- shared types (§2.8) ---------------------------------------------------------------------------------------

const tokenId: Check = (value, at, problems) => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    problems.push(`${at}: expected a token id (an integer ≥ 0), got ${JSON.stringify(value)}`);
  }
};

/** `TensorData`: a flat list of numbers; `dtype`/`shape` are tolerated extras (ignored by the server). */
const tensorData: Check = object({
  data: required(arrayOf(number())),
  dtype: optional(oneOf(["float32", "int64", "int32"])),
  shape: optional(arrayOf(atLeast(0))),
});

/** A chunk: its kind from `type`, else from its keys (more than one kind's key → 422). */
const chunk: Check = (value, at, problems) => {
  if (!isRecord(value)) {
    problems.push(`${at}: expected a chunk object, got ${kindOf(value)}`);
    return;
  }
  const keys = ["tokens", "location", "data"].filter((key) => key in value);
  if (value.type === undefined && keys.length !== 1) {
    problems.push(
      `${at}: a chunk without "type" must have exactly one of tokens/location/data, has ${keys.length}`,
    );
    return;
  }
  const kind =
    value.type ?? { tokens: "encoded_text", location: "image_asset_pointer", data: "image" }[keys[0]!];
  if (kind === "encoded_text") {
    object({ type: optional(literal("encoded_text")), tokens: required(arrayOf(tokenId)) })(
      value,
      at,
      problems,
    );
  } else if (kind === "image") {
    object({
      type: optional(literal("image")),
      data: required(nonEmptyString),
      format: required(oneOf(["png", "jpeg"])),
      expected_tokens: optional(nullable(atLeast(0))),
    })(value, at, problems);
  } else if (kind === "image_asset_pointer") {
    object({
      type: optional(literal("image_asset_pointer")),
      location: required(nonEmptyString),
      format: required(oneOf(["png", "jpeg"])),
      expected_tokens: optional(nullable(atLeast(0))),
    })(value, at, problems);
  } else {
    problems.push(`${at}.type: unknown chunk type ${JSON.stringify(value.type)}`);
  }
};

const modelInput: Check = object({ chunks: required(arrayOf(chunk, { nonEmpty: true })) });

/** The `loss_fn_inputs` keys the server reads (§2.8); `target_tokens` is required (a missing one is a 500). */
const LOSS_FN_INPUT_KEYS = [
  "target_tokens",
  "weights",
  "logprobs",
  "advantages",
  "values",
  "returns",
] as const;

const lossFnInputs: Check = object({
  target_tokens: required(
    both(tensorData, (value, at, problems) => {
      if (!isRecord(value) || !Array.isArray(value.data)) return;
      value.data.forEach((token, i) => {
        tokenId(token, `${at}.data[${i}]`, problems);
      });
    }),
  ),
  ...Object.fromEntries(LOSS_FN_INPUT_KEYS.slice(1).map((key) => [key, optional(tensorData)])),
});

function textTokensOf(input: unknown): number[] | undefined {
  if (!isRecord(input) || !Array.isArray(input.chunks)) return undefined;
  const tokens: number[] = [];
  for (const item of input.chunks) {
    if (!isRecord(item) || !Array.isArray(item.tokens)) return undefined;
    tokens.push(...(item.tokens as number[]));
  }
  return tokens;
}

/**
 * A `Datum`, and the alignment rule of §2.8: `len(tokens) == len(target_tokens) == len(weights) == len(logprobs)
 * == len(advantages)`, targets the input shifted by one (fsdp/megatron read only the last target).
 */
const datum: Check = (value, at, problems) => {
  const before = problems.length;
  object({ model_input: required(modelInput), loss_fn_inputs: required(lossFnInputs) })(value, at, problems);
  if (problems.length > before || !isRecord(value)) return;
  const tokens = textTokensOf(value.model_input);
  const inputs = value.loss_fn_inputs as Record<string, { data: number[] }>;
  const targets = inputs.target_tokens!.data;
  if (tokens === undefined) return;
  if (tokens.length === 0) problems.push(`${at}.model_input: no tokens`);
  if (targets.length !== tokens.length) {
    problems.push(
      `${at}.loss_fn_inputs.target_tokens.data: ${targets.length} targets for ${tokens.length} input tokens (§2.8: equal)`,
    );
  }
  for (const key of LOSS_FN_INPUT_KEYS.slice(1, 4)) {
    const data = inputs[key]?.data;
    if (data !== undefined && data.length !== targets.length) {
      problems.push(
        `${at}.loss_fn_inputs.${key}.data: ${data.length} entries for ${targets.length} targets (§2.8: equal)`,
      );
    }
  }
  for (let t = 0; t + 1 < Math.min(tokens.length, targets.length); t++) {
    if (targets[t] !== tokens[t + 1]) {
      problems.push(
        `${at}.loss_fn_inputs.target_tokens.data[${t}]: ${targets[t]} is not input token ${t + 1}`,
      );
      break;
    }
  }
};

/** The 7 loss names and, per loss, the `loss_fn_config` keys accepted and the inputs required (§2.8 table). */
const LOSSES: Record<string, { config: readonly string[]; needs: readonly string[] }> = {
  cross_entropy: { config: [], needs: [] },
  importance_sampling: { config: [], needs: ["logprobs", "advantages"] },
  ppo: {
    config: ["clip_low_threshold", "clip_high_threshold", "value_clip"],
    needs: ["logprobs", "advantages"],
  },
  gspo: { config: ["clip_low_threshold", "clip_high_threshold"], needs: ["logprobs", "advantages"] },
  cispo: { config: ["clip_low_threshold", "clip_high_threshold"], needs: ["logprobs", "advantages"] },
  dppo: { config: ["delta_low", "delta_high"], needs: ["logprobs", "advantages"] },
  ppo_critic: { config: ["value_clip"], needs: ["values", "returns"] },
};

const passInput: Check = (value, at, problems) => {
  const before = problems.length;
  object({
    data: required(arrayOf(datum, { nonEmpty: true })),
    loss_fn: required(oneOf(Object.keys(LOSSES))),
    loss_fn_config: optional(
      nullable((config, where, out) => {
        if (!isRecord(config)) {
          out.push(`${where}: expected an object or null, got ${kindOf(config)}`);
          return;
        }
        for (const [key, entry] of Object.entries(config)) number()(entry, `${where}.${key}`, out);
      }),
    ),
  })(value, at, problems);
  if (problems.length > before || !isRecord(value)) return;
  const loss = LOSSES[value.loss_fn as string]!;
  for (const key of Object.keys((value.loss_fn_config as Record<string, number> | null) ?? {})) {
    if (!loss.config.includes(key)) {
      problems.push(`${at}.loss_fn_config.${key}: not accepted by ${String(value.loss_fn)} (422)`);
    }
  }
  (value.data as { loss_fn_inputs: Record<string, unknown> }[]).forEach((item, i) => {
    for (const key of loss.needs) {
      if (item.loss_fn_inputs[key] === undefined) {
        problems.push(`${at}.data[${i}].loss_fn_inputs.${key}: required by ${String(value.loss_fn)}`);
      }
    }
  });
};

// --- routes -----------------------------------------------------------------------------------------------------

/** A checkpoint name: `^[a-zA-Z0-9_-]+$`, at most 255 characters (§1.1). */
const checkpointName: Check = (value, at, problems) => {
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    value.length > 255 ||
    !/^[a-zA-Z0-9_-]+$/.test(value)
  ) {
    problems.push(`${at}: ${JSON.stringify(value)} is not a checkpoint name (^[a-zA-Z0-9_-]+$, ≤ 255)`);
  }
};

/** `tinker://<model_id>/weights/<name>`, the only path `load_weights` takes (§2.15). */
const trainingStatePath: Check = (value, at, problems) => {
  const parts = typeof value === "string" && value.startsWith("tinker://") ? value.slice(9).split("/") : [];
  if (parts.length !== 3 || parts[0] === "" || parts[1] !== "weights") {
    problems.push(`${at}: ${JSON.stringify(value)} is not tinker://<model_id>/weights/<name>`);
    return;
  }
  checkpointName(parts[2], at, problems);
};

/** A training request's `seq_id`: the spec allows null or none; this client always sends one (its retries rest on it). */
const trainingSeqId = required(atLeast(1));

const adamParams: Check = object({
  // The spec's defaults (1e-4, 0.9, 0.95, 1e-12, 0.0) are not this client's: it sends every field.
  learning_rate: required(number((x) => x >= 0, "≥ 0")),
  beta1: required(number((x) => x >= 0 && x < 1, "in [0, 1)")),
  beta2: required(number((x) => x >= 0 && x < 1, "in [0, 1)")),
  eps: required(number((x) => x > 0, "> 0")),
  weight_decay: required(number((x) => x >= 0, "≥ 0")),
  // Not a field of SkyRL's model (dropped there); the hosted SDK's, which the spec lists as tolerated.
  grad_clip_norm: optional(number((x) => x >= 0, "≥ 0")),
});

const samplingParams: Check = (value, at, problems) => {
  const before = problems.length;
  object({
    max_tokens: required(atLeast(1)),
    temperature: optional(number((x) => x >= 0, "≥ 0")),
    top_k: optional(int),
    top_p: optional(number((x) => x > 0 && x <= 1, "in (0, 1]")),
    seed: optional(nullable(int)),
    stop: optional(
      nullable(
        arrayOf((entry, where, out) => {
          if (typeof entry !== "string" && !(typeof entry === "number" && Number.isSafeInteger(entry))) {
            out.push(`${where}: expected a stop string or token id, got ${JSON.stringify(entry)}`);
          }
        }),
      ),
    ),
  })(value, at, problems);
  if (problems.length > before || !isRecord(value) || !Array.isArray(value.stop)) return;
  const kinds = new Set(value.stop.map((entry) => typeof entry));
  if (kinds.size > 1) problems.push(`${at}.stop: mixes token ids and strings (400)`);
};

const ROUTES: Record<string, Check> = {
  // §2.4
  "POST /api/v1/create_session": object({
    tags: required(arrayOf(string)),
    user_metadata: optional(
      nullable((value, at, problems) => {
        if (!isRecord(value)) problems.push(`${at}: expected an object or null, got ${kindOf(value)}`);
      }),
    ),
    sdk_version: required(string),
    type: optional(literal("create_session")),
  }),
  // §2.5
  "POST /api/v1/session_heartbeat": object({
    session_id: required(nonEmptyString),
    type: optional(literal("session_heartbeat")),
  }),
  // §2.6
  "POST /api/v1/create_model": object({
    session_id: required(nonEmptyString),
    base_model: required(nonEmptyString),
    lora_config: required(object({ rank: required(atLeast(0)), seed: optional(nullable(int)) })),
    model_role: optional(oneOf(["policy", "critic"])),
    type: optional(literal("create_model")),
  }),
  // §2.7
  "POST /api/v1/get_info": object({
    model_id: required(nonEmptyString),
    type: optional(literal("get_info")),
  }),
  // §2.9
  "POST /api/v1/forward": object({
    model_id: required(nonEmptyString),
    forward_input: required(passInput),
    seq_id: trainingSeqId,
  }),
  // §2.10
  "POST /api/v1/forward_backward": object({
    model_id: required(nonEmptyString),
    forward_backward_input: required(passInput),
    seq_id: trainingSeqId,
  }),
  // §2.11
  "POST /api/v1/optim_step": object({
    model_id: required(nonEmptyString),
    adam_params: required(adamParams),
    seq_id: trainingSeqId,
  }),
  // §2.12: future ids are strings that parse as integers
  "POST /api/v1/retrieve_future": object({
    request_id: required((value, at, problems) => {
      if (typeof value !== "string" || !/^[0-9]+$/.test(value)) {
        problems.push(`${at}: expected a decimal integer as a string, got ${JSON.stringify(value)}`);
      }
    }),
  }),
  // §2.13 (no seq_id)
  "POST /api/v1/save_weights": object({
    model_id: required(nonEmptyString),
    path: required(checkpointName),
    type: optional(literal("save_weights")),
  }),
  // §2.14: either a path, or both sampling_session_seq_id and seq_id
  "POST /api/v1/save_weights_for_sampler": (value, at, problems) => {
    const before = problems.length;
    object({
      model_id: required(nonEmptyString),
      path: optional(nullable(checkpointName)),
      sampling_session_seq_id: optional(nullable(atLeast(0))),
      seq_id: optional(nullable(int)),
      type: optional(literal("save_weights_for_sampler")),
    })(value, at, problems);
    if (problems.length > before || !isRecord(value)) return;
    const persistent = value.path !== undefined && value.path !== null;
    const ephemeral = value.sampling_session_seq_id != null && value.seq_id != null;
    if (!persistent && !ephemeral) {
      problems.push("path: either path, or both sampling_session_seq_id and seq_id are required (422)");
    }
  },
  // §2.15
  "POST /api/v1/load_weights": object({
    model_id: required(nonEmptyString),
    path: required(trainingStatePath),
    optimizer: optional(bool),
    seq_id: optional(nullable(int)),
    type: optional(literal("load_weights")),
  }),
  // §2.16
  "POST /api/v1/create_sampling_session": (value, at, problems) => {
    const before = problems.length;
    object({
      session_id: required(nonEmptyString),
      sampling_session_seq_id: required(atLeast(0)),
      base_model: optional(nonEmptyString),
      model_path: optional(nonEmptyString),
      type: optional(literal("create_sampling_session")),
    })(value, at, problems);
    if (problems.length > before || !isRecord(value)) return;
    if ((value.base_model === undefined) === (value.model_path === undefined)) {
      problems.push("base_model: exactly one of base_model / model_path is required (400)");
    }
  },
  // §2.17: a sampling session needs its seq_id (with it, the routing key); without one, a base_model or model_path
  "POST /api/v1/asample": (value, at, problems) => {
    const before = problems.length;
    object({
      prompt: required(modelInput),
      num_samples: optional(atLeast(1)),
      sampling_params: required(samplingParams),
      sampling_session_id: optional(nullable(nonEmptyString)),
      seq_id: optional(nullable(int)),
      base_model: optional(nullable(nonEmptyString)),
      model_path: optional(nullable(nonEmptyString)),
      prompt_logprobs: optional(nullable(bool)),
      topk_prompt_logprobs: optional(atLeast(0)),
      type: optional(literal("sample")),
    })(value, at, problems);
    if (problems.length > before || !isRecord(value)) return;
    if (value.sampling_session_id != null) {
      if (value.seq_id == null)
        problems.push("seq_id: required with sampling_session_id (it forms the routing key)");
    } else if ((value.base_model == null) === (value.model_path == null)) {
      problems.push(
        "base_model: without a sampling session exactly one of base_model / model_path is required",
      );
    }
  },
  // §2.18
  "POST /api/v1/unload_model": object({
    model_id: required(nonEmptyString),
    type: optional(literal("unload_model")),
  }),
  // §2.19
  "POST /api/v1/weights_info": object({ tinker_path: required(nonEmptyString) }),
  "POST /api/v1/client/config": () => undefined,
};

/** Routes taking no body (§2.1, §2.3; the checkpoint listings and archives of §2.19 are under training_runs/). */
const GET_ROUTES = new Set(["/api/v1/healthz", "/api/v1/get_server_capabilities"]);

/** The problems of one request's body, by the spec's table for `method path`. */
export function bodyProblems(method: string, path: string, body: unknown): Problems {
  const problems: Problems = [];
  if (method === "GET") {
    if (!GET_ROUTES.has(path) && !path.startsWith("/api/v1/training_runs/"))
      problems.push(`GET ${path}: no such route`);
    if (body !== undefined) problems.push(`GET ${path}: a GET carries no body`);
    return problems;
  }
  const check = ROUTES[`${method} ${path}`];
  if (check === undefined) return [`${method} ${path}: no such route`];
  check(body, "", problems);
  return problems;
}

/**
 * The problems of one request's headers (§2.0, §2.12, §2.20): an API key (`X-API-Key`, the header the SDK sends), a
 * JSON body declared as such, and an Accept that never asks for protobuf (SkyRL answers protobuf to clients that
 * accept it).
 */
export function headerProblems(
  method: string,
  headers: Record<string, string | string[] | undefined>,
): Problems {
  const problems: Problems = [];
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  const key = one("x-api-key");
  if (key === undefined || key.trim().length === 0) problems.push("X-API-Key: header missing or empty");
  const accept = one("accept") ?? "";
  if (accept.toLowerCase().includes("protobuf")) problems.push(`Accept: asks for protobuf (${accept})`);
  if (method === "POST") {
    const type = (one("content-type") ?? "").toLowerCase();
    if (!(type === "application/json" || type.startsWith("application/json;"))) {
      problems.push(`Content-Type: ${JSON.stringify(one("content-type"))} is not application/json`);
    }
  }
  return problems;
}
