import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Message } from "@hdpo/core";
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { ACCEPTED_OBSERVATION_IMAGES, validateObservationImage } from "./observation-image";
import { OpenAIPolicyError } from "./openai-policy-error";

const MIME_BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
};

/**
 * A task image reference as an `image_url` URL: `data:` and `http(s):` URIs pass through unchanged; anything else is
 * read as a file and sent as a base64 data URI (servers cannot read the client's disk). For images of the task's
 * own messages only: an image from a tool goes through {@link toolImageUrl}, which never reads or fetches.
 */
export async function imageUrlOf(ref: string): Promise<string> {
  if (/^(data|https?):/i.test(ref)) return ref;
  const mime = MIME_BY_EXTENSION[extname(ref).toLowerCase()];
  if (mime === undefined) {
    throw new OpenAIPolicyError(
      "invalid-request",
      `Image ${JSON.stringify(ref)} is neither a data:/http(s): URI nor a file with a known image extension (${Object.keys(MIME_BY_EXTENSION).join(", ")}).`,
    );
  }
  const bytes = await readFile(ref);
  return `data:${mime};base64,${bytes.toString("base64")}`;
}

/**
 * The `image_url` URL of an image in a `tool` message: the image itself when {@link validateObservationImage}
 * passes it (a PNG/JPEG data URI within the cap), else an "invalid-request" error. A tool's image is written by
 * sandboxed code or a remote server, so a path in it is never read and a URL never passed on to be fetched.
 */
export function toolImageUrl(image: unknown, where: string): string {
  const check = validateObservationImage(image);
  if (check.ok) return check.image;
  throw new OpenAIPolicyError(
    "invalid-request",
    `${where} is refused: ${check.reason}. Images from tools must be ${ACCEPTED_OBSERVATION_IMAGES}; the agent loop's truncateObservation drops any other with a note.`,
  );
}

/** A user message's parts; task images may be files or URLs (see {@link imageUrlOf}). */
async function contentParts(message: Message): Promise<ChatCompletionContentPart[]> {
  if (typeof message.content === "string") return [{ type: "text", text: message.content }];
  return Promise.all(
    message.content.map(
      async (part): Promise<ChatCompletionContentPart> =>
        part.type === "text"
          ? { type: "text", text: part.text }
          : { type: "image_url", image_url: { url: await imageUrlOf(part.image) } },
    ),
  );
}

/** A tool message's parts; every image must pass {@link toolImageUrl}. */
function toolContentParts(message: Message, index: number): ChatCompletionContentPart[] {
  if (typeof message.content === "string") return [{ type: "text", text: message.content }];
  let images = 0;
  return message.content.map((part): ChatCompletionContentPart => {
    if (part.type === "text") return { type: "text", text: part.text };
    images += 1;
    return {
      type: "image_url",
      image_url: { url: toolImageUrl(part.image, `Image ${images} of the tool message at index ${index}`) },
    };
  });
}

function textOf(message: Message): string {
  return typeof message.content === "string"
    ? message.content
    : message.content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/**
 * Core messages as OpenAI chat messages. Images become `image_url` parts; a `tool` message with `toolCallId`
 * becomes an OpenAI `tool` message (text only, as the API allows; its images follow as a `user` message), and a
 * `tool` message without one — an observation of the text protocol — becomes a `user` message, as the reference
 * renders observations. Images of `tool` messages must pass {@link toolImageUrl}; those of `user` messages may also
 * be files or URLs (the task's own images; the loop's text-protocol observations are `user` messages too, which is
 * why `truncateObservation` and `observationMessage` screen a tool's images before they get here).
 * @throws OpenAIPolicyError "invalid-request" for no messages, an unknown role or a refused image
 */
export async function toOpenAIMessages(messages: readonly Message[]): Promise<ChatCompletionMessageParam[]> {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new OpenAIPolicyError("invalid-request", "The request must have at least one message.");
  }
  const out: ChatCompletionMessageParam[] = [];
  for (const [index, message] of messages.entries()) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: textOf(message) });
        break;
      case "assistant":
        out.push(assistantMessage(message));
        break;
      case "user":
        out.push({ role: "user", content: await userContent(message) });
        break;
      case "tool": {
        const parts = toolContentParts(message, index);
        if (message.toolCallId === undefined) {
          out.push({ role: "user", content: typeof message.content === "string" ? message.content : parts });
          break;
        }
        out.push({ role: "tool", tool_call_id: message.toolCallId, content: textOf(message) });
        const images = parts.filter((p) => p.type === "image_url");
        if (images.length > 0) out.push({ role: "user", content: images });
        break;
      }
      default:
        throw new OpenAIPolicyError(
          "invalid-request",
          `Message role ${JSON.stringify((message as { role: unknown }).role)} is not one of system, user, assistant, tool.`,
        );
    }
  }
  return out;
}

/** An assistant turn; native tool calls go back on the wire as `tool_calls` (arguments as the model wrote them). */
function assistantMessage(message: Message): ChatCompletionMessageParam {
  const text = textOf(message);
  if (message.toolCalls === undefined || message.toolCalls.length === 0)
    return { role: "assistant", content: text };
  return {
    role: "assistant",
    content: text.length > 0 ? text : null,
    tool_calls: message.toolCalls.map((call, index) => ({
      id: call.id ?? `call_${index}`,
      type: "function" as const,
      function: { name: call.name, arguments: call.raw ?? JSON.stringify(call.arguments) },
    })),
  };
}

async function userContent(message: Message): Promise<string | ChatCompletionContentPart[]> {
  return typeof message.content === "string" ? message.content : contentParts(message);
}
