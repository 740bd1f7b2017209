import type { Task, Trajectory } from "@hdpo/core";
import { parseToolCallText } from "@hdpo/tools";
import { imageBytes } from "../images/image-bytes";
import { readImageHeader } from "../images/image-header";
import type { CurationRow } from "../rows/curation-row";
import type { StageDecision } from "../rows/row-decision";
import { DuplicateIndex, type DuplicateIndexOptions } from "./duplicate-index";
import type { Stage, StageContext } from "./stage";
import { exactDigest, minhash, normalizeText } from "./text-fingerprint";

/** Options of {@link createHygieneStage}. */
export interface HygieneOptions extends DuplicateIndexOptions {
  /** Skip duplicate detection (exact and near). Default false. */
  allowDuplicates?: boolean;
  /** http(s) image URLs cannot be checked offline: reject them (true) or let them pass (default false). */
  rejectRemoteImages?: boolean;
}

/**
 * The hygiene filter: rejects rows that are malformed, lack an answer, carry images that are missing or whose
 * header does not decode (PNG, JPEG, GIF, WebP), trajectories with malformed tool calls, and exact or near
 * duplicates of an earlier row (normalized text plus the same images). Runs in input order.
 */
export function createHygieneStage(options: HygieneOptions = {}): Stage {
  const index = new DuplicateIndex(options);
  return {
    name: "hygiene",
    concurrency: 1,
    ordered: true,
    restore(row, decision) {
      // Rows that passed hygiene in the earlier run are the originals later rows are compared with.
      if (options.allowDuplicates || decision.stage === "hygiene" || row.kind === "invalid") return;
      const print = fingerprint(row.task, row.kind === "trajectory" ? row.trajectory : undefined);
      index.add(row.index, print.exact, print.signature, print.images);
    },
    async process(row: CurationRow, context: StageContext): Promise<StageDecision> {
      if (row.kind === "invalid") return reject("malformed-row", row.problem);
      const task = row.task;
      const trajectory = row.kind === "trajectory" ? row.trajectory : undefined;
      if (task !== undefined) {
        const answers = typeof task.answer === "string" ? [task.answer] : task.answer;
        if (answers.every((answer) => answer.trim() === ""))
          return reject("missing-answer", "the task's answer is empty");
      }
      if (trajectory !== undefined) {
        if (trajectory.answer === undefined || trajectory.answer.trim() === "") {
          return reject("missing-answer", "the trajectory has no <answer>…</answer>");
        }
        const malformed = malformedToolCall(trajectory);
        if (malformed !== undefined) return reject("malformed-tool-call", malformed);
      }
      const refs = imageRefs(task, trajectory);
      if (task !== undefined) {
        const slots = (task.question.match(/<image>/g) ?? []).length;
        const given = task.images?.length ?? 0;
        if (slots > given)
          return reject("missing-image", `the question has ${slots} <image> slots but ${given} image(s)`);
      }
      for (const [i, ref] of refs.entries()) {
        const found = await imageBytes(ref.ref, context.baseDir);
        if ("remote" in found) {
          if (options.rejectRemoteImages)
            return reject("missing-image", `${ref.where}: remote URL not checked offline`);
          continue;
        }
        if ("error" in found) return reject("missing-image", `${ref.where} (image ${i + 1}): ${found.error}`);
        const header = readImageHeader(found.bytes);
        if ("error" in header)
          return reject("undecodable-image", `${ref.where} (image ${i + 1}): ${header.error}`);
      }
      if (options.allowDuplicates) return { keep: true };
      const print = fingerprint(task, trajectory, refs);
      const match = index.find(row.index, print.exact, print.signature, print.images);
      if (match !== undefined) {
        return match.kind === "exact"
          ? reject("exact-duplicate", `same normalized text and images as row ${match.of}`)
          : reject(
              "near-duplicate",
              `text ~${Math.round(100 * (match.similarity ?? 0))}% similar (MinHash) to row ${match.of}, same images`,
            );
      }
      index.add(row.index, print.exact, print.signature, print.images);
      return { keep: true };
    },
  };
}

function reject(reason: string, detail: string): StageDecision {
  return { keep: false, reason, detail };
}

/** Why a trajectory's tool calls are malformed, or undefined when they are fine. */
function malformedToolCall(trajectory: Trajectory): string | undefined {
  const turns = trajectory.turns;
  for (const [i, turn] of turns.entries()) {
    if (turn.role !== "assistant") continue;
    const asksTool =
      turn.finishReason === "tool-call" || turn.toolCall !== undefined || turn.text.includes("</tool_call>");
    if (!asksTool) continue;
    if (turn.toolCall === undefined) return `turn ${i}: a tool call the loop did not record (no toolCall)`;
    const raw = turn.toolCall.raw ?? turn.text;
    if (turn.toolCall.id === undefined && raw.includes("<tool_call>")) {
      const parsed = parseToolCallText(raw.includes("</tool_call>") ? raw : `${raw}</tool_call>`);
      if (parsed.kind !== "ok") return `turn ${i}: tool call does not parse (${parsed.kind})`;
    }
    if (turn.toolCall.name.trim() === "") return `turn ${i}: tool call without a name`;
    const next = turns[i + 1];
    if (next !== undefined && next.role !== "observation")
      return `turn ${i}: tool call not followed by an observation`;
    if (next?.role === "observation" && !next.valid)
      return `turn ${i + 1}: the tool answered the call as invalid`;
  }
  return undefined;
}

function imageRefs(
  task: Task | undefined,
  trajectory: Trajectory | undefined,
): { ref: string; where: string }[] {
  const refs: { ref: string; where: string }[] = [];
  for (const image of task?.images ?? []) refs.push({ ref: image, where: "task images" });
  for (const message of task?.prompt ?? []) {
    if (typeof message.content === "string") continue;
    for (const part of message.content)
      if (part.type === "image") refs.push({ ref: part.image, where: "prompt" });
  }
  for (const [i, turn] of (trajectory?.turns ?? []).entries()) {
    if (turn.role === "observation")
      for (const image of turn.images ?? []) refs.push({ ref: image, where: `turn ${i}` });
  }
  return refs;
}

/** The text compared: a task's question; a trajectory's question and whole response. */
function rowText(task: Task | undefined, trajectory: Trajectory | undefined): string {
  if (trajectory !== undefined) return `${task?.question ?? ""}\n${trajectory.finalText}`;
  return task?.question ?? "";
}

/**
 * What duplicate detection compares: the exact digest of the normalized text and anchor, a MinHash of the text, and
 * the anchor (images and answer): rows with other images or another answer are different problems, never near
 * duplicates (templated questions that differ only in their numbers have different answers).
 */
function fingerprint(
  task: Task | undefined,
  trajectory: Trajectory | undefined,
  refs = imageRefs(task, trajectory),
): { exact: string; signature: Uint32Array; images: number } {
  const text = rowText(task, trajectory);
  const answer =
    trajectory?.answer ??
    (task === undefined ? "" : typeof task.answer === "string" ? task.answer : task.answer.join("\u0001"));
  const anchor = digest([...refs.map((ref) => ref.ref), normalizeText(answer)]);
  return {
    exact: exactDigest(`${normalizeText(text)}\u0000${anchor}`),
    signature: minhash(text),
    images: anchor,
  };
}

function digest(refs: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const ref of refs) {
    for (let i = 0; i < ref.length; i++) hash = Math.imul(hash ^ ref.charCodeAt(i), 0x01000193) >>> 0;
    hash = Math.imul(hash ^ 0xff, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
