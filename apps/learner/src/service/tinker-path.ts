/** A parsed `tinker://<primaryId>/<kind>/<secondaryId>` (or `tinker://<primaryId>/<secondaryId>`, kind ""). */
export interface TinkerPath {
  primaryId: string;
  kind: string;
  secondaryId: string;
}

/**
 * Parses a Tinker path as SkyRL's `TinkerPath.parse` does (urlparse, then a path of one or two segments); undefined
 * when it is not one. Query and fragment are dropped like urlparse drops them.
 */
export function parseTinkerPath(url: string): TinkerPath | undefined {
  const prefix = "tinker://";
  if (!url.startsWith(prefix)) return undefined;
  let rest = url.slice(prefix.length);
  for (const mark of ["#", "?"]) {
    const at = rest.indexOf(mark);
    if (at >= 0) rest = rest.slice(0, at);
  }
  const slash = rest.indexOf("/");
  if (slash < 0) return undefined;
  const primaryId = rest.slice(0, slash);
  const segments = rest.slice(slash + 1).split("/");
  if (segments.length === 1) return { primaryId, kind: "", secondaryId: segments[0]! };
  if (segments.length === 2) return { primaryId, kind: segments[0]!, secondaryId: segments[1]! };
  return undefined;
}

/** `tinker://<model>/weights/<name>` or `tinker://<model>/sampler_weights/<name>`. */
export function checkpointPath(modelId: string, type: "training" | "sampler", name: string): string {
  return `tinker://${modelId}/${type === "training" ? "weights" : "sampler_weights"}/${name}`;
}
