import type { Task } from "@hdpo/core";
import { imageRefToDataUri } from "@hdpo/tasks";

/** The task's images as data URIs (file paths read relative to the input's folder), for prompts and sandboxes. */
export async function taskImagesAsDataUris(task: Task | undefined, baseDir: string): Promise<string[]> {
  return Promise.all((task?.images ?? []).map((ref) => imageRefToDataUri(ref, baseDir)));
}

/** The task with its images (and prompt image parts) as data URIs, so a remote model can see them. */
export async function withDataUriImages(task: Task, baseDir: string): Promise<Task> {
  const copy: Task = { ...task };
  if (task.images !== undefined) copy.images = await taskImagesAsDataUris(task, baseDir);
  if (task.prompt !== undefined) {
    copy.prompt = await Promise.all(
      task.prompt.map(async (message) =>
        typeof message.content === "string"
          ? message
          : {
              ...message,
              content: await Promise.all(
                message.content.map(async (part) =>
                  part.type === "image"
                    ? { ...part, image: await imageRefToDataUri(part.image, baseDir) }
                    : part,
                ),
              ),
            },
      ),
    );
  }
  return copy;
}
