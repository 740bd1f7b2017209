import { PolicyError } from "../policy-error";
import {
  arrayTypeOf,
  elementCount,
  formatShape,
  HOST_IS_LITTLE_ENDIAN,
  isSafetensorsDtype,
  itemSizeOf,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from "./safetensors-dtype";
import { SAFETENSORS_METADATA_KEY } from "./safetensors-encode";

/** The reference reader refuses headers above 100 MB; so do we, before decoding them. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** What a safetensors file holds: its tensors by name and its `__metadata__` (undefined when absent). */
export interface DecodedSafetensors {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string> | undefined;
}

interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file. Every tensor's elements are copied into a fresh, aligned typed array that the
 * caller owns (never a view into `bytes`). The file is checked the way the reference reader checks it, so a
 * corrupt or truncated file is rejected instead of being read out of bounds: the header must fit in the
 * file and be a UTF-8 JSON object without duplicate keys; each tensor needs a known dtype, a shape of
 * non-negative integers and `data_offsets` whose length is `product(shape) · itemsize`; and the tensors
 * must tile the data buffer exactly (no overlap, no gap, nothing left over).
 *
 * @throws PolicyError naming the tensor and what is wrong with it.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) {
    throw new PolicyError("decodeSafetensors expects the file's bytes as a Uint8Array");
  }
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new PolicyError(
      "safetensors is little-endian and this host is big-endian; run on a little-endian host",
    );
  }
  const header = readHeader(bytes);
  const dataStart = 8 + header.byteLength;
  const bufferLength = bytes.length - dataStart;

  let metadata: Record<string, string> | undefined;
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header.json)) {
    if (name === SAFETENSORS_METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value, bufferLength));
  }
  checkTiling(entries, bufferLength);

  const tensors: [string, SafetensorsTensor][] = entries.map((entry) => {
    const arrayType = arrayTypeOf(entry.dtype);
    const copy = bytes.slice(dataStart + entry.begin, dataStart + entry.end);
    const data = new arrayType(copy.buffer, 0, copy.length / itemSizeOf(entry.dtype));
    return [entry.name, { dtype: entry.dtype, shape: entry.shape, data } as SafetensorsTensor];
  });
  // fromEntries defines own properties, so a tensor named "__proto__" stays a tensor.
  return { tensors: Object.fromEntries(tensors), metadata };
}

function readHeader(bytes: Uint8Array): { json: Record<string, unknown>; byteLength: number } {
  if (bytes.length < 8) {
    throw new PolicyError(
      `safetensors file is ${bytes.length} bytes, shorter than its 8-byte header length; the file is truncated`,
    );
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const available = bytes.length - 8;
  if (declared > BigInt(available)) {
    throw new PolicyError(
      `safetensors header length ${declared} runs beyond the file (${available} bytes follow the length prefix); the file is truncated or not safetensors`,
    );
  }
  const byteLength = Number(declared);
  if (byteLength > MAX_SAFETENSORS_HEADER_BYTES) {
    throw new PolicyError(
      `safetensors header is ${byteLength} bytes, above the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit of the reference reader`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + byteLength));
  } catch {
    throw new PolicyError("safetensors header is not valid UTF-8; the file is corrupt or not safetensors");
  }
  if (!text.startsWith("{")) {
    throw new PolicyError(
      `safetensors header must start with "{" but starts with ${JSON.stringify(text.slice(0, 16))}; the file is not safetensors`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyError(`safetensors header is not valid JSON (${reason}); the file is corrupt`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new PolicyError("safetensors header must be a JSON object of tensor entries");
  }
  checkNoDuplicateKeys(text);
  return { json: json as Record<string, unknown>, byteLength };
}

/**
 * JSON.parse keeps the last of two equal keys silently; the reference reader rejects them, and two tensors
 * under one name mean a broken writer, so we scan the (already valid) JSON text for repeats.
 */
function checkNoDuplicateKeys(text: string): void {
  type Frame = { isObject: boolean; expectKey: boolean; keys: Set<string> };
  const stack: Frame[] = [];
  let topLevelKey = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const frame = stack[stack.length - 1];
      if (frame?.isObject && frame.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (frame.keys.has(key)) {
          throw new PolicyError(
            stack.length === 1
              ? `safetensors header names tensor "${key}" twice; each tensor name must be unique`
              : `safetensors header entry "${topLevelKey}" has the key "${key}" twice`,
          );
        }
        frame.keys.add(key);
        frame.expectKey = false;
        if (stack.length === 1) topLevelKey = key;
      }
      i = j;
    } else if (c === "{" || c === "[") {
      stack.push({ isObject: c === "{", expectKey: c === "{", keys: new Set() });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const frame = stack[stack.length - 1];
      if (frame?.isObject) frame.expectKey = true;
    }
  }
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyError(`safetensors "${SAFETENSORS_METADATA_KEY}" must be an object of strings`);
  }
  const metadata: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new PolicyError(
        `safetensors "${SAFETENSORS_METADATA_KEY}".${key} is ${JSON.stringify(v)}; metadata values must be strings`,
      );
    }
    metadata.push([key, v]);
  }
  return Object.fromEntries(metadata);
}

function parseEntry(name: string, value: unknown, bufferLength: number): TensorEntry {
  const where = `safetensors tensor "${name}"`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PolicyError(`${where}: entry must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw new PolicyError(
      `${where}: unknown dtype ${JSON.stringify(dtype)} (supported: ${SAFETENSORS_DTYPES.join(", ")})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new PolicyError(`${where}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new PolicyError(
      `${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end] with non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new PolicyError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  }
  if (end > bufferLength) {
    throw new PolicyError(
      `${where}: data_offsets [${begin}, ${end}] run beyond the data buffer (${bufferLength} bytes); the file is truncated`,
    );
  }
  const expectedBytes = elementCount(shape) * itemSizeOf(dtype);
  if (expectedBytes !== end - begin) {
    throw new PolicyError(
      `${where}: shape ${formatShape(shape)} of ${dtype} needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function checkTiling(entries: TensorEntry[], bufferLength: number): void {
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorEntry | undefined;
  for (const entry of ordered) {
    if (entry.begin < covered) {
      throw new PolicyError(
        `safetensors tensors "${previous?.name}" [${previous?.begin}, ${previous?.end}] and "${entry.name}" [${entry.begin}, ${entry.end}] overlap`,
      );
    }
    if (entry.begin > covered) {
      const after = previous === undefined ? "at the start of the data buffer" : `after "${previous.name}"`;
      throw new PolicyError(
        `safetensors data bytes [${covered}, ${entry.begin}) belong to no tensor (${after}, before "${entry.name}")`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== bufferLength) {
    throw new PolicyError(
      `safetensors data buffer has ${bufferLength} bytes but the tensors cover only ${covered}; the file has trailing bytes or a missing tensor entry`,
    );
  }
}
