import { z } from "zod";
import { ImageRefSchema, MessageSchema } from "./message";

/** Whether a task needs a tool to be solved reliably; the paper's central distinction. */
export const ToolNecessitySchema = z.enum(["required", "unnecessary", "unknown"]);
export type ToolNecessity = z.infer<typeof ToolNecessitySchema>;

/**
 * One problem. `answer` is the ground truth, or a list of acceptable answers (any one is correct, as the
 * reference takes the max over a list). `prompt` holds the full conversation when the dataset ships one
 * (the reference's Parquet rows carry system + user messages); otherwise a prompt is built from `question`.
 */
export const TaskSchema = z.object({
  id: z.string().min(1, "a task needs a non-empty id"),
  question: z.string(),
  answer: z.union([z.string(), z.array(z.string()).min(1, "a list of acceptable answers must not be empty")]),
  images: z.array(ImageRefSchema).optional(),
  choices: z.array(z.string()).optional(),
  category: z.string().optional(),
  toolNecessity: ToolNecessitySchema.optional(),
  prompt: z.array(MessageSchema).optional(),
  dataSource: z.string().optional(),
  /** Free-form fields forwarded to tools, as the reference forwards `extra_info` whole. */
  extraInfo: z.record(z.string(), z.unknown()).optional(),
});
export type Task = z.infer<typeof TaskSchema>;
