import { readdirSync, readFileSync } from "node:fs";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { findPython, type PythonInterpreter } from "./find-python";

/**
 * The interpreter the tests use. Never skips: without Pillow/numpy this throws PythonUnavailableError, whose
 * message says exactly what to install.
 */
let interpreter: Promise<PythonInterpreter> | undefined;
export function testInterpreter(): Promise<PythonInterpreter> {
  interpreter ??= findPython();
  return interpreter;
}

/** A JPEG data URI of a width×height RGB gradient (what the trainer sends as extra_fields.images). */
export function jpegDataUri(width: number, height: number): string {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      data[at] = Math.round((255 * x) / Math.max(1, width - 1));
      data[at + 1] = Math.round((255 * y) / Math.max(1, height - 1));
      data[at + 2] = 128;
      data[at + 3] = 255;
    }
  }
  const encoded = jpeg.encode({ data, width, height }, 90);
  return `data:image/jpeg;base64,${encoded.data.toString("base64")}`;
}

/** Width and height of a PNG data URI (and that it really is a PNG). */
export function pngSize(dataUri: string): { width: number; height: number } {
  const prefix = "data:image/png;base64,";
  if (!dataUri.startsWith(prefix)) throw new Error(`not a PNG data URI: ${dataUri.slice(0, 40)}`);
  const png = PNG.sync.read(Buffer.from(dataUri.slice(prefix.length), "base64"));
  return { width: png.width, height: png.height };
}

/** pids of every live descendant of this process (sandboxes included: host pids). */
export function descendantPids(root = process.pid): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      parents.set(Number(name), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  found.delete(root);
  return [...found];
}

/** Descendants that are ours to count: sandbox processes (not a tool's own helper such as esbuild). */
export function sandboxPids(): number[] {
  return descendantPids().filter((pid) => {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      return comm !== "esbuild";
    } catch {
      return false;
    }
  });
}
