import type { Task, ToolNecessity } from "@hdpo/core";
import type { BalancedLabels } from "../random/balanced-labels";
import type { InventedNames } from "../random/invented-names";
import type { SeededRandom } from "../random/seeded-random";

/** The task families of the embedded suite; a task's `category` is its family. */
export const TASK_FAMILIES = ["direct", "python", "search", "image"] as const;
export type TaskFamily = (typeof TASK_FAMILIES)[number];

export const SPLIT_NAMES = ["train", "val", "test"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** Tasks per split. */
export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

/** One document of the suite's search corpus, in the `local` search provider's JSONL shape. */
export interface CorpusDoc {
  id: string;
  title: string;
  url: string;
  text: string;
}

/** A generated suite: plain data, ready to be written (`writeSuite`) or used in memory. */
export interface Suite {
  seed: number | string;
  tasks: Record<SplitName, Task[]>;
  /** The documents the `search` family's facts live in (plus distractors), for the `local` search provider. */
  corpus: CorpusDoc[];
}

export interface SuiteOptions {
  /** Same seed, same suite, byte for byte. */
  seed: number | string;
  /**
   * Tasks per split for each family (default 48 / 16 / 32), or per family by name (families left out get the
   * default). Ignored when `total` is given.
   */
  sizes?: SplitSizes | Partial<Record<TaskFamily, SplitSizes>>;
  /** Tasks per split over all families together, shared out evenly (earlier families take the remainder). */
  total?: SplitSizes;
  /** The families to generate (default all four, in `TASK_FAMILIES` order). */
  families?: readonly TaskFamily[];
  /**
   * Per family, the templates to draw from (names as in `SUITE_TEMPLATES`, recorded in `extraInfo.template`);
   * a family left out draws from all of its templates. Lets a small model's preset keep to the tasks it can learn.
   */
  templates?: Partial<Record<TaskFamily, readonly string[]>>;
}

/** What a family draws for one task, before the suite gives it an id and a split. */
export interface DrawnTask {
  question: string;
  answer: string;
  /**
   * What makes this task distinct from every other of the suite (default: the question). Image tasks ask the
   * same few questions about different pictures, so theirs is the picture's text and kind.
   */
  uniqueKey?: string;
  toolNecessity: Exclude<ToolNecessity, "unknown">;
  images?: string[];
  /** Family details kept with the task (template, where the text is drawn, which document holds the fact…). */
  extraInfo: Record<string, unknown>;
  /** Documents this task adds to the corpus (the fact's document and its distractors). */
  documents?: CorpusDoc[];
}

/**
 * What a family's `draw` gets: its own random stream, the suite-wide registry of invented names, and the split's
 * balanced answers for closed-answer templates.
 */
export interface FamilyContext {
  random: SeededRandom;
  names: InventedNames;
  labels: BalancedLabels;
}

/** A task family: draws one task at a time; the suite drops drafts whose question it has seen. */
export interface TaskFamilyGenerator {
  family: TaskFamily;
  /** Every template name this family can draw (the values of `extraInfo.template`). */
  templates: readonly string[];
  draw(context: FamilyContext): DrawnTask;
}
