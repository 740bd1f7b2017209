import type { LearnerCapabilities } from "@hdpo/core";
import { LearnerError } from "../learner-error";
import { clean } from "./http";
import type { ServerCapabilities } from "./protocol";

/**
 * What a Tinker server can do, from its `get_server_capabilities` answer. Our own servers add an `hdpo` object
 * saying which Adam fields they apply, whether they honour `grad_clip_norm` and at which temperature they score;
 * without it the server is taken for SkyRL fsdp/megatron (spec §2.11, §5.2): only the learning rate is applied,
 * the gradient norm is always clipped at 1.0, and log-probs are at temperature 1. No Tinker server takes
 * entropy weights; images wait for issue 25.
 */
export function learnerCapabilities(server: ServerCapabilities): LearnerCapabilities {
  const hdpo = server.hdpo;
  if (hdpo === undefined) {
    return {
      entropy: false,
      images: false,
      adamParams: "learning-rate",
      fixedGradClipNorm: 1,
      temperatures: [1],
    };
  }
  return {
    entropy: false,
    images: false,
    adamParams: hdpo.adam_params,
    temperatures: [hdpo.temperature],
    ...(hdpo.grad_clip_norm ? {} : { fixedGradClipNorm: 1 }),
  };
}

/** @throws LearnerError naming the models the server serves when `baseModel` is not one of them. */
export function checkBaseModel(server: ServerCapabilities, baseModel: string, url: string): void {
  const names = server.supported_models.map((model) => model.model_name);
  if (names.includes(baseModel)) return;
  const served =
    names.length === 0
      ? "no model"
      : names
          .slice(0, 5)
          .map((name) => JSON.stringify(clean(name)))
          .join(", ");
  throw new LearnerError(
    `the Tinker server at ${url} serves ${served}, not ${JSON.stringify(baseModel)}; pass a served model as ` +
      "baseModel, or start the server on this one.",
  );
}

/**
 * The temperature to score at, when the server serves it (its log-probs are at the temperature it was started
 * with; the API has no per-request field for it).
 *
 * @throws LearnerError saying which temperatures the server serves.
 */
export function checkTemperature(
  capabilities: LearnerCapabilities,
  temperature: number | undefined,
  what: string,
): number {
  const wanted = temperature ?? 1;
  const served = capabilities.temperatures;
  if (served === undefined || served.some((value) => Math.abs(value - wanted) <= 1e-9)) return wanted;
  throw new LearnerError(
    `${what}: temperature ${wanted} asked, but this Tinker server scores log-probs at temperature ` +
      `${served.join(", ")} only; sample at that temperature, or start the server with the one you need.`,
  );
}
