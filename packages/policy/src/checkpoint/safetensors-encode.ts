import { PolicyError } from "../policy-error";
import {
  arrayTypeOf,
  elementCount,
  formatShape,
  HOST_IS_LITTLE_ENDIAN,
  isSafetensorsDtype,
  itemSizeOf,
  layoutRankOf,
  type SafetensorsTensor,
} from "./safetensors-dtype";

/** The key under which a safetensors header keeps its free-form string metadata. */
export const SAFETENSORS_METADATA_KEY = "__metadata__";

/**
 * Serializes tensors to the safetensors format, byte for byte as the reference (Rust/Python `safetensors`)
 * writes them: an 8-byte little-endian header length, a compact JSON header with `__metadata__` first and
 * the tensors in data order, padded with spaces to a multiple of 8, then the tensors' bytes back to back,
 * larger dtypes first and by name within a dtype (so every tensor is aligned to its element size).
 * Metadata keys are written sorted, so the output is deterministic.
 *
 * @throws PolicyError when a name is empty or reserved, a dtype is unknown, a shape is not a list of
 *   non-negative integers, or `data` is not the dtype's typed array with `product(shape)` elements.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new PolicyError(
      "safetensors is little-endian and this host is big-endian; run on a little-endian host",
    );
  }
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) checkTensor(name, tensor);
  const utf8 = new TextEncoder();
  const nameBytes = new Map(entries.map(([name]) => [name, utf8.encode(name)]));
  entries.sort(([nameA, a], [nameB, b]) => {
    const byRank = layoutRankOf(b.dtype) - layoutRankOf(a.dtype);
    return byRank !== 0 ? byRank : compareBytes(nameBytes.get(nameA)!, nameBytes.get(nameB)!);
  });

  // Written by hand rather than through an object so that the member order is exactly the reference's
  // (objects would move integer-like names first) and a tensor named "__proto__" stays a tensor.
  const members: string[] = [];
  if (metadata !== undefined) {
    members.push(`${JSON.stringify(SAFETENSORS_METADATA_KEY)}:${metadataJson(metadata)}`);
  }
  let offset = 0;
  for (const [name, tensor] of entries) {
    const end = offset + tensor.data.byteLength;
    const info = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    members.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = utf8.encode(`{${members.join(",")}}`);
  const padding = (8 - (json.length % 8)) % 8;
  const headerLength = json.length + padding;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, tensor] of entries) {
    const { buffer, byteOffset, byteLength } = tensor.data;
    out.set(new Uint8Array(buffer, byteOffset, byteLength), position);
    position += byteLength;
  }
  return out;
}

/** Rust orders strings by their UTF-8 bytes, which differs from JS's UTF-16 order outside the BMP. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  const members: string[] = [];
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key];
    if (typeof value !== "string") {
      throw new PolicyError(
        `safetensors metadata "${key}" is a ${typeof value}; metadata values must be strings (JSON.stringify it first)`,
      );
    }
    members.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${members.join(",")}}`;
}

function checkTensor(name: string, tensor: SafetensorsTensor): void {
  if (name.length === 0) throw new PolicyError("a safetensors tensor name must not be empty");
  if (name === SAFETENSORS_METADATA_KEY) {
    throw new PolicyError(`"${SAFETENSORS_METADATA_KEY}" is reserved for metadata; rename that tensor`);
  }
  if (!isSafetensorsDtype(tensor.dtype)) {
    throw new PolicyError(`tensor "${name}": unknown dtype ${JSON.stringify(tensor.dtype)}`);
  }
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new PolicyError(
      `tensor "${name}": shape ${JSON.stringify(tensor.shape)} must be a list of non-negative integers`,
    );
  }
  const arrayType = arrayTypeOf(tensor.dtype);
  if (!(tensor.data instanceof arrayType)) {
    throw new PolicyError(
      `tensor "${name}": ${tensor.dtype} data must be a ${arrayType.name}, got ${describe(tensor.data)}`,
    );
  }
  const expected = elementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new PolicyError(
      `tensor "${name}": shape ${formatShape(tensor.shape)} needs ${expected} elements but data has ${tensor.data.length}`,
    );
  }
  if (tensor.data.byteLength !== expected * itemSizeOf(tensor.dtype)) {
    throw new PolicyError(`tensor "${name}": data byte length does not match its dtype ${tensor.dtype}`);
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  return value.constructor?.name ?? "object";
}
