/** The reference's default judge endpoint (a local vLLM server). */
export const DEFAULT_JUDGE_BASE_URL = "http://localhost:8000/v1";
/** The reference's default API key: vLLM accepts any. */
export const DEFAULT_JUDGE_API_KEY = "EMPTY";

/** Where the LLM judge is served. */
export interface JudgeEndpoint {
  baseURL: string;
  apiKey: string;
}

/**
 * The judge endpoint from `JUDGE_BASE_URL` and `JUDGE_API_KEY` (names and defaults as in the reference);
 * empty variables count as unset.
 */
export function judgeEndpointFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): JudgeEndpoint {
  return {
    baseURL: nonEmpty(env.JUDGE_BASE_URL) ?? DEFAULT_JUDGE_BASE_URL,
    apiKey: nonEmpty(env.JUDGE_API_KEY) ?? DEFAULT_JUDGE_API_KEY,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
