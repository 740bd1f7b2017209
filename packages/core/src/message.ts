import { z } from "zod";
import { ToolCallSchema } from "./tool-call";

/** An image as the model sees it: a `data:` URI, an http(s) URL, or a file path the reader resolves. */
export const ImageRefSchema = z.string().min(1, "an image reference must not be empty");
export type ImageRef = z.infer<typeof ImageRefSchema>;

export const TextPartSchema = z.object({ type: z.literal("text"), text: z.string() });
export const ImagePartSchema = z.object({ type: z.literal("image"), image: ImageRefSchema });
export const ContentPartSchema = z.discriminatedUnion("type", [TextPartSchema, ImagePartSchema]);
export type TextPart = z.infer<typeof TextPartSchema>;
export type ImagePart = z.infer<typeof ImagePartSchema>;
export type ContentPart = z.infer<typeof ContentPartSchema>;

export const RoleSchema = z.enum(["system", "user", "assistant", "tool"]);
export type Role = z.infer<typeof RoleSchema>;

/**
 * One chat message. `content` is plain text or an ordered list of text and image parts; `<image>` slots in the
 * reference's datasets become image parts. An assistant message that called tools natively lists them in
 * `toolCalls`, so a conversation can be replayed; `toolCallId` links a `tool` message to the call it answers.
 */
export const MessageSchema = z.object({
  role: RoleSchema,
  content: z.union([z.string(), z.array(ContentPartSchema)]),
  toolCalls: z.array(ToolCallSchema).optional(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
});
export type Message = z.infer<typeof MessageSchema>;
